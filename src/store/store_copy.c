/*
 * store_copy.c: copying a clinic's whole database into another, for
 * `kindred migrate` (typically from the embedded SQLite file to the
 * PostgreSQL database of a health service), and proving the copy.
 * Workload: run once, by an administrator, with kindred stopped; tables
 * of a clinic's size (thousands to a few million rows), read in pages
 * so neither side holds a whole table in memory.
 *
 * The tables and their columns come from tables.h, the one list; the
 * statements from queries.h, so both dialects run the same SQL through
 * their drivers.  Rows are read in primary-key order a page at a time
 * (keyset: each page starts after the previous page's last key, which
 * needs no stable offsets) and inserted as they are, ids included; then
 * each identity column is set to continue after the highest id.
 *
 * The checksum of a table is computed the same way from both databases,
 * through the driver: each row is encoded canonically (per column a
 * type tag, integers as 8 bytes big-endian, text and blobs as a length
 * and their bytes, NULL as its own tag) and hashed with BLAKE2b-256; the
 * row hashes are added as four 64-bit lanes, and the table's checksum is
 * BLAKE2b-256 of its row count and those sums.  Adding makes it
 * independent of row order, on purpose: PostgreSQL may sort text keys by
 * a collation where SQLite compares bytes, and equal tables must not
 * differ for that.  A lost, added or changed row changes it.
 */
#include "store/store.h"

#include "kd.h"
#include "store/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 500
#define MAX_COLS 16

typedef struct table {
	const char *name;
	int read, write, count, clear; /* query numbers */
	const char *types;             /* one letter per column: I, T, B */
	int nkey;                      /* the first nkey columns are the key */
	int identity;
} table;

#define TABLE(t, key, keyargs, limitarg, cols, vals, types, identity)                     \
	{#t,     Q_COPY_READ_##t, Q_COPY_WRITE_##t, Q_COPY_COUNT_##t, Q_COPY_CLEAR_##t, types, \
	 (sizeof(keyargs) + 1) / 4,                                                        \
	 identity},
/* keyargs is "$1" or "$1, $2": 3 or 7 bytes with the NUL, so (n + 1) / 4
 * counts its parameters. */
#define KEYS_TABLE(t, key, keyargs, limitarg, cols, vals, types, identity)                \
	{"kindred_keys." #t,                                                               \
	 Q_COPY_READ_##t,                                                                  \
	 Q_COPY_WRITE_##t,                                                                 \
	 Q_COPY_COUNT_##t,                                                                 \
	 Q_COPY_CLEAR_##t,                                                                 \
	 types,                                                                            \
	 (sizeof(keyargs) + 1) / 4,                                                        \
	 identity},
static const table tables[] = {
#include "store/tables.h"
};
#undef TABLE
#undef KEYS_TABLE

size_t store_copy_tables(void)
{
	return KD_ARRAY_LEN(tables);
}

/* A column's value as read, in the form it is bound and hashed in. */
typedef struct value {
	db_arg arg;
	unsigned char *owned; /* a copy of a key, kept across pages */
} value;

/* Reads column col of the current row as t's type says. */
static db_arg column(const db_driver *d, db_cur *cur, int col, char type)
{
	const void *p;
	size_t len;

	if (d->col_null(cur, col))
		return DB_N;
	switch (type) {
	case 'I':
		return DB_I(d->col_int(cur, col));
	case 'T':
		p = d->col_text(cur, col);
		return (db_arg){DB_TEXT, 0, p ? p : "", p ? strlen(p) : 0};
	default:
		p = d->col_blob(cur, col, &len);
		return (db_arg){DB_BLOB, 0, p ? p : "", p ? len : 0};
	}
}

static void be64(unsigned char out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)v;
}

/* Adds the row's canonical hash to sum (four 64-bit lanes). */
static void hash_row(const db_arg *row, int n, uint64_t sum[4])
{
	crypto_generichash_state h;
	unsigned char digest[32], num[8];
	uint64_t lane;
	int i, j;

	crypto_generichash_init(&h, NULL, 0, sizeof(digest));
	for (i = 0; i < n; i++) {
		unsigned char tag = row[i].type == DB_NULL   ? 'n'
				    : row[i].type == DB_INT  ? 'i'
				    : row[i].type == DB_TEXT ? 't'
							     : 'b';
		crypto_generichash_update(&h, &tag, 1);
		if (row[i].type == DB_NULL)
			continue;
		if (row[i].type == DB_INT) {
			be64(num, (uint64_t)row[i].i);
			crypto_generichash_update(&h, num, 8);
			continue;
		}
		be64(num, (uint64_t)row[i].len);
		crypto_generichash_update(&h, num, 8);
		crypto_generichash_update(&h, row[i].p, row[i].len);
	}
	crypto_generichash_final(&h, digest, sizeof(digest));
	for (i = 0; i < 4; i++) {
		lane = 0;
		for (j = 0; j < 8; j++)
			lane = (lane << 8) | digest[i * 8 + j];
		sum[i] += lane;
	}
}

static void finish_sum(int64_t rows, const uint64_t sum[4], unsigned char out[32])
{
	unsigned char buf[40];
	int i;

	be64(buf, (uint64_t)rows);
	for (i = 0; i < 4; i++)
		be64(buf + 8 + 8 * i, sum[i]);
	crypto_generichash(out, 32, buf, sizeof(buf), NULL, 0);
}

/* The first page starts below every key: the smallest integer, the
 * empty text or blob.  (A row whose key is the empty text would be
 * missed; the counts compared after the copy would show it.) */
static void key_start(const table *t, value *key)
{
	int i;

	for (i = 0; i < t->nkey; i++) {
		free(key[i].owned);
		key[i].owned = NULL;
		if (t->types[i] == 'I')
			key[i].arg = DB_I(INT64_MIN);
		else
			key[i].arg =
			    (db_arg){t->types[i] == 'T' ? DB_TEXT : DB_BLOB, 0, "", 0};
	}
}

/* Keeps the last row's key for the next page (the cursor's memory goes
 * when it closes). */
static void key_keep(const table *t, const db_arg *row, value *key)
{
	int i;

	for (i = 0; i < t->nkey; i++) {
		free(key[i].owned);
		key[i].owned = NULL;
		key[i].arg = row[i];
		if (row[i].type == DB_TEXT || row[i].type == DB_BLOB) {
			key[i].owned = kd_xmalloc(row[i].len + 1);
			memcpy(key[i].owned, row[i].p, row[i].len);
			key[i].owned[row[i].len] = '\0';
			key[i].arg.p = key[i].owned;
		}
	}
}

/* Walks table t of s in key order; for each row calls fn (when not
 * NULL) and adds it to the count and checksum. */
static int walk(store *s, const table *t, int (*fn)(void *arg, const db_arg *row, int n),
		void *arg, int64_t *rows, unsigned char sum_out[32])
{
	const db_driver *d = store_driver(s);
	value key[2] = {{DB_N, NULL}, {DB_N, NULL}};
	db_arg args[3], row[MAX_COLS];
	uint64_t sum[4] = {0, 0, 0, 0};
	int ncols = (int)strlen(t->types), i, n, rc;
	db_cur *cur;
	db *c;

	*rows = 0;
	if (!(c = store_conn(s, &rc)))
		return rc;
	key_start(t, key);
	do {
		for (i = 0; i < t->nkey; i++)
			args[i] = key[i].arg;
		args[t->nkey] = DB_I(PAGE);
		if ((rc = d->query(c, t->read, args, t->nkey + 1, &cur)) != 0)
			break;
		n = 0;
		while ((rc = d->step(cur)) == 1) {
			for (i = 0; i < ncols; i++)
				row[i] = column(d, cur, i, t->types[i]);
			hash_row(row, ncols, sum);
			(*rows)++;
			n++;
			if (fn && (rc = fn(arg, row, ncols)) != 0)
				break;
			key_keep(t, row, key);
		}
		d->done(cur);
		if (rc < 0 || rc > 1)
			break;
		rc = 0;
	} while (n == PAGE);
	for (i = 0; i < 2; i++)
		free(key[i].owned);
	if (rc == 0)
		finish_sum(*rows, sum, sum_out);
	return rc;
}

typedef struct copy_ctx {
	store *to;
	const table *t;
} copy_ctx;

static int insert_row(void *arg, const db_arg *row, int n)
{
	copy_ctx *x = arg;
	const db_driver *d = store_driver(x->to);
	db_cur *cur;
	db *c;
	int rc;

	if (!(c = store_conn(x->to, &rc)))
		return rc;
	if ((rc = d->query(c, x->t->write, row, n, &cur)) != 0)
		return rc;
	d->done(cur);
	return 0;
}

static int count_rows(store *s, const table *t, int64_t *n)
{
	const db_driver *d = store_driver(s);
	db_cur *cur;
	db *c;
	int rc;

	*n = 0;
	if (!(c = store_conn(s, &rc)))
		return rc;
	if ((rc = d->query(c, t->count, NULL, 0, &cur)) != 0)
		return rc;
	if ((rc = d->step(cur)) == 1) {
		*n = d->col_int(cur, 0);
		rc = 0;
	}
	d->done(cur);
	return rc;
}

static int clear_table(store *s, const table *t)
{
	const db_driver *d = store_driver(s);
	db_cur *cur;
	db *c;
	int rc;

	if (!(c = store_conn(s, &rc)))
		return rc;
	if ((rc = d->query(c, t->clear, NULL, 0, &cur)) != 0)
		return rc;
	d->done(cur);
	return 0;
}

typedef struct unknown_ctx {
	char *first; /* the first table not in tables.h, malloc'd */
} unknown_ctx;

static int note_unknown(void *arg, const char *name)
{
	unknown_ctx *x = arg;
	size_t i;

	if (strcmp(name, "schema_migrations") == 0)
		return 0;
	for (i = 0; i < KD_ARRAY_LEN(tables); i++)
		if (strcmp(name, tables[i].name) == 0)
			return 0;
	x->first = kd_xstrdup(name);
	return 1;
}

static void set_err(char **err, const char *fmt, const char *a, const char *b)
{
	char buf[512];

	if (!err)
		return;
	free(*err);
	snprintf(buf, sizeof(buf), fmt, a, b);
	*err = kd_xstrdup(buf);
}

/* Refuses what a copy cannot do faithfully: different schema versions,
 * or a source table this kindred does not know. */
static int preflight(store *from, store *to, char **err)
{
	unknown_ctx u = {NULL};
	char va[16], vb[16];
	int a = 0, b = 0, rc;
	db *c;

	if ((rc = store_schema_version(from, &a)) != 0 ||
	    (rc = store_schema_version(to, &b)) != 0) {
		set_err(err, "cannot read the schema versions%s%s", "", "");
		return rc;
	}
	if (a != b) {
		snprintf(va, sizeof(va), "%d", a);
		snprintf(vb, sizeof(vb), "%d", b);
		set_err(err,
			"the source is at schema version %s and the target at %s; bring both to the "
			"same version first",
			va, vb);
		return KD_ECONFLICT;
	}
	if (!(c = store_conn(from, &rc)))
		return rc;
	rc = store_driver(from)->tables(c, note_unknown, &u);
	if (rc == 1) {
		set_err(err, "the source has a table this kindred does not know (%s): use the kindred "
			     "that made it%s",
			u.first, "");
		free(u.first);
		return KD_EINVAL;
	}
	return rc;
}

int store_checksum(store *s, store_table_report *report)
{
	size_t i;
	int rc;

	for (i = 0; i < KD_ARRAY_LEN(tables); i++) {
		memset(&report[i], 0, sizeof(report[i]));
		report[i].table = tables[i].name;
		if ((rc = walk(s, &tables[i], NULL, NULL, &report[i].from_rows,
			       report[i].from_sum)) != 0)
			return rc;
	}
	return 0;
}

int store_copy(store *from, store *to, int flags, store_table_report *report, char **err)
{
	const size_t nt = KD_ARRAY_LEN(tables);
	copy_ctx x = {to, NULL};
	int64_t n, ignored;
	unsigned char sum[32];
	size_t i;
	int rc, differ = 0;

	for (i = 0; i < nt; i++) {
		memset(&report[i], 0, sizeof(report[i]));
		report[i].table = tables[i].name;
	}
	if ((rc = preflight(from, to, err)) != 0)
		return rc;
	if ((rc = store_begin(to)) != 0) {
		set_err(err, "cannot begin a transaction on the target%s%s", "", "");
		return rc;
	}
	for (i = 0; i < nt; i++) {
		if ((rc = count_rows(to, &tables[i], &n)) != 0)
			goto fail;
		if (n > 0 && !(flags & STORE_COPY_REPLACE)) {
			char num[24];

			snprintf(num, sizeof(num), "%lld", (long long)n);
			set_err(err, "the target is not empty (table %s has %s rows)", tables[i].name,
				num);
			rc = KD_EEXIST;
			goto fail;
		}
	}
	/* Dependents before what they refer to. */
	if (flags & STORE_COPY_REPLACE)
		for (i = nt; i-- > 0;)
			if ((rc = clear_table(to, &tables[i])) != 0)
				goto fail;
	for (i = 0; i < nt; i++) {
		x.t = &tables[i];
		if ((rc = walk(from, &tables[i], insert_row, &x, &ignored, sum)) != 0) {
			set_err(err, "copying table %s failed%s", tables[i].name, "");
			goto fail;
		}
		if (tables[i].identity) {
			db *c = store_conn(to, &rc);

			if (!c || (rc = store_driver(to)->reset_ids(c, tables[i].name)) != 0)
				goto fail;
		}
	}
	/* Both sides read again, the target inside the transaction: what is
	 * compared is what would commit. */
	for (i = 0; i < nt; i++) {
		if ((rc = walk(from, &tables[i], NULL, NULL, &report[i].from_rows,
			       report[i].from_sum)) != 0 ||
		    (rc = walk(to, &tables[i], NULL, NULL, &report[i].to_rows, report[i].to_sum)) !=
			0)
			goto fail;
		if (report[i].from_rows != report[i].to_rows ||
		    memcmp(report[i].from_sum, report[i].to_sum, 32) != 0)
			differ = 1;
	}
	if (differ) {
		set_err(err, "the copy differs from the source; nothing was committed%s%s", "", "");
		rc = KD_ECONFLICT;
		goto fail;
	}
	if ((rc = store_commit(to)) != 0) {
		set_err(err, "the target did not commit%s%s", "", "");
		return rc;
	}
	return 0;
fail:
	store_rollback(to);
	if (err && !*err)
		set_err(err, "%s%s", kd_strerror(rc), "");
	return rc;
}
