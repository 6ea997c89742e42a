/*
 * cmd_rekey.c: `kindred rekey` — rotates the master key while kindred
 * keeps serving on the same database.
 *
 * With a key file, a fresh key is put in front of the old one in
 * DATA_DIR/master.key (atomically, by rename); servers read the file
 * again when they meet a data key wrapped under the new key, and before
 * they wrap one, so they need no restart.  Then every person's data key
 * is unwrapped and wrapped again under the new key, a batch of people
 * per transaction, each row changed only if it is still what was read
 * (a person deleted or added meanwhile is not disturbed).  Passes repeat
 * until one finds nothing left under an older key.  Sealed text is not
 * touched: the data keys themselves do not change.  `kindred rekey
 * --retire` then drops the old key from the file, once no data key needs
 * it.  With KINDRED_MASTER_KEY the operator puts the new key first in
 * the variable (NEW,OLD) on every server and on this command; rekey
 * re-wraps to it, and --retire checks that OLD may go.
 *
 * Workload: once in a while, by an administrator; one AEAD unwrap and
 * one wrap per person, a short write transaction per batch.
 */
#include "cli/open.h"

#include "kd.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REKEY_BATCH = 200, REKEY_PASSES = 5 };

typedef struct held_key {
	int64_t owner_id;
	unsigned char *wrapped;
	size_t len;
} held_key;

typedef struct page {
	held_key *keys;
	size_t n, cap;
} page;

static int hold(void *arg, int64_t owner_id, const unsigned char *wrapped, size_t len)
{
	page *p = arg;
	held_key *k;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->keys = kd_xrealloc(p->keys, p->cap * sizeof(*p->keys));
	}
	k = &p->keys[p->n++];
	k->owner_id = owner_id;
	k->len = wrapped ? len : 0;
	k->wrapped = kd_xmalloc(k->len ? k->len : 1);
	if (k->len)
		memcpy(k->wrapped, wrapped, k->len);
	return 0;
}

static void page_clear(page *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->keys[i].wrapped);
	p->n = 0;
}

typedef struct tally {
	int64_t rewrapped, current, lost, batches;
} tally;

/*
 * Re-wraps the keys of one page that are not under the current key, in
 * one transaction.  A key that opens under no key in the ring is counted
 * and left as it is.
 */
static int rewrap_page(store *st, vault *v, page *p, tally *t)
{
	unsigned char *fresh;
	size_t i, fresh_len;
	int64_t changed, now = (int64_t)time(NULL);
	int rc = 0, check, began = 0;

	for (i = 0; i < p->n && rc == 0; i++) {
		held_key *k = &p->keys[i];

		check = vault_key_check(v, k->owner_id, k->wrapped, k->len);
		if (check == 1) {
			t->current++;
			continue;
		}
		if (check < 0 || vault_key_update(v, k->owner_id, k->wrapped, k->len, &fresh,
						  &fresh_len) != 0) {
			t->lost++;
			continue;
		}
		if (!began && (rc = store_begin(st)) == 0)
			began = 1;
		if (rc == 0)
			rc = store_key_swap(st, k->owner_id, k->wrapped, k->len, fresh, fresh_len,
					    now, &changed);
		if (rc == 0 && changed)
			t->rewrapped++;
		free(fresh);
	}
	if (!began)
		return rc;
	if (rc == 0 && (rc = store_commit(st)) == 0)
		t->batches++;
	else
		store_rollback(st);
	return rc;
}

/* One pass over the whole key store. */
static int rewrap_pass(store *st, vault *v, int batch, tally *t)
{
	page p = {NULL, 0, 0};
	int64_t after = 0;
	int rc;

	do {
		page_clear(&p);
		rc = store_key_page(st, after, batch, hold, &p);
		if (rc == 0 && p.n > 0) {
			after = p.keys[p.n - 1].owner_id;
			rc = rewrap_page(st, v, &p, t);
		}
	} while (rc == 0 && p.n == (size_t)batch);
	page_clear(&p);
	free(p.keys);
	return rc;
}

/* A fresh master key for KINDRED_MASTER_KEY, in hex on stdout. */
static int new_key(void)
{
	unsigned char key[VAULT_KEY_BYTES];
	char hex[2 * VAULT_KEY_BYTES + 1];

	vault_random(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	printf("%s\n", hex);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return CLI_OK;
}

static int retire(config *cfg, store *st, vault *v, int from_env)
{
	char keyfile[640], cur[VAULT_KEY_ID_SIZE];
	cli_keys k;
	int rc;

	vault_key_id(v, 0, cur);
	if ((rc = cli_keys_scan(st, v, &k)) != 0) {
		fprintf(stderr, "kindred rekey: cannot read the key store: %s\n", kd_strerror(rc));
		return CLI_FAIL;
	}
	if (k.older > 0) {
		fprintf(stderr,
			"kindred rekey: %lld data keys still need a previous master key: run "
			"kindred rekey (without --retire) first\n",
			(long long)k.older);
		return CLI_FAIL;
	}
	if (from_env) {
		printf("all %lld data keys are under master key %s: remove every other key from "
		       "KINDRED_MASTER_KEY on every server and restart them\n",
		       (long long)k.total, cur);
		return CLI_OK;
	}
	cli_keyfile(cfg, keyfile, sizeof(keyfile));
	if ((rc = vault_keyfile_retire(keyfile)) != 0) {
		fprintf(stderr, "kindred rekey: cannot rewrite %s: %s\n", keyfile,
			rc == KD_EEXIST ? "remove the leftover .new file beside it first"
					: kd_strerror(rc));
		return rc == KD_EEXIST ? CLI_CONFIG : CLI_FAIL;
	}
	printf("retired the previous master key: %s holds only key %s, which opens all %lld "
	       "data keys\n",
	       keyfile, cur, (long long)k.total);
	printf("key-store backups made before the rotation need the retired key: keep it with "
	       "them, or take a new one (kindred backup --keys) and let the old ones expire\n");
	return CLI_OK;
}

int cmd_rekey(int argc, char **argv)
{
	config cfg;
	store *st = NULL;
	vault *v = NULL;
	char keyfile[640], cur[VAULT_KEY_ID_SIZE], *end;
	tally t = {0, 0, 0, 0};
	int i, used, rc, started = 0, want_retire = 0, want_stage = 0, from_env, pass;
	long batch = REKEY_BATCH;
	int64_t before;

	config_defaults(&cfg);
	for (i = 1; i < argc; i++) {
		if ((rc = cli_common_flag(&cfg, argc, argv, &i, &used)) != 0)
			return rc;
		if (used)
			continue;
		if (strcmp(argv[i], "--new-key") == 0 && argc == 2)
			return new_key();
		if (strcmp(argv[i], "--retire") == 0) {
			want_retire = 1;
		} else if (strcmp(argv[i], "--stage") == 0) {
			want_stage = 1;
		} else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			batch = strtol(argv[++i], &end, 10);
			if (*end || batch < 1 || batch > 100000) {
				fprintf(stderr, "kindred rekey: --batch takes 1 to 100000\n");
				return CLI_USAGE;
			}
		} else {
			fprintf(stderr, "kindred rekey: unexpected '%s' (see kindred help rekey)\n",
				argv[i]);
			return CLI_USAGE;
		}
	}
	config_finish(&cfg);
	from_env = getenv("KINDRED_MASTER_KEY") != NULL;
	if (want_retire + want_stage > 1 || (want_stage && from_env)) {
		fprintf(stderr, "kindred rekey: --stage is for a key file, and not with --retire\n");
		return CLI_USAGE;
	}
	cli_keyfile(&cfg, keyfile, sizeof(keyfile));
	if (!from_env && !want_retire) {
		rc = vault_keyfile_rotate(keyfile, &started);
		if (rc != 0) {
			fprintf(stderr, "kindred rekey: cannot rotate %s: %s\n", keyfile,
				rc == KD_ENOTFOUND ? "there is no key file (nothing to rotate)"
				: rc == KD_EEXIST
					? "a .new file beside it exists: another rekey runs, or one "
					  "stopped half-way (then remove it and run rekey again)"
					: kd_strerror(rc));
			return rc == KD_EIO ? CLI_FAIL : CLI_CONFIG;
		}
		/* Several servers: the file goes to all of them before any
		 * data key is re-wrapped. */
		if (want_stage) {
			printf("%s: %s; copy it to every server, then run kindred rekey\n", keyfile,
			       started ? "a new master key is first, the old one second"
				       : "a rotation was already under way");
			return CLI_OK;
		}
	}
	if ((rc = cli_open(&cfg, &st, &v)) != 0)
		return rc;
	if (want_retire) {
		rc = retire(&cfg, st, v, from_env);
		goto done;
	}
	vault_key_id(v, 0, cur);
	if (from_env && vault_key_count(v) < 2) {
		fprintf(stderr,
			"kindred rekey: KINDRED_MASTER_KEY holds one key; put the new key first: "
			"KINDRED_MASTER_KEY=NEW,OLD on every server and here (kindred rekey --new-key "
			"makes one)\n");
		rc = CLI_CONFIG;
		goto done;
	}
	if (started)
		printf("new master key %s in %s (the previous key stays in it until --retire)\n",
		       cur, keyfile);
	else if (from_env)
		printf("re-wrapping under master key %s, the first in KINDRED_MASTER_KEY\n", cur);
	else
		printf("continuing the rotation to master key %s\n", cur);
	/* Servers that had not yet read the new key file may still wrap a
	 * new person's key under the old one while a pass runs: pass again
	 * until a pass finds nothing to do. */
	for (pass = 0; pass < REKEY_PASSES; pass++) {
		before = t.rewrapped;
		t.current = t.lost = 0;
		if ((rc = rewrap_pass(st, v, (int)batch, &t)) != 0) {
			fprintf(stderr, "kindred rekey: the database failed (%s) after %lld keys; "
					"run kindred rekey again to continue\n",
				kd_strerror(rc), (long long)t.rewrapped);
			rc = CLI_FAIL;
			goto done;
		}
		if (t.rewrapped == before)
			break;
	}
	printf("re-wrapped %lld data keys under master key %s in %lld batches; the key store "
	       "holds %lld, all under it\n",
	       (long long)t.rewrapped, cur, (long long)t.batches,
	       (long long)(t.current + t.rewrapped - before));
	if (t.lost > 0) {
		fprintf(stderr, "kindred rekey: %lld data keys open under no master key held here; "
				"they were left as they are\n",
			(long long)t.lost);
		rc = CLI_FAIL;
		goto done;
	}
	if (from_env)
		printf("next: take a key-store backup, set KINDRED_MASTER_KEY to the new key "
		       "alone on every server, and run kindred rekey --retire to check\n");
	else
		printf("next: take a key-store backup (kindred backup --keys), then run kindred "
		       "rekey --retire to drop the previous key\n");
	rc = CLI_OK;
done:
	vault_close(v);
	store_close(st);
	return rc;
}
