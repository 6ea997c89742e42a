/*
 * db_pg.c: the PostgreSQL driver (libpq), for a health service that runs
 * several kindred servers on one database.  Workload: each server thread
 * holds one connection (store.c gives every thread its own db), so a
 * server of N threads keeps N connections open for its life; a request
 * runs a handful of short statements, most on one row by key.
 *
 * Statements are prepared on a connection the first time their query
 * number is used, with parameter types taken from the arguments: int8
 * for DB_INT (sent as text, so it suits whatever integer column it
 * meets), text for DB_TEXT, bytea for DB_BLOB (sent in binary, the raw
 * bytes), and left to the server for NULL.  Results come back in binary:
 * col_blob hands out the raw bytes, col_int reads int2/int4/int8 (and
 * bool) in network order, col_text the text as libpq NUL-terminates it.
 * A query fetches its whole result at once; the queries of queries.h
 * return one row or a page, and nothing in store.c walks a table whose
 * size grows with the service except the administrator's user list.
 *
 * Errors: a unique violation (SQLSTATE 23505) is KD_EEXIST; a lost or
 * refused connection, a serialization failure or a deadlock is KD_EBUSY
 * (try again); anything else is KD_EDB with the server's message on
 * stderr.  A connection found broken is reset on the next call that is
 * not inside a transaction (inside one, the work is already lost: the
 * call fails with KD_EBUSY until rollback, so no half of a transaction
 * can commit on the new connection); a reset connection prepares its
 * statements again.  A read that finds its connection dead is tried once
 * more at once (see retry_read), so the first request after a database
 * restart does not fail.
 */
#include "store/db.h"

#include "kd.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type oids, fixed in PostgreSQL's catalog (pg_type.dat). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

#define PG_MAX_PARAMS 16

static const char *const pg_queries[Q_COUNT] = {
#define Q(name, sql) sql,
#include "store/queries.h"
#undef Q
};

struct db_cur {
	PGresult *res;
	struct db *c;
	int row;  /* the next row step() hands out */
	int rows;
};

struct db {
	PGconn *h;
	int in_tx;  /* between begin() and commit()/rollback() */
	int broken; /* the connection was lost inside a transaction */
	unsigned char prepared[Q_COUNT];
	Oid types[Q_COUNT][PG_MAX_PARAMS]; /* as prepared; 0 = server's choice */
	struct db_cur curs[Q_COUNT];
};

/* Notices (IF NOT EXISTS skipped, ROLLBACK outside a transaction) are
 * expected chatter, not news for the operator. */
static void pg_quiet(void *arg, const char *msg)
{
	KD_UNUSED(arg);
	KD_UNUSED(msg);
}

/* Maps a failed result (or a NULL one) to a kindred error. */
static int pg_err(db *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(c->h) == CONNECTION_BAD) {
		if (c->in_tx)
			c->broken = 1;
		fprintf(stderr, "kindred: postgresql: connection lost: %s", PQerrorMessage(c->h));
		return KD_EBUSY;
	}
	if (state && strcmp(state, "23505") == 0)
		return KD_EEXIST;
	/* disk_full (53100): the server's disk, answered as kindred's own. */
	if (state && strcmp(state, "53100") == 0) {
		db_full_log("the PostgreSQL database", "SQLSTATE 53100, disk_full");
		return KD_ENOSPC;
	}
	/* Connection exceptions (08), too many connections (53300),
	 * serialization failure (40001), deadlock (40P01), shutdown (57P). */
	if (state && (strncmp(state, "08", 2) == 0 || strcmp(state, "53300") == 0 ||
		      strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		      strncmp(state, "57P", 3) == 0)) {
		fprintf(stderr, "kindred: postgresql: %s", PQerrorMessage(c->h));
		return KD_EBUSY;
	}
	fprintf(stderr, "kindred: postgresql: %s",
		res ? PQresultErrorMessage(res) : PQerrorMessage(c->h));
	return KD_EDB;
}

/* Before a statement: a connection lost outside a transaction is reset
 * (and its statements forgotten); inside one it stays failed. */
static int pg_ready(db *c)
{
	if (c->broken)
		return KD_EBUSY;
	if (PQstatus(c->h) == CONNECTION_OK)
		return 0;
	if (c->in_tx) {
		c->broken = 1;
		return KD_EBUSY;
	}
	PQreset(c->h);
	if (PQstatus(c->h) != CONNECTION_OK) {
		fprintf(stderr, "kindred: postgresql: cannot reconnect: %s", PQerrorMessage(c->h));
		return KD_EBUSY;
	}
	memset(c->prepared, 0, sizeof(c->prepared));
	return 0;
}

static void pg_close(db *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < Q_COUNT; i++)
		PQclear(c->curs[i].res);
	PQfinish(c->h);
	free(c);
}

/* The URL's own settings win over these defaults: a connect that waits
 * at most ten seconds (libpq's default is forever), a name for the
 * server's pg_stat_activity, and no JIT compilation.  kindred's queries
 * are short, but the caseload of a clinician with very many clients has
 * a high estimated cost, and JIT then spent a second compiling a query
 * that runs in less (bench/pg.sh, docs/PERFORMANCE.md).  PGOPTIONS in
 * the environment still applies, after these. */
static int pg_open(const char *location, db **out, char **err)
{
	static const char *const keys[] = {"connect_timeout", "application_name", "options",
					   "dbname", NULL};
	const char *values[] = {"10", "kindred", "-c jit=off", location, NULL};
	const char *env = getenv("PGOPTIONS");
	PQconninfoOption *opts;
	char *msg = NULL, *options = NULL;
	db *c = kd_xcalloc(1, sizeof(*c));
	int rc = KD_EBUSY;

	/* PGOPTIONS would be read only if options were not given: keep it,
	 * after ours, so its settings win. */
	if (env && *env) {
		options = kd_xmalloc(strlen(env) + 16);
		sprintf(options, "-c jit=off %s", env);
		values[2] = options;
	}

	if ((opts = PQconninfoParse(location, &msg)) == NULL) {
		if (err)
			*err = kd_xstrdup(msg ? msg : "not a PostgreSQL URL");
		rc = KD_ECONFIG;
		goto fail;
	}
	PQconninfoFree(opts);
	c->h = PQconnectdbParams(keys, values, 1);
	if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
		if (err)
			*err = kd_xstrdup(c->h ? PQerrorMessage(c->h) : "out of memory");
		goto fail;
	}
	PQsetNoticeProcessor(c->h, pg_quiet, NULL);
	free(options);
	*out = c;
	return 0;
fail:
	if (err && *err) /* libpq ends its messages with a newline */
		(*err)[strcspn(*err, "\n")] = '\0';
	PQfreemem(msg);
	free(options);
	pg_close(c);
	return rc;
}

/* Runs sql (one or more statements, no parameters) for its effect. */
static int pg_simple(db *c, const char *sql, char **err)
{
	PGresult *res;
	int rc;

	if ((rc = pg_ready(c)) != 0)
		return rc;
	res = PQexec(c->h, sql);
	/* An empty query: a migration with nothing for PostgreSQL. */
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_EMPTY_QUERY) {
		rc = 0;
	} else {
		rc = pg_err(c, res);
		if (err)
			*err = kd_xstrdup(res ? PQresultErrorMessage(res) : PQerrorMessage(c->h));
	}
	PQclear(res);
	return rc;
}

static int pg_exec_script(db *c, const char *sql, char **err)
{
	return pg_simple(c, sql, err);
}

static char *pg_dialect(const char *sql)
{
	return db_rewrite(sql, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA",
			  "BIGINT", "--");
}

/* BEGIN is the first statement of a transaction: when it finds its idle
 * connection dead nothing was done, so it tries once more on a new one. */
static int pg_begin(db *c)
{
	int rc = pg_simple(c, "BEGIN", NULL);

	if (rc == KD_EBUSY && PQstatus(c->h) == CONNECTION_BAD)
		rc = pg_simple(c, "BEGIN", NULL);
	if (rc == 0)
		c->in_tx = 1;
	return rc;
}

/* PostgreSQL ends a transaction in which a statement failed: COMMIT then
 * answers "ROLLBACK" with success.  That must not look like a commit. */
static int pg_commit(db *c)
{
	PGresult *res;
	int rc;

	if ((rc = pg_ready(c)) != 0)
		goto done;
	res = PQexec(c->h, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_err(c, res);
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		fprintf(stderr, "kindred: postgresql: transaction rolled back after a failed "
				"statement\n");
		rc = KD_EDB;
	}
	PQclear(res);
done:
	/* Either way the transaction is over; store.c still calls rollback
	 * after a failure, which then only clears the state. */
	c->in_tx = 0;
	return rc;
}

static int pg_rollback(db *c)
{
	int rc = 0;

	c->in_tx = 0;
	if (c->broken) {
		c->broken = 0;
		return 0; /* the server rolled it back when the connection went */
	}
	if (PQstatus(c->h) == CONNECTION_OK)
		rc = pg_simple(c, "ROLLBACK", NULL);
	return rc;
}

static int pg_lock(db *c, int64_t key)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%" PRId64 ")", key);
	return pg_simple(c, sql, NULL);
}

static Oid arg_type(const db_arg *a)
{
	switch (a->type) {
	case DB_INT:
		return OID_INT8;
	case DB_TEXT:
		return OID_TEXT;
	case DB_BLOB:
		return OID_BYTEA;
	case DB_NULL:
		break;
	}
	return 0;
}

/* Prepares qid as "qN" with the arguments' types, unless it is prepared
 * already with types they fit (a NULL fits any; a type the server chose
 * fits anything, as the text sent for an integer does). */
static int pg_prepare(db *c, int qid, const db_arg *args, int nargs)
{
	Oid types[PG_MAX_PARAMS] = {0};
	char name[16], sql[32];
	PGresult *res;
	int i, same = c->prepared[qid], rc;

	for (i = 0; i < nargs; i++) {
		types[i] = arg_type(&args[i]);
		if (types[i] && c->types[qid][i] && types[i] != c->types[qid][i])
			same = 0;
	}
	if (same)
		return 0;
	snprintf(name, sizeof(name), "q%d", qid);
	if (c->prepared[qid]) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", name);
		if ((rc = pg_simple(c, sql, NULL)) != 0)
			return rc;
		c->prepared[qid] = 0;
	}
	res = PQprepare(c->h, name, pg_queries[qid], nargs, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_err(c, res);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	memcpy(c->types[qid], types, sizeof(types));
	c->prepared[qid] = 1;
	return 0;
}

/* A connection that died while idle (the server restarted, or an
 * administrator ended it) is found only when used.  A read outside a
 * transaction is then tried once more on a new connection; a write is
 * not, as the server may have done it before the connection went. */
static int retry_read(db *c, int qid, int *retried)
{
	if (*retried || c->in_tx || PQstatus(c->h) != CONNECTION_BAD ||
	    strncmp(pg_queries[qid], "SELECT", 6) != 0)
		return 0;
	*retried = 1;
	return 1;
}

static int pg_query(db *c, int qid, const db_arg *args, int nargs, db_cur **out)
{
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	char ints[PG_MAX_PARAMS][24], name[16];
	struct db_cur *cur;
	PGresult *res;
	ExecStatusType st;
	int i, rc, retried = 0;

	if (qid < 0 || qid >= Q_COUNT || nargs < 0 || nargs > PG_MAX_PARAMS)
		return KD_EINVAL;
	cur = &c->curs[qid];
	PQclear(cur->res); /* a cursor the caller left open */
	cur->res = NULL;
again:
	if ((rc = pg_ready(c)) != 0)
		return rc;
	if ((rc = pg_prepare(c, qid, args, nargs)) != 0) {
		if (retry_read(c, qid, &retried))
			goto again;
		return rc;
	}
	for (i = 0; i < nargs; i++) {
		formats[i] = 0;
		lengths[i] = 0;
		switch (args[i].type) {
		case DB_NULL:
			values[i] = NULL;
			break;
		case DB_INT:
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, args[i].i);
			values[i] = ints[i];
			break;
		case DB_TEXT:
			values[i] = args[i].p;
			break;
		case DB_BLOB:
			if (args[i].len > INT32_MAX)
				return KD_ETOOBIG;
			values[i] = args[i].len ? args[i].p : "";
			lengths[i] = (int)args[i].len;
			formats[i] = 1;
			break;
		}
	}
	snprintf(name, sizeof(name), "q%d", qid);
	res = PQexecPrepared(c->h, name, nargs, values, lengths, formats, 1);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && retry_read(c, qid, &retried)) {
		PQclear(res);
		goto again;
	}
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = pg_err(c, res);
		PQclear(res);
		return rc;
	}
	cur->res = res;
	cur->c = c;
	cur->row = 0;
	cur->rows = PQntuples(res);
	*out = cur;
	return 0;
}

static int pg_step(db_cur *cur)
{
	if (cur->row >= cur->rows)
		return 0;
	cur->row++;
	return 1;
}

/* Reads a big-endian integer of n bytes (n <= 8) as signed. */
static int64_t be_int(const unsigned char *p, int n)
{
	uint64_t v = (p[0] & 0x80) ? UINT64_MAX : 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

static int64_t pg_col_int(db_cur *cur, int col)
{
	const unsigned char *p;
	int row = cur->row - 1, len;

	if (PQgetisnull(cur->res, row, col))
		return 0;
	p = (const unsigned char *)PQgetvalue(cur->res, row, col);
	len = PQgetlength(cur->res, row, col);
	switch (PQftype(cur->res, col)) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_BOOL:
		if (len >= 1 && len <= 8)
			return be_int(p, len);
		break;
	default:
		break;
	}
	fprintf(stderr, "kindred: postgresql: column %d of query is not an integer (type %u)\n",
		col, (unsigned)PQftype(cur->res, col));
	return 0;
}

static const char *pg_col_text(db_cur *cur, int col)
{
	int row = cur->row - 1;

	if (PQgetisnull(cur->res, row, col))
		return NULL;
	return PQgetvalue(cur->res, row, col);
}

static const void *pg_col_blob(db_cur *cur, int col, size_t *len)
{
	int row = cur->row - 1;

	if (PQgetisnull(cur->res, row, col)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(cur->res, row, col);
	return PQgetvalue(cur->res, row, col);
}

static int pg_col_null(db_cur *cur, int col)
{
	return PQgetisnull(cur->res, cur->row - 1, col);
}

static int64_t pg_changes(db_cur *cur)
{
	const char *n = PQcmdTuples(cur->res);

	return n && *n ? strtoll(n, NULL, 10) : 0;
}

static void pg_done(db_cur *cur)
{
	if (!cur)
		return;
	PQclear(cur->res);
	cur->res = NULL;
}

/* The tables of the schema the connection works in (the search path's
 * first, where the migrations created them). */
static int pg_tables(db *c, int (*fn)(void *arg, const char *name), void *arg)
{
	PGresult *res;
	int i, rc;

	if ((rc = pg_ready(c)) != 0)
		return rc;
	res = PQexec(c->h, "SELECT table_name FROM information_schema.tables "
			   "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
			   "ORDER BY table_name");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pg_err(c, res);
		PQclear(res);
		return rc;
	}
	for (i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = fn(arg, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

/* An identity column hands out ids from its sequence, which knows
 * nothing of rows inserted with their ids: set it past the highest.
 * table is one of tables.h's names, never outside input. */
static int pg_reset_ids(db *c, const char *table)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, "
		 "false) FROM %s",
		 table, table);
	return pg_simple(c, sql, NULL);
}

/* The identity's sequence: never handed out twice, whatever the
 * transaction's fate. */
static int pg_next_id(db *c, const char *table, int64_t *id)
{
	char sql[160];
	PGresult *res;
	int rc;

	if ((rc = pg_ready(c)) != 0)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT nextval(pg_get_serial_sequence('%s', 'id'))", table);
	res = PQexec(c->h, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 0;
	} else {
		rc = pg_err(c, res);
	}
	PQclear(res);
	return rc;
}

const db_driver db_pg_driver = {
	"postgresql",
	pg_open,
	pg_close,
	pg_exec_script,
	pg_dialect,
	pg_begin,
	pg_commit,
	pg_rollback,
	NULL, /* each statement is its own snapshot: one round trip */
	NULL,
	pg_lock,
	pg_query,
	pg_step,
	pg_col_int,
	pg_col_text,
	pg_col_blob,
	pg_col_null,
	pg_changes,
	pg_done,
	pg_tables,
	pg_reset_ids,
	NULL, /* a commit returns once PostgreSQL has it on disk */
	NULL,
	NULL,
	pg_next_id,
};
