/*
 * engine/risk.c: the risk reading — none, self_harm, ideation or imminent
 * — for a person's own text, with the cues that set it as evidence.
 *
 * Recall comes first: a missed person is the worst error this engine can
 * make.  So cues are many and broad (lexicons/risk.tsv: explicit and
 * indirect wording, text-speak, warning behaviours), and what keeps false
 * alarms down is context, not a shorter list.  A cue is set aside when
 *   - an idiom covers it ("block" rows: "dying to see it", "kill me now");
 *   - a negation scope covers its first word ("I'm not suicidal") unless
 *     the row says noneg;
 *   - the words are someone else's: quoted from or reported of another
 *     person, or the nearest referent before it is someone else or media
 *     ("my friend is suicidal", "in the film ... suicide") — unless the
 *     cue names its own subject ("kill myself", "without me");
 *   - it is recovered history: its sentence holds a "past" marker ("years
 *     ago", "used to") and the text says the person is better ("recovery")
 *     without saying it came back ("relapse"), or its own clause says so
 *     ("three years clean from self-harm");
 *   - a "history" marker shares its sentence ("years ago", "my history
 *     of", "back in uni") and nothing says it came back;
 *   - a "topic" marker shares a sentence that has no I, me or my in it
 *     (a lecture, a screening form, a study), or a "game" or "study"
 *     marker shares its clause ("if I die it's game over");
 *   - a helper asks about it (a question in a helper's turn).
 * Rows flagged negonly turn this round: "keep living", "want to live",
 * "see a future" are cues only inside a negation scope ("I can't keep
 * living like this", "I don't think I want to live"), which catches the
 * many ways of saying it without listing each.
 * Beyond listed phrases, a "want" row (a wish, intent or consideration:
 * "welcome", "fantasising about", "looking forward to") and a "death" row
 * ("dying", "not existing", "didn't wake up") in one sentence within
 * PAIR_SPAN words make an ideation cue, each side passing the same
 * context rules — so new combinations are caught without listing them.
 * The same holds for a self-harm act or object ("harm": blades, blood,
 * "bit my arm") and what makes it the writer's own and now ("harmctx":
 * again, to cope, an urge, hiding it) within a sentence of each other.
 * A surviving self_harm or ideation cue with a plan, means or time
 * ("modifier" rows) within two sentences becomes imminent.  Rows flagged
 * needmod ("one last time", "tonight's the night", "it's time") are too
 * common to count alone: with two modifiers around them (one not their
 * own) they are imminent, else nothing.
 *
 * Context (kd_input.context, for a client's text): the turn just before,
 * when it is a helper's question about risk ("are you thinking of ending
 * your life?": a cue or an "ask" row in a question sentence, about the
 * person and not a third party), makes an answer that opens with "yes",
 * "sometimes", "tonight" ("yes" rows) a cue at the level asked about,
 * and "no, never" nothing; an "asksafe" question ("are you safe?") turns
 * that round.  Means or a plan in the answer, or in a client's text after
 * their own last three turns held a cue, make it imminent; "it" pointing
 * back ("I can't stop thinking about it", "refer" rows) carries the
 * earlier level.  A day alone does not ("I'm seeing my GP tomorrow").
 *
 * Workload: one lexicon scan per utterance plus a pass over its matches;
 * with context, one more scan per turn read (at most four); evidence goes
 * into the analyzer's reused array.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
	RC_SELF_HARM = 1,
	RC_IDEATION,
	RC_IMMINENT,
	RC_MEANS,
	RC_TIME,
	RC_PLAN,
	RC_BLOCK,
	RC_PAST,
	RC_RECOVERY,
	RC_RELAPSE,
	RC_WANT,
	RC_DEATH,
	RC_HARM,
	RC_HARMCTX,
	RC_HISTORY,
	RC_TOPIC,
	RC_GAME,
	RC_ASK,
	RC_ASKHARM,
	RC_ASKPLAN,
	RC_ASKSAFE,
	RC_YES,
	RC_NO,
	RC_REFER,
	RC_STUDY
};

/* A wish, intent or consideration and a death concept in one sentence,
 * within this many words of each other, make an ideation cue. */
#define PAIR_SPAN 8

/* A self-harm act or object and what makes it the writer's own (an
 * urge, coping, "again", a body part) make a self_harm cue within a
 * sentence of each other. */
#define HARM_SENTS 1

/* A needmod cue ("one last time", "high enough") counts only with this
 * many modifiers within NEEDMOD_SENTS sentences, and is then imminent. */
#define NEEDMOD_MIN 2
#define NEEDMOD_SENTS 4

static const char *const cat_names[] = {
	"", "self_harm", "ideation", "imminent", "means", "time", "plan",
	"block", "past", "recovery", "relapse", "want", "death",
	"harm", "harmctx", "history", "topic", "game",
	"ask", "askharm", "askplan", "asksafe", "yes", "no", "refer", "study",
};

typedef struct risk_state {
	const kd_engine *e;
	const kd_text *t;
	const lex_matches *lm;
	uint32_t other;
	int helper, recovered, relapse;
} risk_state;

typedef struct risk_ctx {
	kd_engine *e;
	const kd_engine_data *d;
	const char *name;
	kd_text *scratch;
	struct sb_stemmer *st;
	size_t cap;
} risk_ctx;

/* Row: category <TAB> pattern [<TAB> flags] */
static int risk_row(void *vctx, tsv_row *row)
{
	risk_ctx *c = vctx;
	kd_engine *e = c->e;
	risk_rule *r;
	size_t i;
	uint8_t cat = 0;
	int rc;

	if (row->nfield < 2) {
		engine_error(c->d, c->name, row->line, "expected category and pattern");
		return KD_ENGINE_EDATA;
	}
	for (i = 1; i < sizeof(cat_names) / sizeof(cat_names[0]); i++)
		if (strcmp(row->field[0], cat_names[i]) == 0)
			cat = (uint8_t)i;
	if (!cat) {
		engine_error(c->d, c->name, row->line, "unknown category");
		return KD_ENGINE_EDATA;
	}
	if ((rc = grow((void **)&e->risk_rules, &c->cap, e->n_risk + 1, sizeof(risk_rule))) != 0)
		return rc;
	r = &e->risk_rules[e->n_risk];
	memset(r, 0, sizeof(*r));
	r->cat = cat;
	r->noneg = row->nfield > 2 && strstr(row->field[2], "noneg") != NULL;
	r->negonly = row->nfield > 2 && strstr(row->field[2], "negonly") != NULL;
	r->needmod = row->nfield > 2 && strstr(row->field[2], "needmod") != NULL;
	if (!(r->name = engine_cue_name(e, row->field[1])))
		return KD_ENGINE_ENOMEM;
	rc = lex_add(&e->risk, row->field[1], (uint32_t)e->n_risk, c->scratch, c->st, &e->wc);
	if (rc == KD_ENGINE_EDATA)
		engine_error(c->d, c->name, row->line, "bad pattern");
	if (rc == 0)
		e->n_risk++;
	return rc;
}

int risk_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
	      struct sb_stemmer *st)
{
	risk_ctx c = {e, d, b->name, scratch, st, 0};
	int rc;

	if ((rc = tsv_each(b->data, b->len, risk_row, &c)) != 0)
		return rc;
	return lex_finish(&e->risk);
}

static int overlaps(const lex_match *x, const lex_match *y)
{
	return x->first <= y->last && y->first <= x->last;
}

static int add_evidence(kd_analyzer *a, const kd_text *t, const lex_match *m, const char *cue)
{
	kd_evidence *ev;
	size_t start = t->tok[m->first].ostart, end = t->tok[m->last].oend, i;
	int rc;

	/* one entry per span: a longer cue over the same words wins */
	for (i = 0; i < a->nev; i++) {
		ev = &a->ev[i];
		if (start >= ev->start && end <= ev->end)
			return 0; /* inside (or the same as) a cue already kept */
		if (start <= ev->start && end >= ev->end) {
			ev->start = start;
			ev->end = end;
			ev->cue = cue;
			return 0;
		}
	}
	if ((rc = grow((void **)&a->ev, &a->evcap, a->nev + 1, sizeof(kd_evidence))) != 0)
		return rc;
	ev = &a->ev[a->nev++];
	ev->start = start;
	ev->end = end;
	ev->cue = cue;
	return 0;
}

static int ev_cmp(const void *x, const void *y)
{
	const kd_evidence *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return 0;
}

/* Whether match m is someone else's words or about someone else. */
static int elsewhere(const kd_text *t, const lex_match *m, uint32_t other_mask)
{
	uint32_t i, self = 0;

	for (i = m->first; i <= m->last; i++) {
		if (t->tok[i].flags & TF_ELSEWHERE)
			return 1;
		self |= t->tok[i].flags & TF_SELF;
	}
	if (self)
		return 0;
	return text_referent(t, m->first, other_mask) == TF_OTHER;
}

/* Whether sentence s says "I", "me" or "my" anywhere. */
static int sent_self(const kd_text *t, uint32_t s)
{
	uint32_t i;

	for (i = t->sent[s].first; i < t->sent[s].end; i++)
		if (t->tok[i].flags & TF_SELF)
			return 1;
	return 0;
}

/* Whether match m of rule r survives the context rules: negation (unless
 * its negator lies in match own, as in "the idea of not being alive feels
 * like relief"), a helper's question, someone else's words, an idiom,
 * recovered history, a clinical or media topic with nobody in it, a game. */
static int cue_ok_own(const risk_state *st, const lex_match *m, const risk_rule *r,
		      const lex_match *own)
{
	const kd_text *t = st->t;
	const kd_tok *k = &t->tok[m->first];
	size_t j;
	int neg = (k->flags & TF_NEGATED) != 0;

	if (neg && own && own->last < m->first)
		for (j = own->first, neg = 1; j <= own->last; j++)
			if (t->tok[j].flags & TF_NEG)
				neg = 0;
	if (r->negonly ? !neg : (neg && !r->noneg))
		return 0;
	if (st->helper && (t->sent[k->sent].flags & SF_QUESTION))
		return 0;
	if (elsewhere(t, m, st->other))
		return 0;
	for (j = 0; j < st->lm->n; j++) {
		const lex_match *b = &st->lm->m[j];
		uint8_t c2 = st->e->risk_rules[b->rule].cat;
		if (c2 == RC_BLOCK && overlaps(m, b))
			return 0;
		if (c2 == RC_PAST && st->recovered && !st->relapse && t->tok[b->first].sent == k->sent)
			return 0;
		if (c2 == RC_RECOVERY && !st->relapse && !overlaps(m, b) &&
		    t->tok[b->first].clause == k->clause)
			return 0;
		/* "years ago", "my history of": over unless it came back */
		if (c2 == RC_HISTORY && !st->relapse && t->tok[b->first].sent == k->sent &&
		    !overlaps(m, b))
			return 0;
		/* a lecture, a screening form, a study: unless the writer is in it */
		if (c2 == RC_TOPIC && t->tok[b->first].sent == k->sent && !overlaps(m, b) &&
		    !sent_self(t, k->sent))
			return 0;
		if ((c2 == RC_GAME || c2 == RC_STUDY) && t->tok[b->first].clause == k->clause &&
		    !overlaps(m, b))
			return 0;
	}
	return 1;
}

static int cue_ok(const risk_state *st, const lex_match *m, const risk_rule *r)
{
	return cue_ok_own(st, m, r, NULL);
}

/* The partner category of a pairing category, and the level they make. */
static uint8_t partner(uint8_t cat, kd_risk_level *level)
{
	if (cat == RC_WANT) {
		*level = KD_RISK_IDEATION;
		return RC_DEATH;
	}
	if (cat == RC_HARM) {
		*level = KD_RISK_SELF_HARM;
		return RC_HARMCTX;
	}
	return 0;
}

/* Whether match d (the partner) is near enough to m: want + death in one
 * sentence within PAIR_SPAN words; harm + its context within HARM_SENTS
 * sentences. */
static int near(const kd_text *t, const lex_match *m, const lex_match *d, uint8_t cat)
{
	uint32_t ms = t->tok[m->first].sent, ds = t->tok[d->first].sent;

	if (cat == RC_HARM)
		return (ms > ds ? ms - ds : ds - ms) <= HARM_SENTS;
	if (ms != ds)
		return 0;
	return (d->first > m->last ? d->first - m->last : m->first - d->last) <= PAIR_SPAN;
}

/* Counts the modifiers (means, time, plan) that survive the context
 * rules within sentences [lo, hi] and outside match not (if any), adding
 * them as evidence when add. */
static int modifiers(kd_analyzer *a, const risk_state *st, uint32_t lo, uint32_t hi,
		     const lex_match *not, int add, size_t *n)
{
	const kd_text *t = st->t;
	size_t i;
	int rc;

	*n = 0;
	for (i = 0; i < st->lm->n; i++) {
		const lex_match *m = &st->lm->m[i];
		const risk_rule *r = &st->e->risk_rules[m->rule];
		uint32_t s = t->tok[m->first].sent;
		if (r->cat < RC_MEANS || r->cat > RC_PLAN || s < lo || s > hi ||
		    (not && overlaps(m, not)))
			continue;
		if (!cue_ok(st, m, r))
			continue;
		if (add && (rc = add_evidence(a, t, m, r->name)) != 0)
			return rc;
		(*n)++;
	}
	return 0;
}

/* The risk level of text t on its own (a helper's when helper), its
 * cues added to a->ev; a->lm keeps t's matches and *stp the state that
 * judged them, for the context rules after. */
static int risk_eval(kd_analyzer *a, const kd_text *t, int helper, risk_state *stp,
		     kd_risk_level *levelp)
{
	const kd_engine *e = a->e;
	lex_matches *lm = &a->lm;
	size_t i, j, nmod = 0, nout = 0;
	int rc, blocked;
	risk_state st;
	kd_risk_level level = KD_RISK_NONE;
	uint32_t cue_sent_lo = UINT32_MAX, cue_sent_hi = 0;

	lm->n = 0;
	st.e = e;
	st.t = t;
	st.lm = lm;
	st.helper = helper;
	st.other = TF_OTHER | (st.helper ? TF_YOU : 0);
	st.recovered = st.relapse = 0;
	if ((rc = lex_scan(&e->risk, t, lm)) != 0)
		goto done;
	/* recovery and relapse markers, anywhere in the text */
	for (i = 0; i < lm->n; i++) {
		uint8_t cat = e->risk_rules[lm->m[i].rule].cat;
		if (cat == RC_RELAPSE)
			st.relapse = 1;
		if (cat != RC_RECOVERY)
			continue;
		blocked = 0;
		for (j = 0; j < lm->n; j++) {
			uint8_t c2 = e->risk_rules[lm->m[j].rule].cat;
			if (c2 >= RC_SELF_HARM && c2 <= RC_IMMINENT && overlaps(&lm->m[i], &lm->m[j]))
				blocked = 1;
		}
		if (!blocked && !(t->tok[lm->m[i].first].flags & TF_NEGATED))
			st.recovered = 1;
	}
	/* direct cues, then pairs (so a direct cue names a span both found),
	 * then modifiers near a cue */
	for (i = 0; i < 2 * lm->n; i++) {
		const lex_match *m = &lm->m[i % lm->n];
		const risk_rule *r = &e->risk_rules[m->rule];
		const kd_tok *k = &t->tok[m->first];
		kd_risk_level plevel = KD_RISK_NONE;
		uint8_t pcat = partner(r->cat, &plevel);
		lex_match pair;
		if ((pcat != 0) != (i >= lm->n))
			continue;
		/* a helper's "the cutting is helping you" reflects the client */
		if (pcat == RC_HARMCTX && st.helper)
			continue;
		if (pcat) {
			for (j = 0; j < lm->n; j++) {
				const lex_match *d = &lm->m[j];
				const risk_rule *dr = &e->risk_rules[d->rule];
				if (dr->cat != pcat || overlaps(m, d) || !near(t, m, d, r->cat))
					continue;
				if (!cue_ok_own(&st, m, r, d) || !cue_ok_own(&st, d, dr, m))
					continue;
				pair.rule = m->rule;
				pair.first = m->first < d->first ? m->first : d->first;
				pair.last = m->last > d->last ? m->last : d->last;
				break;
			}
			if (j == lm->n)
				continue;
			m = &pair;
			r = &e->risk_rules[lm->m[j].rule];
			level = level > plevel ? level : plevel;
		} else if (r->cat < RC_SELF_HARM || r->cat > RC_IMMINENT || r->needmod ||
			   !cue_ok(&st, m, r)) {
			continue;
		} else if ((kd_risk_level)r->cat > level) {
			level = (kd_risk_level)r->cat;
		}
		if ((rc = add_evidence(a, t, m, r->name)) != 0)
			goto done;
		if (k->sent < cue_sent_lo)
			cue_sent_lo = k->sent;
		if (k->sent > cue_sent_hi)
			cue_sent_hi = k->sent;
	}
	/* cues too common alone ("one last time", "high enough") count with
	 * a plan, means or time around them, and then as imminent */
	for (i = 0; i < lm->n; i++) {
		const lex_match *m = &lm->m[i];
		const risk_rule *r = &e->risk_rules[m->rule];
		uint32_t s = t->tok[m->first].sent;
		uint32_t lo = s > NEEDMOD_SENTS ? s - NEEDMOD_SENTS : 0;
		if (!r->needmod || !cue_ok(&st, m, r))
			continue;
		/* one modifier may be its own ("tonight's the night"), not all */
		if ((rc = modifiers(a, &st, lo, s + NEEDMOD_SENTS, m, 0, &nout)) != 0 ||
		    (rc = modifiers(a, &st, lo, s + NEEDMOD_SENTS, NULL, 0, &nmod)) != 0)
			goto done;
		if (nout < 1 || nmod < NEEDMOD_MIN)
			continue;
		if ((rc = add_evidence(a, t, m, r->name)) != 0 ||
		    (rc = modifiers(a, &st, lo, s + NEEDMOD_SENTS, NULL, 1, &nmod)) != 0)
			goto done;
		level = KD_RISK_IMMINENT;
	}
	if (level != KD_RISK_NONE && level != KD_RISK_IMMINENT) {
		uint32_t lo = cue_sent_lo > 2 ? cue_sent_lo - 2 : 0;
		if ((rc = modifiers(a, &st, lo, cue_sent_hi + 2, NULL, 1, &nmod)) != 0)
			goto done;
		if (nmod > 0)
			level = KD_RISK_IMMINENT;
	}
	*stp = st;
	*levelp = level;
done:
	return rc;
}

/* The first match of category cat in lm that survives the context rules
 * and starts within the first `within` words (any start when 0). */
static const lex_match *first_of(const risk_state *st, uint8_t cat, uint32_t within)
{
	size_t i;

	for (i = 0; i < st->lm->n; i++) {
		const lex_match *m = &st->lm->m[i];
		const risk_rule *r = &st->e->risk_rules[m->rule];
		if (r->cat == cat && (!within || m->first < within) && cue_ok(st, m, r))
			return m;
	}
	return NULL;
}

/* What the turns before a client's text say about it:
 *   - *asked: the level a helper's question just before asked about ("are
 *     you thinking of ending your life?", a cue in a question sentence,
 *     whoever its subject), and *rule the cue that asked; *safe when it
 *     asked whether the person is safe (so "no" is the risky answer);
 *   - *said: the highest level of the client's own last CTX_OWN turns.
 * Uses a->prev as scratch; leaves a->ev empty. */
#define CTX_OWN 3

static int risk_context(kd_analyzer *a, const kd_input *in, kd_risk_level *asked, uint32_t *rule,
			int *safe, kd_risk_level *said)
{
	const kd_engine *e = a->e;
	kd_text *t = &a->prev;
	risk_state st;
	kd_risk_level l;
	size_t i, k, own = 0;
	int rc = 0;

	*asked = *said = KD_RISK_NONE;
	*safe = 0;
	for (i = in->n_context; i-- > 0 && own < CTX_OWN;) {
		const kd_turn *c = &in->context[i];
		int question = c->speaker == KD_SPEAKER_HELPER && i + 1 == in->n_context;
		if (c->speaker != KD_SPEAKER_CLIENT && !question)
			continue;
		if ((rc = text_analyse(t, c->text ? c->text : "", c->len, a->stemmer, &e->wc)) != 0 ||
		    (rc = text_mark(t, e, 0)) != 0 || (rc = risk_eval(a, t, 0, &st, &l)) != 0)
			break;
		a->nev = 0;
		if (!question) {
			own++;
			*said = l > *said ? l : *said;
			continue;
		}
		/* a question's cues count whoever they are about */
		for (k = 0; k < st.lm->n; k++) {
			const lex_match *m = &st.lm->m[k];
			const risk_rule *r = &e->risk_rules[m->rule];
			kd_risk_level ql = KD_RISK_NONE;
			if (!(t->sent[t->tok[m->first].sent].flags & SF_QUESTION))
				continue;
			if (r->cat >= RC_SELF_HARM && r->cat <= RC_IMMINENT)
				ql = (kd_risk_level)r->cat;
			else if (r->cat == RC_ASK || r->cat == RC_ASKSAFE)
				ql = KD_RISK_IDEATION;
			else if (r->cat == RC_ASKHARM)
				ql = KD_RISK_SELF_HARM;
			else if (r->cat == RC_ASKPLAN)
				ql = KD_RISK_IMMINENT;
			/* "is your brother still thinking of ending his life?" */
			if (ql == KD_RISK_NONE || (t->tok[m->first].flags & TF_NEGATED) ||
			    (r->cat != RC_ASKSAFE && *safe) ||
			    text_referent(t, m->first, TF_OTHER) == TF_OTHER)
				continue;
			if (r->cat == RC_ASKSAFE && *asked != KD_RISK_NONE)
				continue;
			if (ql > *asked || r->cat == RC_ASKSAFE) {
				*asked = ql;
				*rule = m->rule;
				*safe = r->cat == RC_ASKSAFE;
			}
		}
	}
	a->nev = 0;
	return rc;
}

/* Words an answer opens with ("yes", "no") count as the answer to a
 * question when they come this early. */
#define ANSWER_WORDS 4

int risk_read(kd_analyzer *a, const kd_input *in, kd_risk *out)
{
	const kd_engine *e = a->e;
	const kd_text *t = &a->text;
	kd_risk_level level, asked = KD_RISK_NONE, said = KD_RISK_NONE;
	const lex_match *yes, *no, *ref;
	uint32_t qrule = 0;
	size_t nmean = 0, i;
	int rc = 0, safe = 0;
	risk_state st;

	a->nev = 0;
	memset(out, 0, sizeof(*out));
	if (in->speaker == KD_SPEAKER_CLIENT && in->n_context &&
	    (rc = risk_context(a, in, &asked, &qrule, &safe, &said)) != 0)
		goto done;
	if ((rc = risk_eval(a, t, in->speaker == KD_SPEAKER_HELPER, &st, &level)) != 0)
		goto done;
	if (asked != KD_RISK_NONE || said != KD_RISK_NONE) {
		yes = first_of(&st, RC_YES, ANSWER_WORDS);
		no = first_of(&st, RC_NO, ANSWER_WORDS);
		ref = first_of(&st, RC_REFER, 0);
		/* means or a plan, not a day alone ("I'm seeing my GP tomorrow"),
		 * unless the day answers the question ("tonight") */
		for (i = 0; i < st.lm->n; i++) {
			const risk_rule *r = &e->risk_rules[st.lm->m[i].rule];
			if ((r->cat == RC_MEANS || r->cat == RC_PLAN ||
			     (r->cat == RC_TIME && asked != KD_RISK_NONE && !safe && yes)) &&
			    cue_ok(&st, &st.lm->m[i], r))
				nmean++;
		}
		if (asked != KD_RISK_NONE && (safe ? no && !yes : yes != NULL)) {
			/* "yes" to "are you thinking of ending your life?" */
			if ((rc = add_evidence(a, t, safe ? no : yes, e->risk_rules[qrule].name)) != 0)
				goto done;
			level = level > asked ? level : asked;
		}
		if (said != KD_RISK_NONE && ref) {
			/* "I can't stop thinking about it" after saying what "it" is */
			if ((rc = add_evidence(a, t, ref, e->risk_rules[ref->rule].name)) != 0)
				goto done;
			level = level > said ? level : said;
		}
		if (nmean && ((asked != KD_RISK_NONE && !safe && !(no && !yes)) ||
			      said != KD_RISK_NONE || level != KD_RISK_NONE)) {
			/* "I have the pills": means or a plan after risk was in the air */
			if ((rc = modifiers(a, &st, 0, UINT32_MAX, NULL, 1, &nmean)) != 0)
				goto done;
			if (nmean)
				level = KD_RISK_IMMINENT;
		}
	}
	if (a->nev > 1)
		qsort(a->ev, a->nev, sizeof(kd_evidence), ev_cmp);
	out->level = level;
	out->evidence = a->ev;
	out->n_evidence = a->nev;
done:
	return rc;
}
