/*
 * test_care.c: unit tests for care.h — accounts and the first-run
 * setup, logins and their throttling, invitations from issue to the
 * care link, and check-ins: validation, sealing (the database never
 * holds a note in the clear, and a changed note refuses to open rather
 * than read as garbage), lists, the caseload and the audit trail a
 * person reads.  Each test has its own database (mkdtemp) and a vault
 * over a fixed key.  Argon2id costs about a tenth of a second per
 * password, so only tests about passwords make accounts with one; the
 * rest add people straight through the store with a data key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "care/care.h"
#include "kd.h"
#include "store/store.h"
#include "vault/vault.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char pw[] = "correct horse battery";

typedef struct fx {
	char dir[64];
	char path[128];
	store *s;
	vault *v;
	care c;
} fx;

static void remove_db_files(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[160], keys[160];
	size_t i;

	/* The database and its key store, each with its journal files. */
	assert_int_equal(store_keys_path(path, keys, sizeof(keys)), 0);
	for (i = 0; i < 2 * KD_ARRAY_LEN(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", i % 2 ? keys : path, suffix[i / 2]);
		unlink(p);
	}
}

static vault *vault_fixed(unsigned char fill)
{
	unsigned char key[VAULT_KEY_BYTES];
	vault *v = NULL;

	memset(key, fill, sizeof(key));
	if (vault_open_key(key, &v) != 0)
		return NULL;
	return v;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char *err = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/kd-care-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/kindred.db", f->dir);
	if (store_open(f->path, &f->s, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	if (!(f->v = vault_fixed(0x5a)))
		return -1;
	if (care_init(&f->c, f->s, f->v, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	care_fini(&f->c);
	vault_close(f->v);
	store_close(f->s);
	remove_db_files(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* An account without a password (no Argon2 cost) but with a data key. */
static actor quick_user(fx *f, const char *role, const char *name, const char *display)
{
	actor a;
	int64_t id = 0;
	unsigned char *key = NULL;
	size_t key_len = 0;

	memset(&a, 0, sizeof(a));
	assert_int_equal(store_user_add(f->s, role, name, display, "no-login", 1, &id), 0);
	assert_int_equal(vault_key_new(f->v, id, &key, &key_len), 0);
	assert_int_equal(store_user_set_key(f->s, id, key, key_len), 0);
	free(key);
	a.id = id;
	snprintf(a.role, sizeof(a.role), "%s", role);
	return a;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	return h;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *h = raw_open(path);
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = raw_open(path);

	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* The stored (sealed) note of check-in id, malloc'd; NULL if none. */
static unsigned char *raw_note(const char *path, int64_t id, size_t *len)
{
	sqlite3 *h = raw_open(path);
	sqlite3_stmt *st = NULL;
	unsigned char *out = NULL;

	*len = 0;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT note FROM checkins WHERE id = ?1", -1, &st,
					    NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		out = malloc(*len);
		assert_non_null(out);
		memcpy(out, sqlite3_column_blob(st, 0), *len);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static void raw_set_note(const char *path, int64_t id, const unsigned char *b, size_t len)
{
	sqlite3 *h = raw_open(path);
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(h, "UPDATE checkins SET note = ?1 WHERE id = ?2", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob64(st, 1, b, len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static int64_t json_id(json_t *o)
{
	return (int64_t)json_integer_value(json_object_get(o, "id"));
}

/* --- accounts and setup --- */

static void test_init_and_helpers(void **state)
{
	fx *f = *state;
	json_t *fl = care_feelings(&f->c);
	char when[32];
	const char *why = NULL;

	assert_true(json_is_array(fl));
	assert_true(json_array_size(fl) > 0);
	assert_non_null(json_string_value(json_object_get(json_array_get(fl, 0), "code")));
	assert_non_null(json_string_value(json_object_get(json_array_get(fl, 0), "label")));
	json_decref(fl);
	assert_int_equal(f->c.invite_ttl, 7 * 24 * 3600);

	care_iso_time(0, when, sizeof(when));
	assert_string_equal(when, "1970-01-01T00:00:00Z");
	care_iso_time(1700000000, when, sizeof(when));
	assert_string_equal(when, "2023-11-14T22:13:20Z");

	assert_int_equal(care_check_credentials("ab", pw, &why), KD_EINVAL);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(care_check_credentials(NULL, pw, &why), KD_EINVAL);
	assert_int_equal(care_check_credentials("Alice", pw, &why), KD_EINVAL);
	assert_int_equal(care_check_credentials("al ice", pw, &why), KD_EINVAL);
	assert_int_equal(care_check_credentials("alice", "short", &why), KD_EINVAL);
	assert_int_equal(care_check_credentials("alice", NULL, &why), KD_EINVAL);
	assert_int_equal(care_check_credentials("alice.b_c-9", pw, &why), 0);
	{
		char longpw[1100];
		char name65[66];

		memset(longpw, 'p', sizeof(longpw) - 1);
		longpw[sizeof(longpw) - 1] = '\0';
		assert_int_equal(care_check_credentials("alice", longpw, &why), KD_EINVAL);
		longpw[1024] = '\0';
		assert_int_equal(care_check_credentials("alice", longpw, &why), 0);
		memset(name65, 'a', 65);
		name65[65] = '\0';
		assert_int_equal(care_check_credentials(name65, pw, &why), KD_EINVAL);
		name65[64] = '\0';
		assert_int_equal(care_check_credentials(name65, pw, &why), 0);
	}
}

static void test_setup_once(void **state)
{
	fx *f = *state;
	const char *why = NULL;
	int64_t id = 0, id2 = 0, n = 0;
	store_user u = {0};
	actor who;
	char *name = NULL;

	assert_int_equal(care_needs_setup(&f->c), 1);
	/* Refused input makes nothing. */
	assert_int_equal(care_setup(&f->c, "Admin!", "Ada", pw, &id, &why), KD_EINVAL);
	assert_non_null(why);
	assert_int_equal(care_setup(&f->c, "ada", "", pw, &id, &why), KD_EINVAL);
	assert_int_equal(care_needs_setup(&f->c), 1);

	why = NULL;
	assert_int_equal(care_setup(&f->c, "ada", "Ada L", pw, &id, &why), 0);
	assert_true(id > 0);
	assert_int_equal(care_needs_setup(&f->c), 0);
	assert_int_equal(store_user_get(f->s, id, &u), 0);
	assert_string_equal(u.role, "admin");
	assert_string_equal(u.display_name, "Ada L");
	assert_int_equal(u.data_key_len, VAULT_WRAPPED_LEN);
	assert_non_null(strstr(u.pw_hash, "argon2id"));
	assert_null(strstr(u.pw_hash, pw));
	store_user_clear(&u);

	why = NULL;
	assert_int_equal(care_setup(&f->c, "eve", "Eve", pw, &id2, &why), KD_EEXIST);
	assert_non_null(why);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(care_actor(&f->c, id, &who, &name), 0);
	assert_int_equal(who.id, id);
	assert_string_equal(who.role, "admin");
	assert_string_equal(name, "Ada L");
	free(name);
	assert_int_equal(care_actor(&f->c, id, &who, NULL), 0);
	assert_int_equal(care_actor(&f->c, 9999, &who, NULL), KD_ENOTFOUND);
}

static void test_user_create(void **state)
{
	fx *f = *state;
	const char *why = NULL;
	int64_t id = 0, id2 = 0, n = 0;
	store_user u = {0};

	assert_int_equal(care_user_create(&f->c, "clinician", "kim", "Kim", pw, &id, &why), 0);
	assert_int_equal(store_user_get(f->s, id, &u), 0);
	assert_string_equal(u.role, "clinician");
	assert_int_equal(u.data_key_len, VAULT_WRAPPED_LEN);
	store_user_clear(&u);

	why = NULL;
	assert_int_equal(care_user_create(&f->c, "client", "kim", "Kim 2", pw, &id2, &why),
			 KD_EEXIST);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(care_user_create(&f->c, "client", "x", "X", pw, &id2, &why), KD_EINVAL);
	assert_non_null(why);
	{
		char longname[120];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_int_equal(care_user_create(&f->c, "client", "nn", longname, pw, &id2, &why),
				 KD_EINVAL);
	}
	/* Nothing half-made is left behind, and no transaction stays open. */
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(f->s), KD_EINVAL);
}

/* --- logins --- */

static void test_login(void **state)
{
	fx *f = *state;
	const char *why = NULL;
	int64_t id = 0;
	actor who;
	int i, fails = 0;
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(care_user_create(&f->c, "client", "lou", "Lou", pw, &id, &why), 0);

	memset(&who, 0, sizeof(who));
	assert_int_equal(care_login(&f->c, "lou", pw, "10.0.0.1", &who), 0);
	assert_int_equal(who.id, id);
	assert_string_equal(who.role, "client");

	memset(&who, 0, sizeof(who));
	assert_int_equal(care_login(&f->c, "lou", "wrong password!", "10.0.0.1", &who), KD_EAUTH);
	assert_int_equal(who.id, 0);
	assert_int_equal(care_login(&f->c, "nobody", pw, "10.0.0.1", &who), KD_EAUTH);
	assert_int_equal(who.id, 0);
	assert_int_equal(care_login(&f->c, NULL, NULL, NULL, &who), KD_EAUTH);

	/* A success clears the username's count... */
	assert_int_equal(store_throttle_get(f->s, "user:lou", now, 900, &fails), 0);
	assert_int_equal(fails, 1);
	assert_int_equal(care_login(&f->c, "lou", pw, "10.0.0.1", &who), 0);
	assert_int_equal(store_throttle_get(f->s, "user:lou", now, 900, &fails), 0);
	assert_int_equal(fails, 0);

	/* ...and five failures shut the door, to the right password too. */
	for (i = 0; i < 5; i++)
		assert_int_equal(care_login(&f->c, "lou", "wrong password!", "10.0.0.2", &who),
				 KD_EAUTH);
	memset(&who, 0, sizeof(who));
	assert_int_equal(care_login(&f->c, "lou", pw, "10.0.0.3", &who), KD_ETHROTTLED);
	assert_int_equal(who.id, 0);
	assert_int_equal(care_login(&f->c, "lou", "wrong password!", "10.0.0.3", &who),
			 KD_ETHROTTLED);

	/* An old window no longer counts. */
	assert_int_equal(store_throttle_clear(f->s, "user:lou"), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(store_throttle_fail(f->s, "user:lou", now - 16 * 60, 900, &fails),
				 0);
	assert_int_equal(care_login(&f->c, "lou", pw, "10.0.0.3", &who), 0);

	/* Per address: twenty failures from one place, whatever the name. */
	for (i = 0; i < 20; i++)
		assert_int_equal(store_throttle_fail(f->s, "addr:192.0.2.9", now, 900, &fails), 0);
	assert_int_equal(care_login(&f->c, "lou", pw, "192.0.2.9", &who), KD_ETHROTTLED);
	assert_int_equal(care_login(&f->c, "lou", pw, "192.0.2.10", &who), 0);

	/* A disabled account does not sign in, even with the right password. */
	raw_exec(f->path, "UPDATE users SET disabled = 1 WHERE username = 'lou'");
	assert_int_equal(care_login(&f->c, "lou", pw, "10.0.0.4", &who), KD_EAUTH);
}

/* --- invitations --- */

static void test_invitations(void **state)
{
	fx *f = *state;
	actor clin = quick_user(f, "clinician", "kim", "Kim");
	actor other = quick_user(f, "client", "ola", "Ola");
	actor anon = {0, ""};
	char token[44], token2[44], old[44];
	int64_t exp = 0, id = 0, id2 = 0, now = (int64_t)time(NULL);
	const char *why = NULL;

	assert_int_equal(care_invite(&f->c, &anon, token, &exp), KD_EAUTH);
	assert_int_equal(care_invite(&f->c, &other, token, &exp), KD_EFORBIDDEN);

	assert_int_equal(care_invite(&f->c, &clin, token, &exp), 0);
	assert_int_equal(strlen(token), 43);
	assert_true(exp >= now + f->c.invite_ttl && exp <= now + f->c.invite_ttl + 5);
	assert_int_equal(care_invite_check(&f->c, token), 0);
	/* The token itself is not stored, only its hash. */
	{
		sqlite3 *h = raw_open(f->path);
		sqlite3_stmt *st = NULL;
		unsigned char hash[32];

		vault_token_hash(token, hash);
		assert_int_equal(sqlite3_prepare_v2(h, "SELECT token_hash FROM invitations", -1,
						    &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_bytes(st, 0), 32);
		assert_memory_equal(sqlite3_column_blob(st, 0), hash, 32);
		sqlite3_finalize(st);
		sqlite3_close(h);
	}

	/* A refused account leaves the invitation usable. */
	assert_int_equal(care_invite_accept(&f->c, token, "Bad Name", "Nia", pw, &id, &why),
			 KD_EINVAL);
	assert_non_null(why);
	assert_int_equal(care_invite_check(&f->c, token), 0);

	assert_int_equal(care_invite_accept(&f->c, token, "nia", "Nia", pw, &id, &why), 0);
	assert_true(id > 0);
	assert_int_equal(store_is_clinician_of(f->s, clin.id, id), 1);
	assert_int_equal(store_is_clinician_of(f->s, id, clin.id), 0);
	{
		actor who;
		assert_int_equal(care_actor(&f->c, id, &who, NULL), 0);
		assert_string_equal(who.role, "client");
		assert_int_equal(care_login(&f->c, "nia", pw, "10.0.0.1", &who), 0);
		assert_int_equal(who.id, id);
	}

	/* Single use. */
	assert_int_equal(care_invite_check(&f->c, token), KD_EUSED);
	assert_int_equal(care_invite_accept(&f->c, token, "nia2", "Nia 2", pw, &id2, &why),
			 KD_EUSED);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE username = 'nia2'"), 0);

	/* Unknown and expired links. */
	assert_int_equal(care_invite_check(&f->c, "no-such-token"), KD_ENOTFOUND);
	assert_int_equal(care_invite_accept(&f->c, "no-such-token", "zed", "Zed", pw, &id2, &why),
			 KD_ENOTFOUND);
	f->c.invite_ttl = 0;
	assert_int_equal(care_invite(&f->c, &clin, old, &exp), 0);
	assert_int_equal(care_invite_check(&f->c, old), KD_EEXPIRED);
	assert_int_equal(care_invite_accept(&f->c, old, "zed", "Zed", pw, &id2, &why),
			 KD_EEXPIRED);
	f->c.invite_ttl = 3600;

	/* A taken username does not use the invitation up either. */
	assert_int_equal(care_invite(&f->c, &clin, token2, &exp), 0);
	assert_int_equal(care_invite_accept(&f->c, token2, "ola", "Ola 2", pw, &id2, &why),
			 KD_EEXIST);
	assert_int_equal(care_invite_check(&f->c, token2), 0);
	assert_int_equal(store_is_clinician_of(f->s, clin.id, other.id), 0);
	assert_int_equal(store_commit(f->s), KD_EINVAL); /* no transaction left open */
}

/* --- check-ins --- */

static const char note_text[] = "Slept badly again; the dream about the flood came back.";

static void test_checkin_validation(void **state)
{
	fx *f = *state;
	actor cl = quick_user(f, "client", "cal", "Cal");
	actor clin = quick_user(f, "clinician", "kim", "Kim");
	actor anon = {0, ""};
	json_t *out = NULL;
	const char *why = NULL;
	const char *ok[] = {"calm", "sad"};
	const char *bad[] = {"calm", "ennui"};
	const char *dup[] = {"sad", "calm", "sad", "calm", "sad"};
	const char *many[19];
	char *big;
	size_t i;

	assert_int_equal(care_checkin_add(&f->c, &cl, -1, ok, 2, NULL, &out, &why), KD_EINVAL);
	assert_non_null(why);
	assert_null(out);
	assert_int_equal(care_checkin_add(&f->c, &cl, 11, ok, 2, NULL, &out, &why), KD_EINVAL);
	why = NULL;
	assert_int_equal(care_checkin_add(&f->c, &cl, 5, bad, 2, NULL, &out, &why), KD_EINVAL);
	assert_non_null(why);
	for (i = 0; i < KD_ARRAY_LEN(many); i++)
		many[i] = "calm";
	assert_int_equal(care_checkin_add(&f->c, &cl, 5, many, KD_ARRAY_LEN(many), NULL, &out,
					  &why),
			 KD_EINVAL);

	big = malloc(10002);
	assert_non_null(big);
	memset(big, 'x', 10001);
	big[10001] = '\0';
	why = NULL;
	assert_int_equal(care_checkin_add(&f->c, &cl, 5, ok, 2, big, &out, &why), KD_ETOOBIG);
	assert_non_null(why);
	assert_null(out);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM checkins"), 0);

	/* Exactly at the limit is fine. */
	big[10000] = '\0';
	assert_int_equal(care_checkin_add(&f->c, &cl, 5, ok, 2, big, &out, &why), 0);
	assert_true(json_is_true(json_object_get(out, "has_note")));
	json_decref(out);
	out = NULL;
	free(big);

	/* Duplicates collapse, in first-seen order. */
	assert_int_equal(care_checkin_add(&f->c, &cl, 0, dup, KD_ARRAY_LEN(dup), "", &out, &why),
			 0);
	assert_string_equal(json_string_value(json_object_get(out, "feelings")), "sad,calm");
	assert_int_equal(json_integer_value(json_object_get(out, "mood")), 0);
	assert_true(json_is_false(json_object_get(out, "has_note")));
	assert_non_null(json_string_value(json_object_get(out, "created_at")));
	assert_true(json_id(out) > 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(care_checkin_add(&f->c, &cl, 10, NULL, 0, NULL, &out, &why), 0);
	assert_string_equal(json_string_value(json_object_get(out, "feelings")), "");
	json_decref(out);
	out = NULL;

	/* Only the client records their check-ins. */
	assert_int_equal(care_checkin_add(&f->c, &clin, 5, ok, 2, NULL, &out, &why), KD_ENOTFOUND);
	assert_int_equal(care_checkin_add(&f->c, &anon, 5, ok, 2, NULL, &out, &why), KD_EAUTH);
	assert_null(out);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM checkins"), 3);
	assert_int_equal(store_commit(f->s), KD_EINVAL);
}

static void test_checkin_sealed(void **state)
{
	fx *f = *state;
	actor cl = quick_user(f, "client", "cal", "Cal");
	const char *ok[] = {"calm", "sad"};
	json_t *out = NULL, *rows, *r0, *r1, *fl;
	const char *why = NULL;
	int64_t with_note, without;
	unsigned char *blob;
	size_t len;

	assert_int_equal(care_checkin_add(&f->c, &cl, 7, ok, 2, note_text, &out, &why), 0);
	with_note = json_id(out);
	json_decref(out);
	assert_int_equal(care_checkin_add(&f->c, &cl, 3, NULL, 0, NULL, &out, &why), 0);
	without = json_id(out);
	json_decref(out);
	out = NULL;

	/* At rest: sealed, longer by the overhead, no trace of the text. */
	blob = raw_note(f->path, with_note, &len);
	assert_non_null(blob);
	assert_int_equal(len, strlen(note_text) + VAULT_SEAL_OVERHEAD);
	assert_null(memmem(blob, len, note_text, strlen(note_text)));
	assert_null(memmem(blob, len, "flood", 5));
	free(blob);
	assert_null(raw_note(f->path, without, &len));

	/* Read back: newest first, the note opened, feelings labelled. */
	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 50, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "client"), "id")),
			 cl.id);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(out, "client"), "name")), "Cal");
	rows = json_object_get(out, "checkins");
	assert_int_equal(json_array_size(rows), 2);
	r0 = json_array_get(rows, 0);
	r1 = json_array_get(rows, 1);
	/* Same second: the later id comes first. */
	assert_int_equal(json_id(r0), without);
	assert_true(json_is_null(json_object_get(r0, "note")));
	assert_int_equal(json_integer_value(json_object_get(r0, "mood")), 3);
	assert_int_equal(json_array_size(json_object_get(r0, "feelings")), 0);
	assert_int_equal(json_id(r1), with_note);
	assert_string_equal(json_string_value(json_object_get(r1, "note")), note_text);
	fl = json_object_get(r1, "feelings");
	assert_int_equal(json_array_size(fl), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 0), "code")),
			    "calm");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 0), "label")),
			    "Calm");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 1), "code")),
			    "sad");
	json_decref(out);
	out = NULL;

	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 1, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "checkins")), 1);
	json_decref(out);
	out = NULL;

	/* Another master key cannot open the note. */
	{
		care c2;
		vault *v2 = vault_fixed(0x77);

		assert_non_null(v2);
		assert_int_equal(care_init(&c2, f->s, v2, NULL), 0);
		assert_int_equal(care_checkin_list(&c2, &cl, cl.id, 50, &out), KD_ECRYPTO);
		assert_null(out);
		care_fini(&c2);
		vault_close(v2);
	}
}

static void test_checkin_tamper(void **state)
{
	fx *f = *state;
	actor cl = quick_user(f, "client", "cal", "Cal");
	actor cl2 = quick_user(f, "client", "dee", "Dee");
	json_t *out = NULL;
	const char *why = NULL;
	int64_t a, b, d;
	unsigned char *blob, *blob_b;
	size_t len, len_b, i;

	assert_int_equal(care_checkin_add(&f->c, &cl, 7, NULL, 0, note_text, &out, &why), 0);
	a = json_id(out);
	json_decref(out);
	assert_int_equal(care_checkin_add(&f->c, &cl, 6, NULL, 0, "another note", &out, &why), 0);
	b = json_id(out);
	json_decref(out);
	assert_int_equal(care_checkin_add(&f->c, &cl2, 6, NULL, 0, note_text, &out, &why), 0);
	d = json_id(out);
	json_decref(out);
	out = NULL;

	blob = raw_note(f->path, a, &len);
	blob_b = raw_note(f->path, b, &len_b);
	assert_non_null(blob);
	assert_non_null(blob_b);

	/* Every single changed byte is caught. */
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		raw_set_note(f->path, a, blob, len);
		if (care_checkin_list(&f->c, &cl, cl.id, 50, &out) == 0)
			fail_msg("byte %zu changed and the list still opened", i);
		assert_null(out);
		blob[i] ^= 0x01;
	}
	/* Cut short. */
	raw_set_note(f->path, a, blob, len - 1);
	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 50, &out), KD_ECRYPTO);
	raw_set_note(f->path, a, blob, 10);
	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 50, &out), KD_ECRYPTO);
	/* Moved from another row of the same person. */
	raw_set_note(f->path, a, blob_b, len_b);
	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 50, &out), KD_ECRYPTO);
	/* Put back, it opens again. */
	raw_set_note(f->path, a, blob, len);
	assert_int_equal(care_checkin_list(&f->c, &cl, cl.id, 50, &out), 0);
	json_decref(out);
	out = NULL;

	/* Moved to another person's row (same text, same column). */
	raw_set_note(f->path, d, blob, len);
	assert_int_equal(care_checkin_list(&f->c, &cl2, cl2.id, 50, &out), KD_ECRYPTO);
	assert_null(out);
	free(blob);
	free(blob_b);
}

/* Without a data key the note cannot be sealed, and then no row is
 * left behind (the insert and the note share one transaction). */
static void test_checkin_atomic(void **state)
{
	fx *f = *state;
	int64_t id = 0;
	actor nokey;
	json_t *out = NULL;
	const char *why = NULL;

	assert_int_equal(store_user_add(f->s, "client", "nokey", "No Key", "x", 1, &id), 0);
	nokey.id = id;
	snprintf(nokey.role, sizeof(nokey.role), "client");
	assert_int_not_equal(care_checkin_add(&f->c, &nokey, 5, NULL, 0, "a note", &out, &why), 0);
	assert_null(out);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM checkins"), 0);
	assert_int_equal(store_commit(f->s), KD_EINVAL);
	/* Without a note there is nothing to seal. */
	assert_int_equal(care_checkin_add(&f->c, &nokey, 5, NULL, 0, NULL, &out, &why), 0);
	json_decref(out);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM checkins"), 1);
}

/* --- who reads what: lists, caseload, audit --- */

static void test_access_and_audit(void **state)
{
	fx *f = *state;
	actor clin = quick_user(f, "clinician", "kim", "Kim");
	actor clin2 = quick_user(f, "clinician", "lee", "Lee");
	actor ann = quick_user(f, "client", "ann", "Ann");
	actor bob = quick_user(f, "client", "bob", "Bob");
	actor anon = {0, ""};
	json_t *out = NULL, *rows, *e;
	const char *why = NULL;
	const char *fl[] = {"tired"};
	size_t i;
	int saw_clin = 0;

	assert_int_equal(store_care_link(f->s, clin.id, ann.id, 100), 0);
	assert_int_equal(store_care_link(f->s, clin.id, bob.id, 100), 0);
	assert_int_equal(care_checkin_add(&f->c, &ann, 4, fl, 1, "private words", &out, &why), 0);
	json_decref(out);
	assert_int_equal(care_checkin_add(&f->c, &ann, 6, fl, 1, NULL, &out, &why), 0);
	json_decref(out);
	out = NULL;

	/* The clinician reads the client's check-ins, note included. */
	assert_int_equal(care_checkin_list(&f->c, &clin, ann.id, 50, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "checkins")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(out, "checkins"),
								 1),
						  "note")),
		"private words");
	json_decref(out);
	out = NULL;
	/* Others do not even learn the client exists. */
	assert_int_equal(care_checkin_list(&f->c, &clin2, ann.id, 50, &out), KD_ENOTFOUND);
	assert_int_equal(care_checkin_list(&f->c, &bob, ann.id, 50, &out), KD_ENOTFOUND);
	assert_int_equal(care_checkin_list(&f->c, &anon, ann.id, 50, &out), KD_EAUTH);
	assert_int_equal(care_checkin_list(&f->c, &clin, 99999, 50, &out), KD_ENOTFOUND);
	assert_null(out);

	/* Caseload: ordered by name, with the last mood and the count. */
	assert_int_equal(care_caseload(&f->c, &clin, 100, 0, &out), 0);
	rows = json_object_get(out, "clients");
	assert_int_equal(json_array_size(rows), 2);
	e = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "Ann");
	assert_int_equal(json_integer_value(json_object_get(e, "checkins")), 2);
	assert_int_equal(json_integer_value(json_object_get(e, "last_mood")), 6);
	assert_non_null(json_string_value(json_object_get(e, "last_checkin_at")));
	assert_string_equal(json_string_value(json_object_get(e, "joined_at")),
			    "1970-01-01T00:01:40Z");
	e = json_array_get(rows, 1);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "Bob");
	assert_int_equal(json_integer_value(json_object_get(e, "checkins")), 0);
	assert_true(json_is_null(json_object_get(e, "last_mood")));
	assert_true(json_is_null(json_object_get(e, "last_checkin_at")));
	json_decref(out);
	out = NULL;
	assert_int_equal(care_caseload(&f->c, &clin2, 100, 0, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "clients")), 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(care_caseload(&f->c, &ann, 100, 0, &out), KD_EFORBIDDEN);
	assert_int_equal(care_caseload(&f->c, &anon, 100, 0, &out), KD_EAUTH);
	assert_null(out);

	/* Ann's trail shows who looked, allowed or not. */
	assert_int_equal(care_audit_list(&f->c, &ann, 100, &out), 0);
	rows = json_object_get(out, "entries");
	assert_true(json_array_size(rows) >= 6);
	json_array_foreach(rows, i, e) {
		const char *who = json_string_value(json_object_get(e, "who"));

		assert_non_null(who);
		assert_non_null(json_string_value(json_object_get(e, "at")));
		assert_non_null(json_string_value(json_object_get(e, "reason")));
		if (strcmp(who, "Kim") == 0 &&
		    strcmp(json_string_value(json_object_get(e, "resource")), "checkins") == 0) {
			saw_clin++;
			assert_true(json_is_true(json_object_get(e, "allowed")));
			assert_true(json_is_false(json_object_get(e, "self")));
			assert_string_equal(json_string_value(json_object_get(e, "role")),
					    "clinician");
		}
		if (strcmp(who, "Lee") == 0 || strcmp(who, "Bob") == 0)
			assert_true(json_is_false(json_object_get(e, "allowed")));
		if (strcmp(who, "someone not signed in") == 0) {
			assert_true(json_is_false(json_object_get(e, "allowed")));
			assert_true(json_is_null(json_object_get(e, "role")));
		}
		if (strcmp(who, "Ann") == 0)
			assert_true(json_is_true(json_object_get(e, "self")));
	}
	assert_int_equal(saw_clin, 1);
	/* Newest first: asking for the trail is recorded before it is
	 * read, so Ann's own question heads it. */
	e = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(e, "resource")), "audit");
	assert_true(json_is_true(json_object_get(e, "self")));
	json_decref(out);
	out = NULL;

	assert_int_equal(care_audit_list(&f->c, &ann, 2, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "entries")), 2);
	json_decref(out);
	out = NULL;
	assert_int_equal(care_audit_list(&f->c, &anon, 10, &out), KD_EAUTH);
	assert_null(out);
}

/* --- races: several requests at once --- */

typedef struct race {
	fx *f;
	pthread_barrier_t *bar;
	const char *token;
	char name[24];
	int rc;
	int64_t id;
} race;

/* Opens the thread's connection before the barrier, so the race is
 * about the care logic and not about opening connections. */
static int race_warm(race *r)
{
	int64_t n = 0;
	int rc = store_user_count(r->f->s, &n);

	pthread_barrier_wait(r->bar);
	return rc;
}

static void *setup_thread(void *p)
{
	race *r = p;
	const char *why = NULL;

	if ((r->rc = race_warm(r)) != 0)
		return NULL;
	r->rc = care_setup(&r->f->c, r->name, "First", pw, &r->id, &why);
	return NULL;
}

static void *accept_thread(void *p)
{
	race *r = p;
	const char *why = NULL;

	if ((r->rc = race_warm(r)) != 0)
		return NULL;
	r->rc = care_invite_accept(&r->f->c, r->token, r->name, "Joiner", pw, &r->id, &why);
	return NULL;
}

static void *login_thread(void *p)
{
	race *r = p;
	actor who;

	if ((r->rc = race_warm(r)) != 0)
		return NULL;
	r->rc = care_login(&r->f->c, "lou", "wrong password!", "10.0.0.1", &who);
	return NULL;
}

enum { RACERS = 3, LOGIN_RACERS = 8 };

static int run_race(fx *f, void *(*fn)(void *), race *rs, int n, const char *token)
{
	pthread_t th[LOGIN_RACERS];
	pthread_barrier_t bar;
	int i;

	assert_true(n <= LOGIN_RACERS);
	assert_int_equal(pthread_barrier_init(&bar, NULL, (unsigned)n), 0);
	for (i = 0; i < n; i++) {
		rs[i].f = f;
		rs[i].bar = &bar;
		rs[i].token = token;
		snprintf(rs[i].name, sizeof(rs[i].name), "racer%d", i);
		rs[i].rc = 99;
		rs[i].id = 0;
		assert_int_equal(pthread_create(&th[i], NULL, fn, &rs[i]), 0);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&bar);
	return 0;
}

/* Only one of several people racing through setup becomes admin. */
static void test_setup_race(void **state)
{
	fx *f = *state;
	race rs[RACERS];
	int i, won = 0;
	int64_t n = 0;

	run_race(f, setup_thread, rs, RACERS, NULL);
	for (i = 0; i < RACERS; i++) {
		if (rs[i].rc == 0)
			won++;
		else
			assert_int_equal(rs[i].rc, KD_EEXIST);
	}
	assert_int_equal(won, 1);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 1);
}

/* One invitation, several people accepting it at once: one account. */
static void test_accept_race(void **state)
{
	fx *f = *state;
	actor clin = quick_user(f, "clinician", "kim", "Kim");
	char token[44];
	int64_t exp = 0;
	race rs[RACERS];
	int i, won = 0;

	assert_int_equal(care_invite(&f->c, &clin, token, &exp), 0);
	run_race(f, accept_thread, rs, RACERS, token);
	for (i = 0; i < RACERS; i++) {
		if (rs[i].rc == 0) {
			won++;
			assert_int_equal(store_is_clinician_of(f->s, clin.id, rs[i].id), 1);
		} else {
			assert_int_equal(rs[i].rc, KD_EUSED);
		}
	}
	assert_int_equal(won, 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE role = 'client'"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM care_links"), 1);
}

/*
 * Regression (fixed): care_login reads
 * the failure count, then spends a tenth of a second on Argon2id, and
 * only then records the failure.  Attempts that arrive together all
 * read the count before any of them has failed, so with N worker
 * threads an attacker gets about 4 + N guesses per username (and per
 * address) in each window instead of 5.  Measured: 12 simultaneous
 * wrong passwords, 12 verified, none throttled.  Fix: count the attempt
 * before verifying (store_throttle_fail, throttled if the count is over
 * the limit), clear the username's count on success and take the
 * address's one back (a new store_throttle_forgive).
 */
static void test_login_throttle_race(void **state)
{
	fx *f = *state;
	const char *why = NULL;
	int64_t id = 0;
	race rs[LOGIN_RACERS];
	int i, verified = 0;

	assert_int_equal(care_user_create(&f->c, "client", "lou", "Lou", pw, &id, &why), 0);
	run_race(f, login_thread, rs, LOGIN_RACERS, NULL);
	for (i = 0; i < LOGIN_RACERS; i++) {
		if (rs[i].rc == KD_EAUTH)
			verified++;
		else
			assert_int_equal(rs[i].rc, KD_ETHROTTLED);
	}
	if (verified > 5)
		fail_msg("%d of %d simultaneous wrong passwords were checked; the limit is 5",
			 verified, LOGIN_RACERS);
}

/* --- measures and reliable change --- */

/* Answers instrument with the given answers (as JSON text); returns the
 * response id, or fails the test. */
static int64_t answer(fx *f, const actor *who, const char *inst, const char *answers,
		      const char *submission)
{
	json_error_t jerr;
	json_t *in = json_loads(answers, 0, &jerr), *out = NULL;
	const char *why = NULL;
	int64_t id;

	assert_non_null(in);
	if (submission)
		json_object_set_new(in, "submission", json_string(submission));
	assert_int_equal(care_measure_answer(&f->c, who, inst, in, &out, &why), 0);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(in);
	return id;
}

static json_t *series(fx *f, const actor *who, const char *inst)
{
	json_t *p = NULL, *m;
	size_t i;

	assert_int_equal(care_progress(&f->c, who, who->id, &p), 0);
	json_array_foreach(json_object_get(p, "measures"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "instrument")), inst) == 0) {
			json_incref(m);
			json_decref(p);
			return m;
		}
	json_decref(p);
	return NULL;
}

static const char *verdict_of(const json_t *m)
{
	return json_string_value(json_object_get(json_object_get(m, "reliable_change"), "verdict"));
}

/* The caseload comes in pages, by name, and says when there is more. */
static void test_caseload_pages(void **state)
{
	fx *f = *state;
	actor clin = quick_user(f, "clinician", "pager", "Pager");
	json_t *out = NULL;
	char name[16];
	int i;

	for (i = 0; i < 5; i++) {
		actor c;
		snprintf(name, sizeof(name), "pc%d", i);
		c = quick_user(f, "client", name, name);
		assert_int_equal(store_care_link(f->s, clin.id, c.id, 1), 0);
	}
	assert_int_equal(care_caseload(&f->c, &clin, 2, 0, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "clients")), 2);
	assert_true(json_is_true(json_object_get(out, "more")));
	assert_int_equal(json_integer_value(json_object_get(out, "next_offset")), 2);
	assert_null(json_object_get(out, "prev_offset"));
	json_decref(out);
	assert_int_equal(care_caseload(&f->c, &clin, 2, 4, &out), 0);
	assert_int_equal(json_array_size(json_object_get(out, "clients")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(out, "clients"), 0), "name")),
			    "pc4");
	assert_true(json_is_false(json_object_get(out, "more")));
	assert_int_equal(json_integer_value(json_object_get(out, "prev_offset")), 2);
	json_decref(out);
}

static void test_reliable_change_phq9(void **state)
{
	fx *f = *state;
	actor a = quick_user(f, "client", "rc1", "RC One");
	json_t *m;
	double threshold;

	/* 14, then 9: a change of 5, under the threshold of 5.99. */
	answer(f, &a, "phq9", "{\"answers\": [2,2,2,2,2,1,1,1,1]}", NULL);
	answer(f, &a, "phq9", "{\"answers\": [1,1,1,1,1,1,1,1,1]}", NULL);
	m = series(f, &a, "phq9");
	assert_non_null(m);
	threshold = json_number_value(json_object_get(json_object_get(m, "reliable_change"), "threshold"));
	/* 1.96 x sqrt(2) x 5.4 x sqrt(1 - 0.84) */
	assert_true(threshold > 5.98 && threshold < 6.0);
	assert_non_null(strstr(verdict_of(m), "No reliable change"));
	json_decref(m);
	/* 14 to 8: a change of 6, over it; lower is better on the PHQ-9. */
	answer(f, &a, "phq9", "{\"answers\": [1,1,1,1,1,1,1,1,0]}", NULL);
	m = series(f, &a, "phq9");
	assert_non_null(strstr(verdict_of(m), "Reliable improvement"));
	json_decref(m);
}

static void test_reliable_change_gad7_and_who5(void **state)
{
	fx *f = *state;
	actor a = quick_user(f, "client", "rc2", "RC Two");
	json_t *m;

	/* GAD-7 10 then 14: worse by 4, over its threshold of 3.99. */
	answer(f, &a, "gad7", "{\"answers\": [2,2,2,1,1,1,1]}", NULL);
	answer(f, &a, "gad7", "{\"answers\": [2,2,2,2,2,2,2]}", NULL);
	m = series(f, &a, "gad7");
	assert_non_null(strstr(verdict_of(m), "Reliable worsening"));
	json_decref(m);
	/* One answer: no verdict yet. */
	answer(f, &a, "who5", "{\"answers\": [3,3,3,3,3]}", NULL);
	m = series(f, &a, "who5");
	assert_true(json_is_null(json_object_get(m, "reliable_change")));
	assert_int_equal(json_array_size(json_object_get(m, "points")), 1);
	json_decref(m);
}

static void test_measure_submission_once(void **state)
{
	fx *f = *state;
	actor a = quick_user(f, "client", "rc3", "RC Three");
	int64_t one = answer(f, &a, "phq2", "{\"answers\": [1,1]}", "tok-1");
	int64_t two = answer(f, &a, "phq2", "{\"answers\": [1,1]}", "tok-1");
	int64_t three = answer(f, &a, "phq2", "{\"answers\": [1,1]}", "tok-2");
	json_t *m;

	assert_int_equal(one, two);
	assert_true(three != one);
	m = series(f, &a, "phq2");
	assert_int_equal(json_array_size(json_object_get(m, "points")), 2);
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_and_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invitations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkin_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkin_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkin_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkin_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_throttle_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caseload_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reliable_change_phq9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reliable_change_gad7_and_who5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measure_submission_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
