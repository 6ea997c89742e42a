/*
 * test_engine_risk.c: the engine's risk reading against the labelled set
 * tests/engine/risk_cases.tsv, plus the text layer's spans and the stigma
 * reading.  Run from the repository root; the engine's lexicons are read
 * from data/lexicons/ and passed in as bytes, as any embedder would.
 *
 * Thresholds (issue 3): recall of at-risk texts (any level) >= 98%, false
 * alarms on the negatives <= 5% on the sets tuned on; lower, honest bars on
 * the holdouts (docs/models.md).  Misses and false alarms are printed,
 * except for risk_independent_b.tsv, which nobody should read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kindred/engine.h"

static const char *const lexicons[] = {
	"lexicons/text.tsv", "lexicons/risk.tsv", "lexicons/stigma.tsv", "lexicons/cues.tsv",
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

typedef struct fixture {
	kd_engine *e;
	kd_analyzer *a;
} fixture;

static int setup(void **state)
{
	static fixture fx;
	kd_blob blobs[4];
	char *bufs[4], path[256], err[256] = "";
	kd_engine_data d;
	size_t i;
	int rc;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "data/%s", lexicons[i]);
		bufs[i] = slurp(path, &blobs[i].len);
		if (!bufs[i]) {
			fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
			return -1;
		}
		blobs[i].name = lexicons[i];
		blobs[i].data = bufs[i];
	}
	d.blobs = blobs;
	d.n_blobs = 4;
	d.errbuf = err;
	d.errlen = sizeof(err);
	rc = kd_engine_new(&d, &fx.e);
	for (i = 0; i < 4; i++)
		free(bufs[i]);
	if (rc != 0) {
		fprintf(stderr, "kd_engine_new: %s: %s\n", kd_engine_strerror(rc), err);
		return -1;
	}
	if (kd_analyzer_new(fx.e, &fx.a) != 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	if (!fx) /* setup failed */
		return 0;
	kd_analyzer_free(fx->a);
	kd_engine_free(fx->e);
	return 0;
}

static kd_risk_level label_level(const char *s)
{
	if (strcmp(s, "self_harm") == 0)
		return KD_RISK_SELF_HARM;
	if (strcmp(s, "ideation") == 0)
		return KD_RISK_IDEATION;
	if (strcmp(s, "imminent") == 0)
		return KD_RISK_IMMINENT;
	return KD_RISK_NONE;
}

/* Runs the labelled set at path; prints misses and false alarms unless
 * quiet (a hold-out set that nobody should read, not even in a log). */
static void run_set_q(fixture *fx, const char *path, int quiet, size_t *n, double *recall,
		      double *far)
{
	char *data, *line, *save = NULL, *tab;
	size_t len, pos = 0, neg = 0, fa = 0, exact = 0, n_at = 0, hit = 0;
	kd_input in;
	kd_result r;

	data = slurp(path, &len);
	assert_non_null(data);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		kd_risk_level want;
		if (line[0] == '#' || !(tab = strchr(line, '\t')))
			continue;
		*tab = '\0';
		want = label_level(line);
		memset(&in, 0, sizeof(in));
		in.text = tab + 1;
		in.len = strlen(tab + 1);
		in.speaker = KD_SPEAKER_CLIENT;
		in.readings = KD_READ_RISK;
		assert_int_equal(kd_analyze(fx->a, &in, &r), 0);
		if (r.risk.level == want)
			exact++;
		if (want != KD_RISK_NONE) {
			n_at++;
			if (r.risk.level != KD_RISK_NONE)
				hit++;
			else if (!quiet)
				printf("MISS  [%s] %s\n", line, in.text);
		} else {
			neg++;
			if (r.risk.level != KD_RISK_NONE) {
				fa++;
				if (!quiet)
					printf("ALARM [%s] %s  <- %s\n",
					       kd_risk_level_name(r.risk.level), in.text,
					       r.risk.n_evidence ? r.risk.evidence[0].cue : "?");
			}
		}
		pos++;
	}
	free(data);
	*n = pos;
	*recall = n_at ? (double)hit / (double)n_at : 0;
	*far = neg ? (double)fa / (double)neg : 1;
	printf("%s: %zu cases (%zu at risk, %zu negatives); recall %.1f%%, false alarms %.1f%%, "
	       "exact level %.1f%%\n",
	       path, pos, n_at, neg, 100 * *recall, 100 * *far,
	       pos ? 100.0 * (double)exact / (double)pos : 0.0);
}

static void run_set(fixture *fx, const char *path, size_t *n, double *recall, double *far)
{
	run_set_q(fx, path, 0, n, recall, far);
}

static void test_risk_cases(void **state)
{
	size_t n;
	double recall, far;

	run_set(*state, "tests/engine/risk_cases.tsv", &n, &recall, &far);
	assert_true(n >= 300);
	assert_true(recall >= 0.98);
	assert_true(far <= 0.05);
}

/* The holdout sets were written after tuning rounds; each one's first run
 * is the honest estimate (docs/models.md) and its bar here is lower. */
static void test_risk_holdout(void **state)
{
	size_t n;
	double recall, far;

	run_set(*state, "tests/engine/risk_holdout.tsv", &n, &recall, &far);
	assert_true(recall >= 0.90);
	assert_true(far <= 0.10);
	run_set(*state, "tests/engine/risk_holdout2.tsv", &n, &recall, &far);
	assert_true(recall >= 0.90);
	assert_true(far <= 0.10);
	run_set(*state, "tests/engine/risk_holdout3.tsv", &n, &recall, &far);
	assert_true(recall >= 0.80);
	assert_true(far <= 0.10);
	run_set(*state, "tests/engine/risk_holdout4.tsv", &n, &recall, &far);
	assert_true(recall >= 0.95);
	assert_true(far <= 0.10);
}

/* Sets by an independent author who never saw the lexicon: A was used
 * for error analysis (so it must meet the bar), B was read by
 * nobody and run at the very end; its bar is what it reached then, less a
 * small margin (docs/models.md). */
static void test_risk_independent(void **state)
{
	size_t n;
	double recall, far;

	run_set(*state, "tests/engine/risk_independent_a.tsv", &n, &recall, &far);
	assert_true(n == 200);
	assert_true(recall >= 0.98);
	assert_true(far <= 0.05);
	run_set_q(*state, "tests/engine/risk_independent_b.tsv", 1, &n, &recall, &far);
	assert_true(n == 200);
	assert_true(recall >= 0.74); /* reached 76.0% */
	assert_true(far <= 0.12);    /* reached 10.0% */
}

/* tests/engine/risk_context.tsv: label, client text, then the turns
 * before it ("H: ..." or "C: ..."), oldest first.  Every case must hold:
 * the set is small and each line is a rule of the reading. */
static void test_risk_context(void **state)
{
	fixture *fx = *state;
	char *data, *line, *save = NULL, *f[10];
	size_t len, nf, i, n = 0, bad = 0;
	kd_turn turns[8];
	kd_input in;
	kd_result r;

	data = slurp("tests/engine/risk_context.tsv", &len);
	assert_non_null(data);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		for (nf = 0, f[0] = line; nf < 10;) {
			char *tab = strchr(f[nf], '\t');
			nf++;
			if (!tab)
				break;
			*tab = '\0';
			f[nf] = tab + 1;
		}
		assert_true(nf >= 3 && nf - 2 <= 8);
		for (i = 2; i < nf; i++) {
			turns[i - 2].speaker = f[i][0] == 'H' ? KD_SPEAKER_HELPER : KD_SPEAKER_CLIENT;
			turns[i - 2].text = f[i] + 3;
			turns[i - 2].len = strlen(f[i] + 3);
		}
		memset(&in, 0, sizeof(in));
		in.text = f[1];
		in.len = strlen(f[1]);
		in.speaker = KD_SPEAKER_CLIENT;
		in.context = turns;
		in.n_context = nf - 2;
		in.readings = KD_READ_RISK;
		assert_int_equal(kd_analyze(fx->a, &in, &r), 0);
		if ((r.risk.level == KD_RISK_NONE) != (label_level(f[0]) == KD_RISK_NONE) ||
		    (label_level(f[0]) == KD_RISK_IMMINENT) != (r.risk.level == KD_RISK_IMMINENT)) {
			printf("CONTEXT [%s, read %s] %s  <- %s\n", f[0],
			       kd_risk_level_name(r.risk.level), f[1], f[nf - 1]);
			bad++;
		}
		n++;
	}
	free(data);
	printf("tests/engine/risk_context.tsv: %zu cases, %zu wrong\n", n, bad);
	assert_true(n >= 30);
	assert_int_equal(bad, 0);
}

/* Evidence spans are byte offsets into the original text, even when
 * normalisation changed the bytes before them. */
static void test_spans(void **state)
{
	fixture *fx = *state;
	const char *text = "\xc3\x89videmment \xe2\x80\x9cOK\xe2\x80\x9d\xe2\x80\xa6 I WANT TO D\xc3\x8f" "E?"
			   " no: I want to die.";
	kd_input in;
	kd_result r;
	const kd_evidence *ev;

	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = strlen(text);
	in.speaker = KD_SPEAKER_CLIENT;
	assert_int_equal(kd_analyze(fx->a, &in, &r), 0);
	assert_int_equal(r.risk.level, KD_RISK_IDEATION);
	assert_true(r.risk.n_evidence >= 1);
	ev = &r.risk.evidence[r.risk.n_evidence - 1];
	assert_int_equal(ev->end - ev->start, strlen("want to die"));
	assert_memory_equal(text + ev->start, "want to die", ev->end - ev->start);
}

static void test_bad_input(void **state)
{
	fixture *fx = *state;
	kd_input in;
	kd_result r;

	memset(&in, 0, sizeof(in));
	in.text = "bad \xff byte";
	in.len = strlen(in.text);
	assert_int_equal(kd_analyze(fx->a, &in, &r), KD_ENGINE_EUTF8);
	in.text = "nul\0inside";
	in.len = 10;
	assert_int_equal(kd_analyze(fx->a, &in, &r), KD_ENGINE_EUTF8);
	in.text = "";
	in.len = 0;
	assert_int_equal(kd_analyze(fx->a, &in, &r), 0);
	assert_int_equal(r.risk.level, KD_RISK_NONE);
	assert_int_equal(kd_analyze(NULL, &in, &r), KD_ENGINE_EINVAL);
}

static void test_stigma(void **state)
{
	fixture *fx = *state;
	const char *text = "Pt is an addict who committed suicide attempt... non-compliant with meds. "
			   "He describes himself as \"an addict\". Alcoholic drinks were served.";
	kd_input in;
	kd_result r;
	size_t i;
	int addict = 0, noncompliant = 0;

	memset(&in, 0, sizeof(in));
	in.text = text;
	in.len = strlen(text);
	in.speaker = KD_SPEAKER_HELPER;
	in.readings = KD_READ_STIGMA;
	assert_int_equal(kd_analyze(fx->a, &in, &r), 0);
	for (i = 0; i < r.n_stigma; i++) {
		const kd_stigma_hit *h = &r.stigma[i];
		printf("stigma: %.*s -> %s\n", (int)(h->end - h->start), text + h->start, h->suggestion);
		if (strncmp(text + h->start, "addict", 6) == 0)
			addict++;
		if (strncmp(text + h->start, "non-compliant", 13) == 0)
			noncompliant++;
		assert_non_null(h->suggestion);
		assert_non_null(h->reason);
	}
	assert_int_equal(addict, 1); /* the quoted one is the client's own word */
	assert_int_equal(noncompliant, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_risk_cases),
		cmocka_unit_test(test_risk_holdout),
		cmocka_unit_test(test_risk_independent),
		cmocka_unit_test(test_risk_context),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_stigma),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
