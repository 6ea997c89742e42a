/*
 * metrics.c: precision, recall, F1 (metrics.h).  A label with no gold and
 * no predicted examples has F1 0 and still counts in the macro average,
 * as scikit-learn does by default, so a missing class is not hidden.
 */
#include "cli/metrics.h"

#include <string.h>

void metrics_init(metrics *m, size_t k, size_t scored)
{
	memset(m, 0, sizeof(*m));
	m->k = k;
	m->scored = scored;
}

void metrics_add(metrics *m, int gold, int pred)
{
	if (gold < 0 || pred < 0 || (size_t)gold >= m->k || (size_t)pred >= m->k)
		return;
	m->m[gold][pred]++;
}

static void prf(const metrics *m, size_t c, double *p, double *r, double *f, size_t *support)
{
	size_t i, tp = m->m[c][c], gold = 0, pred = 0;

	for (i = 0; i < m->k; i++) {
		gold += m->m[c][i];
		pred += m->m[i][c];
	}
	*p = pred ? (double)tp / (double)pred : 0;
	*r = gold ? (double)tp / (double)gold : 0;
	*f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
	*support = gold;
}

double metrics_macro_f1(const metrics *m)
{
	double p, r, f, sum = 0;
	size_t c, s;

	for (c = 0; c < m->scored; c++) {
		prf(m, c, &p, &r, &f, &s);
		sum += f;
	}
	return m->scored ? sum / (double)m->scored : 0;
}

void metrics_print(FILE *out, const metrics *m, const char *title, const char *const *names,
		   double target)
{
	double p, r, f;
	size_t c, s, n = 0, i;

	for (c = 0; c < m->k; c++)
		for (i = 0; i < m->k; i++)
			n += m->m[c][i];
	fprintf(out, "%-44s macro-F1 %.3f", title, metrics_macro_f1(m));
	if (target > 0)
		fprintf(out, "  (target %.2f%s)", target,
			metrics_macro_f1(m) >= target ? ", met" : ", not met");
	fprintf(out, "  n=%zu\n", n);
	for (c = 0; c < m->scored; c++) {
		prf(m, c, &p, &r, &f, &s);
		fprintf(out, "    %-30s P %.3f  R %.3f  F1 %.3f  (%zu)\n", names[c], p, r, f, s);
	}
}
