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

#endif
