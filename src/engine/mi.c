/*
 * engine/mi.c: the motivational-interviewing reading of a helper's
 * utterance by rules, used when no model (models/mi.bin) is given; its
 * answer is also a feature of the model (docs/models.md):
 *   question   a sentence ends in '?' or opens like an open question
 *              ("tell me about ...").  Open when it starts with a wh-word
 *              or an open-question cue, closed when it starts with an
 *              auxiliary ("do you", "are you") or is a statement with '?'.
 *   reflection a reflection cue ("it sounds like", "so you feel") or a
 *              statement opening with "you" ("You're not sure yet.").  Complex
 *              when it names a feeling, carries a complex cue ("part of
 *              you", "on the one hand") or says mostly what the client did
 *              not (under half its stems appear in the client's turn).
 *   input      the strongest of information, advice, negotiation, options.
 *   other      none of these ("mm-hmm", greetings).
 * A client's utterance has no mi reading (KD_MI_NA).
 *
 * Workload: a pass over the sentences and the cue scores; no allocation.
 */
#include "internal.h"

#include <string.h>

/* The share of the utterance's stems found in the context turn. */
static double overlap(const kd_text *t, const kd_text *ctx)
{
	size_t i, j, n = 0, hit = 0;

	for (i = 0; i < t->ntok; i++) {
		if (t->tok[i].slen < 3)
			continue;
		n++;
		for (j = 0; j < ctx->ntok; j++)
			if (ctx->tok[j].hstem == t->tok[i].hstem) {
				hit++;
				break;
			}
	}
	return n ? (double)hit / (double)n : 0.0;
}

void mi_read(kd_analyzer *a, const kd_input *in, kd_mi *out)
{
	const kd_text *t = &a->text;
	const double *s = a->cue_score;
	size_t i, qs = SIZE_MAX;
	int you_start = 0, best;
	static const int inputs[] = {CUE_MI_INFORMATION, CUE_MI_ADVICE, CUE_MI_NEGOTIATION,
				     CUE_MI_OPTIONS};
	static const kd_mi_sub subs[] = {KD_MI_INFORMATION, KD_MI_ADVICE, KD_MI_NEGOTIATION,
					 KD_MI_OPTIONS};

	memset(out, 0, sizeof(*out));
	if (in->speaker != KD_SPEAKER_HELPER)
		return;
	for (i = 0; i < t->nsent; i++)
		if (t->sent[i].flags & SF_QUESTION)
			qs = i;
	if (qs != SIZE_MAX || s[CUE_MI_OPEN] > 0) {
		out->behaviour = KD_MI_QUESTION;
		if (qs == SIZE_MAX || s[CUE_MI_OPEN] > s[CUE_MI_CLOSED])
			out->question = KD_MI_OPEN;
		else if (t->sent[qs].first < t->sent[qs].end &&
			 (t->tok[t->sent[qs].first].flags & TF_WH))
			out->question = KD_MI_OPEN;
		else
			out->question = KD_MI_CLOSED;
		return;
	}
	for (i = 0; i < t->nsent; i++) {
		const kd_sent *se = &t->sent[i];
		if (se->first < se->end && (t->tok[se->first].flags & TF_YOU))
			you_start = 1;
	}
	if (s[CUE_MI_REFLECTION] > 0 || you_start) {
		out->behaviour = KD_MI_REFLECTION;
		if (s[CUE_MI_COMPLEX] > 0 || s[CUE_EMOTION] > 0 ||
		    (a->ctx.ntok > 0 && overlap(t, &a->ctx) < 0.5))
			out->reflection = KD_MI_COMPLEX;
		else
			out->reflection = KD_MI_SIMPLE;
		return;
	}
	best = -1;
	for (i = 0; i < 4; i++)
		if (s[inputs[i]] > 0 && (best < 0 || s[inputs[i]] > s[inputs[best]]))
			best = (int)i;
	if (best >= 0) {
		out->behaviour = KD_MI_INPUT;
		out->input = subs[best];
		return;
	}
	out->behaviour = KD_MI_OTHER;
}
