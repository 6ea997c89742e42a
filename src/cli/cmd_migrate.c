/*
 * cmd_migrate.c: `kindred migrate --from sqlite:PATH --to postgres://...`
 * — moves a clinic's data to another database (usually from the
 * embedded SQLite file to the PostgreSQL of a health service) and shows
 * that nothing was lost: each table's row count and checksum, from both
 * sides.  The work is store_copy()'s; this file opens the two stores,
 * prints, and chooses the exit code.
 *
 * The master key is not involved: sealed text and wrapped data keys are
 * copied as bytes, so servers on the target need the same master.key
 * (or KINDRED_MASTER_KEY) as the servers on the source had.
 */
#include "cli/cli.h"

#include "kd.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex8(const unsigned char *sum, char out[17])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = digits[sum[i] >> 4];
		out[2 * i + 1] = digits[sum[i] & 15];
	}
	out[16] = '\0';
}

static void print_report(const store_table_report *r, size_t n)
{
	char a[17], b[17];
	size_t i;

	printf("%-16s %12s %12s  %-16s  %-16s\n", "table", "source rows", "target rows",
	       "source checksum", "target checksum");
	for (i = 0; i < n; i++) {
		int same = r[i].from_rows == r[i].to_rows &&
			   memcmp(r[i].from_sum, r[i].to_sum, sizeof(r[i].to_sum)) == 0;

		hex8(r[i].from_sum, a);
		hex8(r[i].to_sum, b);
		printf("%-16s %12lld %12lld  %-16s  %-16s  %s\n", r[i].table,
		       (long long)r[i].from_rows, (long long)r[i].to_rows, a, b,
		       same ? "same" : "DIFFERENT");
	}
}

static int open_one(const char *what, const char *location, store **s)
{
	char where[1024], *err = NULL;
	int rc;

	if ((rc = store_open(location, s, &err)) != 0) {
		store_location_print(location, where, sizeof(where));
		fprintf(stderr, "kindred migrate: cannot open the %s %s: %s\n", what, where,
			err ? err : kd_strerror(rc));
		free(err);
		return rc == KD_ECONFIG ? CLI_CONFIG : CLI_FAIL;
	}
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	store *src = NULL, *dst = NULL;
	store_table_report *report = NULL;
	char where_from[1024], where_to[1024], *err = NULL;
	size_t n = store_copy_tables(), i;
	int64_t rows = 0;
	int flags = 0, rc, code = CLI_OK;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--force") == 0) {
			flags |= STORE_COPY_REPLACE;
		} else if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--to") == 0) &&
			   i + 1 < (size_t)argc) {
			if (argv[i][2] == 'f')
				from = argv[++i];
			else
				to = argv[++i];
		} else {
			fprintf(stderr, "kindred migrate: unexpected '%s' (see kindred help migrate)\n",
				argv[i]);
			return CLI_USAGE;
		}
	}
	if (!from || !to) {
		fprintf(stderr, "usage: kindred migrate --from LOCATION --to LOCATION [--force]\n");
		return CLI_USAGE;
	}
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "kindred migrate: the source and the target are the same\n");
		return CLI_USAGE;
	}
	store_location_print(from, where_from, sizeof(where_from));
	store_location_print(to, where_to, sizeof(where_to));
	/* Opening brings each database to this kindred's schema version, as
	 * `kindred serve` would: the source first. */
	if ((code = open_one("source", from, &src)) != 0)
		goto done;
	if ((code = open_one("target", to, &dst)) != 0)
		goto done;
	report = kd_xcalloc(n, sizeof(*report));
	printf("migrating %s (%s) to %s (%s)\n", where_from, store_backend(src), where_to,
	       store_backend(dst));
	rc = store_copy(src, dst, flags, report, &err);
	if (rc == 0 || rc == KD_ECONFLICT)
		print_report(report, n);
	if (rc != 0) {
		fprintf(stderr, "kindred migrate: %s\n", err ? err : kd_strerror(rc));
		if (rc == KD_EEXIST)
			fprintf(stderr, "kindred migrate: --force replaces what the target holds\n");
		code = CLI_FAIL;
		goto done;
	}
	for (i = 0; i < n; i++)
		rows += report[i].to_rows;
	printf("copied %zu tables, %lld rows; every count and checksum matches\n", n,
	       (long long)rows);
	printf("servers on the target need the same master key (DATA_DIR/master.key) as before\n");
done:
	free(err);
	free(report);
	store_close(dst);
	store_close(src);
	return code;
}
