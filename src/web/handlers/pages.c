/*
 * pages.c: the pages that hold no one's data — health check, home and
 * the crisis page.  /help never needs sign-in: a person in distress
 * must not meet a login wall.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <string.h>

void h_health(req *r, reply *out)
{
	int version = 0;
	int ok = store_schema_version(r->app->care.st, &version) == 0;

	r->api = 1; /* always JSON, for load balancers and monitors */
	out->status = ok ? 200 : 503;
	out->body = json_pack("{s:s, s:s, s:s, s:i}", "status", ok ? "ok" : "unavailable",
			      "version", KINDRED_VERSION, "store", store_backend(r->app->care.st),
			      "schema", version);
}

void h_home(req *r, reply *out)
{
	if (care_needs_setup(&r->app->care)) {
		reply_redirect(out, "/setup");
		return;
	}
	if (strcmp(r->who.role, "client") == 0) {
		reply_redirect(out, "/checkins");
		return;
	}
	if (strcmp(r->who.role, "clinician") == 0 || strcmp(r->who.role, "admin") == 0) {
		reply_redirect(out, "/clients");
		return;
	}
	if (strcmp(r->who.role, "supporter") == 0) {
		reply_redirect(out, "/people");
		return;
	}
	out->tpl = "home.html";
	out->title = "Welcome to kindred";
	out->body = json_pack("{s:b}", "deleted", input_bool(r->in, "deleted"));
}

void h_help(req *r, reply *out)
{
	json_t *plan = NULL;

	out->tpl = "help.html";
	out->title = "Help now";
	out->body = json_deep_copy(r->app->crisis);
	/* A client in distress sees their own plan beside the lines; if it
	 * cannot be read, the lines alone still show. */
	if (strcmp(r->who.role, "client") == 0 &&
	    care_safety_get(&r->app->care, &r->who, r->who.id, &plan) == 0) {
		if (json_is_true(json_object_get(plan, "exists")))
			json_object_set_new(out->body, "plan", plan);
		else
			json_decref(plan);
	}
}
