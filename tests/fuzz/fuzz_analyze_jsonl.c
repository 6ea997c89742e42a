/*
 * fuzz_analyze_jsonl.c: libFuzzer target over `kindred analyze --jsonl` —
 * the line reader (chunking, the line limit, blank and CR lines), the
 * JSON checks, and the engine itself on whatever text gets through.
 *
 * The input is fed in small, input-dependent chunks so line boundaries
 * fall everywhere; every output line must parse as a JSON object with an
 * "id", and there must be exactly one per non-blank input line.  The
 * line limit is lowered to 4 KiB so over-long lines are reachable.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_analyze_jsonl.c
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analyze_jsonl.h"
#include "cli/cli_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct src {
	const uint8_t *p;
	size_t n, pos, step;
} src;

static ssize_t mem_read(void *ctx, char *p, size_t n)
{
	src *s = ctx;
	size_t k = s->n - s->pos;

	if (k > s->step)
		k = s->step;
	if (k > n)
		k = n;
	memcpy(p, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

static int mem_write(void *ctx, const char *p, size_t n)
{
	buf_append(ctx, p, n);
	return 0;
}

static size_t count_lines(const uint8_t *p, size_t n)
{
	size_t i, start = 0, lines = 0, k;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		for (k = start; k < i; k++)
			if (p[k] != ' ' && p[k] != '\t' && !(p[k] == '\r' && k + 1 == i))
				break;
		if (k < i)
			lines++;
		start = i + 1;
	}
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kd_engine *e;
	static kd_analyzer *a;
	jsonl j;
	buf out;
	src s;
	size_t nout = 0, off = 0;

	if (!e && (cli_engine_new(&e) != 0 || kd_analyzer_new(e, &a) != 0))
		abort();
	s.p = data;
	s.n = size;
	s.pos = 0;
	s.step = size ? (size_t)data[0] % 61 + 1 : 1;
	buf_init(&out);
	jsonl_init(&j, a);
	j.max_line = 4096;
	if (jsonl_run(&j, mem_read, &s, mem_write, &out) != 0)
		abort();
	while (off < out.len) {
		const char *nl = memchr(out.data + off, '\n', out.len - off);
		json_error_t err;
		json_t *v;
		if (!nl)
			abort(); /* every output line ends in a newline */
		v = json_loadb(out.data + off, (size_t)(nl - (out.data + off)), JSON_ALLOW_NUL, &err);
		if (!v || !json_is_object(v) || !json_object_get(v, "id")) {
			fprintf(stderr, "bad output line: %.*s\n", (int)(nl - (out.data + off)),
				out.data + off);
			abort();
		}
		json_decref(v);
		nout++;
		off = (size_t)(nl - out.data) + 1;
	}
	/* one answer per non-blank line; an over-long line may hide blank ones */
	if (nout > count_lines(data, size))
		abort();
	if (size < 4096 && nout != count_lines(data, size))
		abort();
	jsonl_free(&j);
	buf_free(&out);
	return 0;
}
