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

void cli_keyfile(const config *cfg, char *out, size_t n)
{
	snprintf(out, n, "%.600s/master.key", cfg->data_dir);
}

enum { SCAN_PAGE = 500 };

typedef struct scan_ctx {
	vault *v;
	cli_keys *k;
	int64_t last;
} scan_ctx;

static int scan_one(void *arg, int64_t owner_id, const unsigned char *wrapped, size_t len)
{
	scan_ctx *x = arg;
	int rc = wrapped ? vault_key_check(x->v, owner_id, wrapped, len) : KD_ECRYPTO;

	x->last = owner_id;
	x->k->total++;
	if (rc == 1) {
		x->k->current++;
	} else if (rc == 0) {
		x->k->older++;
	} else {
		if (x->k->lost++ == 0) {
			x->k->first_lost = owner_id;
			vault_wrapped_id(wrapped, len, x->k->lost_id);
		}
	}
	return 0;
}

int cli_keys_scan(store *st, vault *v, cli_keys *out)
{
	scan_ctx x = {v, out, 0};
	int64_t before;
	int rc;

	memset(out, 0, sizeof(*out));
	do {
		before = out->total;
		rc = store_key_page(st, x.last, SCAN_PAGE, scan_one, &x);
	} while (rc == 0 && out->total - before == SCAN_PAGE);
	return rc;
}

/*
 * A server must not start on a master key that opens none of the data
 * keys a rotation re-wrapped (the key file of before `kindred rekey`, or
 * a retired key still in KINDRED_MASTER_KEY): it would answer every
 * request for sealed text with an error.  Refuse at once, saying why.
 */
static int keys_usable(store *st, vault *v)
{
	char cur[VAULT_KEY_ID_SIZE];
	cli_keys k;
	int rc;

	if ((rc = cli_keys_scan(st, v, &k)) != 0) {
		fprintf(stderr, "kindred: cannot read the key store: %s\n", kd_strerror(rc));
		return CLI_FAIL;
	}
	if (k.lost == 0)
		return 0;
	vault_key_id(v, 0, cur);
	fprintf(stderr,
		"kindred: %lld of %lld data keys are wrapped under a master key this kindred does "
		"not have (key id %s; its current key is %s), e.g. person %lld's: the master key "
		"is older than the last `kindred rekey` (or was retired); use the current key "
		"file or KINDRED_MASTER_KEY\n",
		(long long)k.lost, (long long)k.total, k.lost_id, cur, (long long)k.first_lost);
	return CLI_CONFIG;
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
	cli_keyfile(cfg, keyfile, sizeof(keyfile));
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
			rc == KD_ECONFIG ? " (one key of 64 hex digits a line, at most four, readable only by its owner)"
					 : "");
		store_close(*st);
		*st = NULL;
		return CLI_CONFIG;
	}
	if ((rc = keys_usable(*st, *v)) != 0) {
		vault_close(*v);
		*v = NULL;
		store_close(*st);
		*st = NULL;
		return rc;
	}
	return 0;
}
