/*
 * engine/strategy.c: which of ESConv's eight support strategies a reply
 * uses by rules, used when no model (models/strategy.bin) is given and
 * as a feature of the model (docs/models.md).  A question wins (the
 * reply asks); otherwise the strategy with the highest cue score, ties
 * going to the order below; with no cue at all, "Others".
 *
 * Workload: reads the analyzer's cue scores; no allocation.
 */
#include "internal.h"

kd_strategy strategy_read(kd_analyzer *a)
{
	static const struct {
		int cue;
		kd_strategy s;
	} order[] = {
		{CUE_ST_FEELINGS, KD_STRATEGY_REFLECTION_OF_FEELINGS},
		{CUE_ST_RESTATEMENT, KD_STRATEGY_RESTATEMENT},
		{CUE_ST_SELF_DISCLOSURE, KD_STRATEGY_SELF_DISCLOSURE},
		{CUE_ST_SUGGESTIONS, KD_STRATEGY_SUGGESTIONS},
		{CUE_ST_INFORMATION, KD_STRATEGY_INFORMATION},
		{CUE_ST_AFFIRMATION, KD_STRATEGY_AFFIRMATION},
	};
	const kd_text *t = &a->text;
	kd_strategy best = KD_STRATEGY_OTHERS;
	double bs = 0;
	size_t i;

	for (i = 0; i < t->nsent; i++)
		if (t->sent[i].flags & SF_QUESTION)
			return KD_STRATEGY_QUESTION;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a->cue_score[order[i].cue] > bs) {
			bs = a->cue_score[order[i].cue];
			best = order[i].s;
		}
	return best;
}
