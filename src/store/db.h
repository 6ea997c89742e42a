/*
 * db.h: the driver interface under store.c, private to src/store/.
 * A driver speaks one dialect (db_sqlite.c, db_pg.c) and runs the
 * queries of queries.h by number, so the SQL is written once and each
 * connection can keep one prepared statement per query.
 *
 * A cursor is the running query; at most one cursor per query number is
 * open on a connection at a time, and it is closed with db_done().
 */
#ifndef KD_DB_H
#define KD_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_query_id {
#define Q(name, sql) Q_##name,
#include "store/queries.h"
#undef Q
	Q_COUNT
};

enum db_type { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

typedef struct db_arg {
	enum db_type type;
	int64_t i;
	const void *p;
	size_t len;
} db_arg;

#define DB_I(x) ((db_arg){DB_INT, (int64_t)(x), NULL, 0})
#define DB_T(s) ((db_arg){(s) ? DB_TEXT : DB_NULL, 0, (s), (s) ? strlen(s) : 0})
#define DB_B(b, n) ((db_arg){(b) ? DB_BLOB : DB_NULL, 0, (b), (n)})
#define DB_N ((db_arg){DB_NULL, 0, NULL, 0})

typedef struct db db;
typedef struct db_cur db_cur;

typedef struct db_driver {
	const char *name;
	/* Opens a connection; *err gets a malloc'd message on failure. */
	int (*open)(const char *location, db **out, char **err);
	void (*close)(db *c);
	/* Runs a script of several statements (migrations). */
	int (*exec_script)(db *c, const char *sql, char **err);
	/* Rewrites the portable markers of a migration for this dialect;
	 * returns a malloc'd string. */
	char *(*dialect)(const char *sql);
	int (*begin)(db *c);
	int (*commit)(db *c);
	int (*rollback)(db *c);
	/* Optional (NULL: each statement reads on its own): the reads that
	 * follow, until read_end or the first write, share one snapshot and
	 * one read lock.  A write, or begin, ends it first. */
	int (*read_begin)(db *c);
	void (*read_end)(db *c);
	/* Inside a transaction, waits for and holds until its end the lock
	 * called key, shared by every connection to the database (other
	 * servers' too): for check-then-write transactions that a unique
	 * constraint cannot guard. */
	int (*lock)(db *c, int64_t key);
	int (*query)(db *c, int qid, const db_arg *args, int nargs, db_cur **cur);
	int (*step)(db_cur *cur);
	int64_t (*col_int)(db_cur *cur, int col);
	const char *(*col_text)(db_cur *cur, int col);
	const void *(*col_blob)(db_cur *cur, int col, size_t *len);
	int (*col_null)(db_cur *cur, int col);
	int64_t (*changes)(db_cur *cur);
	void (*done)(db_cur *cur);
	/* For copying whole databases (store_copy.c): calls fn with the name
	 * of each table of the database (the dialect's catalogue, its own
	 * bookkeeping tables left out); a non-zero return from fn stops the
	 * walk and is returned. */
	int (*tables)(db *c, int (*fn)(void *arg, const char *name), void *arg);
	/* After rows were inserted with their ids: makes the next id that
	 * table's identity column hands out follow the highest id present. */
	int (*reset_ids)(db *c, const char *table);
	/* Optional (NULL: every commit returns once durable, PostgreSQL's
	 * way).  With on, this connection's commits return once written,
	 * before they are on disk; sync_take then gives the newest of them
	 * not yet known durable (0: none) and forgets it, and sync_notify
	 * calls done(arg, 0) once everything up to it is on disk, or
	 * done(arg, KD_EIO) if the sync failed: once, from another thread,
	 * or before it returns. */
	void (*sync_defer)(db *c, int on);
	uint64_t (*sync_take)(db *c);
	void (*sync_notify)(db *c, uint64_t seq, void (*done)(void *arg, int rc), void *arg);
	/* Inside a write transaction: an id for a new row of table that no
	 * other transaction gets, so a row can be written whole at once when
	 * its contents depend on its id (a note sealed to its row). */
	int (*next_id)(db *c, const char *table, int64_t *id);
} db_driver;

extern const db_driver db_sqlite_driver;
extern const db_driver db_pg_driver;

/* For store_copy.c: the store's driver, and the calling thread's
 * connection (NULL when it cannot be opened; *rc then says why). */
struct store;
const db_driver *store_driver(const struct store *s);
db *store_conn(struct store *s, int *rc);

/* After a failed write on the SQLite connection h: why it found no room
 * ("no space left on the device", "the file-size limit is reached"...),
 * or NULL when the failure is not for lack of space (db_full.c). */
struct sqlite3;
const char *db_sqlite_full(struct sqlite3 *h);
/* Says "kindred: the disk is full: could not write FILE (WHY)" on
 * stderr, at most once a minute with a count of the others. */
void db_full_log(const char *file, const char *why);

/* Returns a malloc'd copy of a migration with its markers @ID@, @BLOB@
 * and @I64@ replaced by the given spellings, and @SQLITE@ (which starts a
 * line only SQLite runs) by sqlite_only: "" there, "--" elsewhere (db.c). */
char *db_rewrite(const char *sql, const char *id, const char *blob, const char *i64,
		 const char *sqlite_only);

#endif
