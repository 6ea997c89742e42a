/*
 * measures.c: validated measures in a client's care — assigning them on
 * a schedule, answering them (one accessible form per instrument, skip
 * logic honoured, a double click saving once), the plain-language result,
 * and the series for progress charts with reliable change (Jacobson &
 * Truax).  Scoring is instruments.c's; the words people read come from
 * data/content/measures.json.  Risk items (PHQ-9 item 9) go through the
 * risk pathway.  Answers are stored, totals re-scored from them on read,
 * so a fixed definition fixes every past result too.
 */
#include "care/care.h"

#include "kd.h"
#include "util/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_ITEMS = 64, SERIES_MAX = 500 };

static const json_t *content_of(const care *c, const char *inst_id)
{
	return json_object_get(json_object_get(c->measures, "instruments"), inst_id);
}

static const json_t *schedule_of(const care *c, const char *code)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(c->measures, "schedules"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "code")), code) == 0)
			return s;
	return NULL;
}

/* Parses "0,1,,3" into answers; returns the count. */
static size_t answers_parse(const char *s, int *answers, size_t max)
{
	size_t n = 0;
	char *end;

	while (n < max) {
		if (*s == ',' || *s == '\0')
			answers[n++] = INSTRUMENT_NO_ANSWER;
		else
			answers[n++] = (int)strtol(s, &end, 10), s = end;
		if (*s != ',')
			break;
		s++;
	}
	return n;
}

static void answers_format(const int *answers, size_t n, buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		if (answers[i] != INSTRUMENT_NO_ANSWER)
			buf_printf(out, "%d", answers[i]);
	}
}

/* Reads the answers from a form ("item1".."itemN", absent or "" when
 * skipped) or the API ("answers": [int|null, ...]). */
static int answers_read(const instrument *in, const json_t *input, int *answers, size_t *n,
			const char **why)
{
	size_t items = instrument_item_count(in), i;
	const json_t *arr = json_object_get(input, "answers"), *v;
	char key[16];
	char *end;
	const char *t;

	if (items > MAX_ITEMS)
		return KD_EINVAL;
	for (i = 0; i < items; i++) {
		answers[i] = INSTRUMENT_NO_ANSWER;
		if (arr) {
			v = json_array_get(arr, i);
		} else {
			snprintf(key, sizeof(key), "item%zu", i + 1);
			v = json_object_get(input, key);
		}
		if (!v || json_is_null(v))
			continue;
		if (json_is_integer(v) && llabs(json_integer_value(v)) < 1000000) {
			answers[i] = (int)json_integer_value(v);
			continue;
		}
		t = json_string_value(v);
		if (t && *t == '\0')
			continue;
		if (!t || strlen(t) > 6) {
			*why = "Please choose one of the answers given for each question.";
			return KD_EINVAL;
		}
		answers[i] = (int)strtol(t, &end, 10);
		if (*end || end == t) {
			*why = "Please choose one of the answers given for each question.";
			return KD_EINVAL;
		}
	}
	if (arr && (!json_is_array(arr) || json_array_size(arr) > items)) {
		*why = "There are more answers than questions.";
		return KD_EINVAL;
	}
	*n = items;
	return 0;
}

static int alert_level(const char *level)
{
	if (strcmp(level, "risk-high") == 0)
		return 3;
	if (strcmp(level, "risk") == 0 || strcmp(level, "risk-moderate") == 0)
		return 2;
	if (strcmp(level, "risk-low") == 0)
		return 1;
	return 0;
}

/* The result of answers for who, in the words people read; clinicians
 * also see the item alerts. */
static json_t *result_json(const care *c, const instrument *in, const instrument_result *r,
			   int64_t id, int64_t at, int for_clinician)
{
	const json_t *content = content_of(c, instrument_id(in));
	json_t *out, *subs = json_array(), *alerts = json_array();
	char when[32], human[40];
	size_t i;
	int risk = 0;

	for (i = 0; i < r->nsubscales; i++)
		if (r->subscales[i].has_score)
			json_array_append_new(subs, json_pack("{s:s, s:s, s:f}", "id",
							      r->subscales[i].id, "name",
							      r->subscales[i].name, "score",
							      r->subscales[i].score));
	for (i = 0; i < r->nalerts; i++) {
		if (alert_level(r->alerts[i].level) > risk)
			risk = alert_level(r->alerts[i].level);
		if (for_clinician)
			json_array_append_new(alerts, json_pack("{s:i, s:s, s:s}", "item",
								r->alerts[i].item, "level",
								r->alerts[i].level, "reason",
								r->alerts[i].reason));
	}
	care_iso_time(at, when, sizeof(when));
	care_human_time(at, human, sizeof(human));
	out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:s?, s:s?, s:O}", "id",
			(json_int_t)id, "instrument", instrument_id(in), "name",
			instrument_name(in), "short_name", instrument_short_name(in), "at", when,
			"when", human, "subscales", subs, "alerts", alerts, "at_risk", risk > 0,
			"meaning", json_string_value(json_object_get(content, "plain")),
			"does_not_mean", json_string_value(json_object_get(content, "does_not_mean")),
			"not_a_diagnosis", json_object_get(c->measures, "not_a_diagnosis"));
	if (r->has_total) {
		json_object_set_new(out, "total", json_real(r->total));
		json_object_set_new(out, "total_text", json_sprintf("%g", r->total));
		json_object_set_new(out, "total_max", json_real(instrument_total_max(in)));
		json_object_set_new(out, "total_max_text",
				    json_sprintf("%g", instrument_total_max(in)));
	}
	json_object_set_new(out, "band", r->band ? json_string(r->band) : json_null());
	return out;
}

int care_measure_form(care *c, const actor *who, const char *inst_id, json_t **out)
{
	const instrument *in = instrument_catalog_find(c->instruments, inst_id ? inst_id : "");
	json_t *items;
	char token[44];
	size_t i, k;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_MEASURES, who->id, 0)) != 0)
		return rc;
	if (!in || strcmp(who->role, "client") != 0)
		return KD_ENOTFOUND;
	items = json_array();
	for (i = 0; i < instrument_item_count(in); i++) {
		const instrument_item *it = instrument_item_at(in, i);
		json_t *opts = json_array(), *item;
		for (k = 0; k < it->noptions; k++)
			json_array_append_new(opts, json_pack("{s:i, s:s, s:i}", "value",
							      it->options[k].value, "label",
							      it->options[k].label, "item", it->number));
		item = json_pack("{s:i, s:s, s:o, s:b}", "number", it->number, "text", it->text,
				 "options", opts, "required", it->required);
		if (it->has_ask_if)
			json_object_set_new(item, "ask_if",
					    json_pack("{s:i, s:s, s:i}", "item", it->ask_if.item, "op",
						      it->ask_if.op == INSTRUMENT_EQUALS ? "equals"
						      : it->ask_if.op == INSTRUMENT_MIN  ? "min"
											 : "max",
						      "value", it->ask_if.value));
		json_array_append_new(items, item);
	}
	vault_token_new(token);
	*out = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:s, s:O}", "instrument",
			 instrument_id(in), "name", instrument_name(in), "short_name",
			 instrument_short_name(in), "preamble", instrument_preamble(in), "meaning",
			 json_string_value(json_object_get(content_of(c, instrument_id(in)), "plain")),
			 "items", items, "submission", token, "not_a_diagnosis",
			 json_object_get(c->measures, "not_a_diagnosis"));
	return 0;
}

int care_measure_answer(care *c, const actor *who, const char *inst_id, const json_t *input,
			json_t **out, const char **why)
{
	const instrument *in = instrument_catalog_find(c->instruments, inst_id ? inst_id : "");
	const char *submission = json_string_value(json_object_get(input, "submission"));
	instrument_result *r = NULL;
	int answers[MAX_ITEMS];
	size_t n = 0, i;
	int64_t id = 0, now = (int64_t)time(NULL);
	char msg[160] = "", tok[44];
	int rc, repeat = 0, risk = 0;
	buf ab;

	buf_init(&ab);
	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_MEASURES, who->id, 0)) != 0)
		goto done;
	if (!in || strcmp(who->role, "client") != 0) {
		rc = KD_ENOTFOUND;
		goto done;
	}
	if ((rc = answers_read(in, input, answers, &n, why)) != 0)
		goto done;
	rc = instrument_score(in, answers, n, &r, msg, sizeof(msg));
	if (rc != 0) {
		*why = strstr(msg, "required") || strstr(msg, "no answer")
			       ? "Please answer every question; you can choose the answer closest "
				 "to how it has been."
			       : "Please choose one of the answers given for each question.";
		goto done;
	}
	/* An API client may omit the token; then each call is its own
	 * submission. */
	if (!submission || !*submission || strlen(submission) > 64) {
		vault_token_new(tok);
		submission = tok;
	}
	answers_format(answers, n, &ab);
	for (i = 0; i < r->nalerts; i++)
		if (alert_level(r->alerts[i].level) > risk)
			risk = alert_level(r->alerts[i].level);
	rc = store_response_add(c->st, who->id, instrument_id(in), buf_cstr(&ab),
				r->has_total ? (int64_t)llround(r->total * 1000) : 0, r->band,
				(int)r->nalerts, submission, now, &id, &repeat);
	if (rc != 0)
		goto done;
	/* A repeated submission was already through the pathway. */
	if (!repeat) {
		char source[64];
		snprintf(source, sizeof(source), "%s answer", instrument_short_name(in));
		care_risk_event(c, who, source, id, risk);
	}
	*out = result_json(c, in, r, id, now, 0);
	json_object_set_new(*out, "repeat", json_boolean(repeat));
done:
	instrument_result_free(r);
	buf_free(&ab);
	return rc;
}

typedef struct one_ctx {
	int64_t client_id;
	char instrument[32];
	char answers[256];
	int64_t at;
} one_ctx;

static int one_row(void *arg, const store_response *r)
{
	one_ctx *x = arg;

	x->client_id = r->client_id;
	x->at = r->created_at;
	snprintf(x->instrument, sizeof(x->instrument), "%s", r->instrument);
	snprintf(x->answers, sizeof(x->answers), "%s", r->answers);
	return 0;
}

int care_measure_result(care *c, const actor *who, int64_t id, json_t **out)
{
	one_ctx x = {0};
	const instrument *in;
	instrument_result *r = NULL;
	int answers[MAX_ITEMS];
	size_t n;
	int rc;

	if ((rc = store_response_get(c->st, id, one_row, &x)) != 0) {
		/* Ask policy anyway, so a probe for others' ids is recorded. */
		policy_require(c->st, who, POLICY_READ, RES_MEASURES, who->id, id);
		return rc;
	}
	if ((rc = policy_require(c->st, who, POLICY_READ, RES_MEASURES, x.client_id, id)) != 0)
		return rc;
	if (!(in = instrument_catalog_find(c->instruments, x.instrument)))
		return KD_ENOTFOUND;
	n = answers_parse(x.answers, answers, MAX_ITEMS);
	if ((rc = instrument_score(in, answers, n, &r, NULL, 0)) != 0)
		return rc;
	*out = result_json(c, in, r, id, x.at, who->id != x.client_id);
	json_object_set_new(*out, "client_id", json_integer(x.client_id));
	instrument_result_free(r);
	return 0;
}

int care_assign(care *c, const actor *who, int64_t client_id, const char *inst_id,
		const char *schedule, const char **why)
{
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_WRITE, RES_MEASURES, client_id, 0)) != 0)
		return rc;
	if (!instrument_catalog_find(c->instruments, inst_id ? inst_id : "")) {
		*why = "Please choose a measure from the list.";
		return KD_EINVAL;
	}
	if (!schedule || !schedule_of(c, schedule)) {
		*why = "Please choose how often: once, every week, every two weeks or every four "
		       "weeks.";
		return KD_EINVAL;
	}
	return store_assign(c->st, client_id, inst_id, schedule, who->id, (int64_t)time(NULL));
}

typedef struct overview_ctx {
	care *c;
	json_t *assigned;
	int64_t now;
} overview_ctx;

static int assignment_row(void *arg, const store_assignment *a)
{
	overview_ctx *x = arg;
	const instrument *in = instrument_catalog_find(x->c->instruments, a->instrument);
	const json_t *sch = schedule_of(x->c, a->schedule);
	int64_t days = json_integer_value(json_object_get(sch, "days"));
	char last[40] = "";
	int due;

	if (!in)
		return 0;
	if (a->last_answered_at == 0)
		due = 1;
	else
		due = days > 0 && x->now - a->last_answered_at >= days * 86400 - 3600;
	if (a->last_answered_at)
		care_human_time(a->last_answered_at, last, sizeof(last));
	json_array_append_new(x->assigned,
			      json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?}", "instrument",
					a->instrument, "name", instrument_name(in), "short_name",
					instrument_short_name(in), "schedule",
					json_string_value(json_object_get(sch, "label")), "due", due,
					"last_answered", a->last_answered_at ? last : NULL));
	return 0;
}

static int recent_row(void *arg, const store_response *r)
{
	overview_ctx *x = arg;
	const instrument *in = instrument_catalog_find(x->c->instruments, r->instrument);
	instrument_result *res = NULL;
	int answers[MAX_ITEMS];
	size_t n = answers_parse(r->answers, answers, MAX_ITEMS);
	char human[40];

	if (!in || instrument_score(in, answers, n, &res, NULL, 0) != 0)
		return 0;
	care_human_time(r->created_at, human, sizeof(human));
	/* Newest first: the list came oldest first. */
	json_array_insert_new(x->assigned, 0,
			      json_pack("{s:I, s:s, s:s, s:s?, s:s}", "id", (json_int_t)r->id,
					"name", instrument_short_name(in), "total",
					res->has_total ? "" : "", "band", res->band, "when", human));
	if (res->has_total)
		json_object_set_new(json_array_get(x->assigned, 0), "total",
				    json_sprintf("%g", res->total));
	instrument_result_free(res);
	return 0;
}

int care_measures_overview(care *c, const actor *who, int64_t client_id, json_t **out)
{
	store_user u = {0};
	overview_ctx x = {c, NULL, (int64_t)time(NULL)};
	json_t *available = json_array(), *assigned = json_array(), *recent = json_array();
	size_t i;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_MEASURES, client_id, 0)) != 0)
		goto fail;
	if ((rc = store_user_get(c->st, client_id, &u)) != 0)
		goto fail;
	x.assigned = assigned;
	if ((rc = store_assignment_each(c->st, client_id, assignment_row, &x)) != 0)
		goto fail;
	x.assigned = recent;
	if ((rc = store_response_each(c->st, client_id, "", SERIES_MAX, recent_row, &x)) != 0)
		goto fail;
	while (json_array_size(recent) > 10)
		json_array_remove(recent, 10);
	for (i = 0; i < instrument_catalog_count(c->instruments); i++) {
		const instrument *in = instrument_catalog_at(c->instruments, i);
		json_array_append_new(available,
				      json_pack("{s:s, s:s, s:s, s:I, s:s?}", "instrument",
						instrument_id(in), "name", instrument_name(in),
						"short_name", instrument_short_name(in), "items",
						(json_int_t)instrument_item_count(in), "meaning",
						json_string_value(json_object_get(
							content_of(c, instrument_id(in)), "plain"))));
	}
	*out = json_pack("{s:{s:I, s:s}, s:o, s:o, s:o, s:O}", "client", "id",
			 (json_int_t)u.id, "name", u.display_name, "assigned", assigned,
			 "available", available, "recent", recent, "schedules",
			 json_object_get(c->measures, "schedules"));
	store_user_clear(&u);
	return 0;
fail:
	json_decref(available);
	json_decref(assigned);
	json_decref(recent);
	store_user_clear(&u);
	return rc;
}

typedef struct series_ctx {
	care *c;
	json_t *by; /* instrument id -> array of points */
} series_ctx;

static int series_row(void *arg, const store_response *r)
{
	series_ctx *x = arg;
	const instrument *in = instrument_catalog_find(x->c->instruments, r->instrument);
	instrument_result *res = NULL;
	int answers[MAX_ITEMS];
	size_t n = answers_parse(r->answers, answers, MAX_ITEMS);
	json_t *points;
	char when[32], human[40];

	if (!in || instrument_score(in, answers, n, &res, NULL, 0) != 0 || !res->has_total) {
		instrument_result_free(res);
		return 0;
	}
	points = json_object_get(x->by, r->instrument);
	if (!points) {
		points = json_array();
		json_object_set_new(x->by, r->instrument, points);
	}
	care_iso_time(r->created_at, when, sizeof(when));
	care_human_time(r->created_at, human, sizeof(human));
	json_array_append_new(points, json_pack("{s:I, s:f, s:s, s:s, s:s?, s:I}", "t",
						(json_int_t)r->created_at, "value", res->total,
						"at", when, "when", human, "band", res->band, "id",
						(json_int_t)r->id));
	instrument_result_free(res);
	return 0;
}

/* Jacobson & Truax: the reliable change threshold and the verdict for
 * the change from the first point to the last. */
static json_t *reliable_change(const json_t *rcdef, const json_t *points, int higher_is_better)
{
	double r = json_number_value(json_object_get(rcdef, "reliability"));
	double sd = json_number_value(json_object_get(rcdef, "sd"));
	double threshold, first, last, change;
	const char *verdict;
	size_t n = json_array_size(points);

	if (!rcdef || r <= 0 || r >= 1 || sd <= 0)
		return json_null();
	threshold = 1.96 * sqrt(2.0) * sd * sqrt(1.0 - r);
	if (n < 2) {
		verdict = "Reliable change is judged from a second answer on.";
		first = last = n ? json_number_value(json_object_get(json_array_get(points, 0),
								     "value"))
				 : 0;
	} else {
		first = json_number_value(json_object_get(json_array_get(points, 0), "value"));
		last = json_number_value(json_object_get(json_array_get(points, n - 1), "value"));
		change = last - first;
		if (fabs(change) < threshold)
			verdict = "No reliable change since the first answer: the difference is "
				  "within what the questionnaire's own measurement error allows.";
		else if ((change < 0) != (higher_is_better != 0))
			verdict = "Reliable improvement since the first answer.";
		else
			verdict = "Reliable worsening since the first answer.";
	}
	change = last - first;
	return json_pack("{s:f, s:f, s:f, s:s, s:b, s:s?, s:f, s:f, s:f, s:s}", "reliability", r,
			 "sd", sd, "threshold", threshold, "threshold_text",
			 "", "verified", json_is_true(json_object_get(rcdef, "verified")), "note",
			 json_string_value(json_object_get(rcdef, "note")), "first", first, "last",
			 last, "change", change, "verdict", verdict);
}

static int mood_row(void *arg, const store_checkin *k)
{
	char when[32], human[40];

	care_iso_time(k->created_at, when, sizeof(when));
	care_human_time(k->created_at, human, sizeof(human));
	/* Newest first from the store; charts read oldest first. */
	json_array_insert_new(arg, 0, json_pack("{s:I, s:i, s:s, s:s}", "t",
						(json_int_t)k->created_at, "value", k->mood, "at",
						when, "when", human));
	return 0;
}

int care_progress(care *c, const actor *who, int64_t client_id, json_t **out)
{
	store_user u = {0};
	series_ctx x = {c, json_object()};
	json_t *mood = json_array(), *measures = json_array(), *points;
	const char *id;
	int rc;

	if ((rc = policy_require(c->st, who, POLICY_READ, RES_MEASURES, client_id, 0)) != 0)
		goto fail;
	if ((rc = store_user_get(c->st, client_id, &u)) != 0)
		goto fail;
	if ((rc = store_checkin_each(c->st, client_id, SERIES_MAX, mood_row, mood)) != 0)
		goto fail;
	if ((rc = store_response_each(c->st, client_id, "", 10 * SERIES_MAX, series_row, &x)) != 0)
		goto fail;
	json_object_foreach(x.by, id, points) {
		const instrument *in = instrument_catalog_find(c->instruments, id);
		const json_t *content = content_of(c, id);
		int better = json_is_true(json_object_get(content, "higher_is_better"));
		json_t *bands = json_array(), *m, *rcj;
		double lo, hi;
		const char *label;
		size_t i;
		for (i = 0; i < instrument_band_count(in); i++)
			if (instrument_band_at(in, i, &lo, &hi, &label) == 0)
				json_array_append_new(bands, json_pack("{s:f, s:f, s:s}", "min", lo,
								       "max", hi, "label", label));
		rcj = reliable_change(json_object_get(content, "reliable_change"), points, better);
		if (json_is_object(rcj))
			json_object_set_new(rcj, "threshold_text",
					    json_sprintf("%.1f", json_number_value(json_object_get(
									 rcj, "threshold"))));
		m = json_pack("{s:s, s:s, s:s, s:f, s:f, s:b, s:o, s:O, s:o}", "instrument", id,
			      "name", instrument_name(in), "short_name", instrument_short_name(in),
			      "min", instrument_total_min(in), "max", instrument_total_max(in),
			      "higher_is_better", better, "bands", bands, "points", points,
			      "reliable_change", rcj);
		json_array_append_new(measures, m);
	}
	*out = json_pack("{s:{s:I, s:s}, s:{s:o, s:i, s:i}, s:o}", "client", "id",
			 (json_int_t)u.id, "name", u.display_name, "mood", "points", mood, "min",
			 0, "max", 10, "measures", measures);
	json_decref(x.by);
	store_user_clear(&u);
	return 0;
fail:
	json_decref(x.by);
	json_decref(mood);
	json_decref(measures);
	store_user_clear(&u);
	return rc;
}
