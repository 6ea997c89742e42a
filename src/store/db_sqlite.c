/*
 * db_sqlite.c: the embedded SQLite driver.  One connection per thread
 * (store.c sees to that), WAL so readers never wait for the writer,
 * foreign keys on, transactions made durable by a group commit (an
 * acknowledged write survives a power cut; see group_sync, and
 * sync_thread for the server's workers, which do not wait), and a busy
 * timeout so concurrent writers of other processes queue, not fail.
 * Statements are prepared on first use and kept for the life of the
 * connection.
 */
#include "store/db.h"

#include "kd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const sqlite_queries[Q_COUNT] = {
#define Q(name, sql) sql,
#include "store/queries.h"
#undef Q
};

struct db_cur {
	sqlite3_stmt *st;
	struct db *c;
	int first;  /* the row fetched by query() not yet handed out */
	int locked; /* holds writer_lock until done() */
};

/* The group commit of one database file: commits write their WAL frames
 * without waiting for the disk, then one fdatasync of the WAL, made by
 * whichever committer gets there first, covers every commit before it
 * (SQLite's synchronous=FULL makes one per commit).  Frames a checkpoint
 * copies away are synced into the database file by the checkpoint.
 *
 * A connection that defers its syncs (a server's worker, which must not
 * sleep on the disk while other requests wait) only notes its newest
 * commit; the caller hands that to the file's sync thread, which syncs
 * for every waiter at once and calls each back.  Blocking committers and
 * the thread share committed/synced/syncing, so one sync serves both. */
typedef struct sync_wait {
	uint64_t seq;
	void (*done)(void *arg, int rc);
	void *arg;
	struct sync_wait *next;
} sync_wait;

typedef struct wal_sync {
	char *path;
	char *wal_path;
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* a sync has finished */
	pthread_cond_t req; /* the sync thread has waiters to serve */
	uint64_t committed; /* commits whose frames are written */
	uint64_t synced;    /* commits known to be on disk */
	int syncing;
	int thread; /* the sync thread is running */
	sync_wait *waits;
} wal_sync;

#define WAL_SYNC_FILES 8
static wal_sync wal_syncs[WAL_SYNC_FILES];
static pthread_mutex_t wal_syncs_lock = PTHREAD_MUTEX_INITIALIZER;

/* The transaction statements, prepared once per connection: run through
 * sqlite3_exec, each is parsed again every time. */
enum tx_stmt { TX_BEGIN_IMMEDIATE, TX_BEGIN_DEFERRED, TX_COMMIT, TX_ROLLBACK, TX_COUNT };
static const char *const tx_sql[TX_COUNT] = {"BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT",
					     "ROLLBACK"};

enum { BIND_MAX = 16 }; /* parameters $1..$16 */

struct db {
	sqlite3 *h;
	sqlite3_stmt *tx[TX_COUNT];
	sqlite3_stmt *next_id; /* sqlite_next_id's, for next_id_table */
	char next_id_table[32];
	wal_sync *sync; /* NULL: no file, or commits sync themselves (FULL) */
	int defer;        /* commits do not wait for the disk (sync_defer) */
	uint64_t pending; /* the newest such commit not yet handed on */
	int in_tx; /* holds writer_lock from begin() to commit/rollback */
	int in_read; /* in a read transaction (read_begin) */
	sqlite3_stmt *stmts[Q_COUNT];
	unsigned char binds[Q_COUNT][BIND_MAX]; /* bind_map of each */
	struct db_cur curs[Q_COUNT];
};

/* SQLite lets one writer in at a time and makes the others sleep and
 * retry (the busy handler), which costs whole milliseconds under load.
 * Writers of this process queue on a mutex instead and are woken at
 * once; the busy timeout remains for other processes (kindred user,
 * backups). */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;

static int sqlite_err(sqlite3 *h, int rc)
{
	int ext = sqlite3_extended_errcode(h);
	const char *full;

	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return KD_EEXIST;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return KD_EBUSY;
	if ((full = db_sqlite_full(h)) != NULL) {
		db_full_log(sqlite3_db_filename(h, "main"), full);
		return KD_ENOSPC;
	}
	fprintf(stderr, "kindred: sqlite: %s\n", sqlite3_errmsg(h));
	return KD_EDB;
}

/* The group commit state of the connection's file, shared by every
 * connection to it in this process. */
static wal_sync *wal_sync_of(sqlite3 *h)
{
	const char *path = sqlite3_db_filename(h, "main");
	wal_sync *w = NULL;
	size_t i;

	if (!path || !*path)
		return NULL;
	pthread_mutex_lock(&wal_syncs_lock);
	for (i = 0; i < WAL_SYNC_FILES && wal_syncs[i].path; i++)
		if (strcmp(wal_syncs[i].path, path) == 0)
			break;
	if (i < WAL_SYNC_FILES) {
		w = &wal_syncs[i];
		if (!w->path) {
			size_t n = strlen(path);
			w->path = kd_xstrdup(path);
			w->wal_path = kd_xmalloc(n + 5);
			memcpy(w->wal_path, path, n);
			memcpy(w->wal_path + n, "-wal", 5);
			pthread_mutex_init(&w->mu, NULL);
			pthread_cond_init(&w->cv, NULL);
			pthread_cond_init(&w->req, NULL);
		}
	}
	pthread_mutex_unlock(&wal_syncs_lock);
	return w;
}

/* Called with writer_lock held, right after a COMMIT wrote its frames. */
static uint64_t wal_note_commit(wal_sync *w)
{
	uint64_t seq;

	pthread_mutex_lock(&w->mu);
	seq = ++w->committed;
	pthread_mutex_unlock(&w->mu);
	return seq;
}

static int wal_fsync(db *c)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(c->h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods)
		return KD_EIO;
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK ? 0 : KD_EIO;
}

/* The sync thread has no SQLite connection: it opens the WAL afresh for
 * each sync.  A connection of its own would hand out its WAL handle only
 * once it had read, and would pin a read snapshot or take part in
 * checkpoints; an fdatasync flushes the file whichever descriptor asks.
 * SQLite takes no POSIX lock on the WAL (its locks are on the database
 * and -shm files), so closing this descriptor drops none of them.  A WAL
 * that is gone (ENOENT) was checkpointed into the database file, synced
 * there, and deleted by the last connection to close: nothing to do. */
static int wal_path_fsync(const char *wal_path)
{
	int fd = open(wal_path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : KD_EIO;
	if (fdatasync(fd) != 0)
		rc = KD_EIO;
	close(fd);
	return rc;
}

/* One sync of w's WAL by whoever calls (c's own handle, or the path when
 * c is NULL), with w->mu held on entry and on return.  Marks done the
 * commits whose frames were written when it began. */
static int wal_sync_once(wal_sync *w, db *c)
{
	uint64_t target = w->committed;
	int rc;

	w->syncing = 1;
	pthread_mutex_unlock(&w->mu);
	rc = c ? wal_fsync(c) : wal_path_fsync(w->wal_path);
	pthread_mutex_lock(&w->mu);
	w->syncing = 0;
	if (rc == 0 && target > w->synced)
		w->synced = target;
	pthread_cond_broadcast(&w->cv);
	if (rc != 0)
		fprintf(stderr,
			"kindred: sqlite: the write-ahead log could not be synced to disk\n");
	return rc;
}

/* Returns once commit seq is on disk: either a sync that began after it
 * has finished, or this thread makes one for everyone waiting. */
static int group_sync(db *c, uint64_t seq)
{
	wal_sync *w = c->sync;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	while (w->synced < seq) {
		if (w->syncing) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		if ((rc = wal_sync_once(w, c)) != 0)
			break;
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Takes from w's list the waiters that a sync up to seq answers. */
static sync_wait *waits_upto(wal_sync *w, uint64_t seq)
{
	sync_wait *answered = NULL, **p = &w->waits, *x;

	while ((x = *p) != NULL) {
		if (x->seq <= seq) {
			*p = x->next;
			x->next = answered;
			answered = x;
		} else {
			p = &x->next;
		}
	}
	return answered;
}

static void waits_answer(sync_wait *list, int rc)
{
	sync_wait *next;

	for (; list; list = next) {
		next = list->next;
		list->done(list->arg, rc);
		free(list);
	}
}

/* The sync thread of one file: while anyone waits, one sync covers all
 * the commits written so far.  A failed sync fails only the waiters it
 * was to cover; later ones get a sync of their own.  Runs for the life of
 * the process (it sleeps when there is nothing to do). */
static void *sync_thread(void *arg)
{
	wal_sync *w = arg;
	sync_wait *synced, *failed;
	uint64_t target;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->waits)
			pthread_cond_wait(&w->req, &w->mu);
		failed = NULL;
		if (!(synced = waits_upto(w, w->synced))) {
			/* A committer's own sync is under way: it may cover them. */
			if (w->syncing) {
				pthread_cond_wait(&w->cv, &w->mu);
				continue;
			}
			target = w->committed;
			rc = wal_sync_once(w, NULL);
			/* Another committer's sync may have covered some meanwhile. */
			synced = waits_upto(w, w->synced);
			if (rc != 0)
				failed = waits_upto(w, target);
		}
		pthread_mutex_unlock(&w->mu);
		waits_answer(synced, 0);
		waits_answer(failed, KD_EIO);
		pthread_mutex_lock(&w->mu);
	}
	return NULL;
}

static void sqlite_close(db *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	for (i = 0; i < TX_COUNT; i++)
		sqlite3_finalize(c->tx[i]);
	sqlite3_finalize(c->next_id);
	sqlite3_close(c->h);
	free(c);
}

/* SQLite counts every allocation under one global mutex unless told
 * not to; kindred never reads the counts. */
static void sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_open(const char *location, db **out, char **err)
{
	static const char setup[] = "PRAGMA journal_mode = WAL;"
				    "PRAGMA synchronous = NORMAL;"
				    "PRAGMA foreign_keys = ON;"
				    /* 128 KiB of pages per connection, not 2 MiB: there is
				     * one per worker, each caching the same pages, and the
				     * kernel caches the file for all of them. */
				    "PRAGMA cache_size = -128;"
				    "PRAGMA busy_timeout = 10000;";
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	db *c = kd_xcalloc(1, sizeof(*c));
	char *msg = NULL;
	int rc;

	pthread_once(&configured, sqlite_configure);
	rc = sqlite3_open_v2(location, &c->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(c->h ? sqlite3_errmsg(c->h) : "cannot open database");
		goto fail;
	}
	sqlite3_extended_result_codes(c->h, 1);
	/* Before any other statement: even the pragmas below can meet a
	 * lock held by another connection, and must wait for it. */
	sqlite3_busy_timeout(c->h, 10000);
	if (sqlite3_exec(c->h, setup, NULL, NULL, &msg) != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(msg ? msg : "cannot configure database");
		sqlite3_free(msg);
		goto fail;
	}
	/* More files than the group commit keeps track of (none of
	 * kindred's commands opens so many) still get durable commits, one
	 * sync each. */
	c->sync = wal_sync_of(c->h);
	if (!c->sync && sqlite3_exec(c->h, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(sqlite3_errmsg(c->h));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	sqlite_close(c);
	return KD_EDB;
}

static int sqlite_exec_script(db *c, const char *sql, char **err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		if (err)
			*err = kd_xstrdup(msg ? msg : sqlite3_errmsg(c->h));
		sqlite3_free(msg);
		return sqlite_err(c->h, rc);
	}
	return 0;
}

static char *sqlite_dialect(const char *sql)
{
	return db_rewrite(sql, "INTEGER PRIMARY KEY", "BLOB", "INTEGER", "");
}

static int sqlite_simple(db *c, enum tx_stmt which)
{
	sqlite3_stmt *st = c->tx[which];
	int rc;

	if (!st) {
		rc = sqlite3_prepare_v3(c->h, tx_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return sqlite_err(c->h, rc);
		c->tx[which] = st;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_err(c->h, rc);
}

/* Explicit transactions carry people's data (accounts, check-ins): their
 * commit returns once on disk (group_sync).  Single statements outside
 * them (sessions, throttle counts) commit without waiting: in WAL mode
 * that survives a crash of kindred, and a power cut can lose only the
 * last of them, never corrupt the file.  IMMEDIATE takes the write lock
 * up front, so a transaction that reads then writes cannot deadlock
 * against another writer. */
static void sqlite_read_end(db *c);

static int sqlite_begin(db *c)
{
	int rc;

	sqlite_read_end(c);
	pthread_mutex_lock(&writer_lock);
	rc = sqlite_simple(c, TX_BEGIN_IMMEDIATE);
	if (rc != 0) {
		pthread_mutex_unlock(&writer_lock);
		return rc;
	}
	c->in_tx = 1;
	return 0;
}

static void tx_end(db *c)
{
	if (c->in_tx) {
		c->in_tx = 0;
		pthread_mutex_unlock(&writer_lock);
	}
}

static int sqlite_commit(db *c)
{
	int rc = sqlite_simple(c, TX_COMMIT);
	uint64_t seq = 0;

	/* A failed COMMIT leaves the transaction open; the caller rolls
	 * back, which releases the lock. */
	if (rc != 0)
		return rc;
	if (c->sync)
		seq = wal_note_commit(c->sync);
	tx_end(c);
	if (c->sync && c->defer) {
		c->pending = seq;
		return 0;
	}
	/* The disk is waited for outside the write lock, so the next
	 * writers commit meanwhile and share the next sync. */
	return c->sync ? group_sync(c, seq) : 0;
}

static void sqlite_sync_defer(db *c, int on)
{
	c->defer = on;
}

static uint64_t sqlite_sync_take(db *c)
{
	uint64_t seq = c->pending;
	int known;

	c->pending = 0;
	if (!seq)
		return 0;
	pthread_mutex_lock(&c->sync->mu);
	known = c->sync->synced >= seq;
	pthread_mutex_unlock(&c->sync->mu);
	return known ? 0 : seq;
}

static void sqlite_sync_notify(db *c, uint64_t seq, void (*done)(void *arg, int rc), void *arg)
{
	wal_sync *w = c->sync;
	sync_wait *x = kd_xmalloc(sizeof(*x));
	pthread_t t;
	pthread_attr_t attr;
	int rc;

	x->seq = seq;
	x->done = done;
	x->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (!w->thread) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		w->thread = pthread_create(&t, &attr, sync_thread, w) == 0;
		pthread_attr_destroy(&attr);
	}
	if (w->thread) {
		x->next = w->waits;
		w->waits = x;
		pthread_cond_signal(&w->req);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	/* No thread to be had: wait here, as a blocking commit would. */
	pthread_mutex_unlock(&w->mu);
	free(x);
	rc = group_sync(c, seq);
	done(arg, rc);
}

static int sqlite_rollback(db *c)
{
	int rc = 0;

	/* After a COMMIT whose sync failed, or a full disk or an I/O error
	 * (SQLite rolls those back by itself), there is nothing to roll back:
	 * no "cannot rollback" in the log beside the real cause. */
	if (!sqlite3_get_autocommit(c->h))
		rc = sqlite_simple(c, TX_ROLLBACK);
	else if (!c->in_tx)
		return 0;
	tx_end(c);
	return rc;
}

/* A request's reads in one read transaction: each statement on its own
 * would take and drop the WAL read lock (fcntl calls) and check the page
 * cache against the log again. */
static int sqlite_read_begin(db *c)
{
	int rc;

	if (c->in_tx || c->in_read)
		return 0;
	if ((rc = sqlite_simple(c, TX_BEGIN_DEFERRED)) != 0)
		return rc;
	c->in_read = 1;
	return 0;
}

static void sqlite_read_end(db *c)
{
	if (!c->in_read)
		return;
	c->in_read = 0;
	/* Never leave a connection inside a transaction, pinning its
	 * snapshot for good. */
	if (sqlite_simple(c, TX_COMMIT) != 0 && !sqlite3_get_autocommit(c->h))
		sqlite_simple(c, TX_ROLLBACK);
}

/* BEGIN IMMEDIATE already holds the one write lock of the file. */
static int sqlite_lock(db *c, int64_t key)
{
	KD_UNUSED(c);
	KD_UNUSED(key);
	return 0;
}

/* Where $1..$16 sit among a statement's parameters (0: not used), found
 * once when it is prepared rather than by name at every bind. */
static void bind_map(sqlite3_stmt *st, unsigned char *map)
{
	static const char *const names[BIND_MAX] = {"$1",  "$2",  "$3",  "$4",  "$5",  "$6",
						    "$7",  "$8",  "$9",  "$10", "$11", "$12",
						    "$13", "$14", "$15", "$16"};
	int i;

	for (i = 0; i < BIND_MAX; i++)
		map[i] = (unsigned char)sqlite3_bind_parameter_index(st, names[i]);
}

static int sqlite_bind(sqlite3_stmt *st, const unsigned char *map, const db_arg *args, int nargs)
{
	int i, idx, rc = SQLITE_OK;

	if (nargs > BIND_MAX)
		return SQLITE_RANGE;
	for (i = 0; i < nargs && rc == SQLITE_OK; i++) {
		idx = map[i];
		if (idx == 0)
			continue;
		switch (args[i].type) {
		case DB_NULL:
			rc = sqlite3_bind_null(st, idx);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(st, idx, args[i].i);
			break;
		case DB_TEXT:
			rc = sqlite3_bind_text64(st, idx, args[i].p, args[i].len, SQLITE_STATIC,
						 SQLITE_UTF8);
			break;
		case DB_BLOB:
			rc = sqlite3_bind_blob64(st, idx, args[i].p, args[i].len, SQLITE_STATIC);
			break;
		}
	}
	return rc;
}

static int sqlite_query(db *c, int qid, const db_arg *args, int nargs, db_cur **out)
{
	sqlite3_stmt *st;
	struct db_cur *cur;
	int rc;

	if (qid < 0 || qid >= Q_COUNT)
		return KD_EINVAL;
	st = c->stmts[qid];
	if (!st) {
		rc = sqlite3_prepare_v3(c->h, sqlite_queries[qid], -1, SQLITE_PREPARE_PERSISTENT,
					&st, NULL);
		if (rc != SQLITE_OK)
			return sqlite_err(c->h, rc);
		c->stmts[qid] = st;
		bind_map(st, c->binds[qid]);
	}
	rc = sqlite_bind(st, c->binds[qid], args, nargs);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		return sqlite_err(c->h, rc);
	}
	cur = &c->curs[qid];
	/* A write in a read transaction would meet a stale snapshot: end the
	 * reading first and write as ever. */
	if (c->in_read && !sqlite3_stmt_readonly(st))
		sqlite_read_end(c);
	cur->locked = !c->in_tx && !sqlite3_stmt_readonly(st);
	if (cur->locked)
		pthread_mutex_lock(&writer_lock);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int e = sqlite_err(c->h, rc);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (cur->locked)
			pthread_mutex_unlock(&writer_lock);
		cur->locked = 0;
		return e;
	}
	cur->st = st;
	cur->c = c;
	cur->first = rc == SQLITE_ROW ? 1 : -1;
	*out = cur;
	return 0;
}

static int sqlite_step(db_cur *cur)
{
	int rc;

	if (cur->first == 1) {
		cur->first = 0;
		return 1;
	}
	if (cur->first == -1)
		return 0;
	rc = sqlite3_step(cur->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		cur->first = -1;
		return 0;
	}
	return sqlite_err(cur->c->h, rc);
}

static int64_t sqlite_col_int(db_cur *cur, int col)
{
	return sqlite3_column_int64(cur->st, col);
}

static const char *sqlite_col_text(db_cur *cur, int col)
{
	return (const char *)sqlite3_column_text(cur->st, col);
}

static const void *sqlite_col_blob(db_cur *cur, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(cur->st, col);

	*len = (size_t)sqlite3_column_bytes(cur->st, col);
	return p;
}

static int sqlite_col_null(db_cur *cur, int col)
{
	return sqlite3_column_type(cur->st, col) == SQLITE_NULL;
}

static int64_t sqlite_changes(db_cur *cur)
{
	return sqlite3_changes64(cur->c->h);
}

static void sqlite_done(db_cur *cur)
{
	if (!cur)
		return;
	sqlite3_reset(cur->st);
	sqlite3_clear_bindings(cur->st);
	if (cur->locked) {
		cur->locked = 0;
		pthread_mutex_unlock(&writer_lock);
	}
}

static int sqlite_tables(db *c, int (*fn)(void *arg, const char *name), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(c->h,
				"SELECT name FROM sqlite_schema WHERE type = 'table' "
				"AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_err(c->h, rc);
	rc = 0;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(arg, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc;
}

/* An INTEGER PRIMARY KEY takes the highest rowid + 1 by itself. */
static int sqlite_reset_ids(db *c, const char *table)
{
	KD_UNUSED(c);
	KD_UNUSED(table);
	return 0;
}

/* The highest id + 1: the transaction holds the file's one write lock
 * (BEGIN IMMEDIATE), so no other writer can take it meanwhile.  The
 * statement is kept for the table last asked about. */
static int sqlite_next_id(db *c, const char *table, int64_t *id)
{
	char sql[128];
	int rc;

	if (!c->in_tx)
		return KD_EINVAL;
	if (!c->next_id || strcmp(c->next_id_table, table) != 0) {
		if (strlen(table) >= sizeof(c->next_id_table))
			return KD_EINVAL;
		sqlite3_finalize(c->next_id);
		c->next_id = NULL;
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
		rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->next_id, NULL);
		if (rc != SQLITE_OK)
			return sqlite_err(c->h, rc);
		snprintf(c->next_id_table, sizeof(c->next_id_table), "%s", table);
	}
	rc = sqlite3_step(c->next_id);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(c->next_id, 0);
	sqlite3_reset(c->next_id);
	return rc == SQLITE_ROW ? 0 : sqlite_err(c->h, rc);
}

const db_driver db_sqlite_driver = {
	"sqlite",
	sqlite_open,
	sqlite_close,
	sqlite_exec_script,
	sqlite_dialect,
	sqlite_begin,
	sqlite_commit,
	sqlite_rollback,
	sqlite_read_begin,
	sqlite_read_end,
	sqlite_lock,
	sqlite_query,
	sqlite_step,
	sqlite_col_int,
	sqlite_col_text,
	sqlite_col_blob,
	sqlite_col_null,
	sqlite_changes,
	sqlite_done,
	sqlite_tables,
	sqlite_reset_ids,
	sqlite_sync_defer,
	sqlite_sync_take,
	sqlite_sync_notify,
	sqlite_next_id,
};
