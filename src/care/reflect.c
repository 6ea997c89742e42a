/*
 * reflect.c: kindred's answer to a journal entry, composed from the
 * engine's reading and the words in data/content/reflections.json.  The
 * reply recognises (the feelings the entry names, or the weight of it),
 * validates, offers universality without minimising, asks one open
 * question and offers one next step — the safety plan when the entry
 * reads as at risk.  Deterministic: variants are chosen by a hash of the
 * entry, so the same words always get the same answer.  Nothing here
 * diagnoses; the content file's "never" list is checked by the tests.
 */
#include "care/care.h"

#include "kd.h"
#include "util/buf.h"

#include <ctype.h>
#include <string.h>

enum { MAX_FEELINGS = 3 };

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Variant `part` of arr, chosen by the entry's hash; each part mixes
 * the hash afresh (splitmix64) so the parts vary independently. */
static const char *pick(const json_t *arr, uint64_t h, unsigned part)
{
	size_t n = json_array_size(arr);
	uint64_t z = h + (part + 1) * 0x9e3779b97f4a7c15ULL;

	if (n == 0)
		return "";
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return json_string_value(json_array_get(arr, (size_t)(z % n)));
}

/* The feelings of one kind (map: "feelings" for difficult ones,
 * "pleasant_feelings") the entry names, as kindred says them, joined
 * "a, b and c"; from the engine's emotion cues (negated ones never
 * arrive).  Returns how many. */
static size_t feelings_of(const care *c, const char *map_name, const char *text,
			  const kd_result *r, buf *out)
{
	const json_t *map = json_object_get(c->reflect, map_name);
	const char *names[MAX_FEELINGS];
	char word[32];
	size_t i, k, n = 0, len;

	for (i = 0; r && i < r->n_cues && n < MAX_FEELINGS; i++) {
		const kd_evidence *e = &r->cues[i];
		const char *name;
		if (strcmp(e->cue, "emotion") != 0)
			continue;
		len = e->end - e->start;
		if (len == 0 || len >= sizeof(word))
			continue;
		for (k = 0; k < len; k++)
			word[k] = (char)tolower((unsigned char)text[e->start + k]);
		word[len] = '\0';
		name = json_string_value(json_object_get(map, word));
		if (!name)
			continue;
		for (k = 0; k < n && strcmp(names[k], name) != 0; k++)
			;
		if (k == n)
			names[n++] = name;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, i + 1 == n ? " and " : ", ");
		buf_puts(out, names[i]);
	}
	return n;
}

/* Appends template t with {feelings} replaced. */
static void put_filled(buf *b, const char *t, const char *feelings)
{
	const char *p = strstr(t, "{feelings}");

	if (!p) {
		buf_puts(b, t);
		return;
	}
	buf_append(b, t, (size_t)(p - t));
	buf_puts(b, feelings);
	buf_puts(b, p + strlen("{feelings}"));
}

char *care_reflect(const care *c, const char *text, size_t len, const kd_result *r)
{
	const json_t *rf = c->reflect, *set = rf, *rec;
	uint64_t h = fnv1a(text, len);
	int at_risk = r && r->risk.level != KD_RISK_NONE;
	buf out, hard, glad;

	buf_init(&out);
	buf_init(&hard);
	buf_init(&glad);
	feelings_of(c, "feelings", text, r, &hard);
	/* Good news is met as good news, but only when nothing in the entry
	 * is hard: a mixed entry is answered for what is hard. */
	if (!at_risk && hard.len == 0 &&
	    feelings_of(c, "pleasant_feelings", text, r, &glad) > 0)
		set = json_object_get(rf, "pleasant");
	rec = json_object_get(set, "recognition");
	if (at_risk)
		buf_puts(&out, pick(json_object_get(rec, "risk"), h, 0));
	else if (set != rf)
		put_filled(&out, pick(rec, h, 0), buf_cstr(&glad));
	else if (hard.len > 0)
		put_filled(&out, pick(json_object_get(rec, "feelings"), h, 0), buf_cstr(&hard));
	else
		buf_puts(&out, pick(json_object_get(rec, "plain"), h, 0));
	buf_putc(&out, ' ');
	buf_puts(&out, pick(json_object_get(set, "validation"), h, 1));
	buf_putc(&out, ' ');
	buf_puts(&out, pick(json_object_get(set, "universality"), h, 2));
	buf_putc(&out, ' ');
	buf_puts(&out, pick(json_object_get(set, "question"), h, 3));
	buf_putc(&out, ' ');
	buf_puts(&out, pick(json_object_get(set, at_risk ? "next_step_risk" : "next_step"), h, 4));
	buf_free(&hard);
	buf_free(&glad);
	return buf_steal(&out, NULL);
}
