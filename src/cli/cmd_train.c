/*
 * cmd_train.c: `kindred train` — trains one task's linear model (mi,
 * empathy or strategy) on the train split of a corpus and writes a model
 * file the engine loads (data/models/TASK.bin once rebuilt into the
 * binary).  When the corpus has a dev split, each head's macro-F1 on it
 * is printed, measured with the weights as written (int8).
 *
 * Each head's biases are then moved per class to the best macro-F1 on
 * out-of-fold scores of the training split (--calibrate, linear.c): the
 * dev split measures and never tunes.  --mix-esconv N adds every N-th
 * ESConv supporter turn, mapped to MI behaviour, to the mi training set,
 * so the mi model sees peer support next to AnnoMI's transcripts.
 * --try-mlp H trains a hidden-layer network instead and only prints its
 * dev figures (mlp.c; the engine reads linear models).
 *
 * Features come from the rules-only engine (lexicons, no models), the
 * same features kd_analyze computes, so training and use cannot drift.
 *
 * Workload: seconds to a minute; progress on stderr when a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_engine.h"
#include "cli/corpus.h"
#include "cli/linear.h"
#include "cli/metrics.h"
#include "cli/mlp.h"
#include "kd.h"

static const char *const head_names[4][4] = {
	{NULL},
	{"behaviour", "question", "reflection", "input"},
	{"emotional_reactions", "interpretations", "explorations"},
	{"strategy"},
};

static const char *const class_names[4][4][8] = {
	{{NULL}},
	{{"question", "reflection", "therapist_input", "other"},
	 {"open", "closed"},
	 {"simple", "complex"},
	 {"information", "advice", "negotiation", "options"}},
	{{"0", "1", "2"}, {"0", "1", "2"}, {"0", "1", "2"}},
	{{"Question", "Restatement or Paraphrasing", "Reflection of feelings", "Self-disclosure",
	  "Affirmation and Reassurance", "Providing Suggestions", "Information", "Others"}},
};

/* Feature lists for every example of c. */
static int featurise(kd_analyzer *a, const corpus *c, lin_data *d, const char *what, int progress)
{
	size_t i, cap = 1024, n = 0;

	d->n = c->n;
	d->off = kd_xmalloc((c->n + 1) * sizeof(size_t));
	d->feat = kd_xmalloc(cap * sizeof(uint32_t));
	for (i = 0; i < c->n; i++) {
		const corpus_ex *x = &c->ex[i];
		kd_input in = {x->text, x->len, x->speaker, x->ctx, x->nctx, 0};
		const uint32_t *f;
		size_t nf;
		int rc;
		d->off[i] = n;
		if ((rc = kd_features(a, &in, &f, &nf)) != 0) {
			/* a text the engine refuses (bad UTF-8) trains as empty */
			nf = 0;
		}
		if (n + nf > cap) {
			while (n + nf > cap)
				cap *= 2;
			d->feat = kd_xrealloc(d->feat, cap * sizeof(uint32_t));
		}
		memcpy(d->feat + n, f, nf * sizeof(uint32_t));
		n += nf;
		if (progress && (i % 500 == 0 || i + 1 == c->n))
			fprintf(stderr, "\rfeatures %s: %zu/%zu", what, i + 1, c->n);
	}
	d->off[c->n] = n;
	if (progress)
		fprintf(stderr, "\n");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kindred train --task mi|empathy|strategy --data DIR --out FILE\n"
		"                     [--epochs N] [--lr X] [--l2 X] [--balance X] [--average N]\n"
		"                     [--seed N] [--calibrate FOLDS] [--mix-esconv N] [--try-mlp H]\n");
}

int cmd_train(int argc, char **argv)
{
	const char *task_s = NULL, *dir = NULL, *outp = NULL;
	kd_engine *e = NULL;
	kd_analyzer *a = NULL;
	corpus tr, dv;
	lin_data dtr, ddv;
	lin_model m;
	lin_opts o;
	kd_task task;
	char err[512];
	int *y = NULL, i, rc = CLI_FAIL, have_dev, folds = 5, mix = 0, mlp = 0;
	size_t h, j;

	memset(&tr, 0, sizeof(tr));
	memset(&dv, 0, sizeof(dv));
	memset(&dtr, 0, sizeof(dtr));
	memset(&ddv, 0, sizeof(ddv));
	memset(&m, 0, sizeof(m));
	lin_opts_default(&o);
	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			usage();
			return CLI_USAGE;
		}
		if (strcmp(argv[i], "--task") == 0)
			task_s = v;
		else if (strcmp(argv[i], "--data") == 0)
			dir = v;
		else if (strcmp(argv[i], "--out") == 0)
			outp = v;
		else if (strcmp(argv[i], "--epochs") == 0)
			o.epochs = atoi(v);
		else if (strcmp(argv[i], "--lr") == 0)
			o.lr = atof(v);
		else if (strcmp(argv[i], "--l2") == 0)
			o.l2 = atof(v);
		else if (strcmp(argv[i], "--balance") == 0)
			o.balance = atof(v);
		else if (strcmp(argv[i], "--average") == 0)
			o.average = atoi(v);
		else if (strcmp(argv[i], "--seed") == 0)
			o.seed = (unsigned)atoi(v);
		else if (strcmp(argv[i], "--calibrate") == 0)
			folds = atoi(v);
		else if (strcmp(argv[i], "--mix-esconv") == 0)
			mix = atoi(v);
		else if (strcmp(argv[i], "--try-mlp") == 0)
			mlp = atoi(v);
		else {
			usage();
			return CLI_USAGE;
		}
		i++;
	}
	if (!task_s || !dir || !outp || !(task = corpus_task(task_s)) || o.epochs < 1 ||
	    o.epochs > 1000 || !(o.lr > 0) || o.l2 < 0 || o.balance < 0 || o.average < 1 ||
	    o.average > 100 || folds < 0 || folds == 1 || folds > 20 || mix < 0) {
		usage();
		return CLI_USAGE;
	}
	if (corpus_load(&tr, task, dir, SPLIT_TRAIN, err, sizeof(err)) != 0) {
		fprintf(stderr, "kindred train: %s\n", err);
		goto done;
	}
	if (mix && (task != KD_TASK_MI ||
		    corpus_add_esconv_as_mi(&tr, dir, (size_t)mix, err, sizeof(err)) != 0)) {
		fprintf(stderr, "kindred train: --mix-esconv: %s\n",
			task != KD_TASK_MI ? "only for --task mi" : err);
		goto done;
	}
	if (tr.n == 0) {
		fprintf(stderr, "kindred train: no labelled examples in %s\n", dir);
		goto done;
	}
	have_dev = corpus_load(&dv, task, dir, SPLIT_DEV, err, sizeof(err)) == 0 && dv.n > 0;
	fprintf(stderr, "kindred train: %s, %zu training examples%s\n", task_s, tr.n,
		have_dev ? "" : ", no dev split");
	if (cli_engine_rules_new(&e) != 0 || kd_analyzer_new(e, &a) != 0)
		goto done;
	featurise(a, &tr, &dtr, "train", o.progress);
	if (have_dev)
		featurise(a, &dv, &ddv, "dev", o.progress);
	if (mlp) {
		/* an experiment: dev figures of a hidden-layer network, no file */
		int *yd = kd_xmalloc((dv.n + 1) * sizeof(int));
		y = kd_xmalloc((tr.n + 1) * sizeof(int));
		for (h = 0; h < kd_task_heads(task, 0, NULL); h++) {
			size_t nc = 0;
			kd_task_heads(task, h, &nc);
			for (j = 0; j < tr.n; j++)
				y[j] = tr.ex[j].y[h];
			for (j = 0; j < dv.n; j++)
				yd[j] = dv.ex[j].y[h];
			mlp_try(&dtr, y, have_dev ? &ddv : NULL, yd, nc, (size_t)mlp, &o,
				head_names[task][h]);
		}
		free(yd);
		rc = CLI_OK;
		goto done;
	}
	m.task = task;
	m.nheads = kd_task_heads(task, 0, NULL);
	y = kd_xmalloc((tr.n + 1) * sizeof(int));
	for (h = 0; h < m.nheads; h++) {
		size_t nc = 0;
		kd_task_heads(task, h, &nc);
		m.head[h].nclass = (uint32_t)nc;
		for (j = 0; j < tr.n; j++)
			y[j] = tr.ex[j].y[h];
		if (lin_train(&m.head[h], &dtr, y, &o, head_names[task][h]) != 0 ||
		    (folds && lin_calibrate(&m.head[h], &dtr, y, &o, folds, head_names[task][h]) != 0)) {
			fprintf(stderr, "kindred train: out of memory\n");
			goto done;
		}
	}
	lin_quantise(&m);
	if (have_dev) {
		for (h = 0; h < m.nheads; h++) {
			metrics mt;
			char title[96];
			metrics_init(&mt, m.head[h].nclass, m.head[h].nclass);
			for (j = 0; j < dv.n; j++)
				if (dv.ex[j].y[h] >= 0)
					metrics_add(&mt, dv.ex[j].y[h], lin_predict(&m.head[h], &ddv, j));
			snprintf(title, sizeof(title), "dev %s (labelled examples only)",
				 head_names[task][h]);
			metrics_print(stdout, &mt, title, class_names[task][h], 0);
		}
	}
	if (lin_write(&m, outp) != 0) {
		fprintf(stderr, "kindred train: %s: %s\n", outp, strerror(errno));
		goto done;
	}
	fprintf(stderr, "kindred train: wrote %s\n", outp);
	rc = CLI_OK;
done:
	free(y);
	free(dtr.feat);
	free(dtr.off);
	free(ddv.feat);
	free(ddv.off);
	lin_free(&m);
	corpus_free(&tr);
	corpus_free(&dv);
	kd_analyzer_free(a);
	kd_engine_free(e);
	return rc;
}
