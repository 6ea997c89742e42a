/*
 * test_template.c: unit tests for web/template.c — escaping, lookup,
 * sections, partials, limits and every compile error.  Each test builds
 * a small set and renders it against a JSON literal; all run in well
 * under a second except the limit tests, which render to their caps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kd.h"
#include "util/buf.h"
#include "web/template.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static json_t *ctx_of(const char *json)
{
	json_error_t jerr;
	json_t *v;

	if (!json)
		return NULL;
	v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		fail_msg("bad test JSON: %s", jerr.text);
	return v;
}

/* Compiles src as "t" in a fresh set, renders it with json and returns
 * the output (caller frees); fails the test on any error. */
static char *render1(const char *src, const char *json)
{
	tpl_set *s;
	json_t *ctx = ctx_of(json);
	char *err = NULL;
	buf out;
	int rc;

	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	rc = tpl_add(s, "t", src, strlen(src), &err);
	if (rc)
		fail_msg("compile failed: %s", err);
	assert_null(err);
	assert_int_equal(tpl_link(s, NULL), 0);
	assert_int_equal(tpl_render(s, "t", ctx, &out), 0);
	json_decref(ctx);
	tpl_set_free(s);
	return buf_steal(&out, NULL);
}

/* Adds a NUL-terminated literal as a template. */
static int add(tpl_set *s, const char *name, const char *src)
{
	return tpl_add(s, name, src, strlen(src), NULL);
}

#define RENDERS(src, json, want)                        \
	do {                                            \
		char *got_ = render1((src), (json));    \
		assert_string_equal(got_, (want));      \
		free(got_);                             \
	} while (0)

/* Asserts that src fails to compile with KD_EINVAL and that the message
 * names template t, the line, and contains what. */
static void compile_fails(const char *src, size_t line, const char *what)
{
	tpl_set *s;
	char *err = NULL;
	char prefix[32];

	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(tpl_add(s, "t", src, strlen(src), &err), KD_EINVAL);
	assert_non_null(err);
	snprintf(prefix, sizeof prefix, "t:%zu: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
		fail_msg("for %s: got \"%s\", want \"%s...%s\"", src, err, prefix, what);
	assert_int_equal(tpl_has(s, "t"), 0);
	free(err);
	tpl_set_free(s);
}

static void test_text_only(void **state)
{
	(void)state;
	RENDERS("", "{}", "");
	RENDERS("plain text, { and } and {x}", "{}", "plain text, { and } and {x}");
	RENDERS("a}}b", "{}", "a}}b");
}

static void test_escaping(void **state)
{
	(void)state;
	RENDERS("<p>{{x}}</p>", "{\"x\": \"<>&\\\"'`=\"}",
		"<p>&lt;&gt;&amp;&quot;&#39;&#96;&#61;</p>");
	RENDERS("{{x}}", "{\"x\": \"<script>alert(1)</script>\"}",
		"&lt;script&gt;alert(1)&lt;/script&gt;");
	RENDERS("[{{x}}]", "{\"x\": \"caf\\u00e9 ok\"}", "[caf\xc3\xa9 ok]");
}

static void test_raw(void **state)
{
	(void)state;
	RENDERS("{{{svg}}}", "{\"svg\": \"<svg width=\\\"1\\\"><rect/></svg>\"}",
		"<svg width=\"1\"><rect/></svg>");
	RENDERS("{{{ svg }}}|{{svg}}", "{\"svg\": \"<b>\"}", "<b>|&lt;b&gt;");
	RENDERS("{{{n}}}", "{\"n\": 5}", "5");
}

static void test_embedded_nul(void **state)
{
	tpl_set *s;
	json_t *ctx = ctx_of("{\"x\": \"a\\u0000<\"}");
	buf out;

	(void)state;
	/* json_string_length, not strlen: nothing after a NUL is lost. */
	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(add(s, "t", "{{x}}"), 0);
	assert_int_equal(tpl_render(s, "t", ctx, &out), 0);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "a\0&lt;", 6);
	buf_free(&out);
	json_decref(ctx);
	tpl_set_free(s);
}

static void test_not_reinterpreted(void **state)
{
	(void)state;
	RENDERS("{{x}}", "{\"x\": \"{{y}}\", \"y\": \"no\"}", "{{y}}");
	RENDERS("{{{x}}}", "{\"x\": \"{{#y}}{{/y}}\", \"y\": \"no\"}", "{{#y}}{{/y}}");
}

static void test_dotted(void **state)
{
	(void)state;
	RENDERS("{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep");
	RENDERS("[{{a.b.x}}]", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "[]");
	RENDERS("[{{a.b.c}}]", "{\"a\": {\"b\": 3}}", "[]");
	RENDERS("[{{a.b}}]", "{\"a\": [1]}", "[]");
	/* Only the first segment walks the stack: a.c missing inside the
	 * inner a must not fall back to the outer a.c. */
	RENDERS("{{#inner}}[{{a.c}}]{{/inner}}",
		"{\"a\": {\"c\": \"outer\"}, \"inner\": {\"a\": {\"b\": 1}}}", "[]");
	RENDERS("{{#inner}}[{{a.c}}]{{/inner}}",
		"{\"a\": {\"c\": \"outer\"}, \"inner\": {\"x\": 1}}", "[outer]");
	RENDERS("{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": \"in\"}}}", "in");
	RENDERS("{{with-dash_and_1}}", "{\"with-dash_and_1\": \"ok\"}", "ok");
	/* A digits segment indexes an array. */
	RENDERS("{{a.1}}", "{\"a\": [\"x\", \"y\"]}", "y");
	RENDERS("[{{a.2}}]", "{\"a\": [\"x\", \"y\"]}", "[]");
	RENDERS("{{#a.0}}has{{/a.0}}{{^b.0}}none{{/b.0}}", "{\"a\": [1], \"b\": []}", "hasnone");
	RENDERS("{{a.0.n}}", "{\"a\": [{\"n\": \"first\"}]}", "first");
}

static void test_whitespace_and_comments(void **state)
{
	(void)state;
	RENDERS("{{ x }}|{{\tx\n}}|{{# s }}y{{/ s }}|{{^ n }}z{{/ n }}",
		"{\"x\": 1, \"s\": true}", "1|1|y|z");
	RENDERS("{{ #s }}y{{ /s }}", "{\"s\": true}", "y");
	RENDERS("a{{! a comment with {{ and <b> }}b", "{}", "ab");
	RENDERS("a{{!\nmulti\nline\n}}b", "{}", "ab");
}

static void test_numbers_and_bools(void **state)
{
	(void)state;
	RENDERS("{{i}} {{n}} {{z}} {{big}}", "{\"i\": 42, \"n\": -7, \"z\": 0, \"big\": 9007199254740993}",
		"42 -7 0 9007199254740993");
	RENDERS("{{r}} {{h}} {{e}} {{zr}}", "{\"r\": 1.5, \"h\": 0.1, \"e\": 1e300, \"zr\": 0.0}",
		"1.5 0.1 1e+300 0");
	RENDERS("[{{t}}][{{f}}][{{nl}}]", "{\"t\": true, \"f\": false, \"nl\": null}",
		"[true][][]");
	RENDERS("[{{o}}][{{a}}]", "{\"o\": {\"k\": 1}, \"a\": [1, 2]}", "[][]");
}

static void test_missing(void **state)
{
	(void)state;
	RENDERS("[{{nope}}][{{{nope}}}][{{no.pe}}]", "{}", "[][][]");
	RENDERS("[{{#nope}}x{{/nope}}][{{^nope}}y{{/nope}}]", "{}", "[][y]");
	/* A context that is not an object, or none at all. */
	RENDERS("[{{x}}][{{.}}]", "[1, 2]", "[][]");
	RENDERS("[{{x}}][{{.}}]", "\"top\"", "[][top]");
	RENDERS("[{{x}}][{{.}}]{{^x}}none{{/x}}", NULL, "[][]none");
}

static void test_sections(void **state)
{
	(void)state;
	RENDERS("{{#xs}}<{{.}}>{{/xs}}", "{\"xs\": [1, \"a&b\", 2.5, true]}",
		"<1><a&amp;b><2.5><true>");
	RENDERS("{{#xs}}{{name}};{{/xs}}", "{\"xs\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}",
		"a;b;");
	RENDERS("{{#o}}{{k}}{{/o}}", "{\"o\": {\"k\": \"v\"}}", "v");
	RENDERS("[{{#o}}x{{/o}}]", "{\"o\": {}}", "[x]");
	RENDERS("[{{#xs}}x{{/xs}}]", "{\"xs\": []}", "[]");
	RENDERS("[{{#b}}x{{/b}}][{{#f}}y{{/f}}]", "{\"b\": true, \"f\": false}", "[x][]");
	RENDERS("[{{#n}}x{{/n}}]", "{\"n\": null}", "[]");
	RENDERS("[{{#s}}x{{.}}{{/s}}][{{#e}}y{{/e}}]", "{\"s\": \"str\", \"e\": \"\"}", "[x][]");
	RENDERS("[{{#i}}x{{/i}}][{{#z}}y{{/z}}][{{#r}}w{{/r}}][{{#zr}}v{{/zr}}]",
		"{\"i\": 3, \"z\": 0, \"r\": 0.5, \"zr\": 0.0}", "[x][][w][]");
	/* No push for a scalar: {{.}} is still the outer object's item. */
	RENDERS("{{#xs}}{{#flag}}[{{.}}]{{/flag}}{{/xs}}", "{\"flag\": true, \"xs\": [1, 2]}",
		"[1][2]");
	RENDERS("{{#xs}}{{#.}}<{{.}}>{{/.}}|{{/xs}}", "{\"xs\": [[1, 2], [], [3]]}",
		"<1><2>||<3>|");
}

static void test_inverted(void **state)
{
	(void)state;
	RENDERS("{{^xs}}empty{{/xs}}", "{\"xs\": []}", "empty");
	RENDERS("[{{^xs}}empty{{/xs}}]", "{\"xs\": [0]}", "[]");
	RENDERS("{{^f}}a{{/f}}{{^n}}b{{/n}}{{^m}}c{{/m}}{{^e}}d{{/e}}{{^z}}e{{/z}}",
		"{\"f\": false, \"n\": null, \"e\": \"\", \"z\": 0}", "abcde");
	RENDERS("[{{^t}}a{{/t}}{{^o}}b{{/o}}{{^s}}c{{/s}}]",
		"{\"t\": true, \"o\": {}, \"s\": \"x\"}", "[]");
	RENDERS("{{#xs}}{{.}}{{/xs}}{{^xs}}none{{/xs}}", "{\"xs\": []}", "none");
}

static void test_context_stack(void **state)
{
	(void)state;
	/* Inner frames shadow outer ones; names the inner frame lacks are
	 * found further out, up to the root. */
	RENDERS("{{#a}}{{#b}}{{x}}{{y}}{{z}}{{/b}}{{/a}}",
		"{\"x\": \"root\", \"y\": \"root\", \"z\": \"root\","
		" \"a\": {\"x\": \"a\", \"y\": \"a\", \"b\": {\"x\": \"b\"}}}",
		"baroot");
	RENDERS("{{#people}}{{name}} of {{org}}; {{/people}}",
		"{\"org\": \"kindred\", \"people\": [{\"name\": \"Ann\"}, {\"name\": \"Bo\", \"org\": \"x\"}]}",
		"Ann of kindred; Bo of x; ");
	/* A null in an inner frame is found, and stops the search. */
	RENDERS("{{#a}}[{{x}}]{{/a}}", "{\"x\": \"outer\", \"a\": {\"x\": null}}", "[]");
	/* Scalars on the stack are skipped by named lookups. */
	RENDERS("{{#xs}}{{.}}{{sep}}{{/xs}}", "{\"sep\": \",\", \"xs\": [1, 2]}", "1,2,");
}

static void test_partials(void **state)
{
	tpl_set *s;
	json_t *ctx = ctx_of("{\"title\": \"T\", \"items\": [{\"n\": \"a\"}, {\"n\": \"b\"}]}");
	char *err = NULL;
	buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(add(s, "page", "<h1>{{title}}</h1>{{#items}}{{> item}}{{/items}}{{>foot}}"), 0);
	assert_int_equal(add(s, "item", "<li>{{n}} in {{title}}</li>"), 0);
	assert_int_equal(add(s, "foot", "<footer/>"), 0);
	assert_int_equal(tpl_has(s, "page"), 1);
	assert_int_equal(tpl_has(s, "item"), 1);
	assert_int_equal(tpl_has(s, "nope"), 0);
	assert_int_equal(tpl_has(NULL, "page"), 0);

	/* Before tpl_link, partials are found by name. */
	assert_int_equal(tpl_render(s, "page", ctx, &out), 0);
	assert_string_equal(buf_cstr(&out), "<h1>T</h1><li>a in T</li><li>b in T</li><footer/>");
	buf_reset(&out);
	assert_int_equal(tpl_link(s, &err), 0);
	assert_null(err);
	assert_int_equal(tpl_render(s, "page", ctx, &out), 0);
	assert_string_equal(buf_cstr(&out), "<h1>T</h1><li>a in T</li><li>b in T</li><footer/>");

	buf_free(&out);
	json_decref(ctx);
	tpl_set_free(s);
}

static void test_missing_partial(void **state)
{
	tpl_set *s;
	char *err = NULL;
	buf out;

	(void)state;
	buf_init(&out);
	buf_puts(&out, "kept");
	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(add(s, "t", "a\nb {{> ghost}}"), 0);
	assert_int_equal(tpl_render(s, "t", NULL, &out), KD_ENOTFOUND);
	assert_string_equal(buf_cstr(&out), "kept");
	assert_int_equal(tpl_link(s, &err), KD_ENOTFOUND);
	assert_non_null(err);
	assert_non_null(strstr(err, "t:2: "));
	assert_non_null(strstr(err, "ghost"));
	free(err);
	buf_free(&out);
	tpl_set_free(s);
}

static void test_recursion(void **state)
{
	tpl_set *s;
	json_t *ctx;
	char name[16], src[64];
	buf out;
	int i;

	(void)state;
	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	/* Unbounded self-inclusion fails, and leaves out untouched. */
	assert_int_equal(add(s, "loop", "x{{>loop}}"), 0);
	/* Recursion guarded by data is fine: a tree of comments. */
	assert_int_equal(add(s, "tree", "({{v}}{{#kids}}{{>tree}}{{/kids}})"), 0);
	/* A chain p0 -> p1 -> ... -> p17: p0 plus 16 includes is the most. */
	for (i = 0; i <= 17; i++) {
		snprintf(name, sizeof name, "p%d", i);
		if (i < 17)
			snprintf(src, sizeof src, "%d{{>p%d}}", i, i + 1);
		else
			snprintf(src, sizeof src, "end");
		assert_int_equal(add(s, name, src), 0);
	}
	assert_int_equal(tpl_link(s, NULL), 0);

	buf_puts(&out, "pre");
	assert_int_equal(tpl_render(s, "loop", NULL, &out), KD_EINVAL);
	assert_string_equal(buf_cstr(&out), "pre");
	buf_reset(&out);

	ctx = ctx_of("{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": 3, \"kids\": []}]}, {\"v\": 4}]}");
	/* v 4 has no kids of its own, so Mustache finds the outer kids
	 * again: that is the stack rule, and the depth limit stops it. */
	assert_int_equal(tpl_render(s, "tree", ctx, &out), KD_EINVAL);
	json_decref(ctx);
	buf_reset(&out);
	ctx = ctx_of("{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": 3, \"kids\": []}]}, {\"v\": 4, \"kids\": []}]}");
	assert_int_equal(tpl_render(s, "tree", ctx, &out), 0);
	assert_string_equal(buf_cstr(&out), "(1(2(3))(4))");
	json_decref(ctx);
	buf_reset(&out);

	/* p1 includes p2 ... p17 includes nothing: 16 levels, allowed. */
	assert_int_equal(tpl_render(s, "p1", NULL, &out), 0);
	assert_string_equal(buf_cstr(&out), "12345678910111213141516end");
	buf_reset(&out);
	/* p0 needs 17 levels. */
	assert_int_equal(tpl_render(s, "p0", NULL, &out), KD_EINVAL);
	assert_int_equal(out.len, 0);

	buf_free(&out);
	tpl_set_free(s);
}

static void test_compile_errors(void **state)
{
	char deep[TPL_MAX_NEST * 6 + 16];
	size_t i;

	(void)state;
	compile_fails("a\n{{#s}}\nb", 2, "{{#s}} is never closed");
	compile_fails("{{^s}}", 1, "{{^s}} is never closed");
	compile_fails("{{#a}}{{#b}}\n\n{{/a}}{{/b}}", 3, "{{/a}} does not match {{#b}} of line 1");
	compile_fails("x\n{{/a}}", 2, "{{/a}} closes no open section");
	compile_fails("{{#a}}{{/a}}{{/a}}", 1, "closes no open section");
	compile_fails("a\nb {{x", 2, "unterminated tag");
	compile_fails("{{x}", 1, "unterminated tag");
	compile_fails("{{", 1, "unterminated tag");
	compile_fails("{{{x}}", 1, "unterminated tag");
	compile_fails("{{! no end", 1, "unterminated tag");
	compile_fails("{{#", 1, "unterminated tag");
	compile_fails("{{}}", 1, "empty name");
	compile_fails("{{  }}", 1, "empty name");
	compile_fails("{{{}}}", 1, "empty name");
	compile_fails("{{#}}{{/}}", 1, "empty name");
	compile_fails("{{^ }}", 1, "empty name");
	compile_fails("{{/}}", 1, "empty name");
	compile_fails("{{>}}", 1, "empty name");
	compile_fails("{{a b}}", 1, "bad character 0x20");
	compile_fails("\n\n{{a<b}}", 3, "bad character 0x3c");
	compile_fails("{{&x}}", 1, "bad character 0x26");
	compile_fails("{{=<% %>=}}", 1, "bad character 0x3d");
	compile_fails("{{{a}}}}{{a{{b}}", 1, "bad character 0x7b");
	compile_fails("{{> a/b}}", 1, "bad character 0x2f");
	compile_fails("{{a\x01}}", 1, "bad character 0x01");
	compile_fails("{{a.}}", 1, "empty part in dotted name 'a.'");
	compile_fails("{{.a}}", 1, "empty part in dotted name");
	compile_fails("{{a..b}}", 1, "empty part in dotted name");
	compile_fails("{{#..}}{{/..}}", 1, "empty part in dotted name");
	/* Line numbers count newlines inside earlier tags and comments. */
	compile_fails("{{!\n\n}}{{x\n}}\n{{#a}}", 5, "never closed");

	deep[0] = '\0';
	for (i = 0; i <= TPL_MAX_NEST; i++)
		strcat(deep, "{{#a}}");
	compile_fails(deep, 1, "nested deeper than 64");
}

static void test_nest_limit_ok(void **state)
{
	char src[TPL_MAX_NEST * 12 + 16];
	char *got;
	size_t i;

	(void)state;
	src[0] = '\0';
	for (i = 0; i < TPL_MAX_NEST; i++)
		strcat(src, "{{#a}}");
	strcat(src, "x");
	for (i = 0; i < TPL_MAX_NEST; i++)
		strcat(src, "{{/a}}");
	got = render1(src, "{\"a\": true}");
	assert_string_equal(got, "x");
	free(got);
}

static void test_api_edges(void **state)
{
	tpl_set *s;
	char *err = NULL;
	buf out;
	/* Not NUL-terminated: only len bytes are read. */
	const char src[] = {'<', '{', '{', 'x', '}', '}', '>', '{', '{'};

	(void)state;
	tpl_set_free(NULL);
	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(tpl_add(s, "t", src, 7, &err), 0);
	assert_null(err);
	assert_int_equal(tpl_add(s, "t", "x", 1, &err), KD_EEXIST);
	assert_non_null(err);
	free(err);
	assert_int_equal(tpl_add(s, "", "x", 1, &err), KD_EINVAL);
	free(err);
	assert_int_equal(tpl_add(s, NULL, "x", 1, &err), KD_EINVAL);
	free(err);
	assert_int_equal(tpl_add(s, "n", NULL, 1, &err), KD_EINVAL);
	free(err);
	assert_int_equal(tpl_add(s, "empty", NULL, 0, &err), 0);
	assert_int_equal(add(s, "bad", "{{"), KD_EINVAL);
	assert_int_equal(tpl_has(s, "bad"), 0);
	/* A template whose name partials cannot reach still renders. */
	assert_int_equal(add(s, "pages/home.html", "home"), 0);

	buf_puts(&out, "head:");
	assert_int_equal(tpl_render(s, "t", NULL, &out), 0);
	assert_string_equal(buf_cstr(&out), "head:<>");
	assert_int_equal(tpl_render(s, "empty", NULL, &out), 0);
	assert_int_equal(tpl_render(s, "pages/home.html", NULL, &out), 0);
	assert_string_equal(buf_cstr(&out), "head:<>home");
	assert_int_equal(tpl_render(s, "nope", NULL, &out), KD_ENOTFOUND);
	assert_string_equal(buf_cstr(&out), "head:<>home");
	buf_free(&out);
	tpl_set_free(s);
}

static void test_limits(void **state)
{
	tpl_set *s;
	json_t *ctx, *xs;
	char src[40 * 14 + 1];
	char *big;
	size_t i, part = TPL_MAX_OUTPUT / 8;
	buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(tpl_set_new(&s), 0);
	/* 2^40 iterations of an empty body: the step budget stops it. */
	src[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(src, "{{#xs}}");
	for (i = 0; i < 40; i++)
		strcat(src, "{{/xs}}");
	assert_int_equal(add(s, "steps", src), 0);
	assert_int_equal(add(s, "bytes", "{{#xs}}{{big}}{{/xs}}"), 0);

	big = malloc(part + 1);
	assert_non_null(big);
	memset(big, 'a', part);
	big[part] = '\0';
	ctx = json_pack("{s:[i,i], s:s}", "xs", 1, 2, "big", big);
	assert_non_null(ctx);
	free(big);

	buf_puts(&out, "keep");
	assert_int_equal(tpl_render(s, "steps", ctx, &out), KD_ETOOBIG);
	assert_string_equal(buf_cstr(&out), "keep");

	/* Exactly TPL_MAX_OUTPUT bytes pass; one part more does not. */
	xs = json_array();
	for (i = 0; i < 8; i++)
		json_array_append_new(xs, json_integer(1));
	json_object_set_new(ctx, "xs", xs);
	assert_int_equal(tpl_render(s, "bytes", ctx, &out), 0);
	assert_int_equal(out.len, 4 + TPL_MAX_OUTPUT);
	buf_reset(&out);
	buf_puts(&out, "keep");
	json_array_append_new(xs, json_integer(1));
	assert_int_equal(tpl_render(s, "bytes", ctx, &out), KD_ETOOBIG);
	assert_string_equal(buf_cstr(&out), "keep");

	json_decref(ctx);
	buf_free(&out);
	tpl_set_free(s);
}

/* Renders one shared, linked set from several threads; run under
 * -fsanitize=thread to see that rendering writes nothing shared. */
struct shared {
	const tpl_set *s;
	const json_t *ctx;
	const char *want;
	int failures;
};

static void *render_many(void *arg)
{
	struct shared *sh = arg;
	buf out;
	int i;

	buf_init(&out);
	for (i = 0; i < 2000; i++) {
		buf_reset(&out);
		if (tpl_render(sh->s, "page", sh->ctx, &out) != 0 ||
		    strcmp(buf_cstr(&out), sh->want) != 0)
			__atomic_add_fetch(&sh->failures, 1, __ATOMIC_RELAXED);
	}
	buf_free(&out);
	return NULL;
}

static void test_concurrent(void **state)
{
	struct shared sh;
	pthread_t th[4];
	tpl_set *s;
	json_t *ctx = ctx_of("{\"xs\": [{\"n\": \"<1>\"}, {\"n\": 2}], \"t\": \"T\"}");
	size_t i;

	(void)state;
	assert_int_equal(tpl_set_new(&s), 0);
	assert_int_equal(add(s, "page", "{{t}}{{#xs}}{{>row}}{{/xs}}"), 0);
	assert_int_equal(add(s, "row", "[{{n}}|{{t}}]"), 0);
	assert_int_equal(tpl_link(s, NULL), 0);
	sh.s = s;
	sh.ctx = ctx;
	sh.want = "T[&lt;1&gt;|T][2|T]";
	sh.failures = 0;
	for (i = 0; i < KD_ARRAY_LEN(th); i++)
		assert_int_equal(pthread_create(&th[i], NULL, render_many, &sh), 0);
	for (i = 0; i < KD_ARRAY_LEN(th); i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sh.failures, 0);
	json_decref(ctx);
	tpl_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_only),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_not_reinterpreted),
		cmocka_unit_test(test_dotted),
		cmocka_unit_test(test_whitespace_and_comments),
		cmocka_unit_test(test_numbers_and_bools),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_context_stack),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_missing_partial),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_nest_limit_ok),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
