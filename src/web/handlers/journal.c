/*
 * journal.c: the journal pages — writing an entry and reading kindred's
 * reflection, the list of entries, the autosaved draft — and a client's
 * own settings (who is told about risk, replies on or off).  When an
 * entry or a check-in reads as at risk, the answering page carries the
 * client's safety plan and the crisis lines at once (support_add).
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void support_add(req *r, json_t *body)
{
	json_t *plan = NULL;

	if (care_safety_get(&r->app->care, &r->who, r->who.id, &plan) == 0) {
		json_object_del(plan, "crisis");
		json_object_set_new(body, "plan", plan);
	}
	json_object_set_new(body, "crisis", json_deep_copy(r->app->crisis));
}

void h_journal(req *r, reply *out)
{
	json_t *list = NULL, *draft = NULL, *prefs = NULL;
	int rc;

	out->tpl = "journal.html";
	out->title = "Journal";
	rc = care_journal_list(&r->app->care, &r->who, 50, &list);
	if (rc == 0)
		rc = care_draft_get(&r->app->care, &r->who, &draft);
	if (rc == 0)
		rc = care_prefs_get(&r->app->care, &r->who, &prefs);
	if (rc != 0) {
		json_decref(list);
		json_decref(draft);
		reply_kd_error(out, rc, NULL);
		return;
	}
	json_object_set_new(list, "draft", draft);
	json_object_set_new(list, "prefs", prefs);
	out->body = list;
}

void h_journal_create(req *r, reply *out)
{
	json_t *made = NULL;
	const char *why = NULL;
	char loc[64];
	int rc;

	out->tpl = "journal.html";
	out->title = "Journal";
	rc = input_expect(r->in, "text", INPUT_TEXT);
	if (rc == 0)
		rc = care_journal_add(&r->app->care, &r->who, input_str(r->in, "text"), &made, &why);
	if (rc != 0) {
		json_t *keep = json_string(input_str(r->in, "text") ? input_str(r->in, "text") : "");
		reply_kd_error(out, rc, why);
		/* What was typed comes back in the box, never lost. */
		json_object_set_new(out->body, "draft", json_pack("{s:o}", "text", keep));
		json_object_set_new(out->body, "entries", json_array());
		return;
	}
	if (json_is_true(json_object_get(json_object_get(made, "risk"), "at_risk")))
		support_add(r, made);
	out->status = 201;
	out->body = made;
	snprintf(loc, sizeof(loc), "/journal/%lld",
		 (long long)json_integer_value(json_object_get(made, "id")));
	reply_redirect(out, loc);
}

void h_journal_entry(req *r, reply *out)
{
	json_t *entry = NULL;
	int rc = care_journal_get(&r->app->care, &r->who, r->id, &entry);

	out->tpl = "journal_entry.html";
	out->title = "Journal entry";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	if (json_is_true(json_object_get(json_object_get(entry, "risk"), "at_risk")))
		support_add(r, entry);
	out->body = entry;
}

void h_draft(req *r, reply *out)
{
	json_t *draft = NULL;
	int rc = care_draft_get(&r->app->care, &r->who, &draft);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = draft;
}

void h_draft_save(req *r, reply *out)
{
	const char *why = NULL;
	const char *text = input_str(r->in, "text");
	int rc = input_expect(r->in, "text", INPUT_TEXT);

	/* Only text, or nothing, empties the draft: a wrong kind of value
	 * must not delete what the client was writing. */
	if (rc == 0)
		rc = care_draft_put(&r->app->care, &r->who, text ? text : "", &why);

	if (rc != 0) {
		reply_kd_error(out, rc, why);
		return;
	}
	out->body = json_pack("{s:b}", "saved", 1);
	reply_redirect(out, "/journal");
}

void h_settings(req *r, reply *out)
{
	json_t *prefs = NULL;
	int rc = care_prefs_get(&r->app->care, &r->who, &prefs);

	out->tpl = "settings.html";
	out->title = "Your choices";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	if (input_bool(r->in, "welcome"))
		json_object_set_new(prefs, "welcome", json_true());
	if (input_bool(r->in, "saved"))
		json_object_set_new(prefs, "saved", json_true());
	out->body = prefs;
}

void h_settings_save(req *r, reply *out)
{
	const char *why = NULL;
	json_t *rv = json_object_get(r->in, "replies");
	int on = -1, rc;

	rc = input_expect(r->in, "notify", INPUT_TEXT);
	if (rc == 0)
		rc = input_expect(r->in, "replies", INPUT_BOOL);
	/* A form sends a hidden "off" and then, when the box is ticked, "on":
	 * the last one is the choice.  The API may send true/false. */
	if (json_is_array(rv))
		rv = json_array_get(rv, json_array_size(rv) - 1);
	if (json_is_boolean(rv))
		on = json_is_true(rv);
	else if (json_is_string(rv))
		on = strcmp(json_string_value(rv), "on") == 0 ||
		     strcmp(json_string_value(rv), "1") == 0 ||
		     strcmp(json_string_value(rv), "true") == 0;
	if (rc == 0)
		rc = care_prefs_set(&r->app->care, &r->who, input_str(r->in, "notify"), on, &why);
	if (rc != 0) {
		reply_kd_error(out, rc, why);
		out->tpl = "settings.html";
		out->title = "Your choices";
		return;
	}
	h_settings(r, out);
	reply_redirect(out, "/settings?saved=1");
}

void h_client_risk(req *r, reply *out)
{
	json_t *list = NULL;
	int rc = care_risk_list(&r->app->care, &r->who, r->id, &list);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = list;
}

void h_client_risk_seen(req *r, reply *out)
{
	char loc[64];
	int rc = care_risk_seen(&r->app->care, &r->who, r->id);

	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = json_pack("{s:b}", "seen", 1);
	snprintf(loc, sizeof(loc), "/clients/%lld/checkins", (long long)r->id);
	reply_redirect(out, loc);
}
