/*
 * cmd_serve.c: `kindred serve` — opens the data directory and runs the
 * web server until SIGINT or SIGTERM.
 */
#include "cli/open.h"

#include "cli/cli_engine.h"
#include "kd.h"
#include "web/web.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_serve(int argc, char **argv)
{
	app a;
	kd_engine *engine = NULL;
	store *st = NULL;
	vault *v = NULL;
	char *err = NULL;
	int i, used, rc, code = CLI_OK;

	memset(&a, 0, sizeof(a));
	config_defaults(&a.cfg);
	for (i = 1; i < argc; i++) {
		if ((rc = cli_common_flag(&a.cfg, argc, argv, &i, &used)) != 0)
			return rc;
		if (used)
			continue;
		fprintf(stderr, "kindred serve: unknown option '%s' (see kindred help serve)\n",
			argv[i]);
		return CLI_USAGE;
	}
	/* glibc gives each worker thread its own heap, each keeping what
	 * it freed: with many workers that is most of kindred's memory.
	 * Four heaps serve two cores' worth of workers and the store's
	 * threads without them waiting for each other's heap lock. */
	mallopt(M_ARENA_MAX, 4);
	if ((code = cli_open(&a.cfg, &st, &v)) != 0)
		return code;
	/* Without the engine no client text could be read for risk: refuse
	 * to serve rather than serve without the pathway. */
	if (cli_engine_new(&engine) != 0) {
		code = CLI_FAIL;
		goto done;
	}
	if (care_init(&a.care, st, v, engine) != 0) {
		fprintf(stderr, "kindred: the embedded content is damaged\n");
		code = CLI_FAIL;
		goto done;
	}
	if ((rc = app_load(&a, &err)) != 0) {
		fprintf(stderr, "kindred: %s\n", err ? err : kd_strerror(rc));
		code = rc == KD_ECONFIG ? CLI_CONFIG : CLI_FAIL;
		goto done;
	}
	if (strcmp(a.cfg.access_log, "off") == 0) {
		a.log = NULL;
	} else if (strcmp(a.cfg.access_log, "-") == 0) {
		a.log = stderr;
	} else if (!(a.log = fopen(a.cfg.access_log, "a"))) {
		fprintf(stderr, "kindred: cannot open access log %s\n", a.cfg.access_log);
		code = CLI_CONFIG;
		goto done;
	}
	if (a.log)
		setvbuf(a.log, NULL, _IOLBF, 0);
	/* Reads record who looked without waiting for the disk; store_close
	 * writes what is left when the server stops. */
	if (store_audit_defer(st) != 0) {
		code = CLI_FAIL;
		goto done;
	}
	if (server_run(&a) != 0)
		code = CLI_FAIL;
done:
	if (a.log && a.log != stderr)
		fclose(a.log);
	free(err);
	app_unload(&a);
	care_fini(&a.care);
	kd_engine_free(engine);
	store_close(st);
	vault_close(v);
	return code;
}
