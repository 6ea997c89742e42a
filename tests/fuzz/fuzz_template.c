/*
 * fuzz_template.c: libFuzzer target for web/template.c.  Each input is
 * compiled as template "t" beside a fixed partial "row" that includes
 * "t" back (so recursion through partials is reachable), and when it
 * compiles it is rendered twice against one fixed context of nested
 * arrays and objects.  Inputs are small (a few KB); a render is bounded
 * by the module's step and output limits, not by the input.
 *
 * Besides the sanitizers, it checks what callers rely on: a failed
 * render leaves out as it was, a failed compile leaves a message and no
 * template, and rendering is deterministic (nothing shared is mutated).
 */
#include "kd.h"
#include "util/buf.h"
#include "web/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ctx_json[] =
	"{\"title\": \"Check-in <b>&amp;</b> \\\"'`=\","
	" \"n\": 42, \"neg\": -7, \"r\": 2.5, \"t\": true, \"f\": false, \"z\": 0,"
	" \"nul\": null, \"empty\": \"\", \"none\": [], \"obj\": {},"
	" \"svg\": \"<svg><rect/></svg>\", \"loop\": \"{{loop}}{{>t}}\","
	" \"items\": [{\"name\": \"a\", \"tags\": [\"x\", \"y\"],"
	"             \"meta\": {\"score\": 1, \"ok\": true, \"items\": []}},"
	"            {\"name\": \"b\\\"'\", \"tags\": [],"
	"             \"kids\": [{\"name\": \"c\", \"kids\": []}]},"
	"            3, \"s\", [1, [2, [3]]], null, false],"
	" \"user\": {\"name\": \"Ann\", \"roles\": [\"client\"],"
	"          \"plan\": {\"steps\": [{\"text\": \"call\", \"done\": false},"
	"                                {\"text\": \"walk\", \"done\": true}]}},"
	" \"a\": {\"b\": {\"c\": {\"d\": \"deep\"}}}}";

static json_t *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_error_t jerr;

	(void)argc;
	(void)argv;
	ctx = json_loads(ctx_json, 0, &jerr);
	if (!ctx)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char row[] = "<li>{{name}}{{#tags}}[{{.}}]{{/tags}}{{#kids}}{{>t}}{{/kids}}</li>";
	tpl_set *s = NULL;
	char *err = NULL;
	buf out1, out2;
	int rc, rc2;

	buf_init(&out1);
	buf_init(&out2);
	tpl_set_new(&s);
	if (tpl_add(s, "row", row, sizeof row - 1, NULL) != 0)
		abort();
	rc = tpl_add(s, "t", (const char *)data, size, &err);
	if (rc) {
		if (rc != KD_EINVAL || !err || tpl_has(s, "t"))
			abort();
		goto done;
	}
	if (err)
		abort();

	/* Unlinked first: partials are found by name at render time. */
	buf_puts(&out1, "prefix");
	rc = tpl_render(s, "t", ctx, &out1);
	if (rc && strcmp(buf_cstr(&out1), "prefix") != 0)
		abort();

	rc2 = tpl_link(s, &err);
	free(err);
	err = NULL;
	if (rc2 != 0 && rc2 != KD_ENOTFOUND)
		abort();
	buf_puts(&out2, "prefix");
	rc2 = tpl_render(s, "t", ctx, &out2);
	if (rc2 != rc || out1.len != out2.len || memcmp(out1.data, out2.data, out1.len) != 0)
		abort();
done:
	free(err);
	buf_free(&out2);
	buf_free(&out1);
	tpl_set_free(s);
	return 0;
}
