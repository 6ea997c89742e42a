/*
 * linear.c: multinomial logistic regression with AdaGrad (linear.h).
 *
 * Scores follow the engine exactly: bias + sum(w[f]) / sqrt(#features),
 * so what is trained is what kd_analyze computes.  Updates are sparse:
 * only the rows of an example's features change (the L2 penalty too, so
 * it is applied per touch, not per step).  Weights are averaged over the
 * last half of the updates, which steadies a stochastic linear model
 * much as it does for the averaged perceptron.  lin_calibrate then
 * moves the biases per class on out-of-fold scores (one-vs-rest
 * thresholds in effect, learned from the training split alone).
 *
 * Workload: a few thousand to tens of thousands of examples of ~100
 * features, a few passes: seconds.  Tables are 2^18 x classes floats.
 */
#include "cli/linear.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROWS ((size_t)1 << KD_FEATURE_BITS)

void lin_opts_default(lin_opts *o)
{
	o->epochs = 6;
	o->lr = 0.03;
	o->l2 = 1e-6;
	o->balance = 1;
	o->seed = 1;
	o->average = 5;
	o->progress = isatty(2);
}

static void scores(const lin_head *h, const float *w, const float *bias, const lin_data *d,
		   size_t i, double *s)
{
	size_t k, n = d->off[i + 1] - d->off[i];
	uint32_t c;
	double norm = n ? 1.0 / sqrt((double)n) : 0;

	for (c = 0; c < h->nclass; c++)
		s[c] = 0;
	for (k = d->off[i]; k < d->off[i + 1]; k++) {
		const float *row = w + (size_t)d->feat[k] * h->nclass;
		for (c = 0; c < h->nclass; c++)
			s[c] += row[c];
	}
	for (c = 0; c < h->nclass; c++)
		s[c] = bias[c] + norm * s[c];
}

int lin_predict(const lin_head *h, const lin_data *d, size_t i)
{
	double s[8];
	uint32_t c;
	int best = 0;

	scores(h, h->w, h->bias, d, i, s);
	for (c = 1; c < h->nclass; c++)
		if (s[c] > s[best])
			best = (int)c;
	return best;
}

unsigned lin_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffffu;
}

size_t lin_labelled(const lin_data *d, const int *y, uint32_t K, double balance, size_t *order,
		    double *cw)
{
	size_t i, n = 0, count[8] = {0};
	uint32_t c;

	for (i = 0; i < d->n; i++)
		if (y[i] >= 0 && (uint32_t)y[i] < K) {
			order[n++] = i;
			count[y[i]]++;
		}
	for (c = 0; c < K; c++)
		cw[c] = count[c] ? pow((double)n / ((double)K * (double)count[c]), balance) : 0;
	return n;
}

void lin_shuffle(size_t *order, size_t n, unsigned *seed)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t r = lin_rand(seed) % i, t = order[i - 1];
		order[i - 1] = order[r];
		order[r] = t;
	}
}

void lin_softmax_grad(double *s, uint32_t K, int lab, double weight)
{
	double z = 0, mx = s[0];
	uint32_t c;

	for (c = 1; c < K; c++)
		if (s[c] > mx)
			mx = s[c];
	for (c = 0; c < K; c++)
		z += (s[c] = exp(s[c] - mx));
	for (c = 0; c < K; c++)
		s[c] = weight * (s[c] / z - (c == (uint32_t)lab));
}

/* One run of training from zero weights with the given seed. */
static int train_once(lin_head *h, const lin_data *d, const int *y, const lin_opts *o,
		      unsigned seed, const char *what)
{
	const uint32_t K = h->nclass;
	float *g2 = NULL, *avg = NULL, gb2[8] = {0}, bias_avg[8] = {0};
	size_t *order = NULL, n, i, j, k;
	double cw[8], p[8];
	uint32_t c;
	int ep, rc = -1;

	memset(h->w, 0, ROWS * K * sizeof(float));
	if (!(g2 = calloc(ROWS * K, sizeof(float))) ||
	    !(avg = calloc(ROWS * K, sizeof(float))) || !(order = malloc((d->n + 1) * sizeof(size_t))))
		goto done;
	memset(h->bias, 0, sizeof(h->bias));
	n = lin_labelled(d, y, K, o->balance, order, cw);
	for (ep = 0; ep < o->epochs; ep++) {
		lin_shuffle(order, n, &seed);
		for (j = 0; j < n; j++) {
			size_t ex = order[j], nf = d->off[ex + 1] - d->off[ex];
			double norm = nf ? 1.0 / sqrt((double)nf) : 0;
			scores(h, h->w, h->bias, d, ex, p);
			lin_softmax_grad(p, K, y[ex], cw[y[ex]]);
			for (c = 0; c < K; c++) {
				double g = p[c];
				gb2[c] += (float)(g * g);
				h->bias[c] -= (float)(o->lr * g / sqrt(gb2[c] + 1e-8));
				p[c] = g * norm;
			}
			for (k = d->off[ex]; k < d->off[ex + 1]; k++) {
				size_t base = (size_t)d->feat[k] * K;
				for (c = 0; c < K; c++) {
					float *wc = &h->w[base + c];
					double g = p[c] + o->l2 * *wc;
					g2[base + c] += (float)(g * g);
					*wc -= (float)(o->lr * g / sqrt(g2[base + c] + 1e-8));
				}
			}
		}
		if (o->progress)
			fprintf(stderr, "\rtrain %s: seed %u, epoch %d/%d ", what, seed, ep + 1,
				o->epochs);
		/* epoch-level averaging: accumulate the weights of each epoch
		 * in the second half (cheap and as good for a few passes) */
		if ((ep + 1) * 2 > o->epochs) {
			for (i = 0; i < ROWS * K; i++)
				avg[i] += h->w[i];
			for (c = 0; c < K; c++)
				bias_avg[c] += h->bias[c];
		}
	}
	if (o->progress)
		fprintf(stderr, "\n");
	{
		int m = o->epochs - o->epochs / 2;
		if (m > 0) {
			for (i = 0; i < ROWS * K; i++)
				h->w[i] = avg[i] / (float)m;
			for (c = 0; c < K; c++)
				h->bias[c] = bias_avg[c] / (float)m;
		}
	}
	rc = 0;
done:
	free(g2);
	free(avg);
	free(order);
	return rc;
}

int lin_train(lin_head *h, const lin_data *d, const int *y, const lin_opts *o, const char *what)
{
	const size_t n = ROWS * h->nclass;
	float *sum = NULL, bsum[8] = {0};
	int r, runs = o->average > 0 ? o->average : 1, rc = -1;
	size_t i;

	if (!(h->w = calloc(n, sizeof(float))) || (runs > 1 && !(sum = calloc(n, sizeof(float)))))
		goto done;
	for (r = 0; r < runs; r++) {
		if (train_once(h, d, y, o, o->seed + (unsigned)r * 7919u, what) != 0)
			goto done;
		if (runs == 1)
			break;
		for (i = 0; i < n; i++)
			sum[i] += h->w[i];
		for (i = 0; i < h->nclass; i++)
			bsum[i] += h->bias[i];
	}
	if (runs > 1) {
		for (i = 0; i < n; i++)
			h->w[i] = sum[i] / (float)runs;
		for (i = 0; i < h->nclass; i++)
			h->bias[i] = bsum[i] / (float)runs;
	}
	rc = 0;
done:
	free(sum);
	return rc;
}

/* Macro-F1 of argmax(s[i] + off) against y over n examples of K classes
 * (every class counts, as in metrics.c). */
static double oof_macro(const double *s, const int *y, size_t n, uint32_t K, const double *off)
{
	size_t i, tp[8] = {0}, gold[8] = {0}, pred[8] = {0};
	double sum = 0;
	uint32_t c;

	for (i = 0; i < n; i++) {
		uint32_t best = 0;
		for (c = 1; c < K; c++)
			if (s[i * K + c] + off[c] > s[i * K + best] + off[best])
				best = c;
		gold[y[i]]++;
		pred[best]++;
		tp[best] += (uint32_t)y[i] == best;
	}
	for (c = 0; c < K; c++)
		if (gold[c] + pred[c])
			sum += 2.0 * (double)tp[c] / (double)(gold[c] + pred[c]);
	return sum / K;
}

#define CALIB_GAIN 0.003 /* out-of-fold macro-F1 the offsets must gain */

int lin_calibrate(lin_head *h, const lin_data *d, const int *y, const lin_opts *o, int folds,
		  const char *what)
{
	const uint32_t K = h->nclass;
	lin_head t;
	int *yf = NULL, *yo = NULL, f, round, rc = -1;
	double *s = NULL, off[8] = {0}, best, v;
	size_t i, n = 0, *idx = NULL;
	uint32_t c;

	memset(&t, 0, sizeof(t));
	t.nclass = K;
	if (!(yf = malloc((d->n + 1) * sizeof(int))) || !(yo = malloc((d->n + 1) * sizeof(int))) ||
	    !(idx = malloc((d->n + 1) * sizeof(size_t))) ||
	    !(s = malloc((d->n + 1) * K * sizeof(double))))
		goto done;
	for (i = 0; i < d->n; i++)
		if (y[i] >= 0 && (uint32_t)y[i] < K)
			idx[n++] = i;
	/* folds are contiguous blocks of the labelled examples, so whole
	 * transcripts or conversations are held out together, as a new one
	 * would be */
	for (f = 0; f < folds; f++) {
		double sc[8];
		memcpy(yf, y, d->n * sizeof(int));
		for (i = 0; i < n; i++)
			if ((int)((i * (size_t)folds) / n) == f)
				yf[idx[i]] = -1;
		if (lin_train(&t, d, yf, o, what) != 0)
			goto done;
		for (i = 0; i < n; i++) {
			if ((int)((i * (size_t)folds) / n) != f)
				continue;
			scores(&t, t.w, t.bias, d, idx[i], sc);
			for (c = 0; c < K; c++)
				s[i * K + c] = sc[c];
		}
		free(t.w);
		t.w = NULL;
	}
	for (i = 0; i < n; i++)
		yo[i] = y[idx[i]];
	/* coordinate ascent on one offset per class (class 0 is the
	 * reference); a move must gain, so ties keep the offset at zero */
	best = oof_macro(s, yo, n, K, off);
	for (round = 0; round < 3; round++)
		for (c = 1; c < K; c++) {
			double bc = off[c];
			for (v = -2.0; v <= 2.0001; v += 0.05) {
				double m;
				off[c] = v;
				if ((m = oof_macro(s, yo, n, K, off)) > best + 1e-9) {
					best = m;
					bc = v;
				}
			}
			off[c] = bc;
		}
	/* offsets that gain less than CALIB_GAIN in all chase noise */
	v = oof_macro(s, yo, n, K, (double[8]){0});
	if (best < v + CALIB_GAIN)
		for (c = 0; c < K; c++)
			off[c] = 0;
	fprintf(stderr, "calibrate %s: out-of-fold macro-F1 %.3f -> %.3f, offsets", what, v,
		best < v + CALIB_GAIN ? v : best);
	for (c = 0; c < K; c++) {
		h->bias[c] += (float)off[c];
		fprintf(stderr, " %+.2f", off[c]);
	}
	fprintf(stderr, "\n");
	rc = 0;
done:
	free(t.w);
	free(yf);
	free(yo);
	free(idx);
	free(s);
	return rc;
}

void lin_quantise(lin_model *m)
{
	size_t hI, i;

	for (hI = 0; hI < m->nheads; hI++) {
		lin_head *h = &m->head[hI];
		size_t n = ROWS * h->nclass;
		float mx = 0, scale;
		for (i = 0; i < n; i++)
			if (fabsf(h->w[i]) > mx)
				mx = fabsf(h->w[i]);
		scale = mx > 0 ? mx / 127.0f : 1.0f;
		for (i = 0; i < n; i++)
			h->w[i] = scale * roundf(h->w[i] / scale);
	}
}

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static void putf(FILE *f, float x)
{
	uint32_t u;

	memcpy(&u, &x, sizeof(u));
	put32(f, u);
}

int lin_write(const lin_model *m, const char *path)
{
	FILE *f = fopen(path, "wb");
	size_t hI, i;
	signed char *q = NULL;
	float scale[4];
	int err;

	if (!f)
		return -1;
	fwrite(KD_MODEL_MAGIC, 1, 4, f);
	put32(f, KD_FEATURE_VERSION);
	put32(f, KD_FEATURE_BITS);
	put32(f, (uint32_t)m->task);
	put32(f, (uint32_t)m->nheads);
	for (hI = 0; hI < m->nheads; hI++) {
		const lin_head *h = &m->head[hI];
		float mx = 0;
		for (i = 0; i < ROWS * h->nclass; i++)
			if (fabsf(h->w[i]) > mx)
				mx = fabsf(h->w[i]);
		scale[hI] = mx > 0 ? mx / 127.0f : 1.0f;
		put32(f, h->nclass);
		putf(f, scale[hI]);
		for (i = 0; i < h->nclass; i++)
			putf(f, h->bias[i]);
	}
	for (hI = 0; hI < m->nheads && !ferror(f); hI++) {
		const lin_head *h = &m->head[hI];
		size_t n = ROWS * h->nclass;
		if (!(q = malloc(n))) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
		for (i = 0; i < n; i++) {
			float v = roundf(h->w[i] / scale[hI]);
			q[i] = (signed char)(v > 127 ? 127 : v < -127 ? -127 : v);
		}
		fwrite(q, 1, n, f);
		free(q);
	}
	err = ferror(f);
	if (fclose(f) != 0 || err)
		return -1;
	return 0;
}

void lin_free(lin_model *m)
{
	size_t i;

	for (i = 0; m && i < m->nheads; i++) {
		free(m->head[i].w);
		m->head[i].w = NULL;
	}
}
