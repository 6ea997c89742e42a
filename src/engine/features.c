/*
 * engine/features.c: the features the learned models read — hashed into
 * 2^KD_FEATURE_BITS buckets, each feature present once per occurrence:
 *
 *   words      stem unigrams, stem bigrams and trigrams (a sentence start
 *              is a word of its own, so "what do" at a start differs from
 *              one inside), the utterance's first word, first two words
 *              and last word, and negated stems ("not" + stem);
 *   shape      questions (any, first, last sentence, how many), length in
 *              words and sentences (bucketed), "you" / "I" openings;
 *   cues       each cue label of lexicons/cues.tsv that fired, with its
 *              strength bucketed, and the rules' own mi, strategy and
 *              empathy answers — so a model can lean on a rule or not;
 *   context    from the other speaker's latest turn (what a reflection
 *              reflects): the share of the utterance's content stems found
 *              there and the count of shared stems (bucketed, alone and
 *              with the opening word and with a final '?': "so you'd like
 *              to stop?" repeating the client is a reflection), whether
 *              that turn asked a question, its length (not its words: on
 *              EPITOME the seeker's words cost 3-8 points of macro-F1, on
 *              AnnoMI and ESConv they gained nothing); when that turn is a
 *              backchannel ("mm-hmm"), the same overlap with the other
 *              speaker's last substantive turn before it; the speaker's
 *              own previous turn (its first word, stems, whether it asked
 *              or was cut off; its stems again as a continuation when
 *              either side of the cut has a dash); how many turns came
 *              before (bucketed: where in the conversation we are);
 *              whether this turn starts or ends with a dash (AnnoMI
 *              splits a turn around "mm-hmm");
 *   ending     the last two stems ("is that right", "right?") and the
 *              first two with the final '?' ("do you ...?" asks, "so you
 *              ...?" reflects).
 *
 * Changing anything here changes what a weight means: bump
 * KD_FEATURE_VERSION, so that older model files are refused, and retrain.
 *
 * Workload: per utterance on the hot path; a->feat grows geometrically
 * and is reused, so a warm analyzer allocates nothing.
 */
#include "internal.h"

#include <string.h>

enum {
	F_BIAS = 1, F_UNI, F_BI, F_TRI, F_FIRST, F_FIRST2, F_LAST, F_NEG, F_Q, F_LEN, F_CUE,
	F_RULE, F_OVL, F_OVLFIRST, F_SHARED, F_CTXQ, F_CTXLEN, F_CTXUNI, F_OPEN, F_SHAPE, F_POS,
	F_PREVFIRST, F_PREVQ, F_PREVUNI, F_LAST2, F_QFIRST2, F_QOVL, F_CONTUNI, F_SUB, F_SUBFIRST,
	F_SUBSTEM
};

#define BOS 0x5bd1e995u /* the stem hash of a sentence start */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static int push(kd_analyzer *a, unsigned kind, uint64_t x, uint64_t y)
{
	uint64_t h = mix(mix(((uint64_t)kind << 56) ^ x) ^ y);
	int rc;

	if (a->nfeat == a->featcap &&
	    (rc = grow((void **)&a->feat, &a->featcap, a->nfeat + 1, sizeof(uint32_t))) != 0)
		return rc;
	a->feat[a->nfeat++] = (uint32_t)(h >> (64 - KD_FEATURE_BITS));
	return 0;
}

static unsigned bucket(size_t n)
{
	static const size_t edge[] = {0, 1, 2, 3, 5, 8, 12, 20, 35, 60, 100};
	unsigned b = 0;

	while (b < sizeof(edge) / sizeof(edge[0]) && n > edge[b])
		b++;
	return b;
}

/* Whether stem hash h occurs in t (short texts: a linear scan). */
static int has_stem(const kd_text *t, uint64_t h)
{
	size_t j;

	for (j = 0; j < t->ntok; j++)
		if (t->tok[j].hstem == h)
			return 1;
	return 0;
}

/* The speaker's own latest turn in the context, or NULL. */
static const kd_turn *own_turn(const kd_input *in)
{
	size_t i = in->n_context;

	while (i-- > 0)
		if (in->context[i].speaker == in->speaker)
			return &in->context[i];
	return NULL;
}

/* The other speaker's latest turn of SUBSTANTIVE words or more within
 * the last LOOKBACK turns, when their very latest turn is shorter (a
 * backchannel: AnnoMI cuts a therapist's turn around "mm-hmm", and what
 * is reflected is what the client said before it), or NULL. */
#define SUBSTANTIVE 4
#define LOOKBACK 6

static const kd_turn *substantive_turn(const kd_input *in, const kd_text *c)
{
	size_t i = in->n_context, seen = 0, words;
	int latest = 1;

	if (!c->ntok || c->ntok >= SUBSTANTIVE)
		return NULL;
	while (i-- > 0 && seen++ < LOOKBACK) {
		const kd_turn *t = &in->context[i];
		const char *s = t->text;
		size_t j;
		int inword = 0;
		if (t->speaker == in->speaker)
			continue;
		if (latest) {
			latest = 0;
			continue;
		}
		/* a cheap word count on the raw text decides whether to pay for
		 * the text layer */
		for (j = 0, words = 0; s && j < t->len; j++) {
			int w = (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
				(unsigned char)s[j] >= 0x80;
			if (w && !inword)
				words++;
			inword = w;
		}
		if (words >= SUBSTANTIVE)
			return t;
	}
	return NULL;
}

/* 1 if the original text starts (end = 0) or ends (end = 1) with a dash:
 * a turn cut by the other speaker's backchannel, continuing elsewhere. */
static unsigned dashed(const kd_text *t, int end)
{
	const unsigned char *s = (const unsigned char *)t->orig;
	size_t n = t->olen, i;

	if (!s || !n)
		return 0;
	if (!end) {
		for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
			;
		return (unsigned)(i < n && (s[i] == '-' || (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
						  (s[i + 2] == 0x93 || s[i + 2] == 0x94))));
	}
	for (i = n; i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n'); i--)
		;
	return (unsigned)(i > 0 && (s[i - 1] == '-' ||
			 (i >= 3 && s[i - 3] == 0xe2 && s[i - 2] == 0x80 &&
			  (s[i - 1] == 0x93 || s[i - 1] == 0x94 || s[i - 1] == 0xa6))));
}

int features_extract(kd_analyzer *a, const kd_input *in)
{
	const kd_text *t = &a->text, *c = &a->ctx, *pv = &a->prev;
	const kd_turn *own = own_turn(in);
	kd_speaker sp = in->speaker;
	size_t i, nq = 0, content = 0, shared = 0, ntok = t->ntok;
	uint64_t p1 = BOS, p2 = BOS, first;
	unsigned ovl = 0, qlast;
	const kd_turn *sub;
	kd_mi mi;
	kd_empathy em;
	kd_input hin;
	int rc = 0;

#define PUSH(k, x, y)                                  \
	do {                                           \
		if ((rc = push(a, (k), (x), (y))) != 0) \
			return rc;                     \
	} while (0)

	a->nfeat = 0;
	PUSH(F_BIAS, 0, 0);
	for (i = 0; i < ntok; i++) {
		const kd_tok *k = &t->tok[i];
		if (i == 0 || t->tok[i - 1].sent != k->sent)
			p1 = p2 = BOS;
		PUSH(F_UNI, k->hstem, 0);
		PUSH(F_BI, p1, k->hstem);
		PUSH(F_TRI, p2 ^ (p1 << 1), k->hstem);
		if (k->flags & TF_NEGATED)
			PUSH(F_NEG, k->hstem, 0);
		p2 = p1;
		p1 = k->hstem;
		if (k->slen >= 3) {
			content++;
			if (c->ntok && has_stem(c, k->hstem))
				shared++;
		}
	}
	first = ntok ? t->tok[0].hstem : 0;
	PUSH(F_FIRST, first, 0);
	PUSH(F_FIRST2, first, ntok > 1 ? t->tok[1].hstem : 0);
	PUSH(F_LAST, ntok ? t->tok[ntok - 1].hstem : 0, 0);
	for (i = 0; i < t->nsent; i++)
		if (t->sent[i].flags & SF_QUESTION)
			nq++;
	PUSH(F_Q, 1, nq > 0);
	PUSH(F_Q, 2, t->nsent && (t->sent[0].flags & SF_QUESTION));
	PUSH(F_Q, 3, t->nsent && (t->sent[t->nsent - 1].flags & SF_QUESTION));
	PUSH(F_Q, 4, bucket(nq));
	PUSH(F_LEN, 1, bucket(ntok));
	PUSH(F_LEN, 2, bucket(t->nsent));
	PUSH(F_OPEN, 1, ntok && (t->tok[0].flags & TF_YOU));
	PUSH(F_OPEN, 2, ntok && (t->tok[0].flags & TF_SELF));
	for (i = 0; i < CUE_NLABELS; i++)
		if (a->cue_score[i] != 0)
			PUSH(F_CUE, i, a->cue_score[i] >= 2 ? 2 : a->cue_score[i] > 0 ? 1 : 3);
	/* the rules' answers, as features a model may use or ignore */
	memset(&hin, 0, sizeof(hin));
	hin.speaker = KD_SPEAKER_HELPER;
	mi_read(a, &hin, &mi);
	empathy_read(a, &em);
	PUSH(F_RULE, 1, (uint64_t)mi.behaviour * 16 + mi.question + mi.reflection + mi.input);
	PUSH(F_RULE, 2, (uint64_t)strategy_read(a));
	PUSH(F_RULE, 3, (uint64_t)em.emotional_reactions);
	PUSH(F_RULE, 4, (uint64_t)em.interpretations);
	PUSH(F_RULE, 5, (uint64_t)em.explorations);
	PUSH(F_RULE, 6, (uint64_t)sp);
	/* context: the other speaker's latest turn */
	if (c->ntok) {
		ovl = content ? (unsigned)(1 + (shared * 5) / content) : 0;
		PUSH(F_OVL, ovl, 0);
		PUSH(F_OVLFIRST, ovl, first);
		PUSH(F_SHARED, bucket(shared), 0);
		nq = 0;
		for (i = 0; i < c->nsent; i++)
			if (c->sent[i].flags & SF_QUESTION)
				nq++;
		PUSH(F_CTXQ, nq > 0, 0);
		PUSH(F_CTXLEN, bucket(c->ntok), 0);
	} else {
		PUSH(F_OVL, 99, 0);
	}
	PUSH(F_SHAPE, 1, dashed(t, 0));
	PUSH(F_SHAPE, 2, dashed(t, 1));
	PUSH(F_POS, bucket(in->n_context), 0);
	/* how it ends ("is that right?", "right?") and conjunctions with the
	 * final question mark: "so you ...?" is a reflection, "do you ...?" a
	 * question, and a question repeating the client's words reflects */
	qlast = t->nsent && (t->sent[t->nsent - 1].flags & SF_QUESTION);
	PUSH(F_LAST2, ntok > 1 ? t->tok[ntok - 2].hstem : 0, ntok ? t->tok[ntok - 1].hstem : 0);
	PUSH(F_QFIRST2, (first << 1) ^ qlast, ntok > 1 ? t->tok[1].hstem : 0);
	PUSH(F_QOVL, ovl, qlast);
	/* the other speaker's last substantive turn, when the latest one was
	 * a backchannel: its overlap, as above */
	pv = &a->prev;
	a->prev.ntok = a->prev.nsent = 0;
	if ((sub = substantive_turn(in, c)) != NULL) {
		if ((rc = text_analyse(&a->prev, sub->text ? sub->text : "", sub->len, a->stemmer,
				       &a->e->wc)) != 0)
			return rc;
		shared = 0;
		for (i = 0; i < ntok; i++)
			if (t->tok[i].slen >= 3 && has_stem(pv, t->tok[i].hstem)) {
				shared++;
				PUSH(F_SUBSTEM, 1, 0);
			}
		ovl = content ? (unsigned)(1 + (shared * 5) / content) : 0;
		PUSH(F_SUB, ovl, qlast);
		PUSH(F_SUBFIRST, ovl, first);
	}
	/* the speaker's own previous turn: what they were doing (a cut-off
	 * turn continues it; strategies come in sequences) */
	a->prev.ntok = a->prev.nsent = 0;
	if (own && (rc = text_analyse(&a->prev, own->text ? own->text : "", own->len, a->stemmer,
				      &a->e->wc)) != 0)
		return rc;
	if (pv->ntok) {
		unsigned cont = dashed(t, 0) || dashed(pv, 1);
		PUSH(F_PREVFIRST, pv->tok[0].hstem, 0);
		PUSH(F_PREVQ, pv->nsent && (pv->sent[pv->nsent - 1].flags & SF_QUESTION), 0);
		PUSH(F_PREVQ, 2, dashed(pv, 1));
		for (i = 0; i < pv->ntok; i++) {
			PUSH(F_PREVUNI, pv->tok[i].hstem, 0);
			/* a turn cut by a backchannel is read with the part
			 * before it: the same behaviour */
			if (cont)
				PUSH(F_CONTUNI, pv->tok[i].hstem, 0);
		}
	} else {
		PUSH(F_PREVFIRST, 0, 1);
	}
#undef PUSH
	return rc;
}
