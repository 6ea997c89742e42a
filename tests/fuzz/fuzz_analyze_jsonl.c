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
 * The reader is hand-written; jansson is the reference it is held to:
 * each output line must carry the id jansson finds in its input line and
 * be an error exactly when jansson (or the checks on what it parsed)
 * refuses the line, or the engine refuses text holding NUL.
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

static int is_speaker(const json_t *v)
{
	size_t n = json_string_length(v);

	return json_is_string(v) && n == 6 &&
	       (memcmp(json_string_value(v), "helper", 6) == 0 ||
		memcmp(json_string_value(v), "client", 6) == 0);
}

static int has_nul(const json_t *v)
{
	return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
}

/* What jansson makes of one input line: the id the answer must carry
 * (NULL for none) and whether it must be an error (1), must not be (0),
 * or may be one only from the engine refusing NUL (2).  *ref is the
 * caller's to json_decref (it owns *id). */
static int expect_line(const char *p, size_t n, json_t **ref, const char **id, size_t *idlen)
{
	json_t *v, *t, *ctx, *item;
	json_error_t err;
	size_t i;
	int nul;

	*id = NULL;
	*ref = v = json_loadb(p, n, JSON_ALLOW_NUL, &err);
	if (!v || !json_is_object(v) || !json_is_string(json_object_get(v, "id")))
		return 1;
	*id = json_string_value(json_object_get(v, "id"));
	*idlen = json_string_length(json_object_get(v, "id"));
	t = json_object_get(v, "text");
	if (!is_speaker(json_object_get(v, "speaker")) || !json_is_string(t))
		return 1;
	nul = has_nul(t);
	ctx = json_object_get(v, "context");
	if (ctx && !json_is_null(ctx)) {
		if (!json_is_array(ctx))
			return 1;
		json_array_foreach(ctx, i, item) {
			t = json_object_get(item, "text");
			if (!json_is_object(item) || !json_is_string(t) ||
			    !is_speaker(json_object_get(item, "speaker")))
				return 1;
			nul |= has_nul(t);
		}
	}
	return nul ? 2 : 0;
}

/* Holds output line o[0..on) to input line p[0..n) (CR kept). */
static void check_line(const char *p, size_t n, const char *o, size_t on, size_t max)
{
	json_t *ref = NULL, *out, *oid, *oerr;
	const char *id = NULL;
	size_t idlen = 0;
	int want = 1;

	out = json_loadb(o, on, JSON_ALLOW_NUL, NULL);
	if (!out)
		abort();
	if (n <= max) {
		if (n && p[n - 1] == '\r')
			n--;
		want = expect_line(p, n, &ref, &id, &idlen);
	}
	oid = json_object_get(out, "id");
	oerr = json_object_get(out, "error");
	if (id ? !json_is_string(oid) || json_string_length(oid) != idlen ||
			 memcmp(json_string_value(oid), id, idlen) != 0
	       : !json_is_null(oid)) {
		fprintf(stderr, "id differs from jansson's: %.*s -> %.*s\n", (int)n, p, (int)on, o);
		abort();
	}
	if ((want == 1 && !oerr) || (want == 0 && oerr) ||
	    (want == 2 && oerr && !strstr(json_string_value(oerr), "NUL"))) {
		fprintf(stderr, "not what jansson says (%d): %.*s -> %.*s\n", want, (int)n, p,
			(int)on, o);
		abort();
	}
	json_decref(ref);
	json_decref(out);
}

/* Walks the input's lines as jsonl_run cuts them, checking each answer. */
static void check_all(const uint8_t *data, size_t size, const buf *out, size_t max)
{
	const char *p = (const char *)data, *end = p + size;
	const char *o = out->data ? out->data : "", *oend = o + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *ol;
		size_t n = (size_t)((nl ? nl : end) - p), k;
		for (k = 0; k < n; k++)
			if (p[k] != ' ' && p[k] != '\t' && !(p[k] == '\r' && k + 1 == n))
				break;
		if (k < n || n > max) {
			if (o >= oend || !(ol = memchr(o, '\n', (size_t)(oend - o))))
				abort();
			check_line(p, n, o, (size_t)(ol - o), max);
			o = ol + 1;
		}
		p += n + 1;
	}
	if (o != oend)
		abort();
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
	if (size < 4096 && nout != count_lines(data, size))
		abort();
	check_all(data, size, &out, j.max_line);
	jsonl_free(&j);
	buf_free(&out);
	return 0;
}
