/*
 * fuzz_corpus.c: libFuzzer target over the corpus readers of `kindred
 * train` and `kindred eval` (src/cli/corpus.c): a user's own JSON Lines,
 * and the AnnoMI CSVs, the three EPITOME CSVs and ESConv's JSON lines
 * that a user may hand in their place.
 *
 * The first byte chooses the reader, the task and the split; the rest is
 * cut at form feeds into the files that reader opens, which are written
 * to a private directory (in /dev/shm when there is one) before each
 * corpus_load().  Checks, beyond the sanitizers: a refused corpus says
 * why; every example's text is as long as it says, its
 * context is at most CORPUS_CTX turns, and each label is a class of its
 * task's head or -1.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_corpus.c
 */
#include "cli/corpus.h"
#include "kd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* Every name a reader opens, so no file of one input is seen by the next. */
static const char *const names[] = {
	"train.jsonl",
	"dev.jsonl",
	"split.csv",
	"AnnoMI-full.csv",
	"emotional-reactions-reddit.train.csv",
	"interpretations-reddit.train.csv",
	"explorations-reddit.train.csv",
	"emotional-reactions-reddit.dev.csv",
	"interpretations-reddit.dev.csv",
	"explorations-reddit.dev.csv",
	"train.txt",
	"valid.txt",
};

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static void clear(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < KD_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static void cleanup(void)
{
	clear();
	rmdir(dir);
}

static void check(const corpus *c, kd_task task)
{
	size_t i, h, heads = kd_task_heads(task, 0, NULL), ncls;

	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		CHECK(x->text && strlen(x->text) == x->len);
		CHECK(x->nctx <= CORPUS_CTX);
		for (h = 0; h < x->nctx; h++)
			CHECK(x->ctx[h].text && strlen(x->ctx[h].text) == x->ctx[h].len);
		for (h = 0; h < 4; h++) {
			if (h >= heads) {
				CHECK(x->y[h] == -1);
				continue;
			}
			kd_task_heads(task, h, &ncls);
			CHECK(x->y[h] >= -1 && x->y[h] < (int)ncls);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const epitome[2][3] = {
		{"emotional-reactions-reddit.train.csv", "interpretations-reddit.train.csv",
		 "explorations-reddit.train.csv"},
		{"emotional-reactions-reddit.dev.csv", "interpretations-reddit.dev.csv",
		 "explorations-reddit.dev.csv"}};
	const uint8_t *part[3] = {NULL, NULL, NULL}, *p, *end = data + size, *ff;
	size_t len[3] = {0, 0, 0}, np = 0;
	corpus c = {0};
	corpus_split split;
	kd_task task;
	char err[512] = "";
	int mode, rc;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/kindred-fuzz-XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	if (size < 1)
		return 0;
	mode = data[0] % 4;
	split = (data[0] / 4) % 2 ? SPLIT_DEV : SPLIT_TRAIN;
	task = (kd_task)(mode == 0 ? 1 + (data[0] / 8) % 3 : mode);
	for (p = data + 1; np < 3; p = ff + 1) {
		ff = memchr(p, '\f', (size_t)(end - p));
		part[np] = p;
		len[np++] = (size_t)((ff ? ff : end) - p);
		if (!ff)
			break;
	}
	clear();
	switch (mode) {
	case 0:
		put("train.jsonl", part[0], len[0]);
		if (part[1])
			put("dev.jsonl", part[1], len[1]);
		break;
	case 1:
		put("split.csv", part[0], len[0]);
		if (part[1])
			put("AnnoMI-full.csv", part[1], len[1]);
		break;
	case 2:
		for (np = 0; np < 3 && part[np]; np++)
			put(epitome[split][np], part[np], len[np]);
		break;
	default:
		put(split == SPLIT_TRAIN ? "train.txt" : "valid.txt", part[0], len[0]);
		break;
	}
	rc = corpus_load(&c, task, dir, split, err, sizeof(err));
	if (rc != 0)
		CHECK(err[0] != '\0');
	check(&c, task);
	corpus_free(&c);
	return 0;
}
