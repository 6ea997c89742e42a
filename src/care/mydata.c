/*
 * mydata.c: a client's data is the client's.  Export gathers everything
 * kindred holds about them, opened, in one JSON document; delete removes
 * the account and all of it after the password is confirmed.  The data
 * key goes first, so whatever sealed text survives elsewhere (the WAL,
 * a file copy) no longer opens with this database's keys.
 */
#include "care/care.h"

#include "kd.h"

#include <string.h>
#include <time.h>

/* Adds part under key, or a note that it could not be read. */
static int add_part(json_t *out, const char *key, int rc, json_t *part, const char *inner)
{
	if (rc != 0) {
		json_object_set_new(out, key, json_null());
		return rc;
	}
	if (inner) {
		json_object_set(out, key, json_object_get(part, inner));
		json_decref(part);
	} else {
		json_object_set_new(out, key, part);
	}
	return 0;
}

int care_export(care *c, const actor *who, json_t **out)
{
	json_t *doc, *part = NULL;
	store_user u = {0};
	char when[32], joined[32];
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_PROFILE, who->id, 0)) != 0)
		return rc;
	if (strcmp(who->role, "client") != 0)
		return KD_ENOTFOUND;
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		return rc;
	care_iso_time((int64_t)time(NULL), when, sizeof(when));
	care_iso_time(u.created_at, joined, sizeof(joined));
	doc = json_pack("{s:s, s:{s:I, s:s, s:s, s:s}}", "exported_at", when, "account", "id",
			(json_int_t)u.id, "username", u.username, "name", u.display_name, "joined",
			joined);
	store_user_clear(&u);
	/* Each part asks policy itself, so the export is in the audit trail
	 * like every other read; a part that fails fails the export. */
	rc = care_checkin_list(c, who, who->id, 100000, &part);
	if (add_part(doc, "checkins", rc, part, "checkins") != 0)
		goto fail;
	rc = care_journal_list(c, who, 100000, &part);
	if (add_part(doc, "journal", rc, part, "entries") != 0)
		goto fail;
	rc = care_safety_get(c, who, who->id, &part);
	if (rc == 0)
		json_object_del(part, "crisis");
	if (add_part(doc, "safety_plan", rc, part, NULL) != 0)
		goto fail;
	rc = care_progress(c, who, who->id, &part);
	if (add_part(doc, "measures", rc, part, "measures") != 0)
		goto fail;
	rc = care_prefs_get(c, who, &part);
	if (add_part(doc, "choices", rc, part, NULL) != 0)
		goto fail;
	rc = care_supporters(c, who, &part);
	if (add_part(doc, "supporters", rc, part, "supporters") != 0)
		goto fail;
	rc = care_audit_list(c, who, 100000, &part);
	if (add_part(doc, "audit", rc, part, "entries") != 0)
		goto fail;
	*out = doc;
	return 0;
fail:
	json_decref(doc);
	return rc;
}

int care_delete_self(care *c, const actor *who, const char *password)
{
	store_user u = {0};
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_PROFILE, who->id, 0)) != 0)
		return rc;
	if (strcmp(who->role, "client") != 0 && strcmp(who->role, "supporter") != 0)
		return KD_EFORBIDDEN;
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		return rc;
	rc = vault_password_verify(u.pw_hash, password ? password : "");
	store_user_clear(&u);
	if (rc != 0)
		return KD_EAUTH;
	if ((rc = store_begin(c->st)) != 0)
		return rc;
	/* The key first: even if the rows were to survive somewhere, the
	 * text sealed with it does not open without it. */
	rc = store_user_set_key(c->st, who->id, NULL, 0);
	if (rc == 0)
		rc = store_user_delete(c->st, who->id);
	if (rc != 0) {
		store_rollback(c->st);
		return rc;
	}
	if ((rc = store_commit(c->st)) == 0)
		memo_forget_owner(c->rows, who->id); /* their words, kept for lists */
	return rc;
}
