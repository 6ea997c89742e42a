/*
 * engine/compassion.c: the five elements of compassion, each in [0, 1],
 * as defined in docs/compassion.md — a rules-only first cut built from
 * the other readings and documented cues:
 *   recognition   naming or acknowledging the suffering: recognition
 *                 cues, a feeling word, an emotional reaction or
 *                 interpretation;
 *   universality  "you're not alone", "many people feel this";
 *   empathy       the three EPITOME mechanisms, (ER + IP + EX) / 6;
 *   tolerance     0.5 for neutral text, raised by staying with distress
 *                 ("take your time", "it makes sense you feel"), lowered by
 *                 minimising or rushing ("at least", "just cheer up");
 *   action        offering a next step; with permission ("would it help
 *                 if", "would you like") it counts in full, as bare advice
 *                 it counts 60%.
 *
 * Workload: arithmetic over cue scores; no allocation.
 */
#include "internal.h"

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void compassion_read(kd_analyzer *a, const kd_result *r, kd_compassion *out)
{
	const double *s = a->cue_score;
	double act;

	out->recognition = clamp01(s[CUE_C_RECOGNITION] + (s[CUE_EMOTION] > 0 ? 0.25 : 0) +
				   (r->empathy.emotional_reactions > 0 ? 0.25 : 0) +
				   (r->empathy.interpretations > 0 ? 0.25 : 0));
	out->universality = clamp01(s[CUE_C_UNIVERSALITY]);
	out->empathy = (r->empathy.emotional_reactions + r->empathy.interpretations +
			r->empathy.explorations) / 6.0;
	out->tolerance = clamp01(0.5 + s[CUE_C_TOLERANCE]);
	act = s[CUE_C_ACTION] + 0.5 * s[CUE_ST_SUGGESTIONS];
	if (act > 0 && s[CUE_C_PERMISSION] > 0)
		act += 0.4;
	else if (act > 0 && r->mi.input == KD_MI_ADVICE)
		act *= 0.6;
	out->action = clamp01(act);
}
