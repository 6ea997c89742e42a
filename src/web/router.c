/*
 * router.c: the route table — every page and every /api/v1 route, in
 * one list, so docs/openapi.yaml can be checked against it — and the
 * matcher.  The table is short; a linear scan with early rejection on
 * the first byte after the shared prefix is faster than any structure.
 */
#include "web/web.h"

#include "web/input.h"

#include <stdio.h>
#include <string.h>

#define HA (ROUTE_HTML | ROUTE_API)

const route routes[] = {
	{"GET", "/healthz", h_health, ROUTE_HTML | ROUTE_PUBLIC},
	{"GET", "/", h_home, ROUTE_HTML | ROUTE_PUBLIC},
	{"GET", "/help", h_help, HA | ROUTE_PUBLIC},
	{"GET", "/setup", h_setup_form, ROUTE_HTML | ROUTE_PUBLIC},
	{"POST", "/setup", h_setup, HA | ROUTE_PUBLIC},
	{"GET", "/login", h_login_form, ROUTE_HTML | ROUTE_PUBLIC},
	{"POST", "/login", h_login, HA | ROUTE_PUBLIC},
	{"POST", "/logout", h_logout, HA},
	{"GET", "/me", h_me, ROUTE_API},
	{"GET", "/join/{token}", h_join_form, ROUTE_HTML | ROUTE_PUBLIC},
	{"POST", "/join/{token}", h_join, HA | ROUTE_PUBLIC},
	{"GET", "/invitations/new", h_invitations_new, ROUTE_HTML},
	{"POST", "/invitations", h_invitation_create, HA},
	{"GET", "/checkins", h_checkins, HA},
	{"POST", "/checkins", h_checkin_create, HA},
	{"GET", "/clients", h_caseload, HA},
	{"GET", "/clients/{id}/checkins", h_client_checkins, HA},
	{"GET", "/audit", h_audit, HA},
	{"GET", "/safety-plan", h_safety, HA},
	{"POST", "/safety-plan", h_safety_save, HA},
	{"GET", "/safety-plan/download", h_safety_download, ROUTE_HTML},
	{"GET", "/clients/{id}/safety-plan", h_client_safety, HA},
	{"POST", "/clients/{id}/safety-plan", h_client_safety_save, HA},
	{"GET", "/clients/{id}/risk", h_client_risk, ROUTE_API},
	{"POST", "/clients/{id}/risk/seen", h_client_risk_seen, HA},
	{"GET", "/journal", h_journal, HA},
	{"POST", "/journal", h_journal_create, HA},
	{"GET", "/journal/draft", h_draft, ROUTE_API},
	{"POST", "/journal/draft", h_draft_save, HA},
	{"GET", "/journal/{id}", h_journal_entry, HA},
	{"GET", "/my-data", h_mydata, ROUTE_HTML},
	{"GET", "/my-data/export", h_export, ROUTE_API},
	{"POST", "/my-data/delete", h_delete_self, HA},
	{"GET", "/supporters", h_supporters, HA},
	{"POST", "/supporters", h_supporter_invite, HA},
	{"POST", "/supporters/{id}", h_supporter_update, HA},
	{"POST", "/supporters/{id}/remove", h_supporter_remove, HA},
	{"GET", "/people", h_people, HA},
	{"GET", "/people/{id}", h_person, HA},
	{"GET", "/measures", h_measures, HA},
	{"GET", "/measures/{token}", h_measure_form, HA},
	{"POST", "/measures/{token}", h_measure_answer, HA},
	{"GET", "/responses/{id}", h_response, HA},
	{"GET", "/progress", h_progress, HA},
	{"GET", "/clients/{id}/measures", h_client_measures, HA},
	{"POST", "/clients/{id}/assignments", h_assign, HA},
	{"GET", "/clients/{id}/progress", h_client_progress, HA},
	{"GET", "/settings", h_settings, HA},
	{"POST", "/settings", h_settings_save, HA},
};

const size_t routes_count = sizeof(routes) / sizeof(routes[0]);

/* Whether rt serves path (filling r's id and token). */
static int route_fits(const route *rt, req *r, const char *path, int api)
{
	return (rt->flags & (api ? ROUTE_API : ROUTE_HTML)) &&
	       input_match_path(rt->pattern, path, &r->id, r->token, sizeof(r->token));
}

const route *router_match(req *r, const char *method, const char *path, int api, int *status,
			  char *allow, size_t allow_len)
{
	size_t i, used = 0;
	int path_seen = 0;
	const char *m;

	if (allow_len)
		allow[0] = '\0';
	/* HEAD is GET without the body; the HTTP library drops the body. */
	m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	for (i = 0; i < routes_count; i++)
		if (strcmp(routes[i].method, m) == 0 && route_fits(&routes[i], r, path, api))
			return &routes[i];
	/* Not found: which methods the path has, for 405 and its Allow. */
	for (i = 0; i < routes_count; i++) {
		const route *rt = &routes[i];
		if (!route_fits(rt, r, path, api))
			continue;
		path_seen = 1;
		if (used + strlen(rt->method) + 3 < allow_len)
			used += (size_t)snprintf(allow + used, allow_len - used, "%s%s",
						 used ? ", " : "", rt->method);
	}
	*status = path_seen ? 405 : 404;
	return NULL;
}
