/*
 * care.c: the check-in slice — a client's own check-ins (page and API),
 * recording one, a clinician's caseload and a client's check-ins seen by
 * their clinician, invitations, and the audit trail ("who looked at my
 * data").  Access is decided in policy, through the care functions.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAGE_ROWS = 50, MAX_FEELINGS = 32 };

/* The API's answer is written as text straight from the rows (as_text);
 * a page needs the values for its template. */
static void checkins_page(req *r, reply *out, int64_t client_id, int as_text)
{
	json_t *body = NULL;
	long long limit = PAGE_ROWS;
	int rc;

	if (input_int(r->in, "limit", 1, 500, &limit) == KD_EINVAL) {
		reply_kd_error(out, KD_EINVAL, "limit is a number from 1 to 500.");
		return;
	}
	if (as_text)
		rc = care_checkin_list_text(&r->app->care, &r->who, client_id, (int)limit,
					    &out->text);
	else
		rc = care_checkin_list(&r->app->care, &r->who, client_id, (int)limit, &body);
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = body;
}

void h_checkins(req *r, reply *out)
{
	long long thanks = 0;
	int thanked, welcome = input_bool(r->in, "welcome"), support = input_bool(r->in, "support");

	out->tpl = "checkins.html";
	out->title = "Check in";
	if (strcmp(r->who.role, "client") != 0) {
		/* Clinicians find check-ins through their caseload. */
		reply_redirect(out, "/clients");
		if (r->api)
			reply_kd_error(out, KD_EFORBIDDEN,
				       "Check-ins belong to clients; see /api/v1/clients/{id}/checkins.");
		return;
	}
	thanked = input_int(r->in, "thanks", 1, INT64_MAX, &thanks) == 0;
	checkins_page(r, out, r->who.id, r->api && !support);
	if (out->status >= 400)
		return;
	if (!out->body) {
		reply_text_member(out, "feelings", care_feelings_text(&r->app->care));
		if (thanked)
			reply_text_member(out, "thanks", "true");
		if (welcome)
			reply_text_member(out, "welcome", "true");
		return;
	}
	json_object_set_new(out->body, "feelings", care_feelings(&r->app->care));
	if (thanked)
		json_object_set_new(out->body, "thanks", json_true());
	if (welcome)
		json_object_set_new(out->body, "welcome", json_true());
	if (support)
		support_add(r, out->body);
}

void h_checkin_create(req *r, reply *out)
{
	const char *feelings[MAX_FEELINGS];
	const char *why = NULL;
	long long mood = -1;
	size_t n;
	json_t *made = NULL;
	char *note;
	char loc[64];
	int rc;

	out->tpl = "checkins.html";
	out->title = "Check in";
	rc = input_int(r->in, "mood", 0, 10, &mood);
	if (rc != 0) {
		reply_kd_error(out, KD_EINVAL, "Please choose how you are, from 0 to 10.");
		goto refill;
	}
	if (input_expect(r->in, "feelings", INPUT_TEXTS) || input_expect(r->in, "note", INPUT_TEXT)) {
		reply_kd_error(out, KD_EINVAL, "Feelings are a list of words and the note is text.");
		goto refill;
	}
	n = input_strings(r->in, "feelings", feelings, MAX_FEELINGS);
	if (n > MAX_FEELINGS) {
		reply_kd_error(out, KD_EINVAL, "Please pick feelings from the list.");
		goto refill;
	}
	note = input_trimmed(input_str(r->in, "note"));
	rc = care_checkin_add(&r->app->care, &r->who, (int)mood, feelings, n, note, &made, &why);
	free(note);
	if (rc != 0) {
		reply_kd_error(out, rc, why);
		goto refill;
	}
	out->status = 201;
	out->body = made;
	snprintf(loc, sizeof(loc), "/checkins?thanks=%lld%s",
		 (long long)json_integer_value(json_object_get(made, "id")),
		 json_is_true(json_object_get(made, "at_risk")) ? "&support=1" : "");
	reply_redirect(out, loc);
	return;
refill:
	/* The page shows the form again, with the history and what was typed. */
	if (!r->api && strcmp(r->who.role, "client") == 0) {
		json_t *err = json_incref(json_object_get(out->body, "error"));
		int status = out->status;
		json_t *note_in = json_string(input_str(r->in, "note") ? input_str(r->in, "note") : "");

		json_decref(out->body);
		out->body = NULL;
		checkins_page(r, out, r->who.id, 0);
		if (out->body && out->status < 400) {
			json_object_set_new(out->body, "feelings", care_feelings(&r->app->care));
			json_object_set_new(out->body, "error", err);
			json_object_set_new(out->body, "form",
					    json_pack("{s:o}", "note", note_in));
			out->status = status;
		} else {
			json_decref(err);
			json_decref(note_in);
		}
	}
}

void h_client_checkins(req *r, reply *out)
{
	json_t *risk = NULL;

	out->tpl = "client.html";
	out->title = "Check-ins";
	checkins_page(r, out, r->id, r->api);
	if (out->status < 400 && !r->api &&
	    care_risk_list(&r->app->care, &r->who, r->id, &risk) == 0)
		json_object_set_new(out->body, "risk", risk);
}

void h_caseload(req *r, reply *out)
{
	json_t *body = NULL;
	long long limit = 100, offset = 0;
	int rc;

	if (input_int(r->in, "limit", 1, 1000, &limit) == KD_EINVAL ||
	    input_int(r->in, "offset", 0, INT64_MAX / 2, &offset) == KD_EINVAL) {
		reply_kd_error(out, KD_EINVAL, "limit is a number from 1 to 1000, offset 0 or more.");
		return;
	}
	rc = care_caseload(&r->app->care, &r->who, limit, offset, &body);

	out->tpl = "caseload.html";
	out->title = "Your clients";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = body;
}

void h_invitations_new(req *r, reply *out)
{
	int rc = policy_require(r->app->care.st, &r->who, POLICY_WRITE, RES_INVITATION, r->who.id, 0);

	out->tpl = "invite.html";
	out->title = "Invite a client";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = json_object();
}

void h_invitation_create(req *r, reply *out)
{
	char token[44], path[96], when[32], human[40];
	int64_t expires = 0;
	int rc = care_invite(&r->app->care, &r->who, token, &expires);

	out->tpl = "invite.html";
	out->title = "Invite a client";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	snprintf(path, sizeof(path), "/join/%s", token);
	care_iso_time(expires, when, sizeof(when));
	care_human_time(expires, human, sizeof(human));
	/* The link is shown once and never stored in the clear; no
	 * redirect, so it is not left in the browser's history either. */
	out->status = 201;
	out->body = json_pack("{s:s, s:s, s:s, s:s}", "token", token, "path", path, "expires_at",
			      when, "expires_when", human);
}

void h_audit(req *r, reply *out)
{
	json_t *body = NULL;
	int rc = care_audit_list(&r->app->care, &r->who, 200, &body);

	out->tpl = "audit.html";
	out->title = "Who looked at my data";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = body;
}
