/*
 * cmd_routes.c: `kindred routes` — prints the route table (router.c) as
 * one JSON array, for tests that must cover every route (the
 * authorization matrix in tests/http/authz.test.mjs fails when a route
 * has no expectation).  Hidden from `kindred --help`: it is a tool for
 * the test suite, not for people running kindred.
 */
#include "cli/cli.h"

#include "kd.h"
#include "web/web.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_routes(int argc, char **argv)
{
	json_t *all = json_array(), *row;
	char *out = NULL;
	size_t i;
	int code = CLI_FAIL;

	if (argc > 1) {
		fprintf(stderr, "kindred routes: unexpected '%s'\n", argv[1]);
		code = CLI_USAGE;
		goto done;
	}
	for (i = 0; i < routes_count; i++) {
		const route *rt = &routes[i];
		row = json_pack("{s:s, s:s, s:b, s:b, s:b}", "method", rt->method, "pattern",
				rt->pattern, "html", (rt->flags & ROUTE_HTML) != 0, "api",
				(rt->flags & ROUTE_API) != 0, "public",
				(rt->flags & ROUTE_PUBLIC) != 0);
		if (!row || json_array_append_new(all, row) != 0)
			goto done;
	}
	out = json_dumps(all, JSON_INDENT(1));
	if (!out)
		goto done;
	puts(out);
	code = CLI_OK;
done:
	free(out);
	json_decref(all);
	return code;
}
