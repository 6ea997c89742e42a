/*
 * engine/cues.c: the rule cues behind the mi, empathy, strategy and
 * compassion readings (lexicons/cues.tsv), scored per utterance.
 *
 * Rows are "label <TAB> weight <TAB> pattern [<TAB> flags]".  Labels name
 * what a cue is evidence of ("mi.reflection", "compassion.tolerance");
 * the weight is how much (negative for cues that count against, such as
 * minimising "at least..." for tolerance).  Flag "start": the cue counts
 * only at the start of a sentence or after a comma ("so you feel ...").
 * A negated cue does not count ("I don't understand").
 *
 * The rule readings are built from these scores, and the learned models
 * read them as features (features.c, docs/models.md).
 *
 * Workload: one lexicon scan per utterance; per-label sums and maxima go
 * into fixed arrays in the analyzer.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const label_names[CUE_NLABELS] = {
	"mi.open", "mi.closed", "mi.reflection", "mi.complex", "mi.information",
	"mi.advice", "mi.negotiation", "mi.options", "mi.other", "emotion",
	"empathy.emotional_reactions", "empathy.interpretations", "empathy.explorations",
	"strategy.restatement", "strategy.feelings", "strategy.self_disclosure",
	"strategy.affirmation", "strategy.suggestions", "strategy.information",
	"compassion.recognition", "compassion.universality", "compassion.tolerance",
	"compassion.action", "compassion.permission",
};

typedef struct cue_ctx {
	kd_engine *e;
	const kd_engine_data *d;
	const char *name;
	kd_text *scratch;
	struct sb_stemmer *st;
	size_t cap;
} cue_ctx;

static int cue_row(void *vctx, tsv_row *row)
{
	cue_ctx *c = vctx;
	kd_engine *e = c->e;
	cue_rule *r;
	char *end;
	size_t i;
	int rc, label = -1;
	double w;

	if (row->nfield < 3) {
		engine_error(c->d, c->name, row->line, "expected label, weight, pattern");
		return KD_ENGINE_EDATA;
	}
	for (i = 0; i < CUE_NLABELS; i++)
		if (strcmp(row->field[0], label_names[i]) == 0)
			label = (int)i;
	w = strtod(row->field[1], &end);
	if (label < 0 || end == row->field[1] || *end || w < -10 || w > 10) {
		engine_error(c->d, c->name, row->line, "unknown label or bad weight");
		return KD_ENGINE_EDATA;
	}
	if ((rc = grow((void **)&e->cue_rules, &c->cap, e->n_cues + 1, sizeof(cue_rule))) != 0)
		return rc;
	r = &e->cue_rules[e->n_cues];
	memset(r, 0, sizeof(*r));
	r->label = (uint16_t)label;
	r->weight = w;
	r->at_start = row->nfield > 3 && strstr(row->field[3], "start") != NULL;
	if (!(r->name = engine_cue_name(e, row->field[2])))
		return KD_ENGINE_ENOMEM;
	rc = lex_add(&e->cues, row->field[2], (uint32_t)e->n_cues, c->scratch, c->st, &e->wc);
	if (rc == KD_ENGINE_EDATA)
		engine_error(c->d, c->name, row->line, "bad pattern");
	if (rc == 0)
		e->n_cues++;
	return rc;
}

int cues_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
	      struct sb_stemmer *st)
{
	cue_ctx c = {e, d, b->name, scratch, st, 0};
	int rc;

	if ((rc = tsv_each(b->data, b->len, cue_row, &c)) != 0)
		return rc;
	return lex_finish(&e->cues);
}

int cues_read(kd_analyzer *a)
{
	const kd_engine *e = a->e;
	const kd_text *t = &a->text;
	lex_matches *lm = &a->lm;
	size_t i;
	int rc;

	lm->n = 0;
	a->ncue_ev = 0;
	memset(a->cue_score, 0, sizeof(a->cue_score));
	memset(a->cue_max, 0, sizeof(a->cue_max));
	if ((rc = lex_scan(&e->cues, t, lm)) != 0)
		return rc;
	for (i = 0; i < lm->n; i++) {
		const lex_match *m = &lm->m[i];
		const cue_rule *r = &e->cue_rules[m->rule];
		const kd_tok *k = &t->tok[m->first];
		kd_evidence *ev;
		if (r->at_start && !(k->flags & TF_BOUNDARY))
			continue;
		if (k->flags & TF_NEGATED)
			continue;
		a->cue_score[r->label] += r->weight;
		if (r->weight > a->cue_max[r->label])
			a->cue_max[r->label] = r->weight;
		if ((rc = grow((void **)&a->cue_ev, &a->cue_evcap, a->ncue_ev + 1, sizeof(kd_evidence))) != 0)
			return rc;
		ev = &a->cue_ev[a->ncue_ev++];
		ev->start = k->ostart;
		ev->end = t->tok[m->last].oend;
		ev->cue = label_names[r->label];
	}
	return 0;
}
