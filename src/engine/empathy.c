/*
 * engine/empathy.c: EPITOME's three empathy mechanisms for a reply by
 * rules, used when no model (models/empathy.bin) is given and as features
 * of the model (docs/models.md).  Each is 0 (none), 1 (weak) or 2
 * (strong):
 *   emotional reactions  the strongest cue ("sorry to hear" 1, "my heart
 *                        goes out to you" 2);
 *   interpretations      the strongest cue ("I understand" 1, "it must be
 *                        so hard to ..." 2);
 *   explorations         a cue ("tell me more" 1) or a question: a short
 *                        generic one ("what happened?") is weak, a longer
 *                        one about the person's feelings or situation
 *                        (eight words or more, or naming a feeling) strong.
 *
 * Workload: reads the analyzer's cue scores; no allocation.
 */
#include "internal.h"

static int level(double w)
{
	return w >= 2 ? 2 : w >= 1 ? 1 : 0;
}

void empathy_read(kd_analyzer *a, kd_empathy *out)
{
	const kd_text *t = &a->text;
	size_t i;
	int ex = level(a->cue_max[CUE_EX]);

	out->emotional_reactions = level(a->cue_max[CUE_ER]);
	out->interpretations = level(a->cue_max[CUE_IP]);
	for (i = 0; i < t->nsent; i++) {
		const kd_sent *s = &t->sent[i];
		int q;
		if (!(s->flags & SF_QUESTION))
			continue;
		q = (s->end - s->first >= 8 || a->cue_score[CUE_EMOTION] > 0) ? 2 : 1;
		if (q > ex)
			ex = q;
	}
	out->explorations = ex;
}
