/*
 * journal.c: a client's journal.  An entry is sealed with the client's
 * key bound to its row, read by the engine (risk first), answered with
 * kindred's reflection unless the client turned replies off, and always
 * saved: a reading never stands between a person and their words.  One
 * sealed draft per client is kept as they type, so nothing is lost to a
 * closed tab or a crash.
 */
#include "care/care.h"

#include "kd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ENTRY_MAX = 64000 };

static const char *const level_names[] = {"none", "self_harm", "ideation", "imminent"};

/* Seals the entry's body and reply (if any) and stores them. */
static int seal_entry(care *c, const store_user *u, int64_t id, const char *text,
		      const char *reply)
{
	unsigned char *body = NULL, *rep = NULL;
	size_t body_len = 0, rep_len = 0;
	int rc;

	rc = vault_seal(c->v, u->id, u->data_key, u->data_key_len, "journal_entries", "body", id,
			text, strlen(text), &body, &body_len);
	if (rc == 0 && reply)
		rc = vault_seal(c->v, u->id, u->data_key, u->data_key_len, "journal_entries",
				"reply", id, reply, strlen(reply), &rep, &rep_len);
	if (rc == 0)
		rc = store_journal_set(c->st, id, body, body_len, rep, rep_len);
	free(body);
	free(rep);
	return rc;
}

static json_t *entry_json(int64_t id, int64_t at, const char *text, const char *reply, int level)
{
	char when[32], human[40];

	care_iso_time(at, when, sizeof(when));
	care_human_time(at, human, sizeof(human));
	return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:{s:s, s:b}}", "id", (json_int_t)id,
			 "created_at", when, "when", human, "text", text, "reply", reply, "risk",
			 "level", level_names[level & 3], "at_risk", level > 0);
}

int care_journal_add(care *c, const actor *who, const char *text, json_t **out, const char **why)
{
	store_user u = {0};
	store_prefs prefs;
	kd_result r;
	char *reply = NULL;
	size_t len = text ? strlen(text) : 0;
	int64_t id = 0, now = (int64_t)time(NULL);
	int rc, level = 0, read_ok;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_JOURNAL, who->id, 0)) != 0)
		return rc;
	if (len == 0 || text[strspn(text, " \t\r\n")] == '\0') {
		*why = "The entry is empty; write as much or as little as you like.";
		return KD_EINVAL;
	}
	if (len > ENTRY_MAX) {
		*why = "An entry can hold up to 64,000 characters. Your words are still in the "
		       "box: you could save them as two entries.";
		return KD_ETOOBIG;
	}
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		goto done;
	if ((rc = store_prefs_get(c->st, who->id, &prefs)) != 0)
		goto done;
	read_ok = care_analyze(c, text, len, KD_READ_ALL, &r) == 0;
	if (read_ok)
		level = (int)r.risk.level;
	if (prefs.replies)
		reply = care_reflect(c, text, len, read_ok ? &r : NULL);
	if ((rc = store_begin(c->st)) != 0)
		goto done;
	rc = store_journal_add(c->st, who->id, level, now, &id);
	if (rc == 0)
		rc = seal_entry(c, &u, id, text, reply);
	if (rc == 0)
		rc = store_draft_delete(c->st, who->id);
	if (rc != 0) {
		store_rollback(c->st);
		goto done;
	}
	if ((rc = store_commit(c->st)) != 0)
		goto done;
	/* Saved; now the pathway.  Its failure must not undo the save. */
	care_risk_event(c, who, "journal", id, level);
	*out = entry_json(id, now, text, reply, level);
done:
	free(reply);
	store_user_clear(&u);
	return rc;
}

typedef struct read_ctx {
	care *c;
	const store_user *owner;
	json_t *rows;
	int64_t want; /* with get: the entry asked for */
	vault_dk dk;  /* the owner's key, opened at the first field */
} read_ctx;

static int open_field(read_ctx *rc_, const store_journal *j, const char *column,
		      const unsigned char *sealed, size_t len, char **plain)
{
	size_t n;

	int rc;

	*plain = NULL;
	if (!sealed)
		return 0;
	if (!rc_->dk.open && (rc = vault_dk_open(rc_->c->v, rc_->owner->id, rc_->owner->data_key,
						 rc_->owner->data_key_len, &rc_->dk)) != 0)
		return rc;
	return vault_dk_unseal(&rc_->dk, "journal_entries", column, j->id, sealed, len, plain, &n);
}

static int journal_row(void *arg, const store_journal *j)
{
	read_ctx *x = arg;
	char *text = NULL, *reply = NULL;
	int rc;

	if (j->client_id != x->owner->id)
		return KD_ENOTFOUND;
	rc = open_field(x, j, "body", j->body, j->body_len, &text);
	if (rc == 0)
		rc = open_field(x, j, "reply", j->reply, j->reply_len, &reply);
	if (rc == 0)
		json_array_append_new(x->rows, entry_json(j->id, j->created_at, text ? text : "",
							  reply, j->risk_level));
	free(text);
	free(reply);
	return rc;
}

int care_journal_list(care *c, const actor *who, int limit, json_t **out)
{
	store_user u = {0};
	read_ctx x = {c, &u, NULL, 0, {{0}, 0}};
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_JOURNAL, who->id, 0)) != 0)
		return rc;
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		return rc;
	x.rows = json_array();
	rc = store_journal_each(c->st, who->id, limit, journal_row, &x);
	vault_dk_close(&x.dk);
	if (rc == 0)
		*out = json_pack("{s:O}", "entries", x.rows);
	json_decref(x.rows);
	store_user_clear(&u);
	return rc;
}

int care_journal_get(care *c, const actor *who, int64_t id, json_t **out)
{
	store_user u = {0};
	read_ctx x = {c, &u, NULL, id, {{0}, 0}};
	int rc;

	/* Only one's own journal exists for anyone: a journal is not shared. */
	if ((rc = policy_require(c->st, who, POLICY_READ, RES_JOURNAL, who->id, id)) != 0)
		return rc;
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		return rc;
	x.rows = json_array();
	rc = store_journal_get(c->st, id, journal_row, &x);
	vault_dk_close(&x.dk);
	if (rc == 0)
		*out = json_incref(json_array_get(x.rows, 0));
	json_decref(x.rows);
	store_user_clear(&u);
	return rc;
}

int care_draft_get(care *c, const actor *who, json_t **out)
{
	store_user u = {0};
	unsigned char *sealed = NULL;
	size_t len = 0, plain_len = 0;
	int64_t at = 0;
	char *plain = NULL, when[32];
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_JOURNAL, who->id, 0)) != 0)
		return rc;
	rc = store_draft_get(c->st, who->id, &sealed, &len, &at);
	if (rc == KD_ENOTFOUND) {
		*out = json_pack("{s:s, s:n}", "text", "", "updated_at");
		return 0;
	}
	if (rc == 0)
		rc = store_user_get(c->st, who->id, &u);
	if (rc == 0)
		rc = vault_unseal(c->v, u.id, u.data_key, u.data_key_len, "journal_drafts", "body",
				  who->id, sealed, len, &plain, &plain_len);
	if (rc == 0) {
		care_iso_time(at, when, sizeof(when));
		*out = json_pack("{s:s%, s:s}", "text", plain, plain_len, "updated_at", when);
	}
	free(plain);
	free(sealed);
	store_user_clear(&u);
	return rc;
}

int care_draft_put(care *c, const actor *who, const char *text, const char **why)
{
	store_user u = {0};
	unsigned char *sealed = NULL;
	size_t len = text ? strlen(text) : 0, sealed_len = 0;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_JOURNAL, who->id, 0)) != 0)
		return rc;
	if (len > ENTRY_MAX) {
		*why = "A draft can hold up to 64,000 characters.";
		return KD_ETOOBIG;
	}
	if (len == 0)
		return store_draft_delete(c->st, who->id);
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		return rc;
	rc = vault_seal(c->v, u.id, u.data_key, u.data_key_len, "journal_drafts", "body", who->id,
			text, len, &sealed, &sealed_len);
	if (rc == 0)
		rc = store_draft_put(c->st, who->id, sealed, sealed_len, (int64_t)time(NULL));
	free(sealed);
	store_user_clear(&u);
	return rc;
}
