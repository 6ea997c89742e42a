/*
 * cmd_backup.c: `kindred backup FILE` — a consistent copy of the
 * database, taken while kindred serves; `kindred backup --keys FILE` — a
 * copy of the key store.  A data backup holds no data keys, so deleting
 * a person shreds their text in every data backup too; the master key is
 * in neither, so a stolen backup alone opens no one's sealed text.
 */
#include "cli/open.h"

#include "kd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_backup(int argc, char **argv)
{
	config cfg;
	const char *dest = NULL, *src;
	char *err = NULL, keys[1024];
	int i, used, rc, want_keys = 0;

	config_defaults(&cfg);
	for (i = 1; i < argc; i++) {
		if ((rc = cli_common_flag(&cfg, argc, argv, &i, &used)) != 0)
			return rc;
		if (used)
			continue;
		if (strcmp(argv[i], "--keys") == 0) {
			want_keys = 1;
			continue;
		}
		if (argv[i][0] == '-' || dest) {
			fprintf(stderr, "kindred backup: unexpected '%s'\n", argv[i]);
			return CLI_USAGE;
		}
		dest = argv[i];
	}
	if (!dest) {
		fprintf(stderr, "usage: kindred backup FILE [--keys] [--data-dir DIR]\n");
		return CLI_USAGE;
	}
	config_finish(&cfg);
	if (strncmp(cfg.database, "postgres", 8) == 0) {
		fprintf(stderr, "kindred backup: on PostgreSQL, use pg_dump "
				"--exclude-schema=kindred_keys for the data and --schema=kindred_keys "
				"for the keys (see docs/DEPLOYMENT.md)\n");
		return CLI_USAGE;
	}
	src = cfg.database;
	if (want_keys) {
		if (store_keys_path(cfg.database, keys, sizeof(keys)) != 0) {
			fprintf(stderr, "kindred backup: the key store's path is too long\n");
			return CLI_CONFIG;
		}
		src = keys;
	}
	rc = store_backup_sqlite(src, dest, &err);
	if (rc != 0) {
		fprintf(stderr, "kindred backup: %s: %s\n", dest, err ? err : kd_strerror(rc));
		free(err);
		return rc == KD_EEXIST ? CLI_USAGE : CLI_FAIL;
	}
	printf("backed up %s to %s\n", src, dest);
	if (want_keys)
		printf("this is the key store: keep it apart from the data backups; the master "
		       "key is not in it: keep %s/master.key safe separately\n",
		       cfg.data_dir);
	else
		printf("no data keys and no master key are in the backup: back up the key store "
		       "(kindred backup --keys) and %s/master.key separately\n",
		       cfg.data_dir);
	return CLI_OK;
}
