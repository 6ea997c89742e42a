/*
 * cmd_eval.c: `kindred eval` (make eval) — runs the engine built into
 * this binary over the dev splits of the shared corpora and prints
 * per-label precision, recall and F1 and macro-F1 per task:
 *
 *   AnnoMI     behaviour (question, reflection, therapist_input, other);
 *              open/closed and simple/complex end to end: every therapist
 *              utterance counts, a wrong behaviour is a wrong subtype
 *              (predicted or gold "none"), and macro-F1 averages the two
 *              subtypes only, so a false "open" on a reflection costs
 *              precision;
 *   EPITOME    emotional reactions, interpretations, explorations (0/1/2);
 *   ESConv     strategy (eight labels); and, as a proxy for the mi
 *              reading on counselling text from another source, the mi
 *              behaviour of ESConv's turns against their strategies
 *              mapped to MI behaviour (eval_mi_transfer).
 *
 * --rules measures the rules-only engine instead.  The figures are
 * estimates on dev splits that also guided tuning; the held-out test
 * splits are elsewhere.
 *
 * Workload: a few thousand utterances; progress on stderr when a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_engine.h"
#include "cli/corpus.h"
#include "cli/metrics.h"

static const char *const beh_names[] = {"question", "reflection", "therapist_input", "other"};
static const char *const oc_names[] = {"open", "closed", "none"};
static const char *const sc_names[] = {"simple", "complex", "none"};
static const char *const lvl_names[] = {"0", "1", "2"};
static const char *const st_names[] = {
	"Question", "Restatement or Paraphrasing", "Reflection of feelings", "Self-disclosure",
	"Affirmation and Reassurance", "Providing Suggestions", "Information", "Others"};

static int analyse(kd_analyzer *a, const corpus_ex *x, kd_result *r)
{
	kd_input in = {x->text, x->len, x->speaker, x->ctx, x->nctx, 0};

	return kd_analyze(a, &in, r);
}

/* The metrics index of a behaviour: beh_names order, "other" for none. */
static int beh_index(kd_mi_behaviour b)
{
	switch (b) {
	case KD_MI_QUESTION: return 0;
	case KD_MI_REFLECTION: return 1;
	case KD_MI_INPUT: return 2;
	default: return 3;
	}
}

static void progress(int on, const char *what, size_t i, size_t n)
{
	if (on && (i % 200 == 0 || i + 1 == n))
		fprintf(stderr, "\r%s: %zu/%zu%s", what, i + 1, n, i + 1 == n ? "\n" : "");
}

static int eval_mi(kd_analyzer *a, const corpus *c, int prog)
{
	metrics beh, oc, sc;
	size_t i;

	metrics_init(&beh, 4, 4);
	metrics_init(&oc, 3, 2);
	metrics_init(&sc, 3, 2);
	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		kd_result r;
		int pb = 3, po = 2, ps = 2, go, gs;
		progress(prog, "AnnoMI", i, c->n);
		if (x->y[0] < 0)
			continue;
		if (analyse(a, x, &r) == 0) {
			pb = beh_index(r.mi.behaviour);
			if (r.mi.question == KD_MI_OPEN || r.mi.question == KD_MI_CLOSED)
				po = r.mi.question == KD_MI_OPEN ? 0 : 1;
			if (r.mi.reflection == KD_MI_SIMPLE || r.mi.reflection == KD_MI_COMPLEX)
				ps = r.mi.reflection == KD_MI_SIMPLE ? 0 : 1;
		}
		go = x->y[0] == 0 && x->y[1] >= 0 ? x->y[1] : 2;
		gs = x->y[0] == 1 && x->y[2] >= 0 ? x->y[2] : 2;
		metrics_add(&beh, x->y[0], pb);
		metrics_add(&oc, go, po);
		metrics_add(&sc, gs, ps);
	}
	metrics_print(stdout, &beh, "AnnoMI therapist behaviour (valid)", beh_names, 0.82);
	metrics_print(stdout, &oc, "AnnoMI open/closed, end to end", oc_names, 0.80);
	metrics_print(stdout, &sc, "AnnoMI simple/complex, end to end", sc_names, 0.55);
	return 0;
}

static int eval_empathy(kd_analyzer *a, const corpus *c, int prog)
{
	static const double target[3] = {0.76, 0.66, 0.72};
	static const char *const title[3] = {"EPITOME emotional reactions (dev)",
					     "EPITOME interpretations (dev)",
					     "EPITOME explorations (dev)"};
	metrics m[3];
	size_t i, k;

	for (k = 0; k < 3; k++)
		metrics_init(&m[k], 3, 3);
	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		kd_result r;
		int p[3] = {0, 0, 0};
		progress(prog, "EPITOME", i, c->n);
		if (analyse(a, x, &r) == 0) {
			p[0] = r.empathy.emotional_reactions;
			p[1] = r.empathy.interpretations;
			p[2] = r.empathy.explorations;
		}
		for (k = 0; k < 3; k++)
			if (x->y[k] >= 0)
				metrics_add(&m[k], x->y[k], p[k]);
	}
	for (k = 0; k < 3; k++)
		metrics_print(stdout, &m[k], title[k], lvl_names, target[k]);
	return 0;
}

static int eval_strategy(kd_analyzer *a, const corpus *c, int prog)
{
	metrics m;
	size_t i;

	metrics_init(&m, 8, 8);
	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		kd_result r;
		progress(prog, "ESConv", i, c->n);
		if (x->y[0] < 0)
			continue;
		metrics_add(&m, x->y[0], analyse(a, x, &r) == 0 ? (int)r.strategy : 7);
	}
	metrics_print(stdout, &m, "ESConv strategy (valid)", st_names, 0.60);
	return 0;
}

/* The mi model on counselling text from another source: ESConv's
 * supporter turns, their strategies mapped to the MI behaviour they
 * roughly are (Question -> question; Restatement, Reflection of feelings
 * -> reflection; Suggestions, Information -> therapist_input; the rest ->
 * other).  The mapping is loose (ESConv counts "Hi, how are you?" as a
 * Question, MI coders would not always), so this is a proxy for the
 * issue's out-of-domain target, not a measurement of it. */
static int eval_mi_transfer(kd_analyzer *a, const corpus *c, int prog)
{
	static const int to_mi[8] = {0, 1, 1, 3, 3, 2, 2, 3};
	metrics m;
	size_t i;

	metrics_init(&m, 4, 4);
	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		kd_result r;
		int p = 3;
		progress(prog, "ESConv as MI", i, c->n);
		if (x->y[0] < 0)
			continue;
		if (analyse(a, x, &r) == 0)
			p = beh_index(r.mi.behaviour);
		metrics_add(&m, to_mi[x->y[0]], p);
	}
	metrics_print(stdout, &m, "MI behaviour on ESConv turns (proxy, see doc)", beh_names, 0.60);
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	const char *dir = "../shared/data", *only = NULL;
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	int i, rules = 0, rc = CLI_FAIL, prog = isatty(2);
	kd_task t;
	char err[512];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0)
			rules = 1;
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--task") == 0 && i + 1 < argc && corpus_task(argv[i + 1]))
			only = argv[++i];
		else {
			fprintf(stderr, "usage: kindred eval [--data DIR] [--task mi|empathy|strategy] "
					"[--rules]\n");
			return CLI_USAGE;
		}
	}
	if (access(dir, R_OK) != 0) {
		fprintf(stderr,
			"kindred eval: %s is missing: the dev splits (AnnoMI, EPITOME, ESConv) are "
			"read from there, outside the repository; see docs/models.md\n",
			dir);
		return CLI_FAIL;
	}
	if ((rules ? cli_engine_rules_new(&e) : cli_engine_new(&e)) != 0 ||
	    kd_analyzer_new(e, &a) != 0)
		goto done;
	printf("kindred eval: %s engine, dev splits in %s\n", rules ? "rules-only" : "built-in",
	       dir);
	cli_engine_sources(stdout, e);
	for (t = KD_TASK_MI; t <= KD_TASK_STRATEGY; t = (kd_task)(t + 1)) {
		corpus c;
		static const char *const names[] = {"", "mi", "empathy", "strategy"};
		if (only && strcmp(only, names[t]) != 0)
			continue;
		memset(&c, 0, sizeof(c));
		if (corpus_load(&c, t, dir, SPLIT_DEV, err, sizeof(err)) != 0) {
			fprintf(stderr, "kindred eval: %s\n", err);
			corpus_free(&c);
			goto done;
		}
		if (t == KD_TASK_MI)
			eval_mi(a, &c, prog);
		else if (t == KD_TASK_EMPATHY)
			eval_empathy(a, &c, prog);
		else {
			eval_strategy(a, &c, prog);
			eval_mi_transfer(a, &c, prog);
		}
		corpus_free(&c);
	}
	rc = CLI_OK;
done:
	kd_analyzer_free(a);
	kd_engine_free(e);
	return rc;
}
