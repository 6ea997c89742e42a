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
	if (strcmp(row->field[0], "class") != 0 || row->nfield < 3) {
		engine_error(c->d, c->name, row->line, "expected class or negbreak row");
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
		if ((rc = text_analyse(c->scratch, w, strlen(w), c->st, NULL)) != 0)
			return rc == KD_ENGINE_ENOMEM ? rc : KD_ENGINE_EDATA;
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
	const kd_blob *b;
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
	for (i = 0; i < e->nstrings; i++)
		free(e->strings[i]);
	free(e->strings);
	free(e);
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
	free(a->lm.m);
	free(a->ev);
	free(a->hits);
	free(a->cue_ev);
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

int kd_analyze(kd_analyzer *a, const kd_input *in, kd_result *out)
{
	const kd_engine *e;
	const kd_turn *ct;
	unsigned want, rules = KD_READ_MI | KD_READ_EMPATHY | KD_READ_STRATEGY | KD_READ_COMPASSION;
	size_t i;
	int rc = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!a || !in || !out || (!in->text && in->len) || (!in->context && in->n_context)) {
		rc = KD_ENGINE_EINVAL;
		goto fail;
	}
	e = a->e;
	want = in->readings ? in->readings & KD_READ_ALL : KD_READ_ALL;
	for (i = 0; i < in->n_context; i++) {
		if (!in->context[i].text && in->context[i].len) {
			rc = KD_ENGINE_EINVAL;
			goto fail;
		}
		if (in->context[i].len > KD_ENGINE_MAX_TEXT) {
			rc = KD_ENGINE_ETOOBIG;
			goto fail;
		}
		if (!text_valid(in->context[i].text, in->context[i].len)) {
			rc = KD_ENGINE_EUTF8;
			goto fail;
		}
	}
	if ((rc = text_analyse(&a->text, in->text ? in->text : "", in->len, a->stemmer, &e->wc)) != 0)
		goto fail;
	if ((rc = text_mark(&a->text, e, in->speaker == KD_SPEAKER_HELPER)) != 0)
		goto fail;
	a->ctx.ntok = a->ctx.nsent = 0;
	if ((want & rules) && e->n_cues && (ct = other_turn(in)) != NULL) {
		if ((rc = text_analyse(&a->ctx, ct->text ? ct->text : "", ct->len, a->stemmer, &e->wc)) != 0)
			goto fail;
	}
	if ((want & KD_READ_RISK) && e->n_risk) {
		if ((rc = risk_read(a, in->speaker, &out->risk)) != 0)
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
	if ((want & rules) && e->n_cues) {
		if ((rc = cues_read(a)) != 0)
			goto fail;
		out->cues = a->cue_ev;
		out->n_cues = a->ncue_ev;
		/* every rule reading needs the empathy mechanisms and mi */
		mi_read(a, in, &out->mi);
		empathy_read(a, &out->empathy);
		out->strategy = strategy_read(a);
		compassion_read(a, out, &out->compassion);
		out->readings |= want & rules;
		for (i = 0; i < 6; i++)
			if ((want & rules) & (1u << i))
				out->source[i] = KD_SOURCE_RULES;
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
