/*
 * engine/engine.c: building an engine from named data buffers, analyzers,
 * and kd_analyze(), which runs the text layer once and then each reading
 * asked for over the same tokens.
 *
 * Workload: kd_engine_new runs once per process (milliseconds); kd_analyze
 * runs per utterance and must not allocate once the analyzer is warm.
 */
#include "internal.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const engine_errors[] = {
	"success", "out of memory", "invalid argument", "", "", "", "", "", "",
	"text too long", "text is not valid UTF-8",
};

const char *kd_engine_strerror(int err)
{
	if (err == KD_ENGINE_EDATA)
		return "malformed engine data";
	if (err > 0 || err < KD_ENGINE_EUTF8 || !*engine_errors[-err])
		return "unknown error";
	return engine_errors[-err];
}

static const kd_blob *blob_find(const kd_engine_data *d, const char *name)
{
	size_t i;

	for (i = 0; d && i < d->n_blobs; i++)
		if (d->blobs[i].name && strcmp(d->blobs[i].name, name) == 0)
			return &d->blobs[i];
	return NULL;
}

/* ---- lexicons/text.tsv: "class NAME w|w|..." and "negbreak PATTERN" ---- */

static const struct {
	const char *name;
	uint32_t flag;
} class_names[] = {
	{"neg", TF_NEG},       {"self", TF_SELF},       {"other", TF_OTHER},
	{"report", TF_REPORT}, {"clause", TF_CLAUSE},   {"abbrev", TF_ABBREV},
	{"wh", TF_WH},         {"aux", TF_AUX},         {"you", TF_YOU},
	{"emotion", TF_EMOTION}, {"contrast", TF_CONTRAST},
};

typedef struct load_ctx {
	kd_engine *e;
	const kd_engine_data *d;
	const char *name;
	kd_text *scratch;
	struct sb_stemmer *st;
	int pass;
} load_ctx;

static int text_row(void *vctx, tsv_row *row)
{
	load_ctx *c = vctx;
	size_t i;
	uint32_t flag = 0;
	char *w, *bar;
	int rc;

	if (strcmp(row->field[0], "negbreak") == 0 && row->nfield >= 2) {
		if (c->pass != 2)
			return 0;
		rc = lex_add(&c->e->negbreak, row->field[1], (uint32_t)row->line, c->scratch, c->st,
			     &c->e->wc);
		if (rc == KD_ENGINE_EDATA)
			engine_error(c->d, c->name, row->line, "bad pattern");
		return rc;
	}
	if (strcmp(row->field[0], "spell") == 0 && row->nfield >= 3) {
		/* pass 1, before any pattern is compiled, so patterns read the
		 * fixed word too */
		if (c->pass != 1)
			return 0;
		for (w = row->field[1]; w; w = bar) {
			bar = strchr(w, '|');
			if (bar)
				*bar++ = '\0';
			if ((rc = text_analyse(c->scratch, w, strlen(w), c->st, NULL)) != 0) {
				if (rc == KD_ENGINE_ENOMEM)
					return rc;
				engine_error(c->d, c->name, row->line, "misspelling is not valid text");
				return KD_ENGINE_EDATA;
			}
			if (c->scratch->ntok != 1 || strchr(row->field[2], ' ')) {
				engine_error(c->d, c->name, row->line, "a spelling fix is one word for one");
				return KD_ENGINE_EDATA;
			}
			if ((rc = wclass_fix_add(&c->e->wc, c->scratch->tok[0].hkey, row->field[2])) != 0)
				return rc;
		}
		return 0;
	}
	if (strcmp(row->field[0], "class") != 0 || row->nfield < 3) {
		engine_error(c->d, c->name, row->line, "expected class, negbreak or spell row");
		return KD_ENGINE_EDATA;
	}
	if (c->pass != 1)
		return 0;
	for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strcmp(row->field[1], class_names[i].name) == 0)
			flag = class_names[i].flag;
	if (!flag) {
		engine_error(c->d, c->name, row->line, "unknown word class");
		return KD_ENGINE_EDATA;
	}
	for (w = row->field[2]; w; w = bar) {
		bar = strchr(w, '|');
		if (bar)
			*bar++ = '\0';
		if ((rc = text_analyse(c->scratch, w, strlen(w), c->st, NULL)) != 0) {
			/* invalid UTF-8, say: refused with a message like any row */
			if (rc == KD_ENGINE_ENOMEM)
				return rc;
			engine_error(c->d, c->name, row->line, "class member is not valid text");
			return KD_ENGINE_EDATA;
		}
		if (c->scratch->ntok != 1) {
			engine_error(c->d, c->name, row->line, "class member is not one word");
			return KD_ENGINE_EDATA;
		}
		if ((rc = wclass_add(&c->e->wc, c->scratch->tok[0].hkey, flag)) != 0)
			return rc;
	}
	return 0;
}

static int text_load(kd_engine *e, const kd_engine_data *d, const kd_blob *b, kd_text *scratch,
		     struct sb_stemmer *st)
{
	load_ctx c = {e, d, b->name, scratch, st, 1};
	int rc;

	if ((rc = tsv_each(b->data, b->len, text_row, &c)) != 0)
		return rc;
	c.pass = 2;
	if ((rc = tsv_each(b->data, b->len, text_row, &c)) != 0)
		return rc;
	e->have_text = 1;
	return lex_finish(&e->negbreak);
}

int kd_engine_new(const kd_engine_data *data, kd_engine **out)
{
	kd_engine *e = NULL;
	struct sb_stemmer *st = NULL;
	kd_text scratch;
	static const char *const model_names[] = {"models/mi.bin", "models/empathy.bin",
						   "models/strategy.bin"};
	const kd_blob *b;
	const char *why;
	char msg[256];
	size_t i;
	int rc = 0;

	memset(&scratch, 0, sizeof(scratch));
	if (!out) {
		rc = KD_ENGINE_EINVAL;
		goto fail;
	}
	*out = NULL;
	if (!(e = calloc(1, sizeof(*e))) || !(st = sb_stemmer_new("english", NULL))) {
		rc = KD_ENGINE_ENOMEM;
		goto fail;
	}
	if ((b = blob_find(data, "lexicons/text.tsv")) && (rc = text_load(e, data, b, &scratch, st)) != 0)
		goto fail;
	if ((b = blob_find(data, "lexicons/risk.tsv")) && (rc = risk_load(e, data, b, &scratch, st)) != 0)
		goto fail;
	if ((b = blob_find(data, "lexicons/stigma.tsv")) &&
	    (rc = stigma_load(e, data, b, &scratch, st)) != 0)
		goto fail;
	if ((b = blob_find(data, "lexicons/cues.tsv")) && (rc = cues_load(e, data, b, &scratch, st)) != 0)
		goto fail;
	for (i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++) {
		if (!(b = blob_find(data, model_names[i])))
			continue;
		/* a model that does not fit this engine (older features, another
		 * task, corrupt) costs its reading the model, not the engine: that
		 * reading runs on its rules, and kd_engine_source() says why */
		if ((rc = model_load(e, b, &why)) == KD_ENGINE_EDATA) {
			snprintf(msg, sizeof(msg), "%s: %s", b->name, why);
			if (!(e->refused[i + 1] = engine_strdup(e, msg))) {
				rc = KD_ENGINE_ENOMEM;
				goto fail;
			}
			rc = 0;
		}
		if (rc != 0)
			goto fail;
	}
	*out = e;
	e = NULL;
	goto done;
fail:
	kd_engine_free(e);
done:
	text_free(&scratch);
	if (st)
		sb_stemmer_delete(st);
	return rc;
}

void kd_engine_free(kd_engine *e)
{
	size_t i;

	if (!e)
		return;
	wclass_free(&e->wc);
	lex_free(&e->negbreak);
	lex_free(&e->risk);
	lex_free(&e->stigma);
	lex_free(&e->cues);
	free(e->risk_rules);
	free(e->stigma_rules);
	free(e->cue_rules);
	free(e->w);
	for (i = 0; i < e->nstrings; i++)
		free(e->strings[i]);
	free(e->strings);
	free(e);
}

kd_source kd_engine_source(const kd_engine *e, unsigned reading, const char **why)
{
	kd_task t = reading == KD_READ_MI	  ? KD_TASK_MI
		    : reading == KD_READ_EMPATHY  ? KD_TASK_EMPATHY
		    : reading == KD_READ_STRATEGY ? KD_TASK_STRATEGY
						  : (kd_task)0;

	if (why)
		*why = e && t ? e->refused[t] : NULL;
	if (!e)
		return KD_SOURCE_NONE;
	if (t && e->model[t].present)
		return KD_SOURCE_MODEL;
	switch (reading) {
	case KD_READ_RISK: return e->n_risk ? KD_SOURCE_RULES : KD_SOURCE_NONE;
	case KD_READ_STIGMA: return e->n_stigma ? KD_SOURCE_RULES : KD_SOURCE_NONE;
	case KD_READ_MI:
	case KD_READ_EMPATHY:
	case KD_READ_STRATEGY:
	case KD_READ_COMPASSION: return e->n_cues ? KD_SOURCE_RULES : KD_SOURCE_NONE;
	default: return KD_SOURCE_NONE;
	}
}

int kd_analyzer_new(const kd_engine *e, kd_analyzer **out)
{
	kd_analyzer *a = NULL;
	int rc = 0;

	if (!e || !out) {
		rc = KD_ENGINE_EINVAL;
		goto fail;
	}
	*out = NULL;
	if (!(a = calloc(1, sizeof(*a))) || !(a->stemmer = sb_stemmer_new("english", NULL))) {
		rc = KD_ENGINE_ENOMEM;
		goto fail;
	}
	a->e = e;
	*out = a;
	goto done;
fail:
	kd_analyzer_free(a);
done:
	return rc;
}

void kd_analyzer_free(kd_analyzer *a)
{
	if (!a)
		return;
	if (a->stemmer)
		sb_stemmer_delete(a->stemmer);
	text_free(&a->text);
	text_free(&a->ctx);
	text_free(&a->prev);
	free(a->lm.m);
	free(a->ev);
	free(a->hits);
	free(a->cue_ev);
	free(a->feat);
	free(a);
}

/* The latest context turn by someone other than the speaker: what a
 * reflection reflects. */
static const kd_turn *other_turn(const kd_input *in)
{
	size_t i = in->n_context;

	while (i-- > 0)
		if (in->context[i].speaker != in->speaker || in->speaker == KD_SPEAKER_UNKNOWN)
			return &in->context[i];
	return NULL;
}

/* Checks in and runs the text layer over the utterance and the other
 * speaker's latest turn (when ctx_too); shared by kd_analyze and
 * kd_features. */
static int prepare(kd_analyzer *a, const kd_input *in, int ctx_too)
{
	const kd_engine *e = a->e;
	const kd_turn *ct;
	size_t i;
	int rc;

	if ((!in->text && in->len) || (!in->context && in->n_context))
		return KD_ENGINE_EINVAL;
	for (i = 0; i < in->n_context; i++) {
		if (!in->context[i].text && in->context[i].len)
			return KD_ENGINE_EINVAL;
		if (in->context[i].len > KD_ENGINE_MAX_TEXT)
			return KD_ENGINE_ETOOBIG;
		if (!text_valid(in->context[i].text, in->context[i].len))
			return KD_ENGINE_EUTF8;
	}
	if ((rc = text_analyse(&a->text, in->text ? in->text : "", in->len, a->stemmer, &e->wc)) != 0)
		return rc;
	if ((rc = text_mark(&a->text, e, in->speaker == KD_SPEAKER_HELPER)) != 0)
		return rc;
	a->ctx.ntok = a->ctx.nsent = 0;
	if (ctx_too && (ct = other_turn(in)) != NULL)
		rc = text_analyse(&a->ctx, ct->text ? ct->text : "", ct->len, a->stemmer, &e->wc);
	return rc;
}

int kd_features(kd_analyzer *a, const kd_input *in, const uint32_t **idx, size_t *n)
{
	int rc;

	if (idx)
		*idx = NULL;
	if (n)
		*n = 0;
	if (!a || !in || !idx || !n)
		return KD_ENGINE_EINVAL;
	if ((rc = prepare(a, in, 1)) != 0 || (rc = cues_read(a)) != 0 ||
	    (rc = features_extract(a, in)) != 0)
		return rc;
	*idx = a->feat;
	*n = a->nfeat;
	return 0;
}

/* Replaces rule answers with a model's where the engine has one. */
static void model_readings(kd_analyzer *a, const kd_input *in, unsigned want, kd_result *out)
{
	static const kd_mi_behaviour beh[] = {KD_MI_QUESTION, KD_MI_REFLECTION, KD_MI_INPUT,
					      KD_MI_OTHER};
	static const kd_mi_sub q[] = {KD_MI_OPEN, KD_MI_CLOSED};
	static const kd_mi_sub r[] = {KD_MI_SIMPLE, KD_MI_COMPLEX};
	static const kd_mi_sub inp[] = {KD_MI_INFORMATION, KD_MI_ADVICE, KD_MI_NEGOTIATION,
					KD_MI_OPTIONS};
	const kd_engine *e = a->e;

	model_score(a);
	if ((want & KD_READ_MI) && e->model[KD_TASK_MI].present) {
		memset(&out->mi, 0, sizeof(out->mi));
		if (in->speaker == KD_SPEAKER_HELPER) {
			out->mi.behaviour = beh[model_argmax(a, KD_TASK_MI, 0)];
			if (out->mi.behaviour == KD_MI_QUESTION)
				out->mi.question = q[model_argmax(a, KD_TASK_MI, 1)];
			else if (out->mi.behaviour == KD_MI_REFLECTION)
				out->mi.reflection = r[model_argmax(a, KD_TASK_MI, 2)];
			else if (out->mi.behaviour == KD_MI_INPUT)
				out->mi.input = inp[model_argmax(a, KD_TASK_MI, 3)];
		}
		out->source[0] = KD_SOURCE_MODEL;
	}
	if ((want & KD_READ_EMPATHY) && e->model[KD_TASK_EMPATHY].present) {
		out->empathy.emotional_reactions = model_argmax(a, KD_TASK_EMPATHY, 0);
		out->empathy.interpretations = model_argmax(a, KD_TASK_EMPATHY, 1);
		out->empathy.explorations = model_argmax(a, KD_TASK_EMPATHY, 2);
		out->source[1] = KD_SOURCE_MODEL;
	}
	if ((want & KD_READ_STRATEGY) && e->model[KD_TASK_STRATEGY].present) {
		out->strategy = (kd_strategy)model_argmax(a, KD_TASK_STRATEGY, 0);
		out->source[2] = KD_SOURCE_MODEL;
	}
}

int kd_analyze(kd_analyzer *a, const kd_input *in, kd_result *out)
{
	const kd_engine *e;
	unsigned want, rules = KD_READ_MI | KD_READ_EMPATHY | KD_READ_STRATEGY | KD_READ_COMPASSION;
	size_t i;
	int rc = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!a || !in || !out) {
		rc = KD_ENGINE_EINVAL;
		goto fail;
	}
	e = a->e;
	want = in->readings ? in->readings & KD_READ_ALL : KD_READ_ALL;
	if ((rc = prepare(a, in, (want & rules) && (e->n_cues || model_any(e)))) != 0)
		goto fail;
	if ((want & KD_READ_RISK) && e->n_risk) {
		if ((rc = risk_read(a, in, &out->risk)) != 0)
			goto fail;
		out->readings |= KD_READ_RISK;
		out->source[3] = KD_SOURCE_RULES;
	}
	if ((want & KD_READ_STIGMA) && e->n_stigma) {
		if ((rc = stigma_read(a, &out->stigma, &out->n_stigma)) != 0)
			goto fail;
		out->readings |= KD_READ_STIGMA;
		out->source[4] = KD_SOURCE_RULES;
	}
	if ((want & rules) && (e->n_cues || model_any(e))) {
		if ((rc = cues_read(a)) != 0)
			goto fail;
		out->cues = a->cue_ev;
		out->n_cues = a->ncue_ev;
		/* every rule reading needs the empathy mechanisms and mi */
		mi_read(a, in, &out->mi);
		empathy_read(a, &out->empathy);
		out->strategy = strategy_read(a);
		for (i = 0; i < 6; i++)
			if ((want & rules) & (1u << i))
				out->source[i] = e->n_cues ? KD_SOURCE_RULES : KD_SOURCE_NONE;
		if (model_any(e)) {
			if ((rc = features_extract(a, in)) != 0)
				goto fail;
			model_readings(a, in, want, out);
		}
		compassion_read(a, out, &out->compassion);
		for (i = 0; i < 6; i++)
			if (out->source[i] != KD_SOURCE_NONE)
				out->readings |= 1u << i;
		if (!(want & KD_READ_MI))
			memset(&out->mi, 0, sizeof(out->mi));
		if (!(want & KD_READ_EMPATHY))
			memset(&out->empathy, 0, sizeof(out->empathy));
		if (!(want & KD_READ_STRATEGY))
			out->strategy = KD_STRATEGY_OTHERS;
		if (!(want & KD_READ_COMPASSION))
			memset(&out->compassion, 0, sizeof(out->compassion));
	}
	return 0;
fail:
	if (out)
		memset(out, 0, sizeof(*out));
	return rc;
}

const char *kd_risk_level_name(kd_risk_level l)
{
	switch (l) {
	case KD_RISK_SELF_HARM: return "self_harm";
	case KD_RISK_IDEATION: return "ideation";
	case KD_RISK_IMMINENT: return "imminent";
	default: return "none";
	}
}

const char *kd_mi_behaviour_name(kd_mi_behaviour b)
{
	switch (b) {
	case KD_MI_QUESTION: return "question";
	case KD_MI_REFLECTION: return "reflection";
	case KD_MI_INPUT: return "therapist_input";
	case KD_MI_OTHER: return "other";
	default: return NULL;
	}
}

const char *kd_mi_sub_name(kd_mi_sub s)
{
	switch (s) {
	case KD_MI_OPEN: return "open";
	case KD_MI_CLOSED: return "closed";
	case KD_MI_SIMPLE: return "simple";
	case KD_MI_COMPLEX: return "complex";
	case KD_MI_INFORMATION: return "information";
	case KD_MI_ADVICE: return "advice";
	case KD_MI_NEGOTIATION: return "negotiation";
	case KD_MI_OPTIONS: return "options";
	default: return NULL;
	}
}

const char *kd_strategy_name(kd_strategy s)
{
	switch (s) {
	case KD_STRATEGY_QUESTION: return "Question";
	case KD_STRATEGY_RESTATEMENT: return "Restatement or Paraphrasing";
	case KD_STRATEGY_REFLECTION_OF_FEELINGS: return "Reflection of feelings";
	case KD_STRATEGY_SELF_DISCLOSURE: return "Self-disclosure";
	case KD_STRATEGY_AFFIRMATION: return "Affirmation and Reassurance";
	case KD_STRATEGY_SUGGESTIONS: return "Providing Suggestions";
	case KD_STRATEGY_INFORMATION: return "Information";
	default: return "Others";
	}
}
