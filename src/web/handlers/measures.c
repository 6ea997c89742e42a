/*
 * measures.c: the measures pages — what is due and what can be chosen,
 * one accessible form per instrument, the plain-language result, the
 * progress charts (SVG drawn here, with a data table beside each), and a
 * clinician assigning measures.  The answering page of a risk item
 * carries the safety plan and crisis lines at once.
 */
#include "web/web.h"

#include "kd.h"
#include "web/input.h"
#include "web/svg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void overview(req *r, reply *out, int64_t client_id, const char *tpl)
{
	json_t *body = NULL;
	int rc = care_measures_overview(&r->app->care, &r->who, client_id, &body);

	out->tpl = tpl;
	out->title = "Measures";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	json_object_set_new(body, "own", json_boolean(client_id == r->who.id));
	out->body = body;
}

void h_measures(req *r, reply *out)
{
	overview(r, out, r->who.id, "measures.html");
}

void h_client_measures(req *r, reply *out)
{
	overview(r, out, r->id, "measures.html");
	if (out->body && input_bool(r->in, "assigned"))
		json_object_set_new(out->body, "assigned_now", json_true());
}

void h_measure_form(req *r, reply *out)
{
	json_t *form = NULL;
	int rc = care_measure_form(&r->app->care, &r->who, r->token, &form);

	out->tpl = "measure_form.html";
	out->title = "Answer a questionnaire";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	out->body = form;
}

/* Marks the options the person had chosen, so a form shown again after
 * an error keeps their answers. */
static void mark_chosen(json_t *form, const json_t *in)
{
	json_t *item, *opt;
	size_t i, k;
	char key[16];

	json_array_foreach(json_object_get(form, "items"), i, item) {
		const char *v;
		snprintf(key, sizeof(key), "item%lld",
			 (long long)json_integer_value(json_object_get(item, "number")));
		v = input_str(in, key);
		if (!v)
			continue;
		json_array_foreach(json_object_get(item, "options"), k, opt)
			if (atoll(v) == json_integer_value(json_object_get(opt, "value")) && *v)
				json_object_set_new(opt, "checked", json_true());
	}
}

void h_measure_answer(req *r, reply *out)
{
	json_t *res = NULL;
	const char *why = NULL;
	char loc[64];
	const json_t *answers = json_object_get(r->in, "answers");
	int rc = input_expect(r->in, "submission", INPUT_TEXT);

	/* answers is the API's list; a form sends item1..itemN instead. */
	if (rc == 0 && answers && !json_is_array(answers))
		rc = KD_EINVAL;
	if (rc == 0)
		rc = care_measure_answer(&r->app->care, &r->who, r->token, r->in, &res, &why);
	else
		why = "Please choose one of the answers given for each question.";

	out->tpl = "measure_form.html";
	out->title = "Answer a questionnaire";
	if (rc != 0) {
		json_t *form = NULL;
		reply_kd_error(out, rc, why);
		/* The form again, with what was chosen kept. */
		if (!r->api && rc == KD_EINVAL &&
		    care_measure_form(&r->app->care, &r->who, r->token, &form) == 0) {
			json_object_set(form, "error", json_object_get(out->body, "error"));
			mark_chosen(form, r->in);
			json_decref(out->body);
			out->body = form;
		}
		return;
	}
	out->status = json_is_true(json_object_get(res, "repeat")) ? 200 : 201;
	out->body = res;
	snprintf(loc, sizeof(loc), "/responses/%lld",
		 (long long)json_integer_value(json_object_get(res, "id")));
	reply_redirect(out, loc);
}

void h_response(req *r, reply *out)
{
	json_t *res = NULL;
	int rc = care_measure_result(&r->app->care, &r->who, r->id, &res);

	out->tpl = "measure_result.html";
	out->title = "Your answers";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	if (json_is_true(json_object_get(res, "at_risk")) &&
	    json_integer_value(json_object_get(res, "client_id")) == r->who.id)
		support_add(r, res);
	out->body = res;
}

void h_assign(req *r, reply *out)
{
	const char *why = NULL;
	char loc[64];
	int rc = input_expect(r->in, "instrument", INPUT_TEXT) ? KD_EINVAL
		 : input_expect(r->in, "schedule", INPUT_TEXT)	? KD_EINVAL
								: 0;

	if (rc == 0)
		rc = care_assign(&r->app->care, &r->who, r->id, input_str(r->in, "instrument"),
				 input_str(r->in, "schedule"), &why);
	else
		why = "Please choose a measure and how often.";

	if (rc != 0) {
		reply_kd_error(out, rc, why);
		return;
	}
	out->status = 201;
	out->body = json_pack("{s:b}", "assigned", 1);
	snprintf(loc, sizeof(loc), r->id == r->who.id ? "/measures?assigned=1"
						     : "/clients/%lld/measures?assigned=1",
		 (long long)r->id);
	reply_redirect(out, loc);
}

/* Draws each series' chart into its "svg" (the page prints it raw; the
 * API carries the same points without it). */
static void draw_charts(json_t *body, int api)
{
	json_t *m, *mood = json_object_get(body, "mood");
	char *svg, id[48], desc[300];
	size_t i, n;

	if (api)
		return;
	n = json_array_size(json_object_get(mood, "points"));
	snprintf(desc, sizeof(desc), "Mood at each check-in, from 0 (very low) to 10 (very good); "
				     "%zu check-ins. The table below lists every value.", n);
	svg = svg_chart("chart-mood", json_object_get(mood, "points"), 0, 10, NULL, "Mood over time",
			desc);
	json_object_set_new(mood, "svg", json_string(svg));
	free(svg);
	json_array_foreach(json_object_get(body, "measures"), i, m) {
		const char *name = json_string_value(json_object_get(m, "short_name"));
		snprintf(id, sizeof(id), "chart-%zu", i);
		snprintf(desc, sizeof(desc),
			 "%s totals over time, on its scale from %g to %g, with its bands shaded; "
			 "%zu answers. The table below lists every value.",
			 name, json_number_value(json_object_get(m, "min")),
			 json_number_value(json_object_get(m, "max")),
			 json_array_size(json_object_get(m, "points")));
		svg = svg_chart(id, json_object_get(m, "points"),
				json_number_value(json_object_get(m, "min")),
				json_number_value(json_object_get(m, "max")),
				json_object_get(m, "bands"), name, desc);
		json_object_set_new(m, "svg", json_string(svg));
		free(svg);
	}
}

static void progress(req *r, reply *out, int64_t client_id)
{
	json_t *body = NULL;
	int rc = care_progress(&r->app->care, &r->who, client_id, &body);

	out->tpl = "progress.html";
	out->title = "Progress";
	if (rc != 0) {
		reply_kd_error(out, rc, NULL);
		return;
	}
	json_object_set_new(body, "own", json_boolean(client_id == r->who.id));
	draw_charts(body, r->api);
	out->body = body;
}

void h_progress(req *r, reply *out)
{
	progress(r, out, r->who.id);
}

void h_client_progress(req *r, reply *out)
{
	progress(r, out, r->id);
}
