/*
 * engine/model.c: learned linear models (models/mi.bin, empathy.bin,
 * strategy.bin; format in include/kindred/engine.h and docs/models.md).
 *
 * Every model reads the same hashed features, so their weights are kept
 * in one table of 2^KD_FEATURE_BITS rows of MODEL_COLS (32) bytes, each
 * row holding the columns of every loaded head side by side (29 used by
 * the three tasks; the rest stay zero).  Scoring an utterance then touches one
 * row (about half a cache line) per feature for all models together,
 * instead of one row per model: at ~100 features an utterance that is the
 * difference between a few and a few hundred cache misses.
 *
 * A file is trusted for nothing: sizes, counts, the task and the feature
 * version are checked before a byte of weights is read, and anything
 * short, long or inconsistent is refused (KD_ENGINE_EDATA) before the
 * engine is touched, so the engine can carry on without it (engine.c).
 *
 * Workload: loading runs once (copies a few MB); scoring runs per
 * utterance, integer adds into a fixed accumulator, no allocation.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t task_classes[MODEL_TASKS][4] = {
	{0, 0, 0, 0},
	{4, 2, 2, 4}, /* mi: behaviour, question, reflection, input */
	{3, 3, 3, 0}, /* empathy: ER, IP, EX */
	{8, 0, 0, 0}, /* strategy */
};

size_t kd_task_heads(kd_task task, size_t h, size_t *n_classes)
{
	size_t n = 0;

	if ((int)task < 1 || (int)task >= MODEL_TASKS)
		return 0;
	while (n < 4 && task_classes[task][n])
		n++;
	if (n_classes && h < n)
		*n_classes = task_classes[task][h];
	return n;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf(const unsigned char *p)
{
	uint32_t u = rd32(p);
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

int model_any(const kd_engine *e)
{
	return e->ncol > 0;
}

int model_load(kd_engine *e, const kd_blob *b, const char **whyp)
{
	const unsigned char *p = b->data;
	const size_t rows = (size_t)1 << KD_FEATURE_BITS;
	size_t len = b->len, off, need, i, r, nh, ncls = 0;
	uint32_t task, add = 0;
	kd_model m;
	const char *why = "truncated header";
	int rc = KD_ENGINE_EDATA;

	memset(&m, 0, sizeof(m));
	if (!p || len < 20)
		goto fail;
	why = "not a kindred model file (magic)";
	if (memcmp(p, KD_MODEL_MAGIC, 4) != 0)
		goto fail;
	why = "feature version or bits differ from this engine's: retrain";
	if (rd32(p + 4) != KD_FEATURE_VERSION || rd32(p + 8) != KD_FEATURE_BITS)
		goto fail;
	task = rd32(p + 12);
	why = "unknown task or wrong number of heads";
	nh = kd_task_heads((kd_task)task, 0, NULL);
	if (nh == 0 || rd32(p + 16) != nh)
		goto fail;
	why = "task does not match the file name";
	if ((task == KD_TASK_MI && strcmp(b->name, "models/mi.bin") != 0) ||
	    (task == KD_TASK_EMPATHY && strcmp(b->name, "models/empathy.bin") != 0) ||
	    (task == KD_TASK_STRATEGY && strcmp(b->name, "models/strategy.bin") != 0))
		goto fail;
	why = "model for this task given twice";
	if (e->model[task].present)
		goto fail;
	off = 20;
	m.nheads = (uint32_t)nh;
	for (i = 0; i < nh; i++) {
		model_head *h = &m.head[i];
		size_t c;
		why = "truncated head";
		if (len - off < 8)
			goto fail;
		h->nclass = rd32(p + off);
		h->scale = rdf(p + off + 4);
		why = "head has the wrong number of classes or a bad scale";
		if (h->nclass != task_classes[task][i] || !isfinite(h->scale) || h->scale < 0)
			goto fail;
		off += 8;
		why = "truncated biases";
		if (len - off < 4 * (size_t)h->nclass)
			goto fail;
		for (c = 0; c < h->nclass; c++) {
			h->bias[c] = rdf(p + off + 4 * c);
			why = "bias is not a finite number";
			if (!isfinite(h->bias[c]))
				goto fail;
		}
		off += 4 * (size_t)h->nclass;
		h->col = e->ncol + add;
		add += h->nclass;
		ncls += h->nclass;
	}
	need = rows * ncls;
	why = "weights are truncated or followed by extra bytes";
	if (len - off != need)
		goto fail;
	if (e->ncol + add > MODEL_COLS) {
		why = "too many model columns";
		goto fail;
	}
	rc = KD_ENGINE_ENOMEM;
	if (!e->w && !(e->w = calloc(rows, MODEL_COLS)))
		goto fail;
	/* the file is head-major ([head][row][class]); the table row-major */
	for (r = 0; r < rows; r++) {
		int8_t *row = e->w + r * MODEL_COLS;
		size_t hoff = off;
		for (i = 0; i < nh; i++) {
			size_t nc = m.head[i].nclass;
			memcpy(row + m.head[i].col, p + hoff + r * nc, nc);
			hoff += rows * nc;
		}
	}
	e->ncol += add;
	m.present = 1;
	e->model[task] = m;
	return 0;
fail:
	*whyp = why;
	return rc;
}

void model_score(kd_analyzer *a)
{
	const kd_engine *e = a->e;
	int32_t acc[MODEL_COLS];
	size_t i, t, h;
	uint32_t c;
	float norm;

	memset(acc, 0, sizeof(acc));
	/* a fixed row width the compiler turns into a few vector adds; the
	 * rows are fetched ahead, as the feature list is known in full */
	for (i = 0; i < a->nfeat; i++) {
		const int8_t *row = e->w + (size_t)a->feat[i] * MODEL_COLS;
		if (i + 8 < a->nfeat)
			__builtin_prefetch(e->w + (size_t)a->feat[i + 8] * MODEL_COLS);
		for (c = 0; c < MODEL_COLS; c++)
			acc[c] += row[c];
	}
	norm = a->nfeat ? 1.0f / sqrtf((float)a->nfeat) : 0.0f;
	for (t = 1; t < MODEL_TASKS; t++) {
		const kd_model *m = &e->model[t];
		if (!m->present)
			continue;
		for (h = 0; h < m->nheads; h++) {
			const model_head *hd = &m->head[h];
			for (c = 0; c < hd->nclass; c++)
				a->col[hd->col + c] =
					hd->bias[c] + hd->scale * norm * (float)acc[hd->col + c];
		}
	}
}

int model_argmax(const kd_analyzer *a, kd_task task, size_t h)
{
	const model_head *hd = &a->e->model[task].head[h];
	uint32_t c;
	int best = 0;

	for (c = 1; c < hd->nclass; c++)
		if (a->col[hd->col + c] > a->col[hd->col + (uint32_t)best])
			best = (int)c;
	return best;
}
