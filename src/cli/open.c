/*
 * open.c: what several commands share — reading the configuration from
 * the common flags, making the data directory, and opening the store
 * and the vault over it.
 */
#include "cli/open.h"

#include "kd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_common_flag(config *cfg, int argc, char **argv, int *i, int *used)
{
	const char *key = NULL, *arg = argv[*i];
	char *err = NULL;
	int rc;

	*used = 0;
	if (strcmp(arg, "--port") == 0)
		key = "port";
	else if (strcmp(arg, "--data-dir") == 0)
		key = "data_dir";
	else if (strcmp(arg, "--bind") == 0)
		key = "bind";
	else if (strcmp(arg, "--database") == 0)
		key = "database";
	else if (strcmp(arg, "--config") == 0)
		key = "";
	else
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "kindred: %s needs a value\n", arg);
		return CLI_USAGE;
	}
	*used = 1;
	(*i)++;
	rc = key[0] ? config_set(cfg, key, argv[*i], &err) : config_load(cfg, argv[*i], &err);
	if (rc != 0) {
		fprintf(stderr, "kindred: %s\n", err ? err : "bad configuration");
		free(err);
		return key[0] ? CLI_USAGE : CLI_CONFIG;
	}
	return 0;
}

static int make_dirs(const char *path)
{
	char tmp[600];
	char *p;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int cli_open(config *cfg, store **st, vault **v)
{
	char keyfile[640], where[1024], *err = NULL;
	int64_t users = 0;
	int rc, key_existed;

	*st = NULL;
	*v = NULL;
	config_finish(cfg);
	if (make_dirs(cfg->data_dir) != 0) {
		fprintf(stderr, "kindred: cannot create data directory %s: %s\n", cfg->data_dir,
			strerror(errno));
		return CLI_CONFIG;
	}
	snprintf(keyfile, sizeof(keyfile), "%.600s/master.key", cfg->data_dir);
	key_existed = access(keyfile, F_OK) == 0 || getenv("KINDRED_MASTER_KEY") != NULL;
	if ((rc = store_open(cfg->database, st, &err)) != 0) {
		store_location_print(cfg->database, where, sizeof(where));
		fprintf(stderr, "kindred: cannot open database %s: %s\n", where,
			err ? err : kd_strerror(rc));
		free(err);
		return rc == KD_ECONFIG ? CLI_CONFIG : CLI_FAIL;
	}
	/* A new key over a database that has people would make all their
	 * sealed text unreadable: refuse instead of creating one. */
	if (!key_existed && store_user_count(*st, &users) == 0 && users > 0) {
		fprintf(stderr,
			"kindred: %s is missing but the database has accounts; restore the key "
			"file (or set KINDRED_MASTER_KEY) instead of starting with a new one\n",
			keyfile);
		store_close(*st);
		*st = NULL;
		return CLI_CONFIG;
	}
	if ((rc = vault_open(keyfile, v)) != 0) {
		fprintf(stderr, "kindred: cannot open the master key %s: %s%s\n", keyfile,
			kd_strerror(rc),
			rc == KD_ECONFIG ? " (it must be 64 hex digits, readable only by its owner)"
					 : "");
		store_close(*st);
		*st = NULL;
		return CLI_CONFIG;
	}
	return 0;
}
