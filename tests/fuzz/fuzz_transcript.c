/*
 * fuzz_transcript.c: libFuzzer target over `kindred analyze FILE` — the
 * transcript reader (plain T:/C: lines and WebVTT: cue timing, voice
 * tags, other tags that never close, entities) and the report, which runs
 * the engine over every turn with the turns before it as context.
 *
 * Checks, beyond "no crash, no leak, no undefined behaviour": every turn
 * is non-empty and lies inside the transcript's text, turns start on
 * non-decreasing lines, and a parsed transcript always yields a report
 * naming its turn count.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_transcript.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_engine.h"
#include "cli/transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kd_engine *e;
	static kd_analyzer *a;
	transcript t;
	char err[256], want[64];
	buf out;
	size_t i;

	if (!e && (cli_engine_new(&e) != 0 || kd_analyzer_new(e, &a) != 0))
		abort();
	if (transcript_parse(&t, (const char *)data, size, err, sizeof(err)) != 0) {
		if (!err[0] || t.n || t.turns || t.text)
			abort(); /* a refusal says why and leaves nothing behind */
		return 0;
	}
	for (i = 0; i < t.n; i++) {
		const kd_turn *tu = &t.turns[i];
		if (!tu->len || tu->text < t.text || tu->text + tu->len > t.text + t.len)
			abort();
		if (!t.line[i] || (i && t.line[i] < t.line[i - 1]))
			abort();
	}
	buf_init(&out);
	if (transcript_report(a, &t, "fuzz", &out) != 0)
		abort();
	snprintf(want, sizeof(want), "fuzz: %zu turns\n", t.n);
	if (out.len < strlen(want) || memcmp(out.data, want, strlen(want)) != 0)
		abort();
	buf_free(&out);
	transcript_free(&t);
	return 0;
}
