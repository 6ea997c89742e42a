/*
 * metrics.h: per-label precision, recall and F1 and their macro average,
 * from a confusion matrix, for `kindred train` and `kindred eval`.
 */
#ifndef KD_METRICS_H
#define KD_METRICS_H

#include <stddef.h>
#include <stdio.h>

#define METRICS_MAX 9

typedef struct metrics {
	size_t k;                              /* labels, incl. any "none" */
	size_t scored;                         /* the first `scored` enter macro-F1 */
	size_t m[METRICS_MAX][METRICS_MAX];    /* [gold][pred] */
} metrics;

void metrics_init(metrics *m, size_t k, size_t scored);
void metrics_add(metrics *m, int gold, int pred);
/* Macro-F1 over the scored labels. */
double metrics_macro_f1(const metrics *m);
/* Prints a title line with macro-F1 (and target, if > 0) and one line per
 * scored label: P, R, F1, support. */
void metrics_print(FILE *f, const metrics *m, const char *title, const char *const *names,
		   double target);

#endif
