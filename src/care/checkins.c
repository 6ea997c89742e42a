/*
 * checkins.c: a client's check-ins (mood 0-10, feelings from the list
 * in data/content/feelings.json, an optional note sealed by the vault),
 * the clinician's caseload and the audit trail a person reads.  Reads
 * are small (a page of rows); the note is unsealed only for those whom
 * policy allowed.
 */
#include "care/care.h"

#include "kd.h"
#include "util/buf.h"
#include "util/json_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NOTE_MAX = 10000, FEELINGS_MAX = 18 };

json_t *care_feelings(care *c)
{
	return json_incref(c->feelings);
}

/* The content's {"code", "label"} object of a feeling, or NULL. */
static json_t *feeling_find(care *c, const char *code, size_t len)
{
	size_t i;
	json_t *f;

	json_array_foreach(c->feelings, i, f) {
		const char *fc = json_string_value(json_object_get(f, "code"));
		if (fc && strlen(fc) == len && memcmp(fc, code, len) == 0)
			return f;
	}
	return NULL;
}

int care_checkin_add(care *c, const actor *who, int mood, const char *const *feelings,
		     size_t nfeelings, const char *note, json_t **out, const char **why)
{
	store_user u = {0};
	unsigned char *sealed = NULL;
	size_t sealed_len = 0, i, j, note_len = note ? strlen(note) : 0;
	buf codes;
	int64_t id = 0, now = (int64_t)time(NULL);
	char when[32];
	int rc, level = 0;

	buf_init(&codes);
	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_CHECKINS, who->id, 0)) != 0)
		goto done;
	if (mood < 0 || mood > 10) {
		*why = "Mood is a number from 0 to 10.";
		rc = KD_EINVAL;
		goto done;
	}
	if (nfeelings > FEELINGS_MAX) {
		*why = "Please pick feelings from the list.";
		rc = KD_EINVAL;
		goto done;
	}
	for (i = 0; i < nfeelings; i++) {
		if (!feeling_find(c, feelings[i], strlen(feelings[i]))) {
			*why = "Please pick feelings from the list.";
			rc = KD_EINVAL;
			goto done;
		}
		for (j = 0; j < i; j++)
			if (strcmp(feelings[i], feelings[j]) == 0)
				break;
		if (j < i)
			continue;
		if (codes.len)
			buf_putc(&codes, ',');
		buf_puts(&codes, feelings[i]);
	}
	if (note_len > NOTE_MAX) {
		*why = "The note can hold up to 10,000 characters; a journal entry is the place "
		       "for more.";
		rc = KD_ETOOBIG;
		goto done;
	}
	if ((rc = store_user_get(c->st, who->id, &u)) != 0)
		goto done;
	if ((rc = store_begin(c->st)) != 0)
		goto done;
	/* The note is sealed to its row's id: the id comes first, then the
	 * row is written whole, in one statement. */
	rc = store_checkin_next_id(c->st, &id);
	if (rc == 0 && note_len > 0)
		rc = vault_seal(c->v, who->id, u.data_key, u.data_key_len, "checkins", "note", id,
				note, note_len, &sealed, &sealed_len);
	if (rc == 0)
		rc = store_checkin_put(c->st, id, who->id, mood, buf_cstr(&codes), sealed,
				       sealed_len, now);
	if (rc != 0) {
		store_rollback(c->st);
		goto done;
	}
	if ((rc = store_commit(c->st)) != 0)
		goto done;
	/* Saved; the note now goes through the risk pathway, which cannot
	 * undo the save. */
	care_risk_text(c, who, "check-in note", id, note, note_len, &level);
	care_iso_time(now, when, sizeof(when));
	*out = json_pack("{s:I, s:i, s:s, s:s, s:b, s:b}", "id", (json_int_t)id, "mood", mood,
			 "feelings", buf_cstr(&codes), "created_at", when, "has_note",
			 note_len > 0, "at_risk", level > 0);
done:
	free(sealed);
	store_user_clear(&u);
	buf_free(&codes);
	return rc;
}

const char *care_feelings_text(const care *c)
{
	return c->feelings_text;
}

typedef struct list_ctx {
	care *c;
	store_user *owner;
	vault_dk dk; /* the owner's key, opened at the first note */
	buf *out;
	size_t rows;
} list_ctx;

static void feelings_write(care *c, buf *b, const char *codes)
{
	const char *p = codes ? codes : "", *end;
	json_t *f;
	int first = 1;

	buf_putc(b, '[');
	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (!first)
			buf_putc(b, ',');
		first = 0;
		f = feeling_find(c, p, (size_t)(end - p));
		if (f) {
			json_write(b, f);
		} else { /* a feeling since taken out of the content */
			buf_puts(b, "{\"code\":");
			json_write_string(b, p, (size_t)(end - p));
			buf_puts(b, ",\"label\":\"\"}");
		}
		p = *end ? end + 1 : end;
	}
	buf_putc(b, ']');
}

/* Everything a row's JSON is made from (the note's sealed bytes carry
 * their own authentication tag, so any change to it changes this). */
static uint64_t checkin_check(const store_checkin *k)
{
	int64_t nums[4] = {k->client_id, k->mood, k->created_at, (int64_t)k->note_len};
	uint64_t h = memo_hash(0x6b696e64726564ULL, nums, sizeof(nums));

	h = memo_hash(h, k->feelings ? k->feelings : "", k->feelings ? strlen(k->feelings) : 0);
	return k->note ? memo_hash(h, k->note, k->note_len) : h;
}

/* The owner's data key, fetched from the key store at the first row not
 * remembered: a list read wholly from the memo never opens that file. */
static int owner_key_open(list_ctx *lc)
{
	int rc;

	if (!lc->owner->data_key && (rc = store_user_key(lc->c->st, lc->owner)) != 0)
		return rc;
	if (!lc->owner->data_key) /* shredded: deleted after a restored backup */
		return KD_ENOTFOUND;
	return vault_dk_open(lc->c->v, lc->owner->id, lc->owner->data_key,
			     lc->owner->data_key_len, &lc->dk);
}

/* {"id", "mood", "feelings", "created_at", "when", "note"}: from the
 * memo when this very row was written before, else unsealed and written
 * now and remembered. */
static int checkin_row(void *arg, const store_checkin *k)
{
	list_ctx *lc = arg;
	buf *b = lc->out;
	uint64_t check = checkin_check(k);
	char when[32];
	char *note = NULL;
	size_t note_len = 0, start;
	int rc;

	if (lc->rows++)
		buf_putc(b, ',');
	start = b->len;
	if (memo_get(lc->c->rows, k->id, check, b))
		return 0;
	if (k->note) {
		rc = lc->dk.open ? 0 : owner_key_open(lc);
		if (rc == 0)
			rc = vault_dk_unseal(&lc->dk, "checkins", "note", k->id, k->note,
					     k->note_len, &note, &note_len);
		if (rc != 0)
			return rc;
	}
	buf_puts(b, "{\"id\":");
	json_write_int(b, k->id);
	buf_puts(b, ",\"mood\":");
	json_write_int(b, k->mood);
	buf_puts(b, ",\"feelings\":");
	feelings_write(lc->c, b, k->feelings);
	care_iso_time(k->created_at, when, sizeof(when));
	buf_puts(b, ",\"created_at\":\"");
	buf_puts(b, when);
	care_human_time(k->created_at, when, sizeof(when));
	buf_puts(b, "\",\"when\":\"");
	buf_puts(b, when);
	buf_puts(b, "\",\"note\":");
	if (note) {
		json_write_string(b, note, note_len);
		explicit_bzero(note, note_len);
		free(note);
	} else {
		buf_puts(b, "null");
	}
	buf_putc(b, '}');
	memo_put(lc->c->rows, k->id, check, k->client_id, b->data + start, b->len - start);
	return 0;
}

int care_checkin_list_text(care *c, const actor *who, int64_t client_id, int limit, buf *out)
{
	store_user owner = {0};
	size_t mark = out->len;
	list_ctx lc;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_CHECKINS, client_id, 0)) != 0)
		return rc;
	if ((rc = store_user_get_plain(c->st, client_id, &owner)) != 0)
		return rc;
	memset(&lc, 0, sizeof(lc));
	lc.c = c;
	lc.owner = &owner;
	lc.out = out;
	/* Room for a page of rows at once, not grown step by step. */
	buf_space(out, 2048 + 320 * (size_t)(limit < 50 ? limit : 50));
	buf_puts(out, "{\"client\":{\"id\":");
	json_write_int(out, owner.id);
	buf_puts(out, ",\"name\":");
	json_write_string(out, owner.display_name ? owner.display_name : "",
			  owner.display_name ? strlen(owner.display_name) : 0);
	buf_puts(out, "},\"checkins\":[");
	rc = store_checkin_each(c->st, client_id, limit, checkin_row, &lc);
	vault_dk_close(&lc.dk);
	buf_puts(out, "]}");
	if (rc != 0) { /* no half list, and no unsealed words left behind */
		explicit_bzero(out->data + mark, out->len - mark);
		out->len = mark;
		out->data[mark] = '\0';
	}
	store_user_clear(&owner);
	return rc;
}

int care_checkin_list(care *c, const actor *who, int64_t client_id, int limit, json_t **out)
{
	json_error_t jerr;
	buf b;
	int rc;

	buf_init(&b);
	rc = care_checkin_list_text(c, who, client_id, limit, &b);
	if (rc == 0) {
		*out = json_loadb(b.data, b.len, 0, &jerr);
		if (!*out)
			rc = KD_ENOMEM;
	}
	if (b.data)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	return rc;
}

static int caseload_row(void *arg, const store_client_row *r)
{
	json_t *rows = arg;
	char joined[32], last[32], human[40];
	json_t *row;

	care_iso_time(r->joined_at, joined, sizeof(joined));
	row = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)r->id, "name",
			r->display_name ? r->display_name : "", "joined_at", joined, "checkins",
			(json_int_t)r->checkins);
	if (r->last_checkin_at) {
		care_iso_time(r->last_checkin_at, last, sizeof(last));
		care_human_time(r->last_checkin_at, human, sizeof(human));
		json_object_set_new(row, "last_checkin_at", json_string(last));
		json_object_set_new(row, "last_checkin_when", json_string(human));
		json_object_set_new(row, "last_mood", json_integer(r->last_mood));
	} else {
		json_object_set_new(row, "last_checkin_at", json_null());
		json_object_set_new(row, "last_mood", json_null());
	}
	json_object_set_new(row, "risk_unseen", json_integer(r->risk_unseen));
	json_object_set_new(row, "risk_flag", json_boolean(r->risk_unseen > 0));
	json_array_append_new(rows, row);
	return 0;
}

int care_caseload(care *c, const actor *who, int64_t limit, int64_t offset, json_t **out)
{
	json_t *rows;
	size_t n;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_CASELOAD, who->id, 0)) != 0)
		return rc;
	rows = json_array();
	/* One more than asked tells whether there is a next page. */
	rc = store_caseload_page(c->st, who->id, limit + 1, offset, caseload_row, rows);
	if (rc != 0) {
		json_decref(rows);
		return rc;
	}
	n = json_array_size(rows);
	if (n > (size_t)limit)
		json_array_remove(rows, n - 1);
	*out = json_pack("{s:o, s:I, s:I, s:b}", "clients", rows, "offset", (json_int_t)offset,
			 "limit", (json_int_t)limit, "more", n > (size_t)limit);
	if (n > (size_t)limit)
		json_object_set_new(*out, "next_offset", json_integer(offset + limit));
	if (offset > 0)
		json_object_set_new(*out, "prev_offset",
				    json_integer(offset > limit ? offset - limit : 0));
	return 0;
}

static int audit_row(void *arg, const store_audit_row *r)
{
	json_t *rows = arg;
	char when[32], human[40];

	care_iso_time(r->at, when, sizeof(when));
	care_human_time(r->at, human, sizeof(human));
	json_array_append_new(
		rows, json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:s, s:s, s:b, s:s}", "at", when, "when",
				human, "who",
				r->actor_id ? (r->actor_name ? r->actor_name : "a removed account")
					    : "someone not signed in",
				"role", r->actor_role, "self", r->actor_id == r->subject_id,
				"action", r->action, "resource", r->resource, "allowed", r->allowed,
				"reason", r->reason));
	return 0;
}

int care_audit_list(care *c, const actor *who, int limit, json_t **out)
{
	json_t *rows;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_AUDIT, who->id, 0)) != 0)
		return rc;
	rows = json_array();
	rc = store_audit_each(c->st, who->id, limit, audit_row, rows);
	if (rc != 0) {
		json_decref(rows);
		return rc;
	}
	*out = json_pack("{s:o}", "entries", rows);
	return 0;
}
