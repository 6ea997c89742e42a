/*
 * test_store_pg.c: unit tests for store.h over the PostgreSQL driver
 * (db_pg.c).  Every query of queries.h runs at least once against a real
 * server, and the things PostgreSQL does differently get their own
 * tests: binary results (blobs with NUL and high bytes, 64-bit integers,
 * int4 columns), unique violations, transactions that meet an error,
 * concurrent invitation takes, throttle counts, setup under its lock and
 * migrations from two servers at once, and a connection killed under the
 * store (reset outside a transaction, no half transaction inside one).
 *
 * Needs KINDRED_TEST_PG: the URL of a database on a server where its user
 * may create databases (tests/run.sh starts a private cluster and sets
 * it).  Each test gets a fresh database, dropped afterwards.  Without the
 * variable every test is skipped, and the reason printed.  Runs in a
 * couple of seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kd.h"
#include "store/store.h"
#include "util/embed.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *admin_url; /* KINDRED_TEST_PG, or NULL: skip */
static int serial;

typedef struct fx {
	char name[64];
	char url[1024];
	store *s;
} fx;

/* --- a raw connection, to create databases and see what was written --- */

static PGconn *raw_connect(const char *url)
{
	PGconn *h = PQconnectdb(url);

	if (PQstatus(h) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", url, PQerrorMessage(h));
	return h;
}

static void raw_exec(const char *url, const char *sql)
{
	PGconn *h = raw_connect(url);
	PGresult *res = PQexec(h, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(h);
}

/* The first column of the first row of sql as an integer (-1 if none). */
static int64_t raw_int(const char *url, const char *sql)
{
	PGconn *h = raw_connect(url);
	PGresult *res = PQexec(h, sql);
	int64_t v = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(h);
	return v;
}

/* The admin URL with its database replaced by name (libpq URLs keep the
 * host and port in the query string, after the database). */
static void url_for(char *out, size_t n, const char *name)
{
	const char *scheme = strstr(admin_url, "://");
	const char *path, *query;

	assert_non_null(scheme);
	path = strchr(scheme + 3, '/');
	query = strchr(scheme + 3, '?');
	if (!path || (query && query < path))
		path = query ? query : admin_url + strlen(admin_url);
	assert_true((size_t)snprintf(out, n, "%.*s/%s%s", (int)(path - admin_url), admin_url,
				     name, query ? query : "") < n);
}

static int setup(void **state)
{
	fx *f;
	char sql[128], *err = NULL;

	*state = NULL;
	if (!admin_url)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->name, sizeof(f->name), "kindred_unit_%ld_%d", (long)getpid(), ++serial);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->name);
	raw_exec(admin_url, sql);
	url_for(f->url, sizeof(f->url), f->name);
	if (store_open(f->url, &f->s, &err) != 0) {
		fprintf(stderr, "store_open %s: %s\n", f->url, err ? err : "?");
		free(err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char sql[128];

	if (!f)
		return 0;
	store_close(f->s);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->name);
	raw_exec(admin_url, sql);
	free(f);
	return 0;
}

#define NEED_PG(state)                                                                     \
	do {                                                                               \
		if (!*(state))                                                             \
			skip();                                                            \
	} while (0)

static int64_t add_user(store *s, const char *role, const char *name, const char *display)
{
	int64_t id = 0;

	assert_int_equal(store_user_add(s, role, name, display, "hash", 1000, &id), 0);
	assert_true(id > 0);
	return id;
}

static void hash_of(unsigned char h[32], unsigned char fill)
{
	memset(h, fill, 32);
}

/* --- migrations (MIGRATION_VERSION, MIGRATION_DONE) --- */

typedef struct open_arg {
	const char *url;
	int rc;
	store *s;
} open_arg;

static void *open_thread(void *p)
{
	open_arg *a = p;
	char *err = NULL;

	a->rc = store_open(a->url, &a->s, &err);
	if (a->rc != 0)
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
	free(err);
	return NULL;
}

/* The highest embedded migration (they are numbered 1, 2, ... with no gap). */
static int migrations_top(void)
{
	static const char prefix[] = "src/store/migrations/";
	const embed_file *all;
	size_t n, i;
	int top = 0;

	all = embed_all(&n);
	for (i = 0; i < n; i++)
		if (strncmp(all[i].path, prefix, sizeof(prefix) - 1) == 0 && strstr(all[i].path, ".sql") &&
		    atoi(all[i].path + sizeof(prefix) - 1) > top)
			top = atoi(all[i].path + sizeof(prefix) - 1);
	return top;
}

static void test_migrations(void **state)
{
	fx *f = *state;
	char url[1024], sql[160], name[80];
	pthread_t th[4];
	open_arg a[4];
	store *s2 = NULL;
	char *err = NULL;
	int version = 0, i;

	NEED_PG(state);
	assert_string_equal(store_backend(f->s), "postgresql");
	assert_int_equal(store_schema_version(f->s, &version), 0);
	assert_int_equal(version, migrations_top());
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM schema_migrations"), migrations_top());

	/* Opening again applies nothing twice; "postgres://" names it too. */
	add_user(f->s, "admin", "ada", "Ada");
	assert_int_equal(store_open(f->url, &s2, &err), 0);
	store_close(s2);
	s2 = NULL;
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM schema_migrations"), migrations_top());
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 1);
	assert_int_equal(strncmp(f->url, "postgresql://", 13), 0);
	snprintf(url, sizeof(url), "postgres://%s", f->url + 13);
	assert_int_equal(store_open(url, &s2, &err), 0);
	assert_string_equal(store_backend(s2), "postgresql");
	store_close(s2);
	s2 = NULL;

	/* The dialect: identity keys, bytea, bigint. */
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM information_schema.columns "
					 "WHERE table_name = 'users' AND column_name = 'id' "
					 "AND data_type = 'bigint' AND is_identity = 'YES'"),
			 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM information_schema.columns "
					 "WHERE table_name = 'checkins' AND column_name = 'note' "
					 "AND data_type = 'bytea'"),
			 1);

	/* Four servers starting at once on an empty database: each
	 * migration runs once, every server opens. */
	snprintf(name, sizeof(name), "%s_race", f->name);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	raw_exec(admin_url, sql);
	url_for(url, sizeof(url), name);
	for (i = 0; i < 4; i++) {
		a[i] = (open_arg){url, -1, NULL};
		assert_int_equal(pthread_create(&th[i], NULL, open_thread, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(a[i].rc, 0);
		store_close(a[i].s);
	}
	assert_int_equal(raw_int(url, "SELECT count(*) FROM schema_migrations"), migrations_top());
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", name);
	raw_exec(admin_url, sql);

	/* Not a URL libpq can read: a configuration error. */
	assert_int_equal(store_open("postgresql://[::1/x", &s2, &err), KD_ECONFIG);
	assert_non_null(err);
	free(err);
	err = NULL;

	/* A server that is not there: a clear error naming it, quickly. */
	assert_int_equal(store_open("postgresql:///x?host=/nonexistent-kd", &s2, &err), KD_EBUSY);
	assert_non_null(err);
	assert_non_null(strstr(err, "nonexistent-kd"));
	free(err);
}

/* Migration 6 on PostgreSQL: keys move from users.data_key to the schema
 * kindred_keys, none lost, and a person's deletion removes theirs. */
static void test_keys_apart(void **state)
{
	fx *f = *state;
	char *err = NULL;
	store_user u = {0};
	int64_t a, b;

	NEED_PG(state);
	a = add_user(f->s, "client", "ann", "Ann");
	b = add_user(f->s, "client", "ben", "Ben");
	store_close(f->s);
	f->s = NULL;
	raw_exec(f->url, "ALTER TABLE users ADD COLUMN data_key bytea;"
			 "UPDATE users SET data_key = '\\x0102'::bytea WHERE username = 'ann';"
			 "UPDATE users SET data_key = '\\x030405'::bytea WHERE username = 'ben';"
			 "DELETE FROM schema_migrations WHERE version >= 6;"
			 "DELETE FROM kindred_keys.data_keys");
	assert_int_equal(store_open(f->url, &f->s, &err), 0);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM kindred_keys.data_keys"), 2);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM information_schema.columns "
					 "WHERE table_name = 'users' AND column_name = 'data_key'"),
			 0);
	assert_int_equal(store_user_get(f->s, b, &u), 0);
	assert_int_equal(u.data_key_len, 3);
	assert_memory_equal(u.data_key, "\x03\x04\x05", 3);
	store_user_clear(&u);
	assert_int_equal(store_user_delete(f->s, a), 0);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM kindred_keys.data_keys"), 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM kindred_keys.data_keys "
					 "WHERE owner_id = (SELECT id FROM users WHERE username = 'ben')"),
			 1);
}

/* --- people (USER_*) --- */

typedef struct user_walk {
	int n;
	int64_t ids[8];
	int stop_after;
} user_walk;

static int user_cb(void *arg, const store_user *u)
{
	user_walk *w = arg;

	w->ids[w->n++] = u->id;
	if (w->stop_after && w->n == w->stop_after)
		return 7;
	return 0;
}

static void test_users(void **state)
{
	fx *f = *state;
	/* A wrapped key with NUL and high bytes: binary must survive. */
	static const unsigned char key[] = {0x00, 0xff, 0x80, 0x7f, 0x00, 'k', 0x01, 0xfe};
	store_user u = {0};
	user_walk w = {0};
	int64_t n = -1, a, b, id = 0;

	NEED_PG(state);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 0);
	a = add_user(f->s, "admin", "ada", "Ada Lovelace");
	b = add_user(f->s, "client", "bea", "Béa Ünïcode ✓");
	assert_true(b > a);
	assert_int_equal(store_user_add(f->s, "client", "ada", "Other", "h", 1, &id), KD_EEXIST);
	/* A CHECK violation is a database error, not a duplicate. */
	assert_int_equal(store_user_add(f->s, "pirate", "x", "X", "h", 1, &id), KD_EDB);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(store_user_set_key(f->s, b, key, sizeof(key)), 0);
	assert_int_equal(store_user_set_password(f->s, b, "new-hash"), 0);
	assert_int_equal(store_user_get(f->s, b, &u), 0);
	assert_int_equal(u.id, b);
	assert_string_equal(u.role, "client");
	assert_string_equal(u.username, "bea");
	assert_string_equal(u.display_name, "Béa Ünïcode ✓");
	assert_string_equal(u.pw_hash, "new-hash");
	assert_int_equal(u.data_key_len, sizeof(key));
	assert_memory_equal(u.data_key, key, sizeof(key));
	assert_int_equal(u.created_at, 1000);
	assert_int_equal(u.disabled, 0);
	store_user_clear(&u);

	/* An empty blob is not NULL. */
	assert_int_equal(store_user_set_key(f->s, a, (const unsigned char *)"", 0), 0);
	assert_int_equal(store_user_by_name(f->s, "ada", &u), 0);
	assert_int_equal(u.id, a);
	assert_non_null(u.data_key);
	assert_int_equal(u.data_key_len, 0);
	store_user_clear(&u);
	assert_int_equal(store_user_by_name(f->s, "nobody", &u), KD_ENOTFOUND);
	assert_int_equal(store_user_get(f->s, 999999, &u), KD_ENOTFOUND);

	raw_exec(f->url, "UPDATE users SET disabled = 1 WHERE username = 'ada'");
	assert_int_equal(store_user_get(f->s, a, &u), 0);
	assert_int_equal(u.disabled, 1);
	assert_non_null(u.data_key);
	store_user_clear(&u);

	assert_int_equal(store_user_each(f->s, user_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ids[0], a);
	assert_int_equal(w.ids[1], b);
	w = (user_walk){0};
	w.stop_after = 1;
	assert_int_equal(store_user_each(f->s, user_cb, &w), 7);
	assert_int_equal(w.n, 1);
}

/* --- sessions (SESSION_*) --- */

static void test_sessions(void **state)
{
	fx *f = *state;
	unsigned char h1[32], h2[32], h3[32];
	char csrf[64];
	int64_t uid = 0, a, b;

	NEED_PG(state);
	a = add_user(f->s, "client", "a", "A");
	b = add_user(f->s, "client", "b", "B");
	hash_of(h1, 0x00); /* all NUL bytes: binary parameters */
	hash_of(h2, 0xff);
	hash_of(h3, 0x80);
	assert_int_equal(store_session_add(f->s, h1, a, "tok-a", 100, 200), 0);
	assert_int_equal(store_session_add(f->s, h2, b, "tok-b", 100, 200), 0);
	assert_int_equal(store_session_add(f->s, h3, a, "tok-a2", 100, 200), 0);
	assert_int_equal(store_session_add(f->s, h1, b, "dup", 100, 200), KD_EEXIST);

	assert_int_equal(store_session_get(f->s, h1, 150, &uid, csrf, sizeof(csrf)), 0);
	assert_int_equal(uid, a);
	assert_string_equal(csrf, "tok-a");
	assert_int_equal(store_session_get(f->s, h1, 200, &uid, csrf, sizeof(csrf)), KD_ENOTFOUND);

	raw_exec(f->url, "UPDATE users SET disabled = 1 WHERE username = 'b'");
	assert_int_equal(store_session_get(f->s, h2, 150, &uid, csrf, sizeof(csrf)), KD_ENOTFOUND);

	assert_int_equal(store_session_delete(f->s, h1), 0);
	assert_int_equal(store_session_get(f->s, h1, 150, &uid, csrf, sizeof(csrf)), KD_ENOTFOUND);
	assert_int_equal(store_session_get(f->s, h3, 150, &uid, csrf, sizeof(csrf)), 0);
	assert_int_equal(store_session_delete_user(f->s, a), 0);
	assert_int_equal(store_session_get(f->s, h3, 150, &uid, csrf, sizeof(csrf)), KD_ENOTFOUND);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM sessions"), 1);
}

/* --- invitations (INVITE_*), caseloads (CARE_*, CASELOAD) --- */

typedef struct take_arg {
	store *s;
	const unsigned char *hash;
	int64_t user_id;
	int rc;
} take_arg;

static void *take_thread(void *p)
{
	take_arg *t = p;
	int64_t clin = 0;
	char role[16];

	/* As care_invite_accept does: inside a transaction. */
	t->rc = store_begin(t->s);
	if (t->rc == 0)
		t->rc = store_invite_take(t->s, t->hash, 150, t->user_id, &clin, role);
	if (t->rc == 0)
		t->rc = store_commit(t->s);
	else
		store_rollback(t->s);
	return NULL;
}

static void test_invitations(void **state)
{
	fx *f = *state;
	unsigned char h1[32], h2[32], h3[32];
	int64_t clin, c1, id = 0, who = 0, users[8];
	char role[16];
	pthread_t th[8];
	take_arg t[8];
	int i, won = 0, used = 0;
	char name[24];

	NEED_PG(state);
	clin = add_user(f->s, "clinician", "cat", "Cat");
	c1 = add_user(f->s, "client", "c1", "C1");
	hash_of(h1, 1);
	hash_of(h2, 2);
	hash_of(h3, 3);
	assert_int_equal(store_invite_add(f->s, h1, clin, "client", 100, 200, &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_invite_add(f->s, h1, clin, "client", 100, 200, &id), KD_EEXIST);
	assert_int_equal(store_invite_add(f->s, h2, clin, "client", 100, 120, &id), 0);

	assert_int_equal(store_invite_check(f->s, h1, 150), 0);
	assert_int_equal(store_invite_check(f->s, h2, 150), KD_EEXPIRED);
	assert_int_equal(store_invite_check(f->s, h3, 150), KD_ENOTFOUND);
	assert_int_equal(store_invite_take(f->s, h1, 150, c1, &who, role), 0);
	assert_int_equal(who, clin);
	assert_string_equal(role, "client");
	assert_int_equal(store_invite_take(f->s, h1, 151, c1, &who, role), KD_EUSED);
	assert_int_equal(store_invite_check(f->s, h1, 150), KD_EUSED);
	assert_int_equal(raw_int(f->url, "SELECT used_at FROM invitations WHERE used_by IS NOT NULL"),
			 150);

	/* Eight servers' threads take one invitation at once: one wins. */
	assert_int_equal(store_invite_add(f->s, h3, clin, "client", 100, 200, &id), 0);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "racer%d", i);
		users[i] = add_user(f->s, "client", name, name);
		t[i] = (take_arg){f->s, h3, users[i], -1};
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, take_thread, &t[i]), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (t[i].rc == 0)
			won++;
		else if (t[i].rc == KD_EUSED)
			used++;
	}
	assert_int_equal(won, 1);
	assert_int_equal(used, 7);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM invitations WHERE used_at IS NOT NULL"),
			 2);
}

typedef struct case_walk {
	int n;
	store_client_row rows[4];
	char names[4][32];
} case_walk;

static int case_cb(void *arg, const store_client_row *r)
{
	case_walk *w = arg;

	w->rows[w->n] = *r;
	snprintf(w->names[w->n], sizeof(w->names[0]), "%s", r->display_name);
	w->n++;
	return 0;
}

static void test_caseload(void **state)
{
	fx *f = *state;
	case_walk w = {0};
	int64_t clin, other, zoe, amy, id;

	NEED_PG(state);
	clin = add_user(f->s, "clinician", "cat", "Cat");
	other = add_user(f->s, "clinician", "dov", "Dov");
	zoe = add_user(f->s, "client", "zoe", "Zoe");
	amy = add_user(f->s, "client", "amy", "Amy");
	assert_int_equal(store_care_link(f->s, clin, zoe, 10), 0);
	assert_int_equal(store_care_link(f->s, clin, zoe, 11), 0); /* ON CONFLICT DO NOTHING */
	assert_int_equal(store_care_link(f->s, clin, amy, 12), 0);
	assert_int_equal(store_is_clinician_of(f->s, clin, zoe), 1);
	assert_int_equal(store_is_clinician_of(f->s, other, zoe), 0);
	assert_int_equal(store_care_link(f->s, clin, 999999, 1), KD_EDB); /* foreign key */

	assert_int_equal(store_checkin_add(f->s, zoe, 3, "sad", 100, &id), 0);
	assert_int_equal(store_checkin_add(f->s, zoe, 8, "calm", 200, &id), 0);
	assert_int_equal(store_caseload_each(f->s, clin, case_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.names[0], "Amy");
	assert_int_equal(w.rows[0].joined_at, 12);
	assert_int_equal(w.rows[0].last_checkin_at, 0);
	assert_int_equal(w.rows[0].last_mood, -1);
	assert_int_equal(w.rows[0].checkins, 0);
	assert_string_equal(w.names[1], "Zoe");
	assert_int_equal(w.rows[1].id, zoe);
	assert_int_equal(w.rows[1].last_checkin_at, 200);
	assert_int_equal(w.rows[1].last_mood, 8);
	assert_int_equal(w.rows[1].checkins, 2);
}

/* --- check-ins (CHECKIN_*) --- */

typedef struct checkin_walk {
	int n;
	int64_t ids[4];
	int moods[4];
	size_t note_len[4];
	unsigned char note[4][16];
	int64_t at[4];
} checkin_walk;

static int checkin_cb(void *arg, const store_checkin *c)
{
	checkin_walk *w = arg;

	w->ids[w->n] = c->id;
	w->moods[w->n] = c->mood;
	w->note_len[w->n] = c->note ? c->note_len : (size_t)-1;
	if (c->note)
		memcpy(w->note[w->n], c->note, c->note_len < 16 ? c->note_len : 16);
	w->at[w->n] = c->created_at;
	w->n++;
	return 0;
}

static void test_checkins(void **state)
{
	fx *f = *state;
	static const unsigned char sealed[] = {0x00, 0x01, 0xff, 0x00, 0x9c, 0x27, 0x5c, 0x78};
	checkin_walk w = {0};
	int64_t c, id1 = 0, id2 = 0, big = (int64_t)1 << 40;

	NEED_PG(state);
	c = add_user(f->s, "client", "c", "C");
	assert_int_equal(store_checkin_add(f->s, c, 0, "", 100, &id1), 0);
	assert_int_equal(store_checkin_add(f->s, c, 10, "calm,tired", big, &id2), 0);
	assert_int_equal(store_checkin_add(f->s, c, 11, "", 1, &id2), KD_EDB); /* CHECK */
	assert_int_equal(store_checkin_add(f->s, c, 10, "calm,tired", big, &id2), 0);
	assert_int_equal(store_checkin_set_note(f->s, id2, sealed, sizeof(sealed)), 0);
	assert_int_equal(raw_int(f->url, "SELECT length(note) FROM checkins WHERE note IS NOT NULL"),
			 (int64_t)sizeof(sealed));

	assert_int_equal(store_checkin_each(f->s, c, 10, checkin_cb, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.ids[0], id2); /* newest first, ties by id */
	assert_int_equal(w.at[0], big);
	assert_int_equal(w.moods[0], 10);
	assert_int_equal(w.note_len[0], sizeof(sealed));
	assert_memory_equal(w.note[0], sealed, sizeof(sealed));
	assert_int_equal(w.note_len[1], (size_t)-1);
	assert_int_equal(w.ids[2], id1);
	assert_int_equal(w.moods[2], 0);
	w = (checkin_walk){0};
	assert_int_equal(store_checkin_each(f->s, c, 1, checkin_cb, &w), 0);
	assert_int_equal(w.n, 1);

	/* The id from the identity's sequence first, then the row whole;
	 * the sequence goes on after it. */
	assert_int_equal(store_checkin_next_id(f->s, &id1), KD_EINVAL);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_checkin_next_id(f->s, &id1), 0);
	assert_true(id1 > id2);
	assert_int_equal(store_checkin_put(f->s, id1, c, 4, "calm", sealed, sizeof(sealed), big + 1),
			 0);
	assert_int_equal(store_commit(f->s), 0);
	w = (checkin_walk){0};
	assert_int_equal(store_checkin_each(f->s, c, 1, checkin_cb, &w), 0);
	assert_int_equal(w.ids[0], id1);
	assert_memory_equal(w.note[0], sealed, sizeof(sealed));
	assert_int_equal(store_checkin_add(f->s, c, 5, "", 1, &id2), 0);
	assert_true(id2 > id1);
}

/* --- audit trail (AUDIT_*) --- */

typedef struct audit_walk {
	int n;
	store_audit_row rows[4];
	char who[4][32];
} audit_walk;

static int audit_cb(void *arg, const store_audit_row *r)
{
	audit_walk *w = arg;

	w->rows[w->n] = *r;
	snprintf(w->who[w->n], sizeof(w->who[0]), "%s", r->actor_name ? r->actor_name : "(none)");
	w->n++;
	return 0;
}

static void test_audit(void **state)
{
	fx *f = *state;
	audit_walk w = {0};
	int64_t clin, client;

	NEED_PG(state);
	clin = add_user(f->s, "clinician", "cat", "Cat");
	client = add_user(f->s, "client", "c", "C");
	assert_int_equal(store_audit_add(f->s, 100, clin, client, "read", "checkins", 5, 1, "care"),
			 0);
	assert_int_equal(store_audit_add(f->s, 200, 0, client, "read", "checkins", 0, 0, "anon"), 0);
	assert_int_equal(store_audit_each(f->s, client, 10, audit_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.rows[0].at, 200);
	assert_int_equal(w.rows[0].actor_id, 0);
	assert_string_equal(w.who[0], "(none)");
	assert_int_equal(w.rows[0].resource_id, 0);
	assert_int_equal(w.rows[0].allowed, 0);
	assert_int_equal(w.rows[1].actor_id, clin);
	assert_string_equal(w.who[1], "Cat");
	assert_int_equal(w.rows[1].subject_id, client);
	assert_int_equal(w.rows[1].resource_id, 5);
	assert_int_equal(w.rows[1].allowed, 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM audit WHERE actor_id IS NULL"), 1);
}

/* --- login throttling (THROTTLE_*) --- */

typedef struct fail_arg {
	store *s;
	int rc;
} fail_arg;

static void *fail_thread(void *p)
{
	fail_arg *a = p;
	int n = 0, i;

	for (i = 0; i < 10 && a->rc == 0; i++)
		a->rc = store_throttle_fail(a->s, "user:race", 1000, 60, &n);
	return NULL;
}

static void test_throttle(void **state)
{
	fx *f = *state;
	pthread_t th[4];
	fail_arg a[4];
	int n = -1, i;

	NEED_PG(state);
	assert_int_equal(store_throttle_get(f->s, "user:x", 1000, 60, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_fail(f->s, "user:x", 1000, 60, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_fail(f->s, "user:x", 1010, 60, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_throttle_get(f->s, "user:x", 1030, 60, &n), 0);
	assert_int_equal(n, 2);
	/* The window began at 1000: by 1060 it is over and counting restarts. */
	assert_int_equal(store_throttle_get(f->s, "user:x", 1060, 60, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_fail(f->s, "user:x", 1060, 60, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_clear(f->s, "user:x"), 0);
	assert_int_equal(store_throttle_get(f->s, "user:x", 1060, 60, &n), 0);
	assert_int_equal(n, 0);

	/* Concurrent failures on one key are all counted (the upsert is
	 * atomic under READ COMMITTED). */
	for (i = 0; i < 4; i++) {
		a[i] = (fail_arg){f->s, 0};
		assert_int_equal(pthread_create(&th[i], NULL, fail_thread, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(a[i].rc, 0);
	}
	assert_int_equal(store_throttle_get(f->s, "user:race", 1000, 60, &n), 0);
	assert_int_equal(n, 40);
}

/* --- transactions and locks --- */

static void test_transactions(void **state)
{
	fx *f = *state;
	int64_t n = -1, id = 0;

	NEED_PG(state);
	assert_int_equal(store_commit(f->s), KD_EINVAL);
	assert_int_equal(store_rollback(f->s), KD_EINVAL);
	assert_int_equal(store_lock(f->s, STORE_LOCK_SETUP), KD_EINVAL);

	assert_int_equal(store_begin(f->s), 0);
	add_user(f->s, "client", "gone", "Gone");
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(store_begin(f->s), 0);
	add_user(f->s, "client", "outer", "Outer");
	assert_int_equal(store_begin(f->s), 0);
	add_user(f->s, "client", "inner", "Inner");
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 2);

	/* A failed statement inside a transaction: the caller rolls back
	 * (as every caller in care/ does) and the connection goes on. */
	assert_int_equal(store_begin(f->s), 0);
	add_user(f->s, "client", "o3", "O3");
	assert_int_equal(store_user_add(f->s, "client", "o3", "x", "h", 1, &id), KD_EEXIST);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 2);
}

typedef struct setup_arg {
	store *s;
	int rc;
	int became_admin;
} setup_arg;

/* care_setup's shape: under the setup lock, count, and add if none. */
static void *setup_thread(void *p)
{
	setup_arg *a = p;
	int64_t n = 0, id = 0;
	char name[32];

	snprintf(name, sizeof(name), "admin-%p", p);
	if ((a->rc = store_begin(a->s)) != 0)
		return NULL;
	if ((a->rc = store_lock(a->s, STORE_LOCK_SETUP)) == 0 &&
	    (a->rc = store_user_count(a->s, &n)) == 0 && n == 0) {
		a->rc = store_user_add(a->s, "admin", name, "Admin", "h", 1, &id);
		a->became_admin = a->rc == 0;
	}
	if (a->rc == 0)
		a->rc = store_commit(a->s);
	else
		store_rollback(a->s);
	return NULL;
}

static void test_setup_lock(void **state)
{
	fx *f = *state;
	pthread_t th[6];
	setup_arg a[6];
	int i, admins = 0;

	NEED_PG(state);
	for (i = 0; i < 6; i++) {
		a[i] = (setup_arg){f->s, -1, 0};
		assert_int_equal(pthread_create(&th[i], NULL, setup_thread, &a[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(a[i].rc, 0);
		admins += a[i].became_admin;
	}
	assert_int_equal(admins, 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 1);
}

/* --- a connection lost under the store --- */

static void kill_store_connections(const fx *f)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		 "WHERE datname = '%s' AND pid <> pg_backend_pid()",
		 f->name);
	assert_true(raw_int(admin_url, sql) >= 1);
	usleep(100 * 1000); /* let the server close the socket */
}

static void test_reconnect(void **state)
{
	fx *f = *state;
	int64_t n = -1;

	NEED_PG(state);
	add_user(f->s, "client", "a", "A");

	/* Outside a transaction a read reconnects, prepares its statement
	 * again and answers at once; a write fails as busy (it may have been
	 * done before the connection went) and the next one works. */
	kill_store_connections(f);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 1);
	/* A transaction's BEGIN is retried likewise: nothing was done yet. */
	kill_store_connections(f);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_rollback(f->s), 0);
	kill_store_connections(f);
	{
		int64_t id = 0;
		assert_int_equal(store_user_add(f->s, "client", "b", "B", "h", 1, &id), KD_EBUSY);
	}
	add_user(f->s, "client", "b", "B");

	/* Inside one: every call fails until rollback; nothing of it is
	 * written, and the connection works afterwards. */
	assert_int_equal(store_begin(f->s), 0);
	add_user(f->s, "client", "half", "Half");
	kill_store_connections(f);
	assert_int_equal(store_user_count(f->s, &n), KD_EBUSY);
	{
		int64_t id = 0;
		assert_int_equal(store_user_add(f->s, "client", "after", "After", "h", 1, &id),
				 KD_EBUSY);
	}
	assert_int_equal(store_commit(f->s), KD_EBUSY);
	assert_int_equal(store_user_count(f->s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM users"), 2);
}

/* --- locations in messages (no server needed) --- */

static void test_location_print(void **state)
{
	static const char *const cases[][2] = {
		{"postgresql://kd:s3cret@db.example:5432/kindred?sslmode=require",
		 "postgresql://kd:***@db.example:5432/kindred?sslmode=require"},
		{"postgres://kd:p@ss@db/kindred", "postgres://kd:***@db/kindred"},
		{"postgresql://kd@db/kindred", "postgresql://kd@db/kindred"},
		{"postgresql:///kindred?host=/run/pg&password=s3cret&user=kd",
		 "postgresql:///kindred?host=/run/pg&password=***&user=kd"},
		{"postgresql://db/k?password=a&xpassword=b", "postgresql://db/k?password=***&xpassword=b"},
		{"/var/lib/kindred/kindred.db", "/var/lib/kindred/kindred.db"},
	};
	char out[256];
	size_t i;

	KD_UNUSED(state);
	for (i = 0; i < KD_ARRAY_LEN(cases); i++) {
		store_location_print(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	store_location_print("postgresql://db/k?password=abcdef", out, 24);
	assert_null(strstr(out, "abcdef"));
}

/* --- kindred migrate: store_copy from SQLite into PostgreSQL --- */

static void sqlite_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_close(h);
}

static void test_copy(void **state)
{
	fx *f = *state;
	static const char *const keys[] = {"b", "B", "a", "Z", "\xc3\xa9t\xc3\xa9", "_x", "0"};
	store_table_report *rep, *again;
	unsigned char blob[40];
	char path[] = "/tmp/kindred-copy-XXXXXX", file[64], *err = NULL;
	size_t n = store_copy_tables(), i;
	int64_t a, b, id = 0;
	store *src = NULL;
	int fd, failures = 0;

	NEED_PG(state);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	snprintf(file, sizeof(file), "sqlite:%s", path);
	assert_int_equal(store_open(file, &src, &err), 0);
	a = add_user(src, "clinician", "cleo", "Cleo");
	b = add_user(src, "client", "bo", "Bo");
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 37); /* NUL and high bytes */
	assert_int_equal(store_user_set_key(src, b, blob, sizeof(blob)), 0);
	assert_int_equal(store_care_link(src, a, b, 1000), 0);
	assert_int_equal(store_checkin_add(src, b, 4, "calm", 1000, &id), 0);
	assert_int_equal(store_checkin_set_note(src, id, blob, sizeof(blob)), 0);
	assert_int_equal(store_checkin_add(src, b, 6, "", 1001, &id), 0); /* no note: NULL */
	/* More rows than a page, with 64-bit times and NULL columns (actor 0
	 * is stored as NULL: a third of them). */
	for (i = 0; i < 1203; i++)
		assert_int_equal(store_audit_add(src, ((int64_t)1 << 40) + (int64_t)i,
						 i % 3 ? a : 0, b, "read", "checkins",
						 (int64_t)i, 1, "own"),
				 0);
	/* Text keys that a collation sorts differently from bytes. */
	for (i = 0; i < KD_ARRAY_LEN(keys); i++)
		assert_int_equal(store_throttle_fail(src, keys[i], 2000, 900, &failures), 0);

	rep = calloc(n, sizeof(*rep));
	again = calloc(n, sizeof(*again));
	assert_non_null(rep);
	assert_non_null(again);
	assert_int_equal(store_copy(src, f->s, 0, rep, &err), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(rep[i].from_rows, rep[i].to_rows);
		assert_memory_equal(rep[i].from_sum, rep[i].to_sum, 32);
	}
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM audit"), 1203);
	assert_int_equal(raw_int(f->url, "SELECT max(at) FROM audit"), ((int64_t)1 << 40) + 1202);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM audit WHERE actor_id IS NULL"), 401);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM checkins WHERE note IS NULL"), 1);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM throttle"),
			 (int64_t)KD_ARRAY_LEN(keys));
	/* Identity sequences go on after the copied ids. */
	assert_int_equal(store_checkin_add(f->s, b, 5, "", 3000, &id), 0);
	assert_int_equal(id, 3);

	/* Into a database that holds data: refused, then replaced. */
	free(err);
	err = NULL;
	assert_int_equal(store_copy(src, f->s, 0, rep, &err), KD_EEXIST);
	assert_non_null(strstr(err, "not empty"));
	free(err);
	err = NULL;
	assert_int_equal(store_copy(src, f->s, STORE_COPY_REPLACE, rep, &err), 0);
	assert_int_equal(raw_int(f->url, "SELECT count(*) FROM checkins"), 2);

	/* One changed byte changes the checksum of its table only. */
	raw_exec(f->url, "UPDATE checkins SET mood = 5 WHERE id = 1");
	assert_int_equal(store_checksum(f->s, again), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(again[i].from_rows, rep[i].to_rows);
		if (strcmp(again[i].table, "checkins") == 0)
			assert_memory_not_equal(again[i].from_sum, rep[i].to_sum, 32);
		else
			assert_memory_equal(again[i].from_sum, rep[i].to_sum, 32);
	}

	/* A source table this kindred does not know is refused. */
	sqlite_exec(path, "CREATE TABLE notes_from_elsewhere (x INTEGER)");
	free(err);
	err = NULL;
	assert_int_equal(store_copy(src, f->s, STORE_COPY_REPLACE, rep, &err), KD_EINVAL);
	assert_non_null(strstr(err, "notes_from_elsewhere"));
	free(err);
	free(rep);
	free(again);
	store_close(src);
	for (i = 0; i < 6; i++) {
		char p2[96];

		snprintf(p2, sizeof(p2), "%s%s%s", path, i < 3 ? "" : "-keys.db",
			 i % 3 == 0 ? "" : i % 3 == 1 ? "-wal" : "-shm");
		unlink(p2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invitations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caseload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test(test_location_print),
	};

	admin_url = getenv("KINDRED_TEST_PG");
	if (admin_url && !*admin_url)
		admin_url = NULL;
	if (!admin_url)
		printf("skipped: KINDRED_TEST_PG is not set (tests/run.sh sets it when "
		       "PostgreSQL 15 is installed)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
