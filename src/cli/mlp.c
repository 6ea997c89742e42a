/*
 * mlp.c: an experiment for `kindred train --try-mlp H` (mlp.h): a
 * one-hidden-layer network over the same hashed features (an embedding
 * bag of H ReLU units, then softmax), trained with AdaGrad, measured on
 * the dev split.  The engine reads linear models only, so nothing is
 * written: this says whether a hidden layer would be worth a new model
 * format (docs/models.md, "what was tried").
 *
 * Workload: like linear.c; the input table is 2^KD_FEATURE_BITS x H floats.
 */
#include "cli/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS ((size_t)1 << KD_FEATURE_BITS)
#define HMAX 256

static double urand(unsigned *s)
{
	return (double)lin_rand(s) / 16777216.0 - 0.5;
}

typedef struct net {
	size_t H, K;
	float *E, *gE, *W, *gW, b1[HMAX], gb1[HMAX], b2[8], gb2[8];
} net;

/* Hidden pre-activations a[H] and class scores s[K] of example i. */
static void forward(const net *m, const lin_data *d, size_t i, double *a, double *s)
{
	size_t k, j, c, nf = d->off[i + 1] - d->off[i];
	double norm = nf ? 1.0 / sqrt((double)nf) : 0;

	for (j = 0; j < m->H; j++)
		a[j] = 0;
	for (k = d->off[i]; k < d->off[i + 1]; k++) {
		const float *row = m->E + (size_t)d->feat[k] * m->H;
		for (j = 0; j < m->H; j++)
			a[j] += row[j];
	}
	for (j = 0; j < m->H; j++)
		a[j] = m->b1[j] + norm * a[j];
	for (c = 0; c < m->K; c++) {
		s[c] = m->b2[c];
		for (j = 0; j < m->H; j++)
			if (a[j] > 0)
				s[c] += m->W[j * m->K + c] * a[j];
	}
}

static int predict(const net *m, const lin_data *d, size_t i)
{
	double a[HMAX], s[8];
	size_t c;
	int best = 0;

	forward(m, d, i, a, s);
	for (c = 1; c < m->K; c++)
		if (s[c] > s[best])
			best = (int)c;
	return best;
}

static double macro(const net *m, const lin_data *d, const int *y)
{
	size_t i, c, tp[8] = {0}, gold[8] = {0}, pred[8] = {0};
	double sum = 0;

	for (i = 0; i < d->n; i++) {
		int p;
		if (y[i] < 0)
			continue;
		p = predict(m, d, i);
		gold[y[i]]++;
		pred[p]++;
		tp[p] += y[i] == p;
	}
	for (c = 0; c < m->K; c++)
		if (gold[c] + pred[c])
			sum += 2.0 * (double)tp[c] / (double)(gold[c] + pred[c]);
	return sum / (double)m->K;
}

int mlp_try(const lin_data *tr, const int *ytr, const lin_data *dv, const int *ydv, size_t K,
	    size_t H, const lin_opts *o, const char *what)
{
	net m;
	size_t *order = NULL, n, i, j, c, k;
	double cw[8], a[HMAX], p[8], dh[HMAX];
	unsigned seed = o->seed;
	int ep, rc = -1;

	memset(&m, 0, sizeof(m));
	if (H < 1 || H > HMAX || K > 8)
		return -1;
	m.H = H;
	m.K = K;
	if (!(m.E = calloc(ROWS * H, sizeof(float))) || !(m.gE = calloc(ROWS * H, sizeof(float))) ||
	    !(m.W = calloc(H * K, sizeof(float))) || !(m.gW = calloc(H * K, sizeof(float))) ||
	    !(order = malloc((tr->n + 1) * sizeof(size_t))))
		goto done;
	for (i = 0; i < ROWS * H; i++)
		m.E[i] = (float)(0.2 * urand(&seed));
	for (i = 0; i < H * K; i++)
		m.W[i] = (float)(2.0 * urand(&seed) / sqrt((double)H));
	n = lin_labelled(tr, ytr, (uint32_t)K, o->balance, order, cw);
	for (ep = 0; ep < o->epochs; ep++) {
		lin_shuffle(order, n, &seed);
		for (j = 0; j < n; j++) {
			size_t ex = order[j], h, nf = tr->off[ex + 1] - tr->off[ex];
			double norm = nf ? 1.0 / sqrt((double)nf) : 0;
			forward(&m, tr, ex, a, p);
			lin_softmax_grad(p, (uint32_t)K, ytr[ex], cw[ytr[ex]]);
			for (h = 0; h < H; h++) {
				dh[h] = 0;
				if (a[h] <= 0)
					continue;
				for (c = 0; c < K; c++) {
					float *w = &m.W[h * K + c];
					double g = p[c] * a[h];
					dh[h] += p[c] * *w;
					m.gW[h * K + c] += (float)(g * g);
					*w -= (float)(o->lr * g / sqrt(m.gW[h * K + c] + 1e-8));
				}
			}
			for (c = 0; c < K; c++) {
				m.gb2[c] += (float)(p[c] * p[c]);
				m.b2[c] -= (float)(o->lr * p[c] / sqrt(m.gb2[c] + 1e-8));
			}
			for (h = 0; h < H; h++) {
				m.gb1[h] += (float)(dh[h] * dh[h]);
				m.b1[h] -= (float)(o->lr * dh[h] / sqrt(m.gb1[h] + 1e-8));
			}
			for (k = tr->off[ex]; k < tr->off[ex + 1]; k++) {
				size_t base = (size_t)tr->feat[k] * H;
				for (h = 0; h < H; h++) {
					double g = dh[h] * norm + o->l2 * m.E[base + h];
					if (g == 0)
						continue;
					m.gE[base + h] += (float)(g * g);
					m.E[base + h] -= (float)(o->lr * g / sqrt(m.gE[base + h] + 1e-8));
				}
			}
		}
		fprintf(stderr, "mlp %s: H %zu, epoch %d: train %.3f dev %.3f\n", what, H, ep + 1,
			macro(&m, tr, ytr), dv ? macro(&m, dv, ydv) : 0.0);
	}
	rc = 0;
done:
	free(m.E);
	free(m.gE);
	free(m.W);
	free(m.gW);
	free(order);
	return rc;
}
