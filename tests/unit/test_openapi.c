/*
 * test_openapi.c: docs/openapi.yaml and the route table must agree
 * (DESIGN rule 2: the document describes the JSON API that exists).
 * Every route served under /api/v1 has its path and method in the
 * document, and every path and method in the document is a route the
 * router serves under /api/v1.  Whatever is missing on either side is
 * printed.  Run from the repository root (as `make unit` does).
 *
 * The document is read with a deliberately small parser of the `paths:`
 * section: a line indented by exactly two spaces and ending in ':' is a
 * path; a line indented by exactly four spaces that is `get:`, `post:`
 * and so on is a method of the path above it; a line with no indent
 * ends the section.  The parser is tested on a sample first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kd.h"
#include "web/web.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API_PREFIX "/api/v1"
#define DOC_PATH "docs/openapi.yaml"

enum { MAX_OPS = 256 };

typedef struct op {
	char path[200];
	char method[16]; /* lower case */
} op;

typedef struct doc {
	op ops[MAX_OPS];
	size_t nops;
	char paths[MAX_OPS][200]; /* every path, with or without methods */
	size_t npaths;
} doc;

static const char *const http_methods[] = {"get",     "put",  "post",  "delete",
					   "options", "head", "patch", "trace"};

static int is_method(const char *s)
{
	size_t i;

	for (i = 0; i < KD_ARRAY_LEN(http_methods); i++)
		if (strcmp(s, http_methods[i]) == 0)
			return 1;
	return 0;
}

static size_t indent_of(const char *line)
{
	size_t n = 0;

	while (line[n] == ' ')
		n++;
	return n;
}

/* Strips trailing white space (and a CR) in place. */
static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* Copies src into dst of len bytes, cut short if need be (then the
 * comparison reports it as missing, which is the right failure). */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Reads the paths section of the document at file into d.  Returns 0,
 * or -1 if the file cannot be read or has no paths section. */
static int doc_parse(const char *file, doc *d)
{
	FILE *fp = fopen(file, "r");
	char line[1024];
	char cur[200] = "";
	int in_paths = 0, seen = 0;

	memset(d, 0, sizeof(*d));
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		size_t ind, n;
		char *body;

		rstrip(line);
		if (line[0] == '\0')
			continue;
		ind = indent_of(line);
		body = line + ind;
		if (body[0] == '#')
			continue;
		if (ind == 0) {
			in_paths = strcmp(line, "paths:") == 0;
			seen |= in_paths;
			cur[0] = '\0';
			continue;
		}
		if (!in_paths)
			continue;
		n = strlen(body);
		if (ind == 2 && n > 1 && body[n - 1] == ':') {
			body[n - 1] = '\0';
			/* A quoted key: '/x' or "/x". */
			n = strlen(body);
			if (n >= 2 && (body[0] == '\'' || body[0] == '"') && body[n - 1] == body[0]) {
				body[n - 1] = '\0';
				body++;
			}
			copy(cur, sizeof(cur), body);
			if (d->npaths < MAX_OPS)
				copy(d->paths[d->npaths++], sizeof(d->paths[0]), cur);
		} else if (ind == 4 && n > 1 && body[n - 1] == ':' && cur[0]) {
			body[n - 1] = '\0';
			if (is_method(body) && d->nops < MAX_OPS) {
				copy(d->ops[d->nops].path, sizeof(d->ops[0].path), cur);
				copy(d->ops[d->nops].method, sizeof(d->ops[0].method), body);
				d->nops++;
			}
		}
	}
	fclose(fp);
	return seen ? 0 : -1;
}

static int doc_has(const doc *d, const char *path, const char *method)
{
	size_t i;

	for (i = 0; i < d->nops; i++)
		if (strcmp(d->ops[i].path, path) == 0 && strcmp(d->ops[i].method, method) == 0)
			return 1;
	return 0;
}

static void lower(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < len && s[i]; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* 1 if the route table serves method (lower case) at path under /api/v1. */
static int router_has(const route *table, size_t n, const char *path, const char *method)
{
	char full[256], m[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(table[i].flags & ROUTE_API))
			continue;
		snprintf(full, sizeof(full), API_PREFIX "%s", table[i].pattern);
		lower(m, sizeof(m), table[i].method);
		if (strcmp(full, path) == 0 && (!method || strcmp(m, method) == 0))
			return 1;
	}
	return 0;
}

/* Compares both ways; prints and counts every mismatch. */
static int compare(const route *table, size_t n, const doc *d, const char *what)
{
	char full[256], m[16];
	size_t i;
	int missing = 0;

	for (i = 0; i < n; i++) {
		if (!(table[i].flags & ROUTE_API))
			continue;
		snprintf(full, sizeof(full), API_PREFIX "%s", table[i].pattern);
		lower(m, sizeof(m), table[i].method);
		if (!doc_has(d, full, m)) {
			printf("  not in %s: %s %s\n", what, m, full);
			missing++;
		}
	}
	for (i = 0; i < d->nops; i++) {
		if (!router_has(table, n, d->ops[i].path, d->ops[i].method)) {
			printf("  in %s but not served: %s %s\n", what, d->ops[i].method,
			       d->ops[i].path);
			missing++;
		}
	}
	for (i = 0; i < d->npaths; i++) {
		if (!router_has(table, n, d->paths[i], NULL)) {
			printf("  path in %s that the router lacks: %s\n", what, d->paths[i]);
			missing++;
		} else {
			size_t j;
			int any = 0;
			for (j = 0; j < d->nops; j++)
				any |= strcmp(d->ops[j].path, d->paths[i]) == 0;
			if (!any) {
				printf("  path in %s with no methods: %s\n", what, d->paths[i]);
				missing++;
			}
		}
	}
	fflush(stdout);
	return missing;
}

/* --- the parser and the comparison, on a sample --- */

static const char sample[] =
	"openapi: 3.0.3\n"
	"info:\n"
	"  title: sample\n"
	"  version: 1\n"
	"components:\n"
	"  parameters:\n"
	"    id:\n"
	"      name: id\n"
	"paths:\n"
	"  # a comment\n"
	"  /api/v1/things:\n"
	"    get:\n"
	"      summary: List things\n"
	"      responses:\n"
	"        '200':\n"
	"          description: ok\n"
	"    post:\n"
	"      requestBody:\n"
	"        content:\n"
	"          application/json:\n"
	"            schema:\n"
	"              get:\n"
	"    parameters:\n"
	"      - $ref: '#/components/parameters/id'\n"
	"\n"
	"  '/api/v1/things/{id}':\r\n"
	"    get:   \n"
	"      description: |\n"
	"        post:\n"
	"  /api/v1/ghost:\n"
	"    delete:\n"
	"security:\n"
	"  - session: []\n"
	"  /api/v1/outside:\n"
	"    get:\n";

static void noop(req *r, reply *out)
{
	(void)r;
	(void)out;
}

static void test_parser_on_sample(void **state)
{
	char dir[] = "/tmp/kd-openapi-XXXXXX";
	char file[64];
	FILE *fp;
	doc *d = calloc(1, sizeof(*d));
	const route table[] = {
		{"GET", "/things", noop, ROUTE_HTML | ROUTE_API},
		{"POST", "/things", noop, ROUTE_API},
		{"GET", "/things/{id}", noop, ROUTE_API},
		{"GET", "/html-only", noop, ROUTE_HTML},
		{"PATCH", "/things/{id}", noop, ROUTE_API}, /* undocumented */
	};

	(void)state;
	assert_non_null(d);
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/openapi.yaml", dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs(sample, fp);
	fclose(fp);

	assert_int_equal(doc_parse(file, d), 0);
	assert_int_equal(d->npaths, 3);
	assert_string_equal(d->paths[0], "/api/v1/things");
	assert_string_equal(d->paths[1], "/api/v1/things/{id}");
	assert_string_equal(d->paths[2], "/api/v1/ghost");
	assert_int_equal(d->nops, 4);
	assert_true(doc_has(d, "/api/v1/things", "get"));
	assert_true(doc_has(d, "/api/v1/things", "post"));
	assert_true(doc_has(d, "/api/v1/things/{id}", "get"));
	assert_false(doc_has(d, "/api/v1/things/{id}", "post"));
	assert_true(doc_has(d, "/api/v1/ghost", "delete"));
	assert_false(doc_has(d, "/api/v1/outside", "get"));

	/* The undocumented PATCH and the ghost DELETE (its path and its
	 * method) are found, and nothing else. */
	printf("sample (3 mismatches expected):\n");
	assert_int_equal(compare(table, KD_ARRAY_LEN(table), d, "sample"), 3);
	assert_int_equal(compare(table, 4, d, "sample"), 2);

	unlink(file);
	rmdir(dir);
	assert_int_equal(doc_parse(file, d), -1);
	free(d);
}

/* --- the route table itself --- */

static void test_route_table(void **state)
{
	size_t i, j, api = 0;

	(void)state;
	assert_true(routes_count > 0);
	for (i = 0; i < routes_count; i++) {
		const route *r = &routes[i];

		assert_non_null(r->fn);
		assert_true(strcmp(r->method, "GET") == 0 || strcmp(r->method, "POST") == 0 ||
			    strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0 ||
			    strcmp(r->method, "DELETE") == 0);
		assert_true(r->pattern[0] == '/');
		assert_true(r->flags & (ROUTE_HTML | ROUTE_API));
		if (r->flags & ROUTE_API)
			api++;
		for (j = 0; j < i; j++)
			if (strcmp(routes[j].method, r->method) == 0 &&
			    strcmp(routes[j].pattern, r->pattern) == 0)
				fail_msg("route %s %s appears twice", r->method, r->pattern);
	}
	assert_true(api > 0);
}

/* --- the real document --- */

static void test_document_matches_router(void **state)
{
	doc *d = calloc(1, sizeof(*d));
	int missing;

	(void)state;
	assert_non_null(d);
	if (doc_parse(DOC_PATH, d) != 0) {
		free(d);
		fail_msg("cannot read the paths of %s (run from the repository root)", DOC_PATH);
	}
	assert_true(d->nops > 0);
	printf("%s: %zu paths, %zu operations; router: %zu routes\n", DOC_PATH, d->npaths,
	       d->nops, routes_count);
	missing = compare(routes, routes_count, d, DOC_PATH);
	if (missing) {
		free(d);
		fail_msg("%d mismatches between %s and the route table (listed above)", missing,
			 DOC_PATH);
	}
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_on_sample),
		cmocka_unit_test(test_route_table),
		cmocka_unit_test(test_document_matches_router),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
