/*
 * linear.h: multinomial logistic regression over the engine's hashed
 * features, trained with AdaGrad, for `kindred train`; and the writer of
 * the model file format the engine loads (include/kindred/engine.h).
 */
#ifndef KD_LINEAR_H
#define KD_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "kindred/engine.h"

/* Examples as feature lists: example i has feat[off[i]..off[i+1]). */
typedef struct lin_data {
	uint32_t *feat;
	size_t *off;
	size_t n;
} lin_data;

typedef struct lin_opts {
	int epochs;      /* passes over the data (default 6) */
	double lr;       /* AdaGrad step (default 0.03) */
	double l2;       /* L2 penalty per update (default 1e-6) */
	double balance;  /* class weight (n / (k n_c))^balance; 0 = none (default 1) */
	unsigned seed;   /* shuffling */
	int average;     /* runs with different seeds whose weights are averaged (5) */
	int progress;    /* print progress on stderr */
} lin_opts;

typedef struct lin_head {
	uint32_t nclass;
	float *w;       /* [2^KD_FEATURE_BITS][nclass] */
	float bias[8];
} lin_head;

typedef struct lin_model {
	kd_task task;
	size_t nheads;
	lin_head head[4];
} lin_model;

void lin_opts_default(lin_opts *o);
/* Trains head h of m on the examples whose label y[i] >= 0.  Returns 0 or
 * -1 on out of memory. */
int lin_train(lin_head *h, const lin_data *d, const int *y, const lin_opts *o, const char *what);
/* Shared by the trainers (linear.c, mlp.c): lin_labelled puts the
 * indices of d's examples labelled 0..K-1 in order[] (room for d->n) and
 * each class's weight (n / (K n_c))^balance in cw[], returning how many;
 * lin_shuffle permutes order[0..n) from *seed (lin_rand: the generator);
 * lin_softmax_grad turns scores s[0..K) into weight * (softmax - one-hot
 * of lab), the loss gradient per score. */
size_t lin_labelled(const lin_data *d, const int *y, uint32_t K, double balance, size_t *order,
		    double *cw);
unsigned lin_rand(unsigned *s);
void lin_shuffle(size_t *order, size_t n, unsigned *seed);
void lin_softmax_grad(double *s, uint32_t K, int lab, double weight);
/* Moves h's biases so that macro-F1 is best on out-of-fold scores of
 * the training examples (folds contiguous blocks of d): one offset per
 * class, a threshold calibration learned without the dev split.  Returns
 * 0 or -1 on out of memory. */
int lin_calibrate(lin_head *h, const lin_data *d, const int *y, const lin_opts *o, int folds,
		  const char *what);
/* The best class of h for example i of d (float weights, as trained). */
int lin_predict(const lin_head *h, const lin_data *d, size_t i);
/* Writes m to path in the engine's format (int8 weights, one scale per
 * head).  Returns 0, or -1 with errno set. */
int lin_write(const lin_model *m, const char *path);
/* Rounds m's weights to what the file will hold (int8 * scale), so
 * figures measured afterwards are those of the written model. */
void lin_quantise(lin_model *m);
void lin_free(lin_model *m);

#endif
