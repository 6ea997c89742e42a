/*
 * test_engine_model.c: the engine's learned models — the model file
 * loader refuses every malformed or mismatched file (never a crash) and
 * the engine is still built, that reading on its rules with the reason
 * kept; kd_analyze uses a model when one is given and says so in
 * source[]; and the trainer (src/cli/linear.c, the code behind `kindred
 * train`) learns a separable toy task whose written file the engine then
 * loads and uses.  Run from the repository root (reads data/lexicons/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kindred/engine.h"

/* The trainer and the corpus reader are the command line's; they are
 * compiled into this test directly. */
#include "cli/corpus.c"
#include "cli/linear.c"

#define ROWS ((size_t)1 << KD_FEATURE_BITS)

static char *lex[2];
static size_t lexlen[2];

static int setup(void **state)
{
	(void)state;
	lex[0] = slurp("data/lexicons/text.tsv", &lexlen[0]);
	lex[1] = slurp("data/lexicons/cues.tsv", &lexlen[1]);
	return lex[0] && lex[1] ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(lex[0]);
	free(lex[1]);
	return 0;
}

/* An engine from the two lexicons plus model blob (name, p, n). */
static int engine_with(const char *name, const void *p, size_t n, kd_engine **e, char *err,
		       size_t errlen)
{
	kd_blob b[3] = {{"lexicons/text.tsv", lex[0], lexlen[0]},
			{"lexicons/cues.tsv", lex[1], lexlen[1]},
			{name, p, n}};
	kd_engine_data d = {b, name ? 3 : 2, err, errlen};

	return kd_engine_new(&d, e);
}

static void put32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void putfle(unsigned char *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	put32le(p, u);
}

/* A valid mi model whose weights are all zero: the biases decide.
 * behaviour favours `beh`, the reflection head `refl`. */
static unsigned char *mi_model(size_t *len, int beh, int refl)
{
	static const uint32_t nc[4] = {4, 2, 2, 4};
	size_t hdr = 20, i, c, off;
	unsigned char *p;

	for (i = 0; i < 4; i++)
		hdr += 8 + 4 * nc[i];
	*len = hdr + ROWS * 12;
	p = calloc(1, *len);
	assert_non_null(p);
	memcpy(p, KD_MODEL_MAGIC, 4);
	put32le(p + 4, KD_FEATURE_VERSION);
	put32le(p + 8, KD_FEATURE_BITS);
	put32le(p + 12, KD_TASK_MI);
	put32le(p + 16, 4);
	off = 20;
	for (i = 0; i < 4; i++) {
		put32le(p + off, nc[i]);
		putfle(p + off + 4, 0.01f);
		off += 8;
		for (c = 0; c < nc[i]; c++, off += 4)
			putfle(p + off, (i == 0 && (int)c == beh) || (i == 2 && (int)c == refl) ? 5.0f
												 : 0.0f);
	}
	return p;
}

/* A model file that does not fit is refused, not fatal: the engine is
 * built, the reading runs on its rules and the engine says why. */
static void expect_refused(const char *name, const unsigned char *p, size_t n, const char *what)
{
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	char err[256] = "";
	const char *why = NULL;
	unsigned bit = strcmp(name, "models/mi.bin") == 0 ? KD_READ_MI : KD_READ_EMPATHY;
	kd_input in = {"How are you?", 12, KD_SPEAKER_HELPER, NULL, 0, 0};
	kd_result r;

	assert_int_equal(engine_with(name, p, n, &e, err, sizeof(err)), 0);
	assert_non_null(e);
	assert_int_equal(kd_engine_source(e, bit, &why), KD_SOURCE_RULES);
	printf("%-40s -> %s\n", what, why ? why : "(no reason)");
	assert_non_null(why);
	assert_true(strncmp(why, name, strlen(name)) == 0);
	assert_int_equal(kd_analyzer_new(e, &a), 0);
	assert_int_equal(kd_analyze(a, &in, &r), 0);
	assert_int_equal(r.mi.behaviour, KD_MI_QUESTION);
	assert_int_equal(r.source[0], KD_SOURCE_RULES);
	assert_int_equal(r.source[1], KD_SOURCE_RULES);
	kd_analyzer_free(a);
	kd_engine_free(e);
}

static void test_loader_malformed(void **state)
{
	size_t len;
	unsigned char *good = mi_model(&len, 1, 1), *bad = malloc(len + 1);
	float nan = NAN;
	kd_engine *e = NULL;
	char err[256] = "";

	(void)state;
	assert_non_null(bad);
	assert_int_equal(engine_with("models/mi.bin", good, len, &e, err, sizeof(err)), 0);
	kd_engine_free(e);
	expect_refused("models/mi.bin", good, 0, "empty");
	expect_refused("models/mi.bin", NULL, 0, "NULL data");
	expect_refused("models/mi.bin", good, 3, "3 bytes");
	expect_refused("models/mi.bin", good, 19, "header cut");
	expect_refused("models/mi.bin", good, 60, "head cut");
	expect_refused("models/mi.bin", good, len - 1, "weights cut by a byte");
	memcpy(bad, good, len);
	bad[len] = 0;
	expect_refused("models/mi.bin", bad, len + 1, "a byte too many");
	expect_refused("models/empathy.bin", good, len, "mi model under the empathy name");
#define MUTATE(off, val, what)                               \
	do {                                                 \
		memcpy(bad, good, len);                      \
		put32le(bad + (off), (val));                 \
		expect_refused("models/mi.bin", bad, len, what); \
	} while (0)
	MUTATE(0, 0x314d444a, "bad magic");
	MUTATE(4, KD_FEATURE_VERSION + 1, "newer feature version");
	MUTATE(8, 20, "other hash bits");
	MUTATE(12, 9, "unknown task");
	MUTATE(12, KD_TASK_STRATEGY, "strategy task in mi.bin");
	MUTATE(16, 0xffffffffu, "absurd head count");
	MUTATE(20, 200, "absurd class count");
	MUTATE(20, 3, "wrong class count");
	memcpy(bad, good, len);
	putfle(bad + 24, nan);
	expect_refused("models/mi.bin", bad, len, "NaN scale");
	memcpy(bad, good, len);
	putfle(bad + 28, nan);
	expect_refused("models/mi.bin", bad, len, "NaN bias");
	memcpy(bad, good, len);
	putfle(bad + 24, -1.0f);
	expect_refused("models/mi.bin", bad, len, "negative scale");
#undef MUTATE
	free(good);
	free(bad);
}

/* A word class member that is not valid text is refused with a message
 * naming the file and line, like any bad row (it once came back as
 * KD_ENGINE_EDATA with no message: found by tests/fuzz/fuzz_engine_data.c). */
static void test_lexicon_malformed(void **state)
{
	static const char text[] = "class\tneg\tnot|never\nclass\tneg\tno\xff\n";
	kd_blob b = {"lexicons/text.tsv", text, sizeof(text) - 1};
	char err[256] = "";
	kd_engine_data d = {&b, 1, err, sizeof(err)};
	kd_engine *e = (kd_engine *)1;

	(void)state;
	assert_int_equal(kd_engine_new(&d, &e), KD_ENGINE_EDATA);
	assert_null(e);
	assert_string_equal(err, "lexicons/text.tsv:2: class member is not valid text");

	/* The same for a misspelling row. */
	static const char spell[] = "spell\ttierd\ttired\nspell\tti\xffred\ttired\n";
	kd_blob sb = {"lexicons/text.tsv", spell, sizeof(spell) - 1};
	kd_engine_data sd = {&sb, 1, err, sizeof(err)};

	err[0] = '\0';
	e = (kd_engine *)1;
	assert_int_equal(kd_engine_new(&sd, &e), KD_ENGINE_EDATA);
	assert_null(e);
	assert_string_equal(err, "lexicons/text.tsv:2: misspelling is not valid text");
}

static void test_model_used(void **state)
{
	size_t len;
	unsigned char *m = mi_model(&len, 1, 1); /* reflection, complex */
	kd_engine *rules = NULL, *e = NULL;
	kd_analyzer *a = NULL;
	kd_turn ctx = {KD_SPEAKER_CLIENT, "I drink too much.", 17};
	kd_input in = {"How are you?", 12, KD_SPEAKER_HELPER, &ctx, 1, 0};
	kd_result r;
	char err[256];

	(void)state;
	assert_int_equal(engine_with(NULL, NULL, 0, &rules, err, sizeof(err)), 0);
	assert_int_equal(kd_analyzer_new(rules, &a), 0);
	assert_int_equal(kd_analyze(a, &in, &r), 0);
	assert_int_equal(r.mi.behaviour, KD_MI_QUESTION);
	assert_int_equal(r.source[0], KD_SOURCE_RULES);
	kd_analyzer_free(a);

	assert_int_equal(engine_with("models/mi.bin", m, len, &e, err, sizeof(err)), 0);
	free(m); /* the engine keeps its own copy */
	assert_int_equal(kd_analyzer_new(e, &a), 0);
	assert_int_equal(kd_analyze(a, &in, &r), 0);
	assert_int_equal(r.mi.behaviour, KD_MI_REFLECTION);
	assert_int_equal(r.mi.reflection, KD_MI_COMPLEX);
	assert_int_equal(r.mi.question, KD_MI_SUB_NONE);
	assert_int_equal(r.source[0], KD_SOURCE_MODEL);
	assert_int_equal(r.source[1], KD_SOURCE_RULES); /* no empathy model */
	assert_int_equal(r.source[2], KD_SOURCE_RULES);
	assert_true(r.readings & KD_READ_MI);
	/* a client's turn has no mi reading, model or not */
	in.speaker = KD_SPEAKER_CLIENT;
	assert_int_equal(kd_analyze(a, &in, &r), 0);
	assert_int_equal(r.mi.behaviour, KD_MI_NA);
	/* bad input is still refused before any model runs */
	in.text = "\xff";
	in.len = 1;
	assert_int_equal(kd_analyze(a, &in, &r), KD_ENGINE_EUTF8);
	kd_analyzer_free(a);
	kd_engine_free(e);
	kd_engine_free(rules);
}

/* One model refused does not cost the others theirs. */
static void test_model_mismatch_mixed(void **state)
{
	size_t len;
	unsigned char *m = mi_model(&len, 1, 1);
	kd_blob b[4] = {{"lexicons/text.tsv", lex[0], lexlen[0]},
			{"lexicons/cues.tsv", lex[1], lexlen[1]},
			{"models/mi.bin", m, len},
			{"models/empathy.bin", m, len}}; /* an mi file: wrong task */
	char err[256] = "";
	kd_engine_data d = {b, 4, err, sizeof(err)};
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	kd_input in = {"How are you?", 12, KD_SPEAKER_HELPER, NULL, 0, 0};
	kd_result r;
	const char *why = "x";

	(void)state;
	assert_int_equal(kd_engine_new(&d, &e), 0);
	assert_int_equal(kd_engine_source(e, KD_READ_MI, &why), KD_SOURCE_MODEL);
	assert_null(why);
	assert_int_equal(kd_engine_source(e, KD_READ_EMPATHY, &why), KD_SOURCE_RULES);
	assert_non_null(why);
	assert_non_null(strstr(why, "models/empathy.bin: task"));
	assert_int_equal(kd_engine_source(e, KD_READ_STRATEGY, &why), KD_SOURCE_RULES);
	assert_null(why); /* none given: nothing to explain */
	assert_int_equal(kd_engine_source(e, KD_READ_RISK, NULL), KD_SOURCE_NONE);
	assert_int_equal(kd_analyzer_new(e, &a), 0);
	assert_int_equal(kd_analyze(a, &in, &r), 0);
	assert_int_equal(r.mi.behaviour, KD_MI_REFLECTION);
	assert_int_equal(r.source[0], KD_SOURCE_MODEL);
	assert_int_equal(r.source[1], KD_SOURCE_RULES);
	kd_analyzer_free(a);
	kd_engine_free(e);
	free(m);
}

/* Three strategies, each with its own words: separable. */
static const char *const toy_words[3][4] = {
	{"seagull", "harbour", "lighthouse", "anchor"},
	{"violin", "cello", "orchestra", "sonata"},
	{"carrot", "parsnip", "turnip", "beetroot"},
};
static const char *const toy_labels[3] = {"Self-disclosure", "Information", "Others"};

static void toy_line(char *b, size_t n, unsigned k, unsigned i)
{
	snprintf(b, n, "{\"text\": \"The %s and the %s, %s.\", \"label\": \"%s\"}",
		 toy_words[k][i % 4], toy_words[k][(i + 1 + i / 4) % 4], i % 2 ? "indeed" : "I think",
		 toy_labels[k]);
}

static void test_trainer_toy(void **state)
{
	corpus c;
	lin_data d;
	lin_model m;
	lin_opts o;
	kd_engine *e = NULL, *me = NULL;
	kd_analyzer *a = NULL;
	char line[256], err[256], path[] = "/tmp/kindred-toy-XXXXXX";
	size_t i, n = 0, cap = 0, len, right = 0;
	int *y, fd;
	unsigned k;
	char *file;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 40; i++)
		for (k = 0; k < 3; k++) {
			toy_line(line, sizeof(line), k, (unsigned)i);
			assert_int_equal(corpus_jsonl_line(&c, KD_TASK_STRATEGY, line, strlen(line), err,
							   sizeof(err)),
					 0);
		}
	/* a wrong label is refused with a reason */
	assert_int_equal(corpus_jsonl_line(&c, KD_TASK_STRATEGY, "{\"text\":\"x\",\"label\":\"Nope\"}",
					   28, err, sizeof(err)),
			 -1);
	assert_int_equal(c.n, 120);
	assert_int_equal(engine_with(NULL, NULL, 0, &e, err, sizeof(err)), 0);
	assert_int_equal(kd_analyzer_new(e, &a), 0);
	d.n = c.n;
	d.off = calloc(c.n + 1, sizeof(size_t));
	y = calloc(c.n, sizeof(int));
	for (i = 0; i < c.n; i++) {
		kd_input in = {c.ex[i].text, c.ex[i].len, c.ex[i].speaker, NULL, 0, 0};
		const uint32_t *f;
		size_t nf;
		assert_int_equal(kd_features(a, &in, &f, &nf), 0);
		assert_true(nf > 5);
		if (n + nf > cap) {
			cap = (n + nf) * 2;
			d.feat = realloc(d.feat, cap * sizeof(uint32_t));
		}
		memcpy(d.feat + n, f, nf * sizeof(uint32_t));
		d.off[i] = n;
		n += nf;
		y[i] = c.ex[i].y[0];
		for (k = 0; k < nf; k++)
			assert_true(f[k] < ROWS);
	}
	d.off[c.n] = n;
	lin_opts_default(&o);
	o.progress = 0;
	m.task = KD_TASK_STRATEGY;
	m.nheads = 1;
	m.head[0].nclass = 8;
	assert_int_equal(lin_train(&m.head[0], &d, y, &o, "toy"), 0);
	lin_quantise(&m);
	for (i = 0; i < c.n; i++)
		right += lin_predict(&m.head[0], &d, i) == y[i];
	assert_int_equal(right, c.n);

	/* the file the trainer writes is what the engine loads and uses */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lin_write(&m, path), 0);
	file = slurp(path, &len);
	unlink(path);
	assert_non_null(file);
	assert_int_equal(engine_with("models/strategy.bin", file, len, &me, err, sizeof(err)), 0);
	free(file);
	kd_analyzer_free(a);
	assert_int_equal(kd_analyzer_new(me, &a), 0);
	for (k = 0; k < 3; k++) {
		/* unseen sentences made of the same words */
		char text[128];
		kd_input in = {text, 0, KD_SPEAKER_HELPER, NULL, 0, 0};
		kd_result r;
		snprintf(text, sizeof(text), "%s, %s!", toy_words[k][3], toy_words[k][0]);
		in.len = strlen(text);
		assert_int_equal(kd_analyze(a, &in, &r), 0);
		assert_int_equal(r.source[2], KD_SOURCE_MODEL);
		assert_string_equal(kd_strategy_name(r.strategy), toy_labels[k]);
	}
	kd_analyzer_free(a);
	kd_engine_free(me);
	kd_engine_free(e);
	lin_free(&m);
	free(y);
	free(d.feat);
	free(d.off);
	corpus_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_malformed),
		cmocka_unit_test(test_lexicon_malformed),
		cmocka_unit_test(test_model_used),
		cmocka_unit_test(test_model_mismatch_mixed),
		cmocka_unit_test(test_trainer_toy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
