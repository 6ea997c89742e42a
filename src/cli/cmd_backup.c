/*
 * cmd_backup.c: `kindred backup FILE` — a consistent copy of the
 * database, taken while kindred serves.  The master key is not in it, on
 * purpose: a stolen backup alone opens no one's sealed text.
 */
#include "cli/open.h"

#include "kd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_backup(int argc, char **argv)
{
	config cfg;
	const char *dest = NULL;
	char *err = NULL;
	int i, used, rc;

	config_defaults(&cfg);
	for (i = 1; i < argc; i++) {
		if ((rc = cli_common_flag(&cfg, argc, argv, &i, &used)) != 0)
			return rc;
		if (used)
			continue;
		if (argv[i][0] == '-' || dest) {
			fprintf(stderr, "kindred backup: unexpected '%s'\n", argv[i]);
			return CLI_USAGE;
		}
		dest = argv[i];
	}
	if (!dest) {
		fprintf(stderr, "usage: kindred backup FILE [--data-dir DIR]\n");
		return CLI_USAGE;
	}
	config_finish(&cfg);
	if (strncmp(cfg.database, "postgres", 8) == 0) {
		fprintf(stderr, "kindred backup: on PostgreSQL, use pg_dump or base backups "
				"(see docs/DEPLOYMENT.md)\n");
		return CLI_USAGE;
	}
	rc = store_backup_sqlite(cfg.database, dest, &err);
	if (rc != 0) {
		fprintf(stderr, "kindred backup: %s: %s\n", dest, err ? err : kd_strerror(rc));
		free(err);
		return rc == KD_EEXIST ? CLI_USAGE : CLI_FAIL;
	}
	printf("backed up %s to %s\n", cfg.database, dest);
	printf("the master key is not in the backup: keep %s/master.key safe separately\n",
	       cfg.data_dir);
	return CLI_OK;
}
