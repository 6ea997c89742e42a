/*
 * account.c: first-run setup, signing in and out, joining through an
 * invitation, and "who am I" for API clients.  A failed form comes back
 * with what the person typed (never the password) and a plain message.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <stdio.h>
#include <string.h>

/* The form's values to show again after an error (no passwords). */
static json_t *form_echo(const req *r)
{
	const char *u = input_str(r->in, "username");
	const char *n = input_str(r->in, "display_name");

	return json_pack("{s:s, s:s}", "username", u ? u : "", "display_name", n ? n : "");
}

/* 0 if the account fields that are present are text. */
static int account_fields(const req *r)
{
	return input_expect(r->in, "username", INPUT_TEXT) ||
	       input_expect(r->in, "display_name", INPUT_TEXT) ||
	       input_expect(r->in, "password", INPUT_TEXT);
}

static void form_error(req *r, reply *out, int rc, const char *why)
{
	reply_kd_error(out, rc, why);
	json_object_set_new(out->body, "form", form_echo(r));
}

void h_setup_form(req *r, reply *out)
{
	if (!care_needs_setup(&r->app->care)) {
		reply_redirect(out, "/login");
		return;
	}
	out->tpl = "setup.html";
	out->title = "Set up kindred";
	out->body = json_pack("{s:o}", "form", form_echo(r));
}

void h_setup(req *r, reply *out)
{
	const char *why = NULL;
	int64_t id = 0;
	actor who = {0};
	int rc;

	out->tpl = "setup.html";
	out->title = "Set up kindred";
	rc = account_fields(r) ? KD_EINVAL
			       : care_setup(&r->app->care, input_str(r->in, "username"),
					    input_str(r->in, "display_name"),
					    input_str(r->in, "password"), &id, &why);
	if (rc != 0) {
		form_error(r, out, rc, why);
		return;
	}
	who.id = id;
	snprintf(who.role, sizeof(who.role), "admin");
	if ((rc = session_start(r, out, &who)) != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->status = 201;
	out->body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "role", "admin", "csrf",
			      r->csrf);
	reply_redirect(out, "/clients");
}

void h_login_form(req *r, reply *out)
{
	if (care_needs_setup(&r->app->care)) {
		reply_redirect(out, "/setup");
		return;
	}
	if (r->who.id) {
		reply_redirect(out, "/");
		return;
	}
	out->tpl = "login.html";
	out->title = "Sign in";
	out->body = json_pack("{s:o}", "form", form_echo(r));
}

void h_login(req *r, reply *out)
{
	actor who = {0};
	int rc;

	out->tpl = "login.html";
	out->title = "Sign in";
	/* A wrong kind of value is a malformed request, not a failed
	 * attempt: it is refused before it counts against anyone. */
	rc = account_fields(r) ? KD_EINVAL
			       : care_login(&r->app->care, input_str(r->in, "username"),
					    input_str(r->in, "password"), r->addr, &who);
	if (rc != 0) {
		form_error(r, out, rc,
			   rc == KD_EAUTH ? "That username and password did not match. Please try "
					    "again."
					  : NULL);
		if (rc == KD_EAUTH)
			out->status = 401;
		return;
	}
	if ((rc = session_start(r, out, &who)) != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)who.id, "role", who.role,
			      "csrf", r->csrf);
	reply_redirect(out, "/");
}

void h_logout(req *r, reply *out)
{
	session_end(r, out);
	out->body = json_pack("{s:b}", "signed_out", 1);
	reply_redirect(out, "/login");
}

void h_me(req *r, reply *out)
{
	int rc = policy_require(r->app->care.st, &r->who, POLICY_READ, RES_PROFILE, r->who.id, 0);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)r->who.id, "name",
			      r->who_name ? r->who_name : "", "role", r->who.role, "csrf", r->csrf);
}

static const char *invite_problem(int rc)
{
	switch (rc) {
	case KD_EUSED:
		return "This invitation has already been used. If it was not you who used it, "
		       "please tell your clinician; they can send a new one.";
	case KD_EEXPIRED:
		return "This invitation has expired. Your clinician can send you a new one.";
	default:
		return "We could not find this invitation. Please check the link, or ask your "
		       "clinician for a new one.";
	}
}

/* Expired and used invitations are 410 Gone: the link was real once. */
static void invite_error(reply *out, int rc)
{
	reply_kd_error(out, rc == KD_ENOTFOUND ? KD_ENOTFOUND : KD_EINVAL, invite_problem(rc));
	if (rc == KD_EUSED || rc == KD_EEXPIRED) {
		out->status = 410;
		json_object_set_new(json_object_get(out->body, "error"), "code",
				    json_string(rc == KD_EUSED ? "invitation_used"
							       : "invitation_expired"));
	}
}

void h_join_form(req *r, reply *out)
{
	char role[16];
	int rc = care_invite_check(&r->app->care, r->token);

	out->title = "Join kindred";
	if (rc != 0) {
		invite_error(out, rc);
		return;
	}
	out->tpl = "join.html";
	out->body = json_pack("{s:s, s:o}", "token", r->token, "form", form_echo(r));
	if (care_invite_role(&r->app->care, r->token, role) == 0 && strcmp(role, "supporter") == 0)
		json_object_set_new(out->body, "supporter", json_true());
}

void h_join(req *r, reply *out)
{
	const char *why = NULL;
	int64_t id = 0;
	actor who = {0};
	char role[16] = "client";
	int rc;

	out->tpl = "join.html";
	out->title = "Join kindred";
	care_invite_role(&r->app->care, r->token, role);
	rc = account_fields(r) ? KD_EINVAL
			       : care_invite_accept(&r->app->care, r->token,
						    input_str(r->in, "username"),
						    input_str(r->in, "display_name"),
						    input_str(r->in, "password"), &id, &why);
	if (rc == KD_ENOTFOUND || rc == KD_EUSED || rc == KD_EEXPIRED) {
		invite_error(out, rc);
		out->tpl = NULL;
		return;
	}
	if (rc != 0) {
		form_error(r, out, rc, why);
		json_object_set_new(out->body, "token", json_string(r->token));
		return;
	}
	who.id = id;
	snprintf(who.role, sizeof(who.role), "%s", role);
	if ((rc = session_start(r, out, &who)) != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->status = 201;
	out->body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "role", who.role, "csrf",
			      r->csrf);
	reply_redirect(out, strcmp(role, "supporter") == 0 ? "/people" : "/settings?welcome=1");
}
