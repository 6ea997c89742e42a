/*
 * store.c: the storage interface of store.h over a db_driver.  Each
 * thread gets its own connection on first use (a pthread key), so the
 * server's worker threads never share one; every connection is also on
 * a list so store_close() can close those whose threads are still alive.
 * Migrations are the embedded files src/store/migrations/NNN_*.sql,
 * applied in order inside one transaction each.
 *
 * The key store: people's wrapped data keys live apart from their data,
 * in kindred_keys.data_keys, so that a backup of the data holds no keys
 * (restoring one cannot bring back a deleted person's text).  On SQLite
 * kindred_keys is a second database file beside the main one
 * (store_keys_path), attached to every connection; on PostgreSQL it is
 * a schema of its own, left out of data dumps with pg_dump
 * --exclude-schema=kindred_keys.  The driver is chosen
 * by the location: postgres:// or postgresql:// is PostgreSQL
 * (db_pg.c), anything else a SQLite file (db_sqlite.c).
 */
#include "store/store.h"

#include "kd.h"
#include "store/audit_group.h"
#include "store/db.h"
#include "util/embed.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The migration that moved the data keys into the key store. */
#define KEYS_APART_VERSION 6

/* The lock keys of store_lock(), offset so that kindred's advisory
 * locks keep clear of other programs sharing a PostgreSQL database. */
#define LOCK_BASE ((int64_t)0x6b696e64 << 16)

typedef struct conn {
	db *c;
	store *s;
	int depth; /* transaction nesting; only the outermost is real */
	struct conn *next, *prev;
} conn;

struct store {
	const db_driver *drv;
	char *location;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns */
	conn *conns;
	audit_group *audit; /* NULL: audit rows are written by their caller */
};

static void conn_free(conn *k)
{
	store *s = k->s;

	pthread_mutex_lock(&s->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&s->lock);
	s->drv->close(k->c);
	free(k);
}

static void conn_destructor(void *p)
{
	conn_free(p);
}

/* Why the calling thread's connection could not be opened: KD_EBUSY from
 * a database server that is away (the request may be tried again). */
static _Thread_local int open_rc = KD_EDB;

/* The calling thread's connection, opened on first use; NULL if the
 * database cannot be opened: then *rc gets the driver's error and *err
 * its message (printed instead when err is NULL). */
/*
 * Makes the SQLite key store's file 0600 before SQLite makes it (its WAL
 * and shared-memory files follow the mode of the file).  Only when it is
 * missing, and before any connection of ours opens it: closing a
 * descriptor of a file drops every POSIX lock the process holds on it,
 * SQLite's included.
 */
static int keys_create(const char *location, char **err)
{
	char path[1024];
	int fd;

	if (store_keys_path(location, path, sizeof(path)) != 0) {
		if (err)
			*err = kd_xstrdup("the key store's path is too long");
		return KD_ECONFIG;
	}
	if (strcmp(path, ":memory:") == 0 || access(path, F_OK) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno != EEXIST) {
		if (err)
			*err = kd_xstrdup(strerror(errno));
		return KD_EDB;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * Attaches the SQLite key store to a new connection.  Its writes are few
 * (a person added or deleted, a rotation) and always wait for the disk,
 * and deleted keys are overwritten, not left in free pages.
 */
static int keys_attach(store *s, db *c, char **msg)
{
	char path[1024], *quoted = NULL, *sql = NULL;
	size_t i, n = 0, len;
	int rc;

	if (store_keys_path(s->location, path, sizeof(path)) != 0) {
		*msg = kd_xstrdup("the key store's path is too long");
		return KD_ECONFIG;
	}
	len = strlen(path);
	quoted = kd_xmalloc(2 * len + 1);
	for (i = 0; i < len; i++) {
		if (path[i] == '\'')
			quoted[n++] = '\'';
		quoted[n++] = path[i];
	}
	quoted[n] = '\0';
	len = n + 200;
	sql = kd_xmalloc(len);
	snprintf(sql, len,
		 "ATTACH DATABASE '%s' AS kindred_keys;"
		 "PRAGMA kindred_keys.journal_mode = WAL;"
		 "PRAGMA kindred_keys.synchronous = FULL;"
		 "PRAGMA kindred_keys.secure_delete = ON;",
		 quoted);
	rc = s->drv->exec_script(c, sql, msg);
	free(sql);
	free(quoted);
	return rc;
}

static conn *conn_open(store *s, int *rc, char **err)
{
	conn *k = pthread_getspecific(s->key);
	char *msg = NULL;

	if (k)
		return k;
	k = kd_xcalloc(1, sizeof(*k));
	if ((*rc = s->drv->open(s->location, &k->c, &msg)) == 0 &&
	    s->drv == &db_sqlite_driver && (*rc = keys_attach(s, k->c, &msg)) != 0) {
		s->drv->close(k->c);
		k->c = NULL;
	}
	if (*rc != 0) {
		open_rc = *rc;
		if (err)
			*err = msg ? msg : kd_xstrdup("cannot open the database");
		else
			fprintf(stderr, "kindred: cannot open database: %s\n", msg ? msg : "unknown");
		if (err == NULL)
			free(msg);
		free(k);
		return NULL;
	}
	k->s = s;
	pthread_mutex_lock(&s->lock);
	k->next = s->conns;
	if (s->conns)
		s->conns->prev = k;
	s->conns = k;
	pthread_mutex_unlock(&s->lock);
	pthread_setspecific(s->key, k);
	return k;
}

static conn *conn_get(store *s)
{
	int rc;

	return conn_open(s, &rc, NULL);
}

static db *conn_db(store *s)
{
	conn *k = conn_get(s);

	return k ? k->c : NULL;
}

/* Runs a statement that returns no rows we need; *changes (optional)
 * receives the number of rows it changed. */
static int run(store *s, int qid, const db_arg *args, int n, int64_t *changes)
{
	db *c = conn_db(s);
	db_cur *cur;
	int rc;

	if (!c)
		return open_rc;
	rc = s->drv->query(c, qid, args, n, &cur);
	if (rc != 0)
		return rc;
	if (changes)
		*changes = s->drv->changes(cur);
	s->drv->done(cur);
	return 0;
}

/* Runs a statement whose first column of the first row is an integer;
 * KD_ENOTFOUND if it returns no row. */
static int one_int(store *s, int qid, const db_arg *args, int n, int64_t *out)
{
	db *c = conn_db(s);
	db_cur *cur;
	int rc;

	if (!c)
		return open_rc;
	rc = s->drv->query(c, qid, args, n, &cur);
	if (rc != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		*out = s->drv->col_int(cur, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

/* The rows of a query, handed one at a time to a reader that turns the
 * cursor into its row struct and calls the caller's function with it.
 * fn is the caller's typed function, carried as a generic one (the type
 * C allows any function pointer to round-trip through). */
typedef void (*any_fn)(void);

typedef struct walk {
	store *s;
	db_cur *cur;
	any_fn fn;
	void *arg;
} walk;

/* Runs qid and calls read for each row until it returns non-zero (which
 * is returned).  With want_one, KD_ENOTFOUND if there was no row. */
static int each_row(store *s, int qid, const db_arg *a, int n, int (*read)(walk *w), any_fn fn,
		    void *arg, int want_one)
{
	db *c = conn_db(s);
	walk w = {s, NULL, fn, arg};
	int rc, seen = 0;

	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, qid, a, n, &w.cur)) != 0)
		return rc;
	while ((rc = s->drv->step(w.cur)) == 1) {
		seen = 1;
		if ((rc = read(&w)) != 0)
			break;
	}
	s->drv->done(w.cur);
	if (rc == 0 && want_one && !seen)
		rc = KD_ENOTFOUND;
	return rc;
}

#define COL_INT(i) (w->s->drv->col_int(w->cur, (i)))
#define COL_INT_OR(i, dflt) (w->s->drv->col_null(w->cur, (i)) ? (dflt) : COL_INT(i))
#define COL_TEXT(i) (w->s->drv->col_text(w->cur, (i)))

/* A blob column, or NULL with *len 0 when it is NULL. */
static const unsigned char *col_blob_or_null(walk *w, int i, size_t *len)
{
	*len = 0;
	if (w->s->drv->col_null(w->cur, i))
		return NULL;
	return w->s->drv->col_blob(w->cur, i, len);
}

int store_begin(store *s)
{
	conn *k = conn_get(s);
	int rc = 0;

	if (!k)
		return open_rc;
	if (k->depth == 0)
		rc = s->drv->begin(k->c);
	if (rc == 0)
		k->depth++;
	return rc;
}

int store_commit(store *s)
{
	conn *k = conn_get(s);
	int rc = 0;

	if (!k || k->depth == 0)
		return KD_EINVAL;
	if (k->depth == 1) {
		rc = s->drv->commit(k->c);
		if (rc != 0) {
			s->drv->rollback(k->c);
			k->depth = 0;
			return rc;
		}
	}
	k->depth--;
	return rc;
}

int store_rollback(store *s)
{
	conn *k = conn_get(s);

	if (!k || k->depth == 0)
		return KD_EINVAL;
	k->depth = 0;
	return s->drv->rollback(k->c);
}

int store_read_begin(store *s)
{
	conn *k = conn_get(s);

	if (!k)
		return open_rc;
	if (k->depth > 0 || !s->drv->read_begin)
		return 0;
	return s->drv->read_begin(k->c);
}

void store_read_end(store *s)
{
	conn *k = pthread_getspecific(s->key);

	if (k && s->drv->read_end)
		s->drv->read_end(k->c);
}

void store_defer_sync(store *s, int on)
{
	conn *k;

	if (s->drv->sync_defer && (k = conn_get(s)) != NULL)
		s->drv->sync_defer(k->c, on);
}

uint64_t store_take_pending_sync(store *s)
{
	conn *k = s->drv->sync_take ? pthread_getspecific(s->key) : NULL;

	return k ? s->drv->sync_take(k->c) : 0;
}

void store_sync_notify(store *s, uint64_t token, void (*done)(void *arg, int rc), void *arg)
{
	conn *k = pthread_getspecific(s->key);

	/* A token comes from this thread's connection, so it is open. */
	if (!k || !token || !s->drv->sync_notify)
		done(arg, 0);
	else
		s->drv->sync_notify(k->c, token, done, arg);
}

int store_lock(store *s, enum store_lock which)
{
	conn *k = conn_get(s);

	if (!k || k->depth == 0)
		return KD_EINVAL;
	return s->drv->lock(k->c, LOCK_BASE + (int64_t)which);
}

static int migrations_cmp(const void *a, const void *b)
{
	return strcmp((*(const embed_file *const *)a)->path,
		      (*(const embed_file *const *)b)->path);
}

/* Each step is its own transaction that first takes the migration lock
 * and then reads the version, so servers starting together on one
 * PostgreSQL apply each migration once and the others wait, then skip. */
static int migrate(store *s, int *moved_keys, char **err)
{
	static const char prefix[] = "src/store/migrations/";
	static const char table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				    "version INTEGER PRIMARY KEY, applied_at @I64@ NOT NULL)";
	/* The key store's one table; on PostgreSQL in a schema of its own. */
	static const char keys[] = "CREATE TABLE IF NOT EXISTS kindred_keys.data_keys ("
				   "owner_id @I64@ PRIMARY KEY, wrapped @BLOB@ NOT NULL, "
				   "updated_at @I64@ NOT NULL)";
	const embed_file *all, **list = NULL;
	size_t n, i, count = 0;
	int64_t have = 0;
	db *c = conn_db(s);
	char *sql = NULL;
	int rc, version;

	if (!c)
		return open_rc;
	if ((rc = store_begin(s)) != 0)
		goto done;
	if ((rc = store_lock(s, STORE_LOCK_MIGRATE)) == 0) {
		sql = s->drv->dialect(table);
		rc = s->drv->exec_script(c, sql, err);
		free(sql);
		sql = NULL;
	}
	if (rc == 0 && s->drv == &db_pg_driver)
		rc = s->drv->exec_script(c, "CREATE SCHEMA IF NOT EXISTS kindred_keys", err);
	if (rc == 0) {
		sql = s->drv->dialect(keys);
		rc = s->drv->exec_script(c, sql, err);
		free(sql);
		sql = NULL;
	}
	if (rc == 0)
		rc = store_commit(s);
	else
		store_rollback(s);
	if (rc != 0)
		goto done;
	all = embed_all(&n);
	list = kd_xcalloc(n, sizeof(*list));
	for (i = 0; i < n; i++)
		if (strncmp(all[i].path, prefix, sizeof(prefix) - 1) == 0 &&
		    strstr(all[i].path, ".sql"))
			list[count++] = &all[i];
	qsort(list, count, sizeof(*list), migrations_cmp);
	for (i = 0; i < count; i++) {
		version = atoi(list[i]->path + sizeof(prefix) - 1);
		if ((rc = store_begin(s)) != 0)
			goto done;
		if ((rc = store_lock(s, STORE_LOCK_MIGRATE)) == 0)
			rc = one_int(s, Q_MIGRATION_VERSION, NULL, 0, &have);
		if (rc == 0 && version > have) {
			sql = s->drv->dialect((const char *)list[i]->data);
			rc = s->drv->exec_script(c, sql, err);
			free(sql);
			sql = NULL;
			if (rc == 0) {
				db_arg a[] = {DB_I(version), DB_I(time(NULL))};
				rc = run(s, Q_MIGRATION_DONE, a, 2, NULL);
			}
			if (rc == 0 && version == KEYS_APART_VERSION)
				*moved_keys = 1;
		}
		if (rc != 0) {
			store_rollback(s);
			goto done;
		}
		if ((rc = store_commit(s)) != 0)
			goto done;
	}
done:
	free(list);
	return rc;
}

/*
 * After the keys moved out of users (migration 6), their old bytes may
 * linger in the main database's free pages (SQLite) or dead rows
 * (PostgreSQL), where a copy of the file would carry them: rewrite the
 * table so they are gone.  Best effort: a failure is told, not fatal.
 */
static void scrub_moved_keys(store *s)
{
	db *c = conn_db(s);
	char *msg = NULL;
	int rc;

	if (!c)
		return;
	if (s->drv == &db_pg_driver)
		rc = s->drv->exec_script(c, "VACUUM FULL users", &msg);
	else
		rc = s->drv->exec_script(c, "VACUUM; PRAGMA main.wal_checkpoint(TRUNCATE)", &msg);
	if (rc != 0)
		fprintf(stderr, "kindred: the data keys moved to the key store, but the old copies "
				"could not be scrubbed (%s); run VACUUM on the database\n",
			msg ? msg : kd_strerror(rc));
	free(msg);
}

int store_open(const char *location, store **out, char **err)
{
	store *s = kd_xcalloc(1, sizeof(*s));
	int rc, moved_keys = 0;

	if (strncmp(location, "sqlite:", 7) == 0)
		location += 7;
	if (strncmp(location, "postgres://", 11) == 0 ||
	    strncmp(location, "postgresql://", 13) == 0)
		s->drv = &db_pg_driver;
	else
		s->drv = &db_sqlite_driver;
	s->location = kd_xstrdup(location);
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_key_create(&s->key, conn_destructor) != 0) {
		pthread_mutex_destroy(&s->lock);
		free(s->location);
		free(s);
		return KD_ENOMEM;
	}
	if (s->drv == &db_sqlite_driver && (rc = keys_create(s->location, err)) != 0)
		goto fail;
	if (!conn_open(s, &rc, err))
		goto fail;
	if ((rc = migrate(s, &moved_keys, err)) != 0)
		goto fail;
	if (moved_keys)
		scrub_moved_keys(s);
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(store *s)
{
	if (!s)
		return;
	audit_group_stop(s->audit);
	while (s->conns)
		conn_free(s->conns);
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->lock);
	free(s->location);
	free(s);
}

void store_location_print(const char *location, char *out, size_t n)
{
	const char *host = strstr(location, "://"), *at = NULL, *colon = NULL, *p;
	char *pw, *end;
	size_t len;

	if (host) {
		/* scheme://user:password@host/...: the userinfo ends at the last
		 * '@' before the path or query. */
		host += 3;
		len = strcspn(host, "/?");
		for (p = host; p < host + len; p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
	}
	if (colon)
		snprintf(out, n, "%.*s***%s", (int)(colon + 1 - location), location, at);
	else
		snprintf(out, n, "%s", location);
	/* ...?password=secret&...: cut the value out in place. */
	for (pw = strstr(out, "password="); pw; pw = strstr(pw + 1, "password=")) {
		if (pw != out && pw[-1] != '?' && pw[-1] != '&' && pw[-1] != ' ')
			continue;
		pw += 9;
		end = pw + strcspn(pw, "& ");
		if ((size_t)(pw - out) + 3 + strlen(end) + 1 > n)
			break;
		memmove(pw + 3, end, strlen(end) + 1);
		memcpy(pw, "***", 3);
	}
}

int store_keys_path(const char *location, char *out, size_t n)
{
	size_t len;
	int w;

	if (strncmp(location, "sqlite:", 7) == 0)
		location += 7;
	if (strncmp(location, "postgres://", 11) == 0 ||
	    strncmp(location, "postgresql://", 13) == 0)
		return KD_EINVAL;
	len = strlen(location);
	if (len == 0 || strcmp(location, ":memory:") == 0)
		w = snprintf(out, n, ":memory:");
	else if (len > 3 && strcmp(location + len - 3, ".db") == 0)
		w = snprintf(out, n, "%.*s-keys.db", (int)(len - 3), location);
	else
		w = snprintf(out, n, "%s-keys.db", location);
	return w < 0 || (size_t)w >= n ? KD_ETOOBIG : 0;
}

const db_driver *store_driver(const store *s)
{
	return s->drv;
}

db *store_conn(store *s, int *rc)
{
	db *c = conn_db(s);

	*rc = c ? 0 : open_rc;
	return c;
}

const char *store_backend(const store *s)
{
	return s->drv->name;
}

int store_schema_version(store *s, int *version)
{
	int64_t v = 0;
	int rc = one_int(s, Q_MIGRATION_VERSION, NULL, 0, &v);

	*version = (int)v;
	return rc;
}

/* --- people --- */

void store_user_clear(store_user *u)
{
	if (!u)
		return;
	free(u->username);
	free(u->display_name);
	free(u->pw_hash);
	free(u->data_key);
	memset(u, 0, sizeof(*u));
}

static void user_from_row(store *s, db_cur *cur, store_user *u)
{
	const char *t;
	const void *b;
	size_t len;

	memset(u, 0, sizeof(*u));
	u->id = s->drv->col_int(cur, 0);
	t = s->drv->col_text(cur, 1);
	snprintf(u->role, sizeof(u->role), "%s", t ? t : "");
	t = s->drv->col_text(cur, 2);
	u->username = kd_xstrdup(t ? t : "");
	t = s->drv->col_text(cur, 3);
	u->display_name = kd_xstrdup(t ? t : "");
	t = s->drv->col_text(cur, 4);
	u->pw_hash = kd_xstrdup(t ? t : "");
	if (!s->drv->col_null(cur, 5)) {
		b = s->drv->col_blob(cur, 5, &len);
		u->data_key = kd_xmalloc(len);
		memcpy(u->data_key, b, len);
		u->data_key_len = len;
	}
	u->created_at = s->drv->col_int(cur, 6);
	u->disabled = (int)s->drv->col_int(cur, 7);
}

static int user_one(store *s, int qid, db_arg arg, store_user *u)
{
	db *c = conn_db(s);
	db_cur *cur;
	int rc;

	if (!c)
		return open_rc;
	rc = s->drv->query(c, qid, &arg, 1, &cur);
	if (rc != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		user_from_row(s, cur, u);
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_user_count(store *s, int64_t *n)
{
	return one_int(s, Q_USER_COUNT, NULL, 0, n);
}

int store_user_add(store *s, const char *role, const char *username,
		   const char *display_name, const char *pw_hash, int64_t now, int64_t *id)
{
	db_arg a[] = {DB_T(role), DB_T(username), DB_T(display_name), DB_T(pw_hash), DB_I(now)};

	return one_int(s, Q_USER_ADD, a, 5, id);
}

int store_user_set_key(store *s, int64_t id, const unsigned char *key, size_t len)
{
	db_arg a[] = {DB_I(id), DB_B(key, len), DB_I(time(NULL))};

	if (!key)
		return run(s, Q_KEY_DELETE, a, 1, NULL);
	return run(s, Q_KEY_PUT, a, 3, NULL);
}

int store_user_set_password(store *s, int64_t id, const char *pw_hash)
{
	db_arg a[] = {DB_I(id), DB_T(pw_hash)};

	return run(s, Q_USER_SET_PASSWORD, a, 2, NULL);
}

int store_user_get(store *s, int64_t id, store_user *u)
{
	return user_one(s, Q_USER_GET, DB_I(id), u);
}

int store_user_get_plain(store *s, int64_t id, store_user *u)
{
	return user_one(s, Q_USER_GET_PLAIN, DB_I(id), u);
}

static int read_own_key(walk *w)
{
	store_user *u = w->arg;
	size_t len;
	const unsigned char *b = col_blob_or_null(w, 0, &len);

	if (b) {
		free(u->data_key);
		u->data_key = kd_xmalloc(len ? len : 1);
		memcpy(u->data_key, b, len);
		u->data_key_len = len;
	}
	return 0;
}

int store_user_key(store *s, store_user *u)
{
	db_arg a[] = {DB_I(u->id)};

	return each_row(s, Q_KEY_GET, a, 1, read_own_key, NULL, u, 0);
}

/* The key first, in the same transaction: no foreign key reaches the
 * key store (on SQLite it is another file), so the store removes it. */
int store_user_delete(store *s, int64_t id)
{
	db_arg a[] = {DB_I(id)};
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	rc = run(s, Q_KEY_DELETE, a, 1, NULL);
	if (rc == 0)
		rc = run(s, Q_USER_DELETE, a, 1, NULL);
	if (rc != 0) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

int store_user_by_name(store *s, const char *username, store_user *u)
{
	return user_one(s, Q_USER_BY_NAME, DB_T(username), u);
}

static int read_user(walk *w)
{
	store_user u;
	int rc;

	user_from_row(w->s, w->cur, &u);
	rc = ((int (*)(void *, const store_user *))w->fn)(w->arg, &u);
	store_user_clear(&u);
	return rc;
}

int store_user_each(store *s, int (*fn)(void *arg, const store_user *u), void *arg)
{
	return each_row(s, Q_USER_ALL, NULL, 0, read_user, (any_fn)fn, arg, 0);
}

static int read_key(walk *w)
{
	size_t len = 0;
	const unsigned char *b = col_blob_or_null(w, 1, &len);

	return ((int (*)(void *, int64_t, const unsigned char *, size_t))w->fn)(
		w->arg, COL_INT(0), b, len);
}

int store_key_page(store *s, int64_t after, int limit,
		   int (*fn)(void *arg, int64_t owner_id, const unsigned char *wrapped, size_t len),
		   void *arg)
{
	db_arg a[] = {DB_I(after), DB_I(limit)};

	return each_row(s, Q_KEY_PAGE, a, 2, read_key, (any_fn)fn, arg, 0);
}

int store_key_swap(store *s, int64_t owner_id, const unsigned char *old, size_t old_len,
		   const unsigned char *new_key, size_t new_len, int64_t now, int64_t *changed)
{
	db_arg a[] = {DB_I(owner_id), DB_B(old, old_len), DB_B(new_key, new_len), DB_I(now)};

	return run(s, Q_KEY_SWAP, a, 4, changed);
}

/* --- sessions --- */

int store_session_add(store *s, const unsigned char hash[32], int64_t user_id,
		      const char *csrf, int64_t now, int64_t expires_at)
{
	db_arg a[] = {DB_B(hash, 32), DB_I(user_id), DB_T(csrf), DB_I(now), DB_I(expires_at)};

	return run(s, Q_SESSION_ADD, a, 5, NULL);
}

int store_session_get(store *s, const unsigned char hash[32], int64_t now, int64_t *user_id,
		      char *csrf, size_t csrf_len)
{
	char role[16];

	return store_session_actor(s, hash, now, user_id, role, NULL, csrf, csrf_len);
}

int store_session_actor(store *s, const unsigned char hash[32], int64_t now, int64_t *user_id,
			char role[16], char **display_name, char *csrf, size_t csrf_len)
{
	db_arg a[] = {DB_B(hash, 32), DB_I(now)};
	db *c = conn_db(s);
	db_cur *cur;
	const char *t;
	int rc;

	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, Q_SESSION_GET, a, 2, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		*user_id = s->drv->col_int(cur, 0);
		t = s->drv->col_text(cur, 1);
		snprintf(csrf, csrf_len, "%s", t ? t : "");
		t = s->drv->col_text(cur, 2);
		snprintf(role, 16, "%s", t ? t : "");
		if (display_name) {
			t = s->drv->col_text(cur, 3);
			*display_name = kd_xstrdup(t ? t : "");
		}
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_session_delete(store *s, const unsigned char hash[32])
{
	db_arg a[] = {DB_B(hash, 32)};

	return run(s, Q_SESSION_DELETE, a, 1, NULL);
}

int store_session_delete_user(store *s, int64_t user_id)
{
	db_arg a[] = {DB_I(user_id)};

	return run(s, Q_SESSION_DELETE_USER, a, 1, NULL);
}

/* --- invitations and caseloads --- */

int store_invite_add(store *s, const unsigned char hash[32], int64_t clinician_id,
		     const char *role, int64_t now, int64_t expires_at, int64_t *id)
{
	return store_invite_add_scoped(s, hash, clinician_id, role, "", now, expires_at, id);
}

int store_invite_add_scoped(store *s, const unsigned char hash[32], int64_t inviter_id,
			    const char *role, const char *scopes, int64_t now, int64_t expires_at,
			    int64_t *id)
{
	db_arg a[] = {DB_B(hash, 32), DB_I(inviter_id), DB_T(role), DB_I(now), DB_I(expires_at),
		      DB_T(scopes)};

	return one_int(s, Q_INVITE_ADD, a, 6, id);
}

/* Copies column col of the first row of qid as text into out;
 * KD_ENOTFOUND if there is no row. */
static int one_text(store *s, int qid, const db_arg *args, int n, int col, char *out, size_t len)
{
	db *c = conn_db(s);
	db_cur *cur;
	const char *t;
	int rc;

	out[0] = '\0';
	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, qid, args, n, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		t = s->drv->col_text(cur, col);
		snprintf(out, len, "%s", t ? t : "");
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_invite_info(store *s, const unsigned char hash[32], int64_t now, char role[16],
		      char *scopes, size_t len)
{
	db_arg a[] = {DB_B(hash, 32)};
	int rc = store_invite_check(s, hash, now);

	if (rc == 0)
		rc = one_text(s, Q_INVITE_GET, a, 1, 2, role, 16);
	if (rc == 0)
		rc = one_text(s, Q_INVITE_GET, a, 1, 5, scopes, len);
	return rc;
}

/* --- supporters --- */

int store_supporter_link(store *s, int64_t client_id, int64_t supporter_id, const char *scopes,
			 int64_t now)
{
	db_arg a[] = {DB_I(client_id), DB_I(supporter_id), DB_T(scopes), DB_I(now)};

	return run(s, Q_SUPPORTER_LINK, a, 4, NULL);
}

int store_supporter_unlink(store *s, int64_t client_id, int64_t supporter_id)
{
	db_arg a[] = {DB_I(client_id), DB_I(supporter_id)};

	return run(s, Q_SUPPORTER_UNLINK, a, 2, NULL);
}

int store_supporter_scopes(store *s, int64_t client_id, int64_t supporter_id, char *scopes,
			   size_t len)
{
	db_arg a[] = {DB_I(client_id), DB_I(supporter_id)};

	return one_text(s, Q_SUPPORTER_SCOPES, a, 2, 0, scopes, len);
}

static int read_support(walk *w)
{
	store_support_row r;

	r.id = COL_INT(0);
	r.display_name = COL_TEXT(1);
	r.scopes = COL_TEXT(2);
	r.since = COL_INT(3);
	r.recent_alerts = 0;
	return ((int (*)(void *, const store_support_row *))w->fn)(w->arg, &r);
}

static int read_supported(walk *w)
{
	store_support_row r;

	r.id = COL_INT(0);
	r.display_name = COL_TEXT(1);
	r.scopes = COL_TEXT(2);
	r.since = COL_INT(3);
	r.recent_alerts = COL_INT(4);
	return ((int (*)(void *, const store_support_row *))w->fn)(w->arg, &r);
}

int store_supporters_each(store *s, int64_t client_id,
			  int (*fn)(void *arg, const store_support_row *r), void *arg)
{
	db_arg a[] = {DB_I(client_id)};

	return each_row(s, Q_SUPPORTERS_OF, a, 1, read_support, (any_fn)fn, arg, 0);
}

int store_supported_each(store *s, int64_t supporter_id, int64_t since,
			 int (*fn)(void *arg, const store_support_row *r), void *arg)
{
	db_arg a[] = {DB_I(supporter_id), DB_I(since)};

	return each_row(s, Q_SUPPORTED_BY, a, 2, read_supported, (any_fn)fn, arg, 0);
}

/* Looks the invitation up and says whether it can still be used. */
static int invite_lookup(store *s, const unsigned char hash[32], int64_t now, int64_t *id,
			 int64_t *clinician_id, char role[16])
{
	db_arg a[] = {DB_B(hash, 32)};
	db *c = conn_db(s);
	db_cur *cur;
	const char *t;
	int rc;

	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, Q_INVITE_GET, a, 1, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		*id = s->drv->col_int(cur, 0);
		if (clinician_id)
			*clinician_id = s->drv->col_int(cur, 1);
		t = s->drv->col_text(cur, 2);
		if (role)
			snprintf(role, 16, "%s", t ? t : "");
		if (!s->drv->col_null(cur, 4))
			rc = KD_EUSED;
		else if (s->drv->col_int(cur, 3) <= now)
			rc = KD_EEXPIRED;
		else
			rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_invite_check(store *s, const unsigned char hash[32], int64_t now)
{
	int64_t id;

	return invite_lookup(s, hash, now, &id, NULL, NULL);
}

int store_invite_take(store *s, const unsigned char hash[32], int64_t now, int64_t user_id,
		      int64_t *clinician_id, char role[16])
{
	int64_t id = 0, changed = 0;
	int rc = invite_lookup(s, hash, now, &id, clinician_id, role);

	if (rc != 0)
		return rc;
	{
		db_arg a[] = {DB_I(id), DB_I(now), DB_I(user_id)};
		rc = run(s, Q_INVITE_TAKE, a, 3, &changed);
	}
	/* Another request took it between our look and our write. */
	if (rc == 0 && changed != 1)
		rc = KD_EUSED;
	return rc;
}

int store_care_link(store *s, int64_t clinician_id, int64_t client_id, int64_t now)
{
	db_arg a[] = {DB_I(clinician_id), DB_I(client_id), DB_I(now)};

	return run(s, Q_CARE_LINK, a, 3, NULL);
}

int store_is_clinician_of(store *s, int64_t clinician_id, int64_t client_id)
{
	db_arg a[] = {DB_I(clinician_id), DB_I(client_id)};
	int64_t one;
	int rc = one_int(s, Q_CARE_IS, a, 2, &one);

	if (rc == KD_ENOTFOUND)
		return 0;
	return rc == 0 ? 1 : rc;
}

static int read_client_row(walk *w)
{
	store_client_row r;

	r.id = COL_INT(0);
	r.display_name = COL_TEXT(1);
	r.joined_at = COL_INT(2);
	r.last_checkin_at = COL_INT_OR(3, 0);
	r.last_mood = (int)COL_INT_OR(4, -1);
	r.checkins = COL_INT(5);
	r.risk_unseen = COL_INT(6);
	r.risk_level = (int)COL_INT_OR(7, 0);
	return ((int (*)(void *, const store_client_row *))w->fn)(w->arg, &r);
}

int store_caseload_page(store *s, int64_t clinician_id, int64_t limit, int64_t offset,
			int (*fn)(void *arg, const store_client_row *r), void *arg)
{
	db_arg a[] = {DB_I(clinician_id), DB_I(limit), DB_I(offset)};

	return each_row(s, Q_CASELOAD, a, 3, read_client_row, (any_fn)fn, arg, 0);
}

int store_caseload_each(store *s, int64_t clinician_id,
			int (*fn)(void *arg, const store_client_row *r), void *arg)
{
	return store_caseload_page(s, clinician_id, INT64_MAX / 2, 0, fn, arg);
}

/* --- check-ins --- */

int store_checkin_add(store *s, int64_t client_id, int mood, const char *feelings, int64_t now,
		      int64_t *id)
{
	db_arg a[] = {DB_I(client_id), DB_I(mood), DB_T(feelings), DB_I(now)};

	return one_int(s, Q_CHECKIN_ADD, a, 4, id);
}

int store_checkin_set_note(store *s, int64_t id, const unsigned char *sealed, size_t len)
{
	db_arg a[] = {DB_I(id), DB_B(sealed, len)};

	return run(s, Q_CHECKIN_SET_NOTE, a, 2, NULL);
}

int store_checkin_next_id(store *s, int64_t *id)
{
	conn *k = conn_get(s);

	if (!k || k->depth == 0)
		return k ? KD_EINVAL : open_rc;
	return s->drv->next_id(k->c, "checkins", id);
}

int store_checkin_put(store *s, int64_t id, int64_t client_id, int mood, const char *feelings,
		      const unsigned char *sealed, size_t len, int64_t now)
{
	db_arg a[] = {DB_I(id),	  DB_I(client_id),	DB_I(mood),
		      DB_T(feelings), DB_B(sealed, len), DB_I(now)};

	return run(s, Q_CHECKIN_PUT, a, 6, NULL);
}

static int read_checkin(walk *w)
{
	store_checkin k;

	k.id = COL_INT(0);
	k.client_id = COL_INT(1);
	k.mood = (int)COL_INT(2);
	k.feelings = COL_TEXT(3);
	k.note = col_blob_or_null(w, 4, &k.note_len);
	k.created_at = COL_INT(5);
	return ((int (*)(void *, const store_checkin *))w->fn)(w->arg, &k);
}

int store_checkin_each(store *s, int64_t client_id, int limit,
		       int (*fn)(void *arg, const store_checkin *c), void *arg)
{
	db_arg a[] = {DB_I(client_id), DB_I(limit)};

	return each_row(s, Q_CHECKIN_LIST, a, 2, read_checkin, (any_fn)fn, arg, 0);
}

/* --- journal --- */

int store_journal_add(store *s, int64_t client_id, int risk_level, int64_t now, int64_t *id)
{
	db_arg a[] = {DB_I(client_id), DB_I(risk_level), DB_I(now)};

	return one_int(s, Q_JOURNAL_ADD, a, 3, id);
}

int store_journal_set(store *s, int64_t id, const unsigned char *body, size_t body_len,
		      const unsigned char *reply, size_t reply_len)
{
	db_arg a[] = {DB_I(id), DB_B(body, body_len), DB_B(reply, reply_len)};

	return run(s, Q_JOURNAL_SET, a, 3, NULL);
}

static int read_journal(walk *w)
{
	store_journal j;

	j.id = COL_INT(0);
	j.client_id = COL_INT(1);
	j.body = col_blob_or_null(w, 2, &j.body_len);
	j.reply = col_blob_or_null(w, 3, &j.reply_len);
	j.risk_level = (int)COL_INT(4);
	j.created_at = COL_INT(5);
	return ((int (*)(void *, const store_journal *))w->fn)(w->arg, &j);
}

int store_journal_each(store *s, int64_t client_id, int limit,
		       int (*fn)(void *arg, const store_journal *j), void *arg)
{
	db_arg a[] = {DB_I(client_id), DB_I(limit)};

	return each_row(s, Q_JOURNAL_LIST, a, 2, read_journal, (any_fn)fn, arg, 0);
}

int store_journal_get(store *s, int64_t id, int (*fn)(void *arg, const store_journal *j),
		      void *arg)
{
	db_arg a[] = {DB_I(id)};

	return each_row(s, Q_JOURNAL_GET, a, 1, read_journal, (any_fn)fn, arg, 1);
}

int store_draft_get(store *s, int64_t client_id, unsigned char **body, size_t *len,
		    int64_t *updated_at)
{
	db_arg a[] = {DB_I(client_id)};
	db *c = conn_db(s);
	db_cur *cur;
	const void *b;
	int rc;

	*body = NULL;
	*len = 0;
	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, Q_DRAFT_GET, a, 1, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		b = s->drv->col_blob(cur, 0, len);
		*body = kd_xmalloc(*len);
		memcpy(*body, b, *len);
		*updated_at = s->drv->col_int(cur, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_draft_put(store *s, int64_t client_id, const unsigned char *body, size_t len,
		    int64_t now)
{
	db_arg a[] = {DB_I(client_id), DB_B(body, len), DB_I(now)};

	return run(s, Q_DRAFT_PUT, a, 3, NULL);
}

int store_draft_delete(store *s, int64_t client_id)
{
	db_arg a[] = {DB_I(client_id)};

	return run(s, Q_DRAFT_DELETE, a, 1, NULL);
}

/* --- a client's choices --- */

int store_prefs_get(store *s, int64_t client_id, store_prefs *p)
{
	db_arg a[] = {DB_I(client_id)};
	db *c = conn_db(s);
	db_cur *cur;
	const char *t;
	int rc;

	p->notify[0] = '\0';
	p->replies = 1;
	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, Q_PREFS_GET, a, 1, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		t = s->drv->col_text(cur, 0);
		snprintf(p->notify, sizeof(p->notify), "%s", t ? t : "");
		p->replies = (int)s->drv->col_int(cur, 1);
		rc = 0;
	}
	s->drv->done(cur);
	return rc;
}

int store_prefs_put(store *s, int64_t client_id, const store_prefs *p, int64_t now)
{
	db_arg a[] = {DB_I(client_id), p->notify[0] ? DB_T(p->notify) : DB_N,
		      DB_I(p->replies ? 1 : 0), DB_I(now)};

	return run(s, Q_PREFS_PUT, a, 4, NULL);
}

/* --- the risk pathway --- */

int store_risk_add(store *s, int64_t client_id, const char *source, int64_t source_id,
		   int level, int told_clinician, int told_supporters, int64_t now, int64_t *id)
{
	db_arg a[] = {DB_I(client_id), DB_T(source), source_id ? DB_I(source_id) : DB_N,
		      DB_I(level), DB_I(told_clinician ? 1 : 0), DB_I(now),
		      DB_I(told_supporters ? 1 : 0)};

	return one_int(s, Q_RISK_ADD, a, 7, id);
}

static int read_risk(walk *w)
{
	store_risk_row r;

	r.id = COL_INT(0);
	r.source = COL_TEXT(1);
	r.source_id = COL_INT_OR(2, 0);
	r.level = (int)COL_INT(3);
	r.created_at = COL_INT(4);
	r.seen_at = COL_INT_OR(5, 0);
	return ((int (*)(void *, const store_risk_row *))w->fn)(w->arg, &r);
}

int store_risk_each(store *s, int64_t client_id, int limit,
		    int (*fn)(void *arg, const store_risk_row *r), void *arg)
{
	db_arg a[] = {DB_I(client_id), DB_I(limit)};

	return each_row(s, Q_RISK_LIST, a, 2, read_risk, (any_fn)fn, arg, 0);
}

int store_risk_seen(store *s, int64_t client_id, int64_t seen_by, int64_t now)
{
	db_arg a[] = {DB_I(client_id), DB_I(now), DB_I(seen_by)};

	return run(s, Q_RISK_SEEN, a, 3, NULL);
}

/* --- measures --- */

int store_assign(store *s, int64_t client_id, const char *instrument, const char *schedule,
		 int64_t assigned_by, int64_t now)
{
	db_arg a[] = {DB_I(client_id), DB_T(instrument), DB_T(schedule), DB_I(assigned_by),
		      DB_I(now)};

	return run(s, Q_ASSIGN_PUT, a, 5, NULL);
}

int store_unassign(store *s, int64_t client_id, const char *instrument)
{
	db_arg a[] = {DB_I(client_id), DB_T(instrument)};

	return run(s, Q_ASSIGN_STOP, a, 2, NULL);
}

static int read_assignment(walk *w)
{
	store_assignment r;

	r.instrument = COL_TEXT(0);
	r.schedule = COL_TEXT(1);
	r.created_at = COL_INT(2);
	r.last_answered_at = COL_INT_OR(3, 0);
	return ((int (*)(void *, const store_assignment *))w->fn)(w->arg, &r);
}

int store_assignment_each(store *s, int64_t client_id,
			  int (*fn)(void *arg, const store_assignment *a), void *arg)
{
	db_arg a[] = {DB_I(client_id)};

	return each_row(s, Q_ASSIGN_LIST, a, 1, read_assignment, (any_fn)fn, arg, 0);
}

int store_response_add(store *s, int64_t client_id, const char *instrument, const char *answers,
		       int64_t total_x1000, const char *band, int alerts, const char *submission,
		       int64_t now, int64_t *id, int *repeat)
{
	db_arg a[] = {DB_I(client_id), DB_T(instrument), DB_T(answers), DB_I(total_x1000),
		      DB_T(band), DB_I(alerts), DB_T(submission), DB_I(now)};
	db_arg b[] = {DB_I(client_id), DB_T(submission)};
	int rc = one_int(s, Q_RESPONSE_ADD, a, 8, id);

	*repeat = 0;
	/* ON CONFLICT DO NOTHING returns no row: it was a repeat. */
	if (rc == KD_ENOTFOUND) {
		*repeat = 1;
		rc = one_int(s, Q_RESPONSE_BY_SUBMISSION, b, 2, id);
	}
	return rc;
}

static int read_response(walk *w)
{
	store_response r;

	r.id = COL_INT(0);
	r.client_id = COL_INT(1);
	r.instrument = COL_TEXT(2);
	r.answers = COL_TEXT(3);
	r.created_at = COL_INT(4);
	return ((int (*)(void *, const store_response *))w->fn)(w->arg, &r);
}

int store_response_get(store *s, int64_t id, int (*fn)(void *arg, const store_response *r),
		       void *arg)
{
	db_arg a[] = {DB_I(id)};

	return each_row(s, Q_RESPONSE_GET, a, 1, read_response, (any_fn)fn, arg, 1);
}

int store_response_each(store *s, int64_t client_id, const char *instrument, int limit,
			int (*fn)(void *arg, const store_response *r), void *arg)
{
	db_arg a[] = {DB_I(client_id), DB_T(instrument), DB_I(limit)};

	return each_row(s, Q_RESPONSE_LIST, a, 3, read_response, (any_fn)fn, arg, 0);
}

/* --- safety plans --- */

void store_safety_plan_clear(store_safety_plan *p)
{
	if (!p)
		return;
	free(p->body);
	free(p->updated_by_name);
	memset(p, 0, sizeof(*p));
}

int store_safety_plan_get(store *s, int64_t client_id, store_safety_plan *p)
{
	db_arg a[] = {DB_I(client_id)};
	db *c = conn_db(s);
	db_cur *cur;
	const void *b;
	const char *t;
	size_t len;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!c)
		return open_rc;
	if ((rc = s->drv->query(c, Q_SAFETY_GET, a, 1, &cur)) != 0)
		return rc;
	rc = s->drv->step(cur);
	if (rc == 1) {
		b = s->drv->col_blob(cur, 0, &len);
		p->body = kd_xmalloc(len);
		memcpy(p->body, b, len);
		p->body_len = len;
		p->updated_at = s->drv->col_int(cur, 1);
		p->updated_by = s->drv->col_null(cur, 2) ? 0 : s->drv->col_int(cur, 2);
		t = s->drv->col_text(cur, 3);
		p->updated_by_name = t ? kd_xstrdup(t) : NULL;
		rc = 0;
	} else if (rc == 0) {
		rc = KD_ENOTFOUND;
	}
	s->drv->done(cur);
	return rc;
}

int store_safety_plan_put(store *s, int64_t client_id, const unsigned char *body, size_t len,
			  int64_t now, int64_t updated_by)
{
	db_arg a[] = {DB_I(client_id), DB_B(body, len), DB_I(now), DB_I(updated_by)};

	return run(s, Q_SAFETY_PUT, a, 4, NULL);
}

/* --- audit trail --- */

int store_audit_write(store *s, const audit_new *row)
{
	db_arg a[] = {DB_I(row->at),
		      row->actor_id ? DB_I(row->actor_id) : DB_N,
		      row->subject_id ? DB_I(row->subject_id) : DB_N,
		      DB_T(row->action),
		      DB_T(row->resource),
		      row->resource_id ? DB_I(row->resource_id) : DB_N,
		      DB_I(row->allowed ? 1 : 0),
		      DB_T(row->reason)};

	return run(s, Q_AUDIT_ADD, a, 8, NULL);
}

int store_audit_add(store *s, int64_t at, int64_t actor_id, int64_t subject_id,
		    const char *action, const char *resource, int64_t resource_id, int allowed,
		    const char *reason)
{
	/* The strings are only read here and copied by the group. */
	audit_new row = {at, actor_id, subject_id, resource_id, allowed,
			 (char *)action, (char *)resource, (char *)reason};

	if (s->audit && audit_group_add(s->audit, &row) == 0)
		return 0;
	return store_audit_write(s, &row);
}

int store_audit_defer(store *s)
{
	if (!s->audit)
		s->audit = audit_group_start(s);
	return s->audit ? 0 : KD_ENOMEM;
}

int store_audit_flush(store *s)
{
	return s->audit ? audit_group_flush(s->audit) : 0;
}

static int read_audit(walk *w)
{
	store_audit_row r;

	r.id = COL_INT(0);
	r.at = COL_INT(1);
	r.actor_id = COL_INT_OR(2, 0);
	r.subject_id = COL_INT(3);
	r.actor_name = COL_TEXT(4);
	r.actor_role = COL_TEXT(5);
	r.action = COL_TEXT(6);
	r.resource = COL_TEXT(7);
	r.resource_id = COL_INT_OR(8, 0);
	r.allowed = (int)COL_INT(9);
	r.reason = COL_TEXT(10);
	return ((int (*)(void *, const store_audit_row *))w->fn)(w->arg, &r);
}

int store_audit_each(store *s, int64_t subject_id, int limit,
		     int (*fn)(void *arg, const store_audit_row *r), void *arg)
{
	db_arg a[] = {DB_I(subject_id), DB_I(limit)};
	int rc;

	/* A person reading their trail sees every access made before: the
	 * rows are flushed, and read outside any snapshot older than that. */
	if ((rc = store_audit_flush(s)) != 0)
		return rc;
	store_read_end(s);
	return each_row(s, Q_AUDIT_LIST, a, 2, read_audit, (any_fn)fn, arg, 0);
}

/* --- login throttling --- */

int store_throttle_fail(store *s, const char *key, int64_t now, int64_t window, int *failures)
{
	db_arg a[] = {DB_T(key), DB_I(now), DB_I(window)};
	int64_t n = 0;
	int rc = one_int(s, Q_THROTTLE_FAIL, a, 3, &n);

	*failures = (int)n;
	return rc;
}

int store_throttle_get(store *s, const char *key, int64_t now, int64_t window, int *failures)
{
	db_arg a[] = {DB_T(key), DB_I(now), DB_I(window)};
	int64_t n = 0;
	int rc = one_int(s, Q_THROTTLE_GET, a, 3, &n);

	if (rc == KD_ENOTFOUND) {
		n = 0;
		rc = 0;
	}
	*failures = (int)n;
	return rc;
}

int store_throttle_clear(store *s, const char *key)
{
	db_arg a[] = {DB_T(key)};

	return run(s, Q_THROTTLE_CLEAR, a, 1, NULL);
}

int store_throttle_forgive(store *s, const char *key)
{
	db_arg a[] = {DB_T(key)};

	return run(s, Q_THROTTLE_FORGIVE, a, 1, NULL);
}
