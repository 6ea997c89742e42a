/*
 * analyze_jsonl.c: the JSON Lines reader and writer behind `kindred
 * analyze --jsonl`.
 *
 * Workload: a stream of short lines at engine speed (the target is 100k
 * lines per second per core), so input is read in 64 KiB chunks, every
 * buffer is reused, and output is written by hand into one buffer that is
 * flushed before each read.  Input is parsed with jansson, which copes
 * with hostile nesting (its parser has a depth limit) and rejects invalid
 * UTF-8.  A line longer than the limit is answered with an error and
 * skipped without being buffered.
 */
#include "cli/analyze_jsonl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_engine.h"

#define CHUNK 65536
#define FLUSH_AT 65536

void jsonl_init(jsonl *j, kd_analyzer *a)
{
	memset(j, 0, sizeof(*j));
	j->a = a;
	buf_init(&j->line);
	buf_init(&j->out);
}

void jsonl_free(jsonl *j)
{
	if (!j)
		return;
	free(j->turns);
	buf_free(&j->line);
	buf_free(&j->out);
	memset(j, 0, sizeof(*j));
}

static void error_line(buf *out, const char *id, size_t idlen, const char *msg)
{
	buf_puts(out, "{\"id\":");
	if (id)
		cli_json_str(out, id, idlen);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"error\":");
	cli_json_str(out, msg, strlen(msg));
	buf_puts(out, "}\n");
}

/* "helper" or "client"; anything else is KD_SPEAKER_UNKNOWN. */
static kd_speaker speaker_of(const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	if (s && strcmp(s, "helper") == 0)
		return KD_SPEAKER_HELPER;
	if (s && strcmp(s, "client") == 0)
		return KD_SPEAKER_CLIENT;
	return KD_SPEAKER_UNKNOWN;
}

static void put_sub(buf *out, const char *key, kd_mi_sub s, int first)
{
	const char *name = kd_mi_sub_name(s);

	if (!first)
		buf_putc(out, ',');
	buf_putc(out, '"');
	buf_puts(out, key);
	buf_puts(out, "\":");
	if (name)
		cli_json_str(out, name, strlen(name));
	else
		buf_puts(out, "null");
}

static void put_score(buf *out, const char *key, double v, int first)
{
	if (!first)
		buf_putc(out, ',');
	buf_putc(out, '"');
	buf_puts(out, key);
	buf_puts(out, "\":");
	cli_json_unit(out, v);
}

static void write_result(buf *out, const char *id, size_t idlen, const kd_input *in,
			 const kd_result *r)
{
	size_t i;
	const char *name;

	buf_puts(out, "{\"id\":");
	cli_json_str(out, id, idlen);
	buf_puts(out, ",\"mi\":");
	if (!(r->readings & KD_READ_MI)) {
		buf_puts(out, "null");
	} else {
		name = kd_mi_behaviour_name(r->mi.behaviour);
		buf_puts(out, "{\"behaviour\":");
		if (name)
			cli_json_str(out, name, strlen(name));
		else
			buf_puts(out, "null");
		put_sub(out, "question", r->mi.question, 0);
		put_sub(out, "reflection", r->mi.reflection, 0);
		put_sub(out, "input", r->mi.input, 0);
		buf_putc(out, '}');
	}
	buf_puts(out, ",\"empathy\":");
	if (!(r->readings & KD_READ_EMPATHY)) {
		buf_puts(out, "null");
	} else {
		buf_puts(out, "{\"emotional_reactions\":");
		cli_json_uint(out, (size_t)r->empathy.emotional_reactions);
		buf_puts(out, ",\"interpretations\":");
		cli_json_uint(out, (size_t)r->empathy.interpretations);
		buf_puts(out, ",\"explorations\":");
		cli_json_uint(out, (size_t)r->empathy.explorations);
		buf_putc(out, '}');
	}
	buf_puts(out, ",\"strategy\":");
	if (!(r->readings & KD_READ_STRATEGY)) {
		buf_puts(out, "null");
	} else {
		name = kd_strategy_name(r->strategy);
		cli_json_str(out, name, strlen(name));
	}
	buf_puts(out, ",\"risk\":");
	if (!(r->readings & KD_READ_RISK)) {
		buf_puts(out, "null");
	} else {
		name = kd_risk_level_name(r->risk.level);
		buf_puts(out, "{\"level\":");
		cli_json_str(out, name, strlen(name));
		buf_puts(out, ",\"evidence\":[");
		for (i = 0; i < r->risk.n_evidence; i++) {
			const kd_evidence *ev = &r->risk.evidence[i];
			buf_puts(out, i ? ",{\"start\":" : "{\"start\":");
			cli_json_uint(out, ev->start);
			buf_puts(out, ",\"end\":");
			cli_json_uint(out, ev->end);
			buf_puts(out, ",\"text\":");
			cli_json_str(out, in->text + ev->start, ev->end - ev->start);
			buf_puts(out, ",\"cue\":");
			cli_json_str(out, ev->cue, strlen(ev->cue));
			buf_putc(out, '}');
		}
		buf_puts(out, "]}");
	}
	buf_puts(out, ",\"stigma\":");
	if (!(r->readings & KD_READ_STIGMA)) {
		buf_puts(out, "null");
	} else {
		buf_putc(out, '[');
		for (i = 0; i < r->n_stigma; i++) {
			const kd_stigma_hit *h = &r->stigma[i];
			buf_puts(out, i ? ",{" : "{");
			cli_json_stigma(out, in->text, h);
			buf_putc(out, '}');
		}
		buf_putc(out, ']');
	}
	buf_puts(out, ",\"compassion\":");
	if (!(r->readings & KD_READ_COMPASSION)) {
		buf_puts(out, "null");
	} else {
		buf_putc(out, '{');
		put_score(out, "recognition", r->compassion.recognition, 1);
		put_score(out, "universality", r->compassion.universality, 0);
		put_score(out, "empathy", r->compassion.empathy, 0);
		put_score(out, "tolerance", r->compassion.tolerance, 0);
		put_score(out, "action", r->compassion.action, 0);
		buf_putc(out, '}');
	}
	buf_puts(out, "}\n");
}

void jsonl_line(jsonl *j, const char *line, size_t len)
{
	json_t *root = NULL, *jid, *jtext, *jctx, *item;
	json_error_t jerr;
	const char *id = NULL, *msg = NULL;
	size_t idlen = 0, i, n;
	char ebuf[256];
	kd_input in;
	kd_result r;
	int rc;

	root = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	if (!root) {
		snprintf(ebuf, sizeof(ebuf), "invalid JSON at column %d: %s", jerr.column, jerr.text);
		msg = ebuf;
		goto fail;
	}
	if (!json_is_object(root)) {
		msg = "expected a JSON object";
		goto fail;
	}
	jid = json_object_get(root, "id");
	if (!json_is_string(jid)) {
		msg = "\"id\" must be a string";
		goto fail;
	}
	id = json_string_value(jid);
	idlen = json_string_length(jid);
	memset(&in, 0, sizeof(in));
	in.speaker = speaker_of(json_object_get(root, "speaker"));
	if (in.speaker == KD_SPEAKER_UNKNOWN) {
		msg = "\"speaker\" must be \"helper\" or \"client\"";
		goto fail;
	}
	jtext = json_object_get(root, "text");
	if (!json_is_string(jtext)) {
		msg = "\"text\" must be a string";
		goto fail;
	}
	in.text = json_string_value(jtext);
	in.len = json_string_length(jtext);
	jctx = json_object_get(root, "context");
	if (jctx && !json_is_null(jctx)) {
		if (!json_is_array(jctx)) {
			msg = "\"context\" must be an array of {\"speaker\", \"text\"} objects";
			goto fail;
		}
		n = json_array_size(jctx);
		if (n > j->tcap) {
			kd_turn *t = realloc(j->turns, n * sizeof(*t));
			if (!t) {
				msg = "out of memory";
				goto fail;
			}
			j->turns = t;
			j->tcap = n;
		}
		for (i = 0; i < n; i++) {
			json_t *ts;
			item = json_array_get(jctx, i);
			ts = json_object_get(item, "text");
			if (!json_is_object(item) || !json_is_string(ts) ||
			    speaker_of(json_object_get(item, "speaker")) == KD_SPEAKER_UNKNOWN) {
				msg = "each context turn must be {\"speaker\": \"helper\"|\"client\", "
				      "\"text\": string}";
				goto fail;
			}
			j->turns[i].speaker = speaker_of(json_object_get(item, "speaker"));
			j->turns[i].text = json_string_value(ts);
			j->turns[i].len = json_string_length(ts);
		}
		in.context = j->turns;
		in.n_context = n;
	}
	if ((rc = kd_analyze(j->a, &in, &r)) != 0) {
		msg = rc == KD_ENGINE_EUTF8 ? "text is not valid UTF-8 or contains NUL"
					    : kd_engine_strerror(rc);
		goto fail;
	}
	write_result(&j->out, id, idlen, &in, &r);
	goto done;
fail:
	error_line(&j->out, id, idlen, msg);
done:
	json_decref(root);
}

static int flush(jsonl *j, jsonl_write_fn wr, void *wctx)
{
	int rc = 0;

	if (j->out.len)
		rc = wr(wctx, j->out.data, j->out.len);
	buf_reset(&j->out);
	return rc;
}

/* Hands a complete line to jsonl_line, skipping blank ones. */
static void finish_line(jsonl *j)
{
	const char *p = j->line.data;
	size_t n = j->line.len, k;

	if (n && p[n - 1] == '\r')
		n--;
	for (k = 0; k < n; k++)
		if (p[k] != ' ' && p[k] != '\t')
			break;
	if (k < n)
		jsonl_line(j, p, n);
	buf_reset(&j->line);
}

int jsonl_run(jsonl *j, jsonl_read_fn rd, void *rctx, jsonl_write_fn wr, void *wctx)
{
	char *chunk = NULL;
	size_t pos = 0, have = 0, max = j->max_line ? j->max_line : JSONL_MAX_LINE, end, seg;
	size_t shown = 0;
	const char *nl;
	ssize_t got;
	int skipping = 0, rc = 0;
	char msg[96];

	if (!(chunk = malloc(CHUNK))) {
		rc = -1;
		goto done;
	}
	buf_reset(&j->line);
	for (;;) {
		if (pos == have) {
			if (j->progress && j->lines >= shown + 10000) {
				shown = j->lines;
				fprintf(stderr, "\ranalyze: %zu lines", shown);
			}
			if (flush(j, wr, wctx) != 0 || (got = rd(rctx, chunk, CHUNK)) < 0) {
				rc = -1;
				goto done;
			}
			if (got == 0)
				break;
			have = (size_t)got;
			pos = 0;
		}
		nl = memchr(chunk + pos, '\n', have - pos);
		end = nl ? (size_t)(nl - chunk) : have;
		seg = end - pos;
		if (!skipping && j->line.len + seg > max) {
			/* answer now; drop the rest of the line as it streams by */
			snprintf(msg, sizeof(msg), "line longer than %zu bytes", max);
			error_line(&j->out, NULL, 0, msg);
			buf_reset(&j->line);
			skipping = 1;
		}
		if (!skipping)
			buf_append(&j->line, chunk + pos, seg);
		pos = end;
		if (nl) {
			pos++;
			j->lines++;
			if (!skipping)
				finish_line(j);
			skipping = 0;
			buf_reset(&j->line);
		}
		if (j->out.len >= FLUSH_AT && flush(j, wr, wctx) != 0) {
			rc = -1;
			goto done;
		}
	}
	if (!skipping && j->line.len)
		finish_line(j);
	if (flush(j, wr, wctx) != 0)
		rc = -1;
done:
	if (shown)
		fprintf(stderr, "\ranalyze: %zu lines\n", j->lines);
	free(chunk);
	return rc;
}
