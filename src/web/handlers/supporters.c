/*
 * supporters.c: a client's supporters (inviting, choosing what each may
 * see, ending it) and a supporter's own pages (the people who share with
 * them, and what each shares).  Access is decided in policy.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <stdio.h>
#include <string.h>

enum { MAX_SCOPES = 8 };

void h_supporters(req *r, reply *out)
{
	json_t *body = NULL;
	int rc = care_supporters(&r->app->care, &r->who, &body);

	out->tpl = "supporters.html";
	out->title = "Supporters";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = body;
}

void h_supporter_invite(req *r, reply *out)
{
	const char *scopes[MAX_SCOPES];
	const char *why = NULL;
	char token[44], path[96], human[40];
	int64_t expires = 0;
	size_t n = input_strings(r->in, "scopes", scopes, MAX_SCOPES);
	int rc;

	if (input_expect(r->in, "scopes", INPUT_TEXTS)) {
		reply_kd_error(out, KD_EINVAL, "Please choose what to share from the list.");
		return;
	}
	rc = care_supporter_invite(&r->app->care, &r->who, scopes, n, token, &expires, &why);
	if (rc != 0) {
		reply_kd_error(out, rc, why);
		return;
	}
	/* Shown once, like a clinician's invitation: no redirect. */
	h_supporters(r, out);
	if (out->status >= 400)
		return;
	snprintf(path, sizeof(path), "/join/%s", token);
	care_human_time(expires, human, sizeof(human));
	json_object_set_new(out->body, "invitation",
			    json_pack("{s:s, s:s, s:s}", "token", token, "path", path,
				      "expires_when", human));
	out->status = 201;
}

void h_supporter_update(req *r, reply *out)
{
	const char *scopes[MAX_SCOPES];
	const char *why = NULL;
	size_t n = input_strings(r->in, "scopes", scopes, MAX_SCOPES);
	int rc = input_expect(r->in, "scopes", INPUT_TEXTS);

	if (rc == 0)
		rc = care_supporter_update(&r->app->care, &r->who, r->id, scopes, n, &why);
	else
		why = "Please choose what to share from the list.";
	if (rc != 0) {
		reply_kd_error(out, rc, why);
		return;
	}
	out->body = json_pack("{s:b}", "saved", 1);
	reply_redirect(out, "/supporters");
}

void h_supporter_remove(req *r, reply *out)
{
	int rc = care_supporter_remove(&r->app->care, &r->who, r->id);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = json_pack("{s:b}", "removed", 1);
	reply_redirect(out, "/supporters");
}

void h_people(req *r, reply *out)
{
	json_t *body = NULL;
	int rc = care_people(&r->app->care, &r->who, &body);

	out->tpl = "people.html";
	out->title = "People you support";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = body;
}

void h_person(req *r, reply *out)
{
	json_t *body = NULL;
	int rc = care_person(&r->app->care, &r->who, r->id, &body);

	out->tpl = "person.html";
	out->title = "What they share with you";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	json_object_set_new(body, "crisis", json_deep_copy(r->app->crisis));
	out->body = body;
}
