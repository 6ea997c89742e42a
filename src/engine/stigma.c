/*
 * engine/stigma.c: the stigma reading — spans of stigmatising or blaming
 * wording in clinical writing, each with a person-first or neutral
 * alternative and the reason (lexicons/stigma.tsv, docs/stigma.md).
 *
 * Rows are "term <TAB> pattern <TAB> suggestion <TAB> reason"; a row
 * whose suggestion is "-" allows its pattern and cancels any hit it
 * overlaps ("alcoholic drinks" is not "an alcoholic").  Where hits
 * overlap, the longest wins ("committed suicide" over "suicide").
 *
 * Words inside quotation marks are not flagged: a note that quotes a
 * person's own words about themselves ("describes himself as "an
 * addict"") is accurate documentation, and changing a quotation would
 * misreport them.  Unquoted reported wording is flagged, since the writer
 * chose it (docs/stigma.md).
 *
 * Workload: one lexicon scan per utterance or per note; hits go into the
 * analyzer's reused array.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct stigma_ctx {
	kd_engine *e;
	const kd_engine_data *d;
	const char *name;
	kd_text *scratch;
	struct sb_stemmer *st;
	size_t cap;
} stigma_ctx;

static int stigma_row(void *vctx, tsv_row *row)
{
	stigma_ctx *c = vctx;
	kd_engine *e = c->e;
	stigma_rule *r;
	int rc, allow;

	if (row->nfield < 3 || (strcmp(row->field[2], "-") != 0 && row->nfield < 4)) {
		engine_error(c->d, c->name, row->line, "expected term, pattern, suggestion, reason");
		return KD_ENGINE_EDATA;
	}
	allow = strcmp(row->field[2], "-") == 0;
	if ((rc = grow((void **)&e->stigma_rules, &c->cap, e->n_stigma + 1, sizeof(stigma_rule))) != 0)
		return rc;
	r = &e->stigma_rules[e->n_stigma];
	memset(r, 0, sizeof(*r));
	if (!(r->term = engine_strdup(e, row->field[0])))
		return KD_ENGINE_ENOMEM;
	if (!allow && (!(r->suggestion = engine_strdup(e, row->field[2])) ||
		       !(r->reason = engine_strdup(e, row->field[3]))))
		return KD_ENGINE_ENOMEM;
	rc = lex_add(&e->stigma, row->field[1], (uint32_t)e->n_stigma, c->scratch, c->st, &e->wc);
	if (rc == KD_ENGINE_EDATA)
		engine_error(c->d, c->name, row->line, "bad pattern");
	if (rc == 0)
		e->n_stigma++;
	return rc;
}

int stigma_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
		struct sb_stemmer *st)
{
	stigma_ctx c = {e, d, b->name, scratch, st, 0};
	int rc;

	if ((rc = tsv_each(b->data, b->len, stigma_row, &c)) != 0)
		return rc;
	return lex_finish(&e->stigma);
}

/* Earlier first, then longer first. */
static int match_cmp(const void *x, const void *y)
{
	const lex_match *a = x, *b = y;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

int stigma_read(kd_analyzer *a, const kd_stigma_hit **hits, size_t *n)
{
	const kd_engine *e = a->e;
	const kd_text *t = &a->text;
	lex_matches *lm = &a->lm;
	size_t i, j;
	uint32_t covered = 0; /* first token not yet covered by a hit */
	int rc, have = 0;

	lm->n = 0;
	a->nhits = 0;
	*hits = NULL;
	*n = 0;
	if ((rc = lex_scan(&e->stigma, t, lm)) != 0)
		goto done;
	if (lm->n > 1)
		qsort(lm->m, lm->n, sizeof(lex_match), match_cmp);
	for (i = 0; i < lm->n; i++) {
		const lex_match *m = &lm->m[i];
		const stigma_rule *r = &e->stigma_rules[m->rule];
		kd_stigma_hit *h;
		int allowed = 0;
		if (!r->suggestion || (have && m->first < covered))
			continue;
		if (t->tok[m->first].flags & TF_QUOTED)
			continue;
		for (j = 0; j < lm->n && !allowed; j++) {
			const lex_match *b = &lm->m[j];
			if (!e->stigma_rules[b->rule].suggestion && b->first <= m->last && m->first <= b->last)
				allowed = 1;
		}
		if (allowed)
			continue;
		if ((rc = grow((void **)&a->hits, &a->hitcap, a->nhits + 1, sizeof(kd_stigma_hit))) != 0)
			goto done;
		h = &a->hits[a->nhits++];
		h->start = t->tok[m->first].ostart;
		h->end = t->tok[m->last].oend;
		h->term = r->term;
		h->suggestion = r->suggestion;
		h->reason = r->reason;
		covered = m->last + 1;
		have = 1;
	}
	*hits = a->hits;
	*n = a->nhits;
done:
	return rc;
}
