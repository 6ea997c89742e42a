/*
 * instruments.c: loading, validating and scoring questionnaire
 * definitions (see instruments.h and docs/instruments.md).
 *
 * Workload: a handful of definitions of a few kilobytes, loaded once at
 * start-up; scoring is a pass over at most a few dozen answers, done per
 * submitted form.  So loading is strict and thorough (every field is
 * type-checked, unknown keys are refused, bands must tile the range of a
 * sum exactly) and scoring is plain loops over small arrays.
 *
 * The parsed jansson tree is kept for the life of the instrument: the
 * strings handed out point into it.  Nothing in it changes after load,
 * so concurrent readers need no lock.
 */
#include "care/instruments.h"

#include "kd.h"
#include "util/embed.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 100
#define MAX_OPTIONS 16
#define MAX_ANSWER 1000 /* option values live in [-MAX_ANSWER, MAX_ANSWER] */
#define EPS 1e-9

typedef struct alert_rule {
	int item;
	instrument_cond when; /* on item itself */
	instrument_cond *also; /* further conditions, all must hold */
	size_t nalso;
	const char *level;
	const char *reason;
} alert_rule;

typedef struct subscale {
	const char *id;
	const char *name;
	int *items;
	size_t nitems;
	int mean;
	int reverse; /* apply the instrument's reverse list */
} subscale;

typedef struct band {
	double min, max;
	const char *label;
} band;

enum method { METHOD_SUM, METHOD_MEAN, METHOD_NONE };

struct instrument {
	json_t *root;
	const char *id, *name, *short_name, *preamble, *scaled_name;
	int verified;
	enum method method;
	double multiply;
	double tmin, tmax;
	instrument_item *items;
	size_t nitems;
	int *reverse; /* per item: 1 if reverse-scored */
	subscale *subs;
	size_t nsubs;
	band *bands;
	size_t nbands;
	alert_rule *alerts;
	size_t nalerts;
};

struct instrument_catalog {
	instrument **list;
	size_t n;
};

static int fail_msg(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return KD_EINVAL;
}

/* Refuses keys outside allowed (a NULL-terminated list): a misspelt key
 * would otherwise be silently ignored, and its intent lost. */
static int only_keys(json_t *obj, const char *const *allowed, const char *where, char *msg,
		     size_t len)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i])
			return fail_msg(msg, len, "%s: unknown key \"%s\"", where, key);
	}
	return 0;
}

static int get_string(json_t *obj, const char *key, int nullable, const char **out,
		      const char *where, char *msg, size_t len)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (nullable && (!v || json_is_null(v)))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail_msg(msg, len, "%s: \"%s\" must be a non-empty string", where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_bool(json_t *obj, const char *key, int dflt, int *out, const char *where,
		    char *msg, size_t len)
{
	json_t *v = json_object_get(obj, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return fail_msg(msg, len, "%s: \"%s\" must be true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

static int as_int(json_t *v, int lo, int hi, int *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	if (x < lo || x > hi)
		return -1;
	*out = (int)x;
	return 0;
}

static int option_index(const instrument_item *it, int value)
{
	size_t i;

	for (i = 0; i < it->noptions; i++)
		if (it->options[i].value == value)
			return (int)i;
	return -1;
}

static void option_range(const instrument_item *it, int *lo, int *hi)
{
	size_t i;

	*lo = *hi = it->options[0].value;
	for (i = 1; i < it->noptions; i++) {
		if (it->options[i].value < *lo)
			*lo = it->options[i].value;
		if (it->options[i].value > *hi)
			*hi = it->options[i].value;
	}
}

static int parse_options(json_t *arr, instrument_item *it, const char *where, char *msg,
			 size_t len)
{
	instrument_option *opts = NULL;
	static const char *const keys[] = {"value", "label", NULL};
	size_t i, j, n;
	json_t *o;
	int rc;

	if (!json_is_array(arr) || (n = json_array_size(arr)) < 2 || n > MAX_OPTIONS)
		return fail_msg(msg, len, "%s: \"options\" must be an array of 2 to %d options",
				where, MAX_OPTIONS);
	opts = kd_xcalloc(n, sizeof(*opts));
	json_array_foreach(arr, i, o) {
		if (!json_is_object(o)) {
			rc = fail_msg(msg, len, "%s: option %zu is not an object", where, i + 1);
			goto fail;
		}
		if ((rc = only_keys(o, keys, where, msg, len)) != 0)
			goto fail;
		if (as_int(json_object_get(o, "value"), -MAX_ANSWER, MAX_ANSWER,
			   &opts[i].value) != 0) {
			rc = fail_msg(msg, len, "%s: option %zu: \"value\" must be an integer",
				      where, i + 1);
			goto fail;
		}
		if ((rc = get_string(o, "label", 0, &opts[i].label, where, msg, len)) != 0)
			goto fail;
		for (j = 0; j < i; j++)
			if (opts[j].value == opts[i].value) {
				rc = fail_msg(msg, len, "%s: option value %d appears twice", where,
					      opts[i].value);
				goto fail;
			}
	}
	it->options = opts;
	it->noptions = n;
	return 0;
fail:
	free(opts);
	return rc;
}

/* Parses {"item": N, "equals"|"min"|"max": V}; self_item, if nonzero, is
 * the item the condition is on when "item" is absent. */
static int parse_cond(const instrument *in, json_t *obj, int self_item, int before,
		      instrument_cond *c, const char *where, char *msg, size_t len)
{
	static const char *const keys[] = {"item", "equals", "min", "max", NULL};
	static const char *const ops[] = {"equals", "min", "max"};
	const instrument_item *it;
	json_t *v;
	size_t i, found = 0;
	int rc;

	if (!json_is_object(obj))
		return fail_msg(msg, len, "%s: a condition must be an object", where);
	if ((rc = only_keys(obj, keys, where, msg, len)) != 0)
		return rc;
	if ((v = json_object_get(obj, "item"))) {
		if (as_int(v, 1, (int)in->nitems, &c->item) != 0)
			return fail_msg(msg, len, "%s: condition names no such item", where);
	} else if (self_item) {
		c->item = self_item;
	} else {
		return fail_msg(msg, len, "%s: condition needs an \"item\"", where);
	}
	if (before && c->item >= before)
		return fail_msg(msg, len, "%s: skip logic may only depend on an earlier item",
				where);
	for (i = 0; i < KD_ARRAY_LEN(ops); i++) {
		if (!(v = json_object_get(obj, ops[i])))
			continue;
		found++;
		c->op = (enum instrument_op)i;
		if (as_int(v, -MAX_ANSWER, MAX_ANSWER, &c->value) != 0)
			return fail_msg(msg, len, "%s: \"%s\" must be an integer", where, ops[i]);
	}
	if (found != 1)
		return fail_msg(msg, len, "%s: a condition needs exactly one of equals, min, max",
				where);
	it = &in->items[c->item - 1];
	if (c->op == INSTRUMENT_EQUALS && option_index(it, c->value) < 0)
		return fail_msg(msg, len, "%s: item %d has no answer %d", where, c->item,
				c->value);
	return 0;
}

static int cond_holds(const instrument_cond *c, const int *answers, size_t n)
{
	int a;

	if ((size_t)c->item > n || (a = answers[c->item - 1]) == INSTRUMENT_NO_ANSWER)
		return 0;
	switch (c->op) {
	case INSTRUMENT_EQUALS:
		return a == c->value;
	case INSTRUMENT_MIN:
		return a >= c->value;
	case INSTRUMENT_MAX:
		return a <= c->value;
	}
	return 0;
}

static int parse_items(instrument *in, json_t *root, char *msg, size_t len)
{
	static const char *const keys[] = {"number", "text", "options", "scored",
					   "required", "ask_if", NULL};
	json_t *items = json_object_get(root, "items");
	json_t *dflt = json_object_get(root, "options");
	json_t *it, *opts;
	char where[48];
	size_t i;
	int rc, number;

	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > MAX_ITEMS)
		return fail_msg(msg, len, "\"items\" must be an array of 1 to %d items", MAX_ITEMS);
	in->nitems = json_array_size(items);
	in->items = kd_xcalloc(in->nitems, sizeof(*in->items));
	json_array_foreach(items, i, it) {
		instrument_item *x = &in->items[i];

		snprintf(where, sizeof(where), "item %zu", i + 1);
		if (!json_is_object(it))
			return fail_msg(msg, len, "%s: not an object", where);
		if ((rc = only_keys(it, keys, where, msg, len)) != 0)
			return rc;
		if (as_int(json_object_get(it, "number"), 1, MAX_ITEMS, &number) != 0 ||
		    (size_t)number != i + 1)
			return fail_msg(msg, len, "%s: \"number\" must be %zu (items are in order)",
					where, i + 1);
		x->number = number;
		if ((rc = get_string(it, "text", 0, &x->text, where, msg, len)) != 0)
			return rc;
		opts = json_object_get(it, "options");
		if (!opts)
			opts = dflt;
		if (!opts)
			return fail_msg(msg, len, "%s: no \"options\" (and no default options)",
					where);
		if ((rc = parse_options(opts, x, where, msg, len)) != 0)
			return rc;
		if ((rc = get_bool(it, "scored", 1, &x->scored, where, msg, len)) != 0 ||
		    (rc = get_bool(it, "required", 1, &x->required, where, msg, len)) != 0)
			return rc;
	}
	/* Conditions refer to other items' options, so a second pass. */
	json_array_foreach(items, i, it) {
		json_t *c = json_object_get(it, "ask_if");

		if (!c)
			continue;
		snprintf(where, sizeof(where), "item %zu: ask_if", i + 1);
		if ((rc = parse_cond(in, c, 0, (int)i + 1, &in->items[i].ask_if, where, msg,
				     len)) != 0)
			return rc;
		in->items[i].has_ask_if = 1;
	}
	return 0;
}

static int parse_item_list(instrument *in, json_t *arr, int **out, size_t *n,
			   const char *where, char *msg, size_t len)
{
	json_t *v;
	size_t i, j;
	int *list = NULL;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr))
		return fail_msg(msg, len, "%s: must be an array of item numbers", where);
	list = kd_xcalloc(json_array_size(arr) + 1, sizeof(int));
	json_array_foreach(arr, i, v) {
		if (as_int(v, 1, (int)in->nitems, &list[i]) != 0) {
			rc = fail_msg(msg, len, "%s: no such item", where);
			goto fail;
		}
		if (!in->items[list[i] - 1].scored) {
			rc = fail_msg(msg, len, "%s: item %d is not scored", where, list[i]);
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (list[j] == list[i]) {
				rc = fail_msg(msg, len, "%s: item %d appears twice", where, list[i]);
				goto fail;
			}
	}
	*out = list;
	*n = json_array_size(arr);
	return 0;
fail:
	free(list);
	return rc;
}

/* The range a total can take: a skippable item may count 0 in a sum. */
static void total_range(instrument *in)
{
	size_t i;
	int lo, hi, first = 1;

	in->tmin = in->tmax = 0;
	for (i = 0; i < in->nitems; i++) {
		const instrument_item *it = &in->items[i];

		if (!it->scored)
			continue;
		option_range(it, &lo, &hi);
		if (in->method == METHOD_SUM) {
			if (it->has_ask_if || !it->required) {
				lo = lo < 0 ? lo : 0;
				hi = hi > 0 ? hi : 0;
			}
			in->tmin += lo;
			in->tmax += hi;
		} else if (in->method == METHOD_MEAN) {
			if (first || lo < in->tmin)
				in->tmin = lo;
			if (first || hi > in->tmax)
				in->tmax = hi;
			first = 0;
		}
	}
}

static int parse_scoring(instrument *in, json_t *root, char *msg, size_t len)
{
	static const char *const keys[] = {"method", "reverse", "subscales", "scaled", NULL};
	static const char *const subkeys[] = {"id", "name", "items", "method", "reverse",
					      NULL};
	static const char *const scaledkeys[] = {"multiply", "name", NULL};
	json_t *sc = json_object_get(root, "scoring");
	json_t *subs, *s, *scaled;
	const char *method;
	char where[64];
	int *rev = NULL;
	size_t nrev, i, j;
	int rc, any = 0;

	if (!json_is_object(sc))
		return fail_msg(msg, len, "\"scoring\" must be an object");
	if ((rc = only_keys(sc, keys, "scoring", msg, len)) != 0)
		return rc;
	if ((rc = get_string(sc, "method", 0, &method, "scoring", msg, len)) != 0)
		return rc;
	if (strcmp(method, "sum") == 0)
		in->method = METHOD_SUM;
	else if (strcmp(method, "mean") == 0)
		in->method = METHOD_MEAN;
	else if (strcmp(method, "none") == 0)
		in->method = METHOD_NONE;
	else
		return fail_msg(msg, len, "scoring: method must be sum, mean or none");
	for (i = 0; i < in->nitems; i++)
		any |= in->items[i].scored;
	if (in->method != METHOD_NONE && !any)
		return fail_msg(msg, len, "scoring: no item is scored");

	in->reverse = kd_xcalloc(in->nitems, sizeof(int));
	if (json_object_get(sc, "reverse")) {
		if ((rc = parse_item_list(in, json_object_get(sc, "reverse"), &rev, &nrev,
					  "scoring: reverse", msg, len)) != 0)
			return rc;
		for (i = 0; i < nrev; i++)
			in->reverse[rev[i] - 1] = 1;
		free(rev);
	}

	subs = json_object_get(sc, "subscales");
	if (subs && !json_is_array(subs))
		return fail_msg(msg, len, "scoring: subscales must be an array");
	in->nsubs = subs ? json_array_size(subs) : 0;
	in->subs = kd_xcalloc(in->nsubs + 1, sizeof(*in->subs));
	json_array_foreach(subs, i, s) {
		subscale *x = &in->subs[i];
		const char *m;

		snprintf(where, sizeof(where), "subscale %zu", i + 1);
		if (!json_is_object(s))
			return fail_msg(msg, len, "%s: not an object", where);
		if ((rc = only_keys(s, subkeys, where, msg, len)) != 0 ||
		    (rc = get_string(s, "id", 0, &x->id, where, msg, len)) != 0 ||
		    (rc = get_string(s, "name", 0, &x->name, where, msg, len)) != 0 ||
		    (rc = get_string(s, "method", 0, &m, where, msg, len)) != 0 ||
		    (rc = get_bool(s, "reverse", 1, &x->reverse, where, msg, len)) != 0)
			return rc;
		if (strcmp(m, "sum") != 0 && strcmp(m, "mean") != 0)
			return fail_msg(msg, len, "%s: method must be sum or mean", where);
		x->mean = strcmp(m, "mean") == 0;
		if ((rc = parse_item_list(in, json_object_get(s, "items"), &x->items,
					  &x->nitems, where, msg, len)) != 0)
			return rc;
		if (x->nitems == 0)
			return fail_msg(msg, len, "%s: has no items", where);
		for (j = 0; j < i; j++)
			if (strcmp(in->subs[j].id, x->id) == 0)
				return fail_msg(msg, len, "%s: id \"%s\" used twice", where,
						x->id);
	}

	if ((scaled = json_object_get(sc, "scaled"))) {
		json_t *mul = json_object_get(scaled, "multiply");

		if (!json_is_object(scaled) || in->method == METHOD_NONE)
			return fail_msg(msg, len, "scoring: scaled must be an object, with a total");
		if ((rc = only_keys(scaled, scaledkeys, "scoring: scaled", msg, len)) != 0 ||
		    (rc = get_string(scaled, "name", 0, &in->scaled_name, "scoring: scaled", msg,
				     len)) != 0)
			return rc;
		if (!json_is_number(mul) || json_number_value(mul) <= 0)
			return fail_msg(msg, len, "scoring: scaled.multiply must be a positive number");
		in->multiply = json_number_value(mul);
	}
	total_range(in);
	return 0;
}

static int parse_bands(instrument *in, json_t *root, char *msg, size_t len)
{
	static const char *const keys[] = {"min", "max", "label", NULL};
	json_t *arr = json_object_get(root, "bands");
	json_t *b;
	char where[32];
	size_t i;
	int rc;

	if (!json_is_array(arr))
		return fail_msg(msg, len, "\"bands\" must be an array (empty when the authors "
					  "publish none)");
	in->nbands = json_array_size(arr);
	in->bands = kd_xcalloc(in->nbands + 1, sizeof(*in->bands));
	if (in->nbands && in->method == METHOD_NONE)
		return fail_msg(msg, len, "bands: an instrument without a total has no bands");
	json_array_foreach(arr, i, b) {
		band *x = &in->bands[i];
		json_t *lo, *hi;

		snprintf(where, sizeof(where), "band %zu", i + 1);
		if (!json_is_object(b))
			return fail_msg(msg, len, "%s: not an object", where);
		if ((rc = only_keys(b, keys, where, msg, len)) != 0 ||
		    (rc = get_string(b, "label", 0, &x->label, where, msg, len)) != 0)
			return rc;
		lo = json_object_get(b, "min");
		hi = json_object_get(b, "max");
		if (in->method == METHOD_SUM ? !json_is_integer(lo) || !json_is_integer(hi)
					     : !json_is_number(lo) || !json_is_number(hi))
			return fail_msg(msg, len, "%s: min and max must be %s", where,
					in->method == METHOD_SUM ? "integers" : "numbers");
		x->min = json_number_value(lo);
		x->max = json_number_value(hi);
		if (x->min > x->max)
			return fail_msg(msg, len, "%s: min is above max", where);
		if (x->min < in->tmin - EPS || x->max > in->tmax + EPS)
			return fail_msg(msg, len, "%s: outside the possible totals %g to %g", where,
					in->tmin, in->tmax);
		if (i > 0 && x->min <= in->bands[i - 1].max)
			return fail_msg(msg, len, "%s: overlaps or precedes the band before it",
					where);
		/* A sum is an integer: its bands must leave no score without a label. */
		if (in->method == METHOD_SUM &&
		    ((i == 0 && fabs(x->min - in->tmin) > EPS) ||
		     (i > 0 && fabs(x->min - (in->bands[i - 1].max + 1)) > EPS)))
			return fail_msg(msg, len, "%s: leaves a gap before %g", where, x->min);
	}
	if (in->method == METHOD_SUM && in->nbands &&
	    fabs(in->bands[in->nbands - 1].max - in->tmax) > EPS)
		return fail_msg(msg, len, "bands: the last band must end at the maximum %g",
				in->tmax);
	return 0;
}

static int valid_level(const char *s)
{
	static const char *const levels[] = {"risk", "risk-low", "risk-moderate", "risk-high",
					     "attention"};
	size_t i;

	for (i = 0; i < KD_ARRAY_LEN(levels); i++)
		if (strcmp(s, levels[i]) == 0)
			return 1;
	return 0;
}

static int parse_alerts(instrument *in, json_t *root, char *msg, size_t len)
{
	static const char *const keys[] = {"item", "when", "and", "level", "reason", NULL};
	json_t *arr = json_object_get(root, "alerts");
	json_t *a, *also, *c;
	char where[48];
	size_t i, j;
	int rc;

	if (!json_is_array(arr))
		return fail_msg(msg, len, "\"alerts\" must be an array (empty when none)");
	in->nalerts = json_array_size(arr);
	in->alerts = kd_xcalloc(in->nalerts + 1, sizeof(*in->alerts));
	json_array_foreach(arr, i, a) {
		alert_rule *x = &in->alerts[i];

		snprintf(where, sizeof(where), "alert %zu", i + 1);
		if (!json_is_object(a))
			return fail_msg(msg, len, "%s: not an object", where);
		if ((rc = only_keys(a, keys, where, msg, len)) != 0)
			return rc;
		if (as_int(json_object_get(a, "item"), 1, (int)in->nitems, &x->item) != 0)
			return fail_msg(msg, len, "%s: no such item", where);
		if ((rc = parse_cond(in, json_object_get(a, "when"), x->item, 0, &x->when,
				     where, msg, len)) != 0)
			return rc;
		if ((rc = get_string(a, "level", 0, &x->level, where, msg, len)) != 0 ||
		    (rc = get_string(a, "reason", 0, &x->reason, where, msg, len)) != 0)
			return rc;
		if (!valid_level(x->level))
			return fail_msg(msg, len, "%s: level must be risk, risk-low, risk-moderate, "
						  "risk-high or attention", where);
		if ((also = json_object_get(a, "and"))) {
			if (!json_is_array(also))
				return fail_msg(msg, len, "%s: \"and\" must be an array", where);
			x->nalso = json_array_size(also);
			x->also = kd_xcalloc(x->nalso + 1, sizeof(*x->also));
			json_array_foreach(also, j, c) {
				if ((rc = parse_cond(in, c, 0, 0, &x->also[j], where, msg, len)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

static int parse_meta(instrument *in, json_t *root, char *msg, size_t len)
{
	static const char *const loinckeys[] = {"panel", "total", "note", NULL};
	static const char *const srckeys[] = {"citation", "developers", "url", NULL};
	static const char *const lickeys[] = {"holder", "terms", "ships", "verified", "note",
					      NULL};
	json_t *loinc = json_object_get(root, "loinc");
	json_t *src = json_object_get(root, "source");
	json_t *lic = json_object_get(root, "licence");
	json_t *ver = json_object_get(root, "verification");
	const char *s;
	size_t i;
	json_t *v;
	int rc, b = 0;

	if (!json_is_object(loinc))
		return fail_msg(msg, len, "\"loinc\" must be an object (codes may be null)");
	if ((rc = only_keys(loinc, loinckeys, "loinc", msg, len)) != 0)
		return rc;
	for (i = 0; i < 2; i++) {
		const char *k = i ? "total" : "panel";
		size_t n;

		if ((rc = get_string(loinc, k, 1, &s, "loinc", msg, len)) != 0)
			return rc;
		if (!s && !json_object_get(loinc, "note"))
			return fail_msg(msg, len, "loinc: a null code needs a \"note\" saying why");
		if (!s)
			continue;
		/* LOINC codes are digits, a hyphen and one check digit. */
		n = strspn(s, "0123456789");
		if (n < 1 || n > 7 || s[n] != '-' || strspn(s + n + 1, "0123456789") != 1 ||
		    s[n + 2] != '\0')
			return fail_msg(msg, len, "loinc: \"%s\" is not a LOINC code", s);
	}
	if (!json_is_object(src))
		return fail_msg(msg, len, "\"source\" must be an object");
	if ((rc = only_keys(src, srckeys, "source", msg, len)) != 0 ||
	    (rc = get_string(src, "citation", 0, &s, "source", msg, len)) != 0)
		return rc;
	if (!json_is_object(lic))
		return fail_msg(msg, len, "\"licence\" must be an object");
	if ((rc = only_keys(lic, lickeys, "licence", msg, len)) != 0 ||
	    (rc = get_string(lic, "terms", 0, &s, "licence", msg, len)) != 0)
		return rc;
	if (!json_is_boolean(json_object_get(lic, "ships")) ||
	    !json_is_boolean(json_object_get(lic, "verified")))
		return fail_msg(msg, len, "licence: \"ships\" and \"verified\" must be true or "
					  "false");
	if ((rc = get_bool(root, "verified", 0, &b, "instrument", msg, len)) != 0)
		return rc;
	if (!json_is_boolean(json_object_get(root, "verified")))
		return fail_msg(msg, len, "\"verified\" must be true or false");
	in->verified = b;
	if (!json_is_array(ver))
		return fail_msg(msg, len, "\"verification\" must be an array of notes");
	json_array_foreach(ver, i, v) {
		if (!json_is_string(v))
			return fail_msg(msg, len, "verification: note %zu is not a string", i + 1);
	}
	return 0;
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int instrument_load(const char *json, size_t len, instrument **out, char *msg, size_t msglen)
{
	static const char *const keys[] = {
		"format", "id", "name", "short_name", "measures", "verified", "verification",
		"preamble", "options", "items", "scoring", "bands", "bands_source", "alerts",
		"loinc", "source", "licence", NULL};
	json_error_t jerr;
	instrument *in = NULL;
	const char *s;
	int rc, format;

	*out = NULL;
	if (msg && msglen)
		msg[0] = '\0';
	in = kd_xcalloc(1, sizeof(*in));
	in->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in->root) {
		rc = fail_msg(msg, msglen, "not valid JSON: %s (line %d)", jerr.text, jerr.line);
		goto fail;
	}
	if (!json_is_object(in->root)) {
		rc = fail_msg(msg, msglen, "a definition must be a JSON object");
		goto fail;
	}
	if ((rc = only_keys(in->root, keys, "instrument", msg, msglen)) != 0)
		goto fail;
	if (as_int(json_object_get(in->root, "format"), 1, 1, &format) != 0) {
		rc = fail_msg(msg, msglen, "\"format\" must be 1");
		goto fail;
	}
	if ((rc = get_string(in->root, "id", 0, &in->id, "instrument", msg, msglen)) != 0)
		goto fail;
	if (!valid_id(in->id)) {
		rc = fail_msg(msg, msglen, "id \"%s\": use a-z, 0-9 and '-' (at most 32)", in->id);
		goto fail;
	}
	if ((rc = get_string(in->root, "name", 0, &in->name, in->id, msg, msglen)) != 0 ||
	    (rc = get_string(in->root, "short_name", 0, &in->short_name, in->id, msg,
			     msglen)) != 0 ||
	    (rc = get_string(in->root, "measures", 1, &s, in->id, msg, msglen)) != 0 ||
	    (rc = get_string(in->root, "bands_source", 1, &s, in->id, msg, msglen)) != 0)
		goto fail;
	if (!json_object_get(in->root, "preamble")) {
		rc = fail_msg(msg, msglen, "\"preamble\" is required (null when none is shipped)");
		goto fail;
	}
	if ((rc = get_string(in->root, "preamble", 1, &in->preamble, in->id, msg, msglen)) !=
		    0 ||
	    (rc = parse_items(in, in->root, msg, msglen)) != 0 ||
	    (rc = parse_scoring(in, in->root, msg, msglen)) != 0 ||
	    (rc = parse_bands(in, in->root, msg, msglen)) != 0 ||
	    (rc = parse_alerts(in, in->root, msg, msglen)) != 0 ||
	    (rc = parse_meta(in, in->root, msg, msglen)) != 0)
		goto fail;
	*out = in;
	return 0;
fail:
	instrument_free(in);
	return rc;
}

void instrument_free(instrument *in)
{
	size_t i;

	if (!in)
		return;
	for (i = 0; in->items && i < in->nitems; i++)
		free((void *)in->items[i].options);
	for (i = 0; in->subs && i < in->nsubs; i++)
		free(in->subs[i].items);
	for (i = 0; in->alerts && i < in->nalerts; i++)
		free(in->alerts[i].also);
	free(in->items);
	free(in->reverse);
	free(in->subs);
	free(in->bands);
	free(in->alerts);
	json_decref(in->root);
	free(in);
}

const char *instrument_id(const instrument *in)
{
	return in->id;
}

const char *instrument_name(const instrument *in)
{
	return in->name;
}

const char *instrument_short_name(const instrument *in)
{
	return in->short_name;
}

const char *instrument_preamble(const instrument *in)
{
	return in->preamble;
}

const char *instrument_method(const instrument *in)
{
	return in->method == METHOD_SUM ? "sum" : in->method == METHOD_MEAN ? "mean" : "none";
}

const char *instrument_scaled_name(const instrument *in)
{
	return in->scaled_name;
}

double instrument_total_min(const instrument *in)
{
	return in->tmin;
}

double instrument_total_max(const instrument *in)
{
	return in->tmax;
}

size_t instrument_band_count(const instrument *in)
{
	return in->nbands;
}

int instrument_band_at(const instrument *in, size_t i, double *min, double *max,
		       const char **label)
{
	if (i >= in->nbands)
		return KD_ENOTFOUND;
	*min = in->bands[i].min;
	*max = in->bands[i].max;
	*label = in->bands[i].label;
	return 0;
}

int instrument_verified(const instrument *in)
{
	return in->verified;
}

size_t instrument_item_count(const instrument *in)
{
	return in->nitems;
}

const instrument_item *instrument_item_at(const instrument *in, size_t i)
{
	return i < in->nitems ? &in->items[i] : NULL;
}

int instrument_item_asked(const instrument *in, const int *answers, size_t n, size_t i)
{
	const instrument_item *it;

	if (i >= in->nitems)
		return 0;
	it = &in->items[i];
	if (!it->has_ask_if)
		return 1;
	/* The item depended on must itself have been asked (chains). */
	if (!instrument_item_asked(in, answers, n, (size_t)it->ask_if.item - 1))
		return 0;
	return cond_holds(&it->ask_if, answers, n);
}

static void describe_options(const instrument_item *it, char *out, size_t len)
{
	size_t i, off = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < it->noptions && off < len; i++) {
		w = snprintf(out + off, len - off, "%s%d", i ? ", " : "", it->options[i].value);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* The value an answer contributes to a score, reversed if asked to. */
static double item_value(const instrument *in, size_t i, int answer, int reverse)
{
	int lo, hi;

	if (!reverse || !in->reverse[i])
		return answer;
	option_range(&in->items[i], &lo, &hi);
	return (double)(lo + hi - answer);
}

int instrument_score(const instrument *in, const int *answers, size_t n,
		     instrument_result **out, char *msg, size_t msglen)
{
	instrument_result *r = NULL;
	int *asked = NULL;
	char opts[128];
	double sum = 0;
	size_t i, j, count = 0;
	int rc = 0;

	*out = NULL;
	if (msg && msglen)
		msg[0] = '\0';
	if (n > in->nitems)
		return fail_msg(msg, msglen, "%s has %zu items; %zu answers were given",
				in->short_name, in->nitems, n);
	asked = kd_xcalloc(in->nitems, sizeof(int));
	r = kd_xcalloc(1, sizeof(*r));
	r->in = in;
	for (i = 0; i < in->nitems; i++) {
		const instrument_item *it = &in->items[i];
		int a = i < n ? answers[i] : INSTRUMENT_NO_ANSWER;

		asked[i] = instrument_item_asked(in, answers, n, i);
		if (!asked[i]) {
			if (a != INSTRUMENT_NO_ANSWER)
				r->nignored++;
			continue;
		}
		if (a == INSTRUMENT_NO_ANSWER) {
			if (it->required) {
				rc = fail_msg(msg, msglen, "item %d has no answer", it->number);
				goto fail;
			}
			continue;
		}
		if (option_index(it, a) < 0) {
			describe_options(it, opts, sizeof(opts));
			rc = fail_msg(msg, msglen, "item %d: %d is not one of its answers (%s)",
				      it->number, a, opts);
			goto fail;
		}
		if (it->scored) {
			sum += item_value(in, i, a, 1);
			count++;
		}
	}

	if (in->method == METHOD_SUM) {
		r->has_total = 1;
		r->total = sum;
	} else if (in->method == METHOD_MEAN && count > 0) {
		r->has_total = 1;
		r->total = sum / (double)count;
	}
	if (r->has_total && in->multiply > 0) {
		r->has_scaled = 1;
		r->scaled = r->total * in->multiply;
	}
	for (i = 0; r->has_total && i < in->nbands; i++)
		if (r->total >= in->bands[i].min - EPS && r->total <= in->bands[i].max + EPS) {
			r->band = in->bands[i].label;
			break;
		}

	r->nsubscales = in->nsubs;
	r->subscales = kd_xcalloc(in->nsubs + 1, sizeof(*r->subscales));
	for (i = 0; i < in->nsubs; i++) {
		const subscale *s = &in->subs[i];
		instrument_subscore *o = &r->subscales[i];
		double ssum = 0;
		size_t scount = 0;

		o->id = s->id;
		o->name = s->name;
		o->is_mean = s->mean;
		for (j = 0; j < s->nitems; j++) {
			size_t k = (size_t)s->items[j] - 1;
			int a = k < n ? answers[k] : INSTRUMENT_NO_ANSWER;

			if (!asked[k] || a == INSTRUMENT_NO_ANSWER)
				continue;
			ssum += item_value(in, k, a, s->reverse);
			scount++;
		}
		if (scount > 0) {
			o->has_score = 1;
			o->score = s->mean ? ssum / (double)scount : ssum;
		}
	}

	r->alerts = kd_xcalloc(in->nalerts + 1, sizeof(*r->alerts));
	for (i = 0; i < in->nalerts; i++) {
		const alert_rule *a = &in->alerts[i];
		size_t k = (size_t)a->item - 1;
		int hit = asked[k] && cond_holds(&a->when, answers, n);

		for (j = 0; hit && j < a->nalso; j++)
			hit = asked[a->also[j].item - 1] && cond_holds(&a->also[j], answers, n);
		if (!hit)
			continue;
		r->alerts[r->nalerts].item = a->item;
		r->alerts[r->nalerts].level = a->level;
		r->alerts[r->nalerts].reason = a->reason;
		r->nalerts++;
	}
	*out = r;
	r = NULL;
fail:
	instrument_result_free(r);
	free(asked);
	return rc;
}

void instrument_result_free(instrument_result *r)
{
	if (!r)
		return;
	free(r->subscales);
	free(r->alerts);
	free(r);
}

int instrument_catalog_load(instrument_catalog **out, char *msg, size_t msglen)
{
	static const char prefix[] = "data/instruments/";
	const embed_file *files;
	instrument_catalog *c;
	instrument *in = NULL;
	char inner[512];
	size_t nfiles, i, plen = sizeof(prefix) - 1;
	int rc = 0;

	*out = NULL;
	files = embed_all(&nfiles);
	c = kd_xcalloc(1, sizeof(*c));
	c->list = kd_xcalloc(nfiles + 1, sizeof(*c->list));
	for (i = 0; i < nfiles; i++) {
		const char *path = files[i].path, *stem = path + plen;
		size_t slen;
		json_t *ships;

		if (strncmp(path, prefix, plen) != 0 || strchr(stem, '/'))
			continue;
		slen = strlen(stem);
		if (slen < 6 || strcmp(stem + slen - 5, ".json") != 0)
			continue;
		if ((rc = instrument_load((const char *)files[i].data, files[i].len, &in, inner,
					  sizeof(inner))) != 0) {
			fail_msg(msg, msglen, "%s: %s", path, inner);
			goto fail;
		}
		if (strlen(in->id) != slen - 5 || strncmp(in->id, stem, slen - 5) != 0) {
			rc = fail_msg(msg, msglen, "%s: its id is \"%s\"; the file must be %s.json",
				      path, in->id, in->id);
			goto fail;
		}
		ships = json_object_get(json_object_get(in->root, "licence"), "ships");
		if (!json_is_true(ships)) {
			rc = fail_msg(msg, msglen, "%s: its licence does not allow shipping; it "
						   "must not be in data/instruments",
				      path);
			goto fail;
		}
		c->list[c->n++] = in;
		in = NULL;
	}
	*out = c;
	return 0;
fail:
	instrument_free(in);
	instrument_catalog_free(c);
	return rc;
}

void instrument_catalog_free(instrument_catalog *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		instrument_free(c->list[i]);
	free(c->list);
	free(c);
}

size_t instrument_catalog_count(const instrument_catalog *c)
{
	return c->n;
}

const instrument *instrument_catalog_at(const instrument_catalog *c, size_t i)
{
	return i < c->n ? c->list[i] : NULL;
}

const instrument *instrument_catalog_find(const instrument_catalog *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->list[i]->id, id) == 0)
			return c->list[i];
	return NULL;
}
