/*
 * cmd_user.c: `kindred user add|list` — administration from the shell
 * (for example a second clinician, or an administrator who lost access).
 * The password is read from standard input so it never shows in ps.
 */
#include "cli/open.h"

#include "care/care.h"
#include "kd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int list_row(void *arg, const store_user *u)
{
	char when[32];

	KD_UNUSED(arg);
	care_iso_time(u->created_at, when, sizeof(when));
	printf("%lld\t%s\t%s\t%s\t%s%s\n", (long long)u->id, u->role, u->username, when,
	       u->display_name, u->disabled ? "\t(disabled)" : "");
	return 0;
}

static int read_password(char *out, size_t len)
{
	size_t n;

	if (!fgets(out, (int)len, stdin))
		return -1;
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

int cmd_user(int argc, char **argv)
{
	config cfg;
	store *st = NULL;
	vault *v = NULL;
	care c;
	const char *sub, *role = NULL, *username = NULL, *name = NULL, *why = NULL;
	char password[1100];
	int64_t id = 0;
	int i, used, rc, code = CLI_OK;

	config_defaults(&cfg);
	if (argc < 2) {
		fprintf(stderr, "kindred user: say add or list (see kindred help user)\n");
		return CLI_USAGE;
	}
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		if ((rc = cli_common_flag(&cfg, argc, argv, &i, &used)) != 0)
			return rc;
		if (used)
			continue;
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (argv[i][0] != '-' && !username)
			username = argv[i];
		else {
			fprintf(stderr, "kindred user: unexpected '%s'\n", argv[i]);
			return CLI_USAGE;
		}
	}
	if (strcmp(sub, "add") == 0) {
		if (!username || !role) {
			fprintf(stderr, "usage: kindred user add USERNAME --role ROLE [--name NAME]\n");
			return CLI_USAGE;
		}
		if (strcmp(role, "clinician") && strcmp(role, "admin") && strcmp(role, "client") &&
		    strcmp(role, "supporter")) {
			fprintf(stderr, "kindred user: role is client, clinician, supporter or admin\n");
			return CLI_USAGE;
		}
	} else if (strcmp(sub, "list") != 0) {
		fprintf(stderr, "kindred user: unknown subcommand '%s'\n", sub);
		return CLI_USAGE;
	}
	if ((code = cli_open(&cfg, &st, &v)) != 0)
		return code;
	if (care_init(&c, st, v, NULL) != 0) {
		code = CLI_FAIL;
		goto done;
	}
	if (strcmp(sub, "list") == 0) {
		printf("id\trole\tusername\tcreated\tname\n");
		if (store_user_each(st, list_row, NULL) != 0)
			code = CLI_FAIL;
		goto done;
	}
	fprintf(stderr, "Password for %s (read from standard input): ", username);
	if (read_password(password, sizeof(password)) != 0) {
		fprintf(stderr, "\nkindred user: no password given\n");
		code = CLI_USAGE;
		goto done;
	}
	fprintf(stderr, "\n");
	rc = care_user_create(&c, role, username, name ? name : username, password, &id, &why);
	memset(password, 0, sizeof(password));
	if (rc != 0) {
		fprintf(stderr, "kindred user: %s\n", why ? why : kd_strerror(rc));
		code = rc == KD_EINVAL || rc == KD_EEXIST ? CLI_USAGE : CLI_FAIL;
		goto done;
	}
	printf("added %s (%s) with id %lld\n", username, role, (long long)id);
done:
	care_fini(&c);
	store_close(st);
	vault_close(v);
	return code;
}
