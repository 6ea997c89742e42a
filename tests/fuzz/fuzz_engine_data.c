/*
 * fuzz_engine_data.c: libFuzzer target over the engine's data readers —
 * the four lexicon files (tab-separated rows of patterns) and the model
 * files `kindred train` writes — that kd_engine_new() reads from whoever
 * embeds the engine, and that a site rebuilding kindred with its own
 * lexicons or retrained models hands it.
 *
 * The first byte chooses the file the rest of the input stands for:
 * text.tsv alone, or risk.tsv, stigma.tsv or cues.tsv beside the shipped
 * text.tsv (their patterns are tokenised with its word classes), or a
 * model.  A model input is also tried once padded to the length its
 * header asks for (repeating the input), so the weight table is filled
 * and used; otherwise only a rare header would reach it.  An engine that
 * builds analyses a few fixed texts.  Checks, beyond the sanitizers: a
 * refused file gives KD_ENGINE_EDATA with a message naming the file, and
 * an engine that builds answers every text.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_engine_data.c
 */
#include "kindred/engine.h"
#include "util/embed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const texts[] = {
	"I don't want to be here anymore, I feel like a burden.",
	"It sounds like you have been carrying a lot on your own. What would help right now?",
	"She's an addict and a schizo, honestly.",
	"",
};

static void build(const kd_blob *blobs, size_t n, const char *name)
{
	kd_engine_data d;
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	kd_input in;
	kd_result res;
	char err[256] = "";
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.blobs = blobs;
	d.n_blobs = n;
	d.errbuf = err;
	d.errlen = sizeof(err);
	rc = kd_engine_new(&d, &e);
	if (rc != 0) {
		CHECK(e == NULL);
		if (rc == KD_ENGINE_EDATA)
			CHECK(strstr(err, name) != NULL);
		return;
	}
	CHECK(kd_analyzer_new(e, &a) == 0);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.text = texts[i];
		in.len = strlen(texts[i]);
		in.readings = KD_READ_ALL;
		CHECK(kd_analyze(a, &in, &res) == 0);
	}
	kd_analyzer_free(a);
	kd_engine_free(e);
}

/* The length a model file with this header must have, or 0. */
static size_t model_len(const uint8_t *p, size_t n)
{
	uint32_t task;
	size_t h, nh, ncls, total = 0, need = 20;

	if (n < 20)
		return 0;
	task = (uint32_t)p[12] | (uint32_t)p[13] << 8 | (uint32_t)p[14] << 16 |
	       (uint32_t)p[15] << 24;
	if (!(nh = kd_task_heads((kd_task)task, 0, NULL)))
		return 0;
	for (h = 0; h < nh; h++) {
		kd_task_heads((kd_task)task, h, &ncls);
		need += 8 + 4 * ncls;
		total += ncls;
	}
	return need + ((size_t)1 << KD_FEATURE_BITS) * total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lexicons[] = {"lexicons/text.tsv", "lexicons/risk.tsv",
					       "lexicons/stigma.tsv", "lexicons/cues.tsv"};
	static const char *const models[] = {"models/mi.bin", "models/empathy.bin",
					     "models/strategy.bin"};
	const embed_file *text = embed_find("data/lexicons/text.tsv");
	kd_blob b[2];
	size_t n = 0, want, i;
	uint8_t *padded;
	int which;

	if (size < 1 || !text)
		return 0;
	which = data[0] % 7;
	data++;
	size--;
	if (which >= 1 && which <= 3) {
		b[n].name = lexicons[0];
		b[n].data = text->data;
		b[n++].len = text->len;
	}
	b[n].name = which < 4 ? lexicons[which] : models[which - 4];
	b[n].data = data;
	b[n++].len = size;
	build(b, n, b[n - 1].name);
	if (which < 4 || !size || (want = model_len(data, size)) <= size)
		return 0;
	padded = malloc(want);
	if (!padded)
		abort();
	for (i = 0; i < want; i++)
		padded[i] = data[i % size];
	b[n - 1].data = padded;
	b[n - 1].len = want;
	build(b, n, b[n - 1].name);
	free(padded);
	return 0;
}
