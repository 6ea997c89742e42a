/*
 * open.h: shared set-up for commands that use the data directory.
 */
#ifndef KD_CLI_OPEN_H
#define KD_CLI_OPEN_H

#include "cli/cli.h"
#include "store/store.h"
#include "vault/vault.h"
#include "web/config.h"

/* If argv[*i] is one of --port, --data-dir, --bind, --database or
 * --config, applies it (advancing *i past its value) and sets *used.
 * Returns 0 or a CLI exit code. */
int cli_common_flag(config *cfg, int argc, char **argv, int *i, int *used);
/* Creates the data directory and opens the store and vault; prints
 * what went wrong.  Returns 0 or a CLI exit code. */
int cli_open(config *cfg, store **st, vault **v);

/* What the key store holds, as the vault sees it. */
typedef struct cli_keys {
	int64_t total;   /* data keys in the key store */
	int64_t current; /* wrapped under the vault's current master key */
	int64_t older;   /* under a previous key the vault holds */
	int64_t lost;    /* under no key the vault holds */
	int64_t first_lost; /* the owner of the first of those, 0 if none */
	char lost_id[VAULT_KEY_ID_SIZE]; /* the master key id it names */
} cli_keys;

/* Reads every data key of the key store, a page at a time, and counts
 * them into *out.  Returns 0 or a KD_E* code. */
int cli_keys_scan(store *st, vault *v, cli_keys *out);
/* The key file of the configuration: DATA_DIR/master.key. */
void cli_keyfile(const config *cfg, char *out, size_t n);

#endif
