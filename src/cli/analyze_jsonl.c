/*
 * analyze_jsonl.c: the JSON Lines reader and writer behind `kindred
 * analyze --jsonl`.
 *
 * Workload: a stream of short lines at engine speed (the target is 100k
 * lines per second per core, so the JSON around an utterance must cost
 * little next to reading it), so input is read in 64 KiB chunks, a line
 * lying whole in a chunk is parsed where it lies, and output is written by
 * hand into one buffer that is flushed before each read.  Once the buffers
 * have grown to the longest line, nothing is allocated per line.
 *
 * The reader is written for this one shape of line (it replaced jansson,
 * whose tree of allocated nodes cost a quarter of the time): one pass over
 * the bytes keeps the fields it needs as pointers into the line — a string
 * with escapes is decoded into a scratch buffer as long as the line, which
 * it can never outgrow — and checks and skips everything else, without
 * recursion.  It accepts what jansson accepted and nothing more: RFC 8259
 * JSON whose top level is an object or array, strings of valid UTF-8
 * (\u0000 allowed in values, not in keys), integers that fit 64 bits,
 * finite reals, nesting to 2048 levels; a repeated key's last value wins.
 * tests/fuzz/fuzz_analyze_jsonl.c holds it to jansson line by line.  A
 * line longer than the limit is answered with an error and skipped
 * without being buffered.
 */
#include "cli/analyze_jsonl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_engine.h"

#define CHUNK 65536
#define FLUSH_AT 65536
#define MAX_DEPTH 2048 /* jansson's, so both refuse the same lines */

/* Appends n bytes; the common case (room left) inline, without a call. */
static inline void put(buf *b, const char *s, size_t n)
{
	if (b->cap - b->len > n) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else {
		buf_append(b, s, n);
	}
}

/* Appends a string constant. */
#define PUT(b, lit) put((b), (lit), sizeof(lit) - 1)

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
	free(j->scratch);
	buf_free(&j->line);
	buf_free(&j->out);
	memset(j, 0, sizeof(*j));
}

/* ---- the reader ---- */

typedef struct jstr {
	const char *p;
	size_t n;
} jstr;

/* What a field held, as far as the checks need to know. */
enum { J_ABSENT, J_STRING, J_NULL, J_ARRAY, J_OTHER };

typedef struct jfield {
	int kind;
	jstr s; /* when J_STRING */
} jfield;

typedef struct jp {
	const char *p, *end, *line;
	char *s;         /* scratch, at least as long as the line plus one */
	size_t su;       /* scratch bytes holding decoded strings */
	const char *err; /* static reason for the first syntax error */
	const char *at;  /* where it was found */
	jsonl *j;
	size_t nturn;    /* context turns kept */
	int turn_bad;    /* a context item is not {"speaker", "text"} */
} jp;

static int fail(jp *x, const char *at, const char *why)
{
	if (!x->err) {
		x->err = why;
		x->at = at;
	}
	return -1;
}

static void ws(jp *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r'))
		x->p++;
}

/* The length of the UTF-8 sequence at p (before end), or 0 when it is
 * not valid: no overlong forms, surrogates or code points past U+10FFFF. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] < 0xf0) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] < 0xf5) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Four hex digits at p (end permitting) as a number, or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Decodes the escape at p (its backslash) into d; returns the bytes
 * written and moves *pp past it, or -1. */
static int unescape(jp *x, const char **pp, char *d, int key)
{
	const char *p = *pp;
	long cp, lo;

	if (x->end - p < 2)
		return fail(x, p, "premature end of input");
	switch (p[1]) {
	case '"': *d = '"'; break;
	case '\\': *d = '\\'; break;
	case '/': *d = '/'; break;
	case 'b': *d = '\b'; break;
	case 'f': *d = '\f'; break;
	case 'n': *d = '\n'; break;
	case 'r': *d = '\r'; break;
	case 't': *d = '\t'; break;
	case 'u':
		if ((cp = hex4(p + 2, x->end)) < 0)
			return fail(x, p, "invalid escape");
		*pp = p + 6;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(x, p, "invalid Unicode escape (lone low surrogate)");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (x->end - *pp < 2 || (*pp)[0] != '\\' || (*pp)[1] != 'u' ||
			    (lo = hex4(*pp + 2, x->end)) < 0xdc00 || lo > 0xdfff)
				return fail(x, p, "invalid Unicode escape (lone high surrogate)");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			*pp += 6;
		}
		if (cp == 0 && key)
			return fail(x, p, "NUL byte in object key not supported");
		if (cp < 0x80) {
			d[0] = (char)cp;
			return 1;
		}
		if (cp < 0x800) {
			d[0] = (char)(0xc0 | cp >> 6);
			d[1] = (char)(0x80 | (cp & 0x3f));
			return 2;
		}
		if (cp < 0x10000) {
			d[0] = (char)(0xe0 | cp >> 12);
			d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			d[2] = (char)(0x80 | (cp & 0x3f));
			return 3;
		}
		d[0] = (char)(0xf0 | cp >> 18);
		d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	default:
		return fail(x, p, "invalid escape");
	}
	*pp = p + 2;
	return 1;
}

/* The string at x->p (its opening quote) into *out: a pointer into the
 * line when it holds no escape (the common case), else its decoded bytes
 * in the scratch buffer.  A decoded string is never longer than its
 * source, so the scratch (as long as the line) cannot overflow. */
static int jp_string(jp *x, jstr *out, int key)
{
	const char *p = x->p + 1, *run = p;
	char *d = NULL;
	size_t dn = 0, n;
	int k;

	for (;;) {
		unsigned char c;
		while (p < x->end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
		       *p != '"' && *p != '\\')
			p++;
		if (p >= x->end)
			return fail(x, p, "premature end of input");
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(x, p, "control character in string");
		if (c >= 0x80) {
			if (!(n = utf8_len((const unsigned char *)p, (const unsigned char *)x->end)))
				return fail(x, p, "invalid UTF-8 in string");
			p += n;
			continue;
		}
		if (!d)
			d = x->s + x->su;
		memcpy(d + dn, run, (size_t)(p - run));
		dn += (size_t)(p - run);
		if ((k = unescape(x, &p, d + dn, key)) < 0)
			return -1;
		dn += (size_t)k;
		run = p;
	}
	if (d) {
		memcpy(d + dn, run, (size_t)(p - run));
		dn += (size_t)(p - run);
		out->p = d;
		out->n = dn;
		x->su += dn;
	} else {
		out->p = run; /* raw NUL is a control character: keys need no check */
		out->n = (size_t)(p - run);
	}
	x->p = p + 1;
	return 0;
}

static int is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* A number, checked as jansson checks it: integers must fit 64 bits and
 * reals must be finite. */
static int jp_number(jp *x)
{
	const char *p = x->p, *s = p;
	char *copy = x->s + x->su;
	int real = 0;

	if (p < x->end && *p == '-')
		p++;
	if (p < x->end && *p == '0')
		p++;
	else if (is_digit(p, x->end))
		while (is_digit(p, x->end))
			p++;
	else
		return fail(x, s, "invalid token");
	if (p < x->end && *p == '.') {
		real = 1;
		if (!is_digit(++p, x->end))
			return fail(x, s, "invalid token");
		while (is_digit(p, x->end))
			p++;
	}
	if (p < x->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < x->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, x->end))
			return fail(x, s, "invalid token");
		while (is_digit(p, x->end))
			p++;
	}
	/* the scratch has room: the number is part of the line */
	memcpy(copy, s, (size_t)(p - s));
	copy[p - s] = '\0';
	errno = 0;
	if (!real) {
		(void)strtoll(copy, NULL, 10);
		if (errno == ERANGE)
			return fail(x, s, "too big integer");
	} else if (isinf(strtod(copy, NULL))) {
		return fail(x, s, "real number overflow");
	}
	x->p = p;
	return 0;
}

/* A scalar at x->p: string, number, true, false or null. */
static int jp_scalar(jp *x)
{
	jstr ignored;
	size_t left = (size_t)(x->end - x->p);

	if (!left)
		return fail(x, x->p, "premature end of input");
	switch (*x->p) {
	case '"':
		return jp_string(x, &ignored, 0);
	case 't':
		if (left >= 4 && memcmp(x->p, "true", 4) == 0) {
			x->p += 4;
			return 0;
		}
		break;
	case 'f':
		if (left >= 5 && memcmp(x->p, "false", 5) == 0) {
			x->p += 5;
			return 0;
		}
		break;
	case 'n':
		if (left >= 4 && memcmp(x->p, "null", 4) == 0) {
			x->p += 4;
			return 0;
		}
		break;
	default:
		if (*x->p == '-' || (*x->p >= '0' && *x->p <= '9'))
			return jp_number(x);
	}
	return fail(x, x->p, "invalid token");
}

/* An object member's key and colon; the value follows. */
static int jp_key(jp *x, jstr *key)
{
	ws(x);
	if (x->p >= x->end || *x->p != '"')
		return fail(x, x->p, "string or '}' expected");
	if (jp_string(x, key, 1) != 0)
		return -1;
	ws(x);
	if (x->p >= x->end || *x->p != ':')
		return fail(x, x->p, "':' expected");
	x->p++;
	ws(x);
	return 0;
}

/* Skips the value at x->p, of depth d, checking it; no recursion: the
 * open containers are a stack of bits (1 = object). */
static int jp_skip(jp *x, size_t d)
{
	unsigned char obj[MAX_DEPTH / 8 + 1];
	size_t top = 0;
	jstr key;
	char c;

	for (;;) {
		/* at a value of depth d + top */
		if (d + top > MAX_DEPTH)
			return fail(x, x->p, "maximum parsing depth reached");
		ws(x);
		if (x->p < x->end && (*x->p == '{' || *x->p == '[')) {
			c = *x->p++;
			if (c == '{')
				obj[top / 8] = (unsigned char)(obj[top / 8] | 1u << (top % 8));
			else
				obj[top / 8] = (unsigned char)(obj[top / 8] & ~(1u << (top % 8)));
			top++;
			ws(x);
			if (x->p < x->end && *x->p == (c == '{' ? '}' : ']')) {
				x->p++;
				top--;
			} else {
				if (c == '{' && jp_key(x, &key) != 0)
					return -1;
				continue;
			}
		} else if (jp_scalar(x) != 0) {
			return -1;
		}
		/* after a value: close containers, or go on to the next member */
		for (;;) {
			int is_obj;
			if (top == 0)
				return 0;
			is_obj = obj[(top - 1) / 8] >> ((top - 1) % 8) & 1;
			ws(x);
			if (x->p >= x->end)
				return fail(x, x->p, "premature end of input");
			if (*x->p == ',') {
				x->p++;
				if (is_obj && jp_key(x, &key) != 0)
					return -1;
				break;
			}
			if (*x->p != (is_obj ? '}' : ']'))
				return fail(x, x->p, is_obj ? "'}' expected" : "']' expected");
			x->p++;
			top--;
		}
	}
}

/* Parses the object at x->p (its '{'), of depth d, keeping in f[i] the
 * last value of key names[i] (n of them) when it is a string, null or (for
 * names[ctx], when ctx >= 0) a context array, whose turns go to x->j; the
 * rest is checked and skipped. */
static int jp_object(jp *x, size_t d, const char *const *names, size_t n, jfield *f, int ctx);

/* The context array at x->p (its '['), of depth d. */
static int jp_context(jp *x, size_t d)
{
	static const char *const names[] = {"speaker", "text"};
	jsonl *j = x->j;
	jfield f[2];

	x->nturn = 0;
	x->turn_bad = 0;
	x->p++;
	ws(x);
	if (x->p < x->end && *x->p == ']') {
		x->p++;
		return 0;
	}
	for (;;) {
		ws(x);
		if (x->p < x->end && *x->p == '{') {
			if (jp_object(x, d + 1, names, 2, f, -1) != 0)
				return -1;
			if (f[0].kind != J_STRING || f[1].kind != J_STRING ||
			    (!(f[0].s.n == 6 && memcmp(f[0].s.p, "helper", 6) == 0) &&
			     !(f[0].s.n == 6 && memcmp(f[0].s.p, "client", 6) == 0)))
				x->turn_bad = 1;
			if (x->nturn == j->tcap) {
				size_t cap = j->tcap ? 2 * j->tcap : 16;
				kd_turn *t = realloc(j->turns, cap * sizeof(*t));
				if (!t)
					return fail(x, x->p, "out of memory");
				j->turns = t;
				j->tcap = cap;
			}
			if (!x->turn_bad) {
				j->turns[x->nturn].speaker =
					f[0].s.p[0] == 'h' ? KD_SPEAKER_HELPER : KD_SPEAKER_CLIENT;
				j->turns[x->nturn].text = f[1].s.p;
				j->turns[x->nturn].len = f[1].s.n;
				x->nturn++;
			}
		} else {
			if (jp_skip(x, d + 1) != 0)
				return -1;
			x->turn_bad = 1;
		}
		ws(x);
		if (x->p < x->end && *x->p == ',') {
			x->p++;
			continue;
		}
		if (x->p < x->end && *x->p == ']') {
			x->p++;
			return 0;
		}
		return fail(x, x->p, "']' expected");
	}
}

static int jp_object(jp *x, size_t d, const char *const *names, size_t n, jfield *f, int ctx)
{
	jstr key;
	size_t i;

	for (i = 0; i < n; i++)
		f[i].kind = J_ABSENT;
	x->p++;
	ws(x);
	if (x->p < x->end && *x->p == '}') {
		x->p++;
		return 0;
	}
	for (;;) {
		if (jp_key(x, &key) != 0)
			return -1;
		for (i = 0; i < n; i++)
			if (key.n == strlen(names[i]) && memcmp(key.p, names[i], key.n) == 0)
				break;
		if (i < n && x->p < x->end && *x->p == '"') {
			f[i].kind = J_STRING;
			if (jp_string(x, &f[i].s, 0) != 0)
				return -1;
		} else if (i < n && (int)i == ctx && x->p < x->end && *x->p == '[') {
			f[i].kind = J_ARRAY;
			if (jp_context(x, d + 1) != 0)
				return -1;
		} else {
			if (i < n)
				f[i].kind = x->p + 4 <= x->end && memcmp(x->p, "null", 4) == 0 ? J_NULL
											 : J_OTHER;
			if (jp_skip(x, d + 1) != 0)
				return -1;
		}
		ws(x);
		if (x->p < x->end && *x->p == ',') {
			x->p++;
			continue;
		}
		if (x->p < x->end && *x->p == '}') {
			x->p++;
			return 0;
		}
		return fail(x, x->p, "'}' expected");
	}
}

/* "helper" or "client"; anything else is KD_SPEAKER_UNKNOWN. */
static kd_speaker speaker_of(const jfield *f)
{
	if (f->kind != J_STRING || f->s.n != 6)
		return KD_SPEAKER_UNKNOWN;
	if (memcmp(f->s.p, "helper", 6) == 0)
		return KD_SPEAKER_HELPER;
	if (memcmp(f->s.p, "client", 6) == 0)
		return KD_SPEAKER_CLIENT;
	return KD_SPEAKER_UNKNOWN;
}

/* ---- the writer ---- */

static void error_line(buf *out, const char *id, size_t idlen, const char *msg)
{
	PUT(out, "{\"id\":");
	if (id)
		cli_json_str(out, id, idlen);
	else
		PUT(out, "null");
	PUT(out, ",\"error\":");
	cli_json_str(out, msg, strlen(msg));
	PUT(out, "}\n");
}

/* A name of the engine's (plain ASCII, nothing to escape) or null. */
static void put_name(buf *out, const char *name)
{
	if (!name) {
		PUT(out, "null");
		return;
	}
	put(out, "\"", 1);
	put(out, name, strlen(name));
	put(out, "\"", 1);
}

static void write_result(buf *out, const char *id, size_t idlen, const kd_input *in,
			 const kd_result *r)
{
	size_t i;

	PUT(out, "{\"id\":");
	cli_json_str(out, id, idlen);
	PUT(out, ",\"mi\":");
	if (!(r->readings & KD_READ_MI)) {
		PUT(out, "null");
	} else {
		PUT(out, "{\"behaviour\":");
		put_name(out, kd_mi_behaviour_name(r->mi.behaviour));
		PUT(out, ",\"question\":");
		put_name(out, kd_mi_sub_name(r->mi.question));
		PUT(out, ",\"reflection\":");
		put_name(out, kd_mi_sub_name(r->mi.reflection));
		PUT(out, ",\"input\":");
		put_name(out, kd_mi_sub_name(r->mi.input));
		PUT(out, "}");
	}
	PUT(out, ",\"empathy\":");
	if (!(r->readings & KD_READ_EMPATHY)) {
		PUT(out, "null");
	} else {
		PUT(out, "{\"emotional_reactions\":");
		cli_json_uint(out, (size_t)r->empathy.emotional_reactions);
		PUT(out, ",\"interpretations\":");
		cli_json_uint(out, (size_t)r->empathy.interpretations);
		PUT(out, ",\"explorations\":");
		cli_json_uint(out, (size_t)r->empathy.explorations);
		PUT(out, "}");
	}
	PUT(out, ",\"strategy\":");
	if (!(r->readings & KD_READ_STRATEGY))
		PUT(out, "null");
	else
		put_name(out, kd_strategy_name(r->strategy));
	PUT(out, ",\"risk\":");
	if (!(r->readings & KD_READ_RISK)) {
		PUT(out, "null");
	} else {
		PUT(out, "{\"level\":");
		put_name(out, kd_risk_level_name(r->risk.level));
		PUT(out, ",\"evidence\":[");
		for (i = 0; i < r->risk.n_evidence; i++) {
			const kd_evidence *ev = &r->risk.evidence[i];
			if (i)
				PUT(out, ",");
			PUT(out, "{\"start\":");
			cli_json_uint(out, ev->start);
			PUT(out, ",\"end\":");
			cli_json_uint(out, ev->end);
			PUT(out, ",\"text\":");
			cli_json_str(out, in->text + ev->start, ev->end - ev->start);
			PUT(out, ",\"cue\":");
			cli_json_str(out, ev->cue, strlen(ev->cue));
			PUT(out, "}");
		}
		PUT(out, "]}");
	}
	PUT(out, ",\"stigma\":");
	if (!(r->readings & KD_READ_STIGMA)) {
		PUT(out, "null");
	} else {
		PUT(out, "[");
		for (i = 0; i < r->n_stigma; i++) {
			if (i)
				PUT(out, ",");
			PUT(out, "{");
			cli_json_stigma(out, in->text, &r->stigma[i]);
			PUT(out, "}");
		}
		PUT(out, "]");
	}
	PUT(out, ",\"compassion\":");
	if (!(r->readings & KD_READ_COMPASSION)) {
		PUT(out, "null");
	} else {
		PUT(out, "{\"recognition\":");
		cli_json_unit(out, r->compassion.recognition);
		PUT(out, ",\"universality\":");
		cli_json_unit(out, r->compassion.universality);
		PUT(out, ",\"empathy\":");
		cli_json_unit(out, r->compassion.empathy);
		PUT(out, ",\"tolerance\":");
		cli_json_unit(out, r->compassion.tolerance);
		PUT(out, ",\"action\":");
		cli_json_unit(out, r->compassion.action);
		PUT(out, "}");
	}
	PUT(out, "}\n");
}

void jsonl_line(jsonl *j, const char *line, size_t len)
{
	static const char *const names[] = {"id", "speaker", "text", "context"};
	jfield f[4];
	jp x;
	const char *id = NULL, *msg = NULL;
	size_t idlen = 0;
	char ebuf[160];
	kd_input in;
	kd_result r;
	int rc, object = 0;

	if (len + 1 > j->scap) {
		size_t cap = j->scap ? j->scap : 4096;
		char *s;
		while (cap < len + 1)
			cap *= 2;
		if (!(s = realloc(j->scratch, cap))) {
			msg = "out of memory";
			goto fail;
		}
		j->scratch = s;
		j->scap = cap;
	}
	memset(&x, 0, sizeof(x));
	x.p = x.line = line;
	x.end = line + len;
	x.s = j->scratch;
	x.j = j;
	ws(&x);
	if (x.p < x.end && *x.p == '{') {
		object = 1;
		rc = jp_object(&x, 1, names, 4, f, 3);
	} else if (x.p < x.end && *x.p == '[') {
		rc = jp_skip(&x, 1);
	} else {
		rc = fail(&x, x.p, "'[' or '{' expected");
	}
	if (rc == 0) {
		ws(&x);
		if (x.p != x.end)
			fail(&x, x.p, "end of file expected");
	}
	if (x.err) {
		snprintf(ebuf, sizeof(ebuf), "invalid JSON at column %zu: %s",
			 (size_t)(x.at - line) + 1, x.err);
		msg = ebuf;
		goto fail;
	}
	if (!object) {
		msg = "expected a JSON object";
		goto fail;
	}
	if (f[0].kind != J_STRING) {
		msg = "\"id\" must be a string";
		goto fail;
	}
	id = f[0].s.p;
	idlen = f[0].s.n;
	memset(&in, 0, sizeof(in));
	in.speaker = speaker_of(&f[1]);
	if (in.speaker == KD_SPEAKER_UNKNOWN) {
		msg = "\"speaker\" must be \"helper\" or \"client\"";
		goto fail;
	}
	if (f[2].kind != J_STRING) {
		msg = "\"text\" must be a string";
		goto fail;
	}
	in.text = f[2].s.p;
	in.len = f[2].s.n;
	if (f[3].kind == J_STRING || f[3].kind == J_OTHER) {
		msg = "\"context\" must be an array of {\"speaker\", \"text\"} objects";
		goto fail;
	}
	if (f[3].kind == J_ARRAY) {
		if (x.turn_bad) {
			msg = "each context turn must be {\"speaker\": \"helper\"|\"client\", "
			      "\"text\": string}";
			goto fail;
		}
		in.context = x.nturn ? j->turns : NULL;
		in.n_context = x.nturn;
	}
	if ((rc = kd_analyze(j->a, &in, &r)) != 0) {
		msg = rc == KD_ENGINE_EUTF8 ? "text is not valid UTF-8 or contains NUL"
					    : kd_engine_strerror(rc);
		goto fail;
	}
	write_result(&j->out, id, idlen, &in, &r);
	return;
fail:
	error_line(&j->out, id, idlen, msg);
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
static void finish_line(jsonl *j, const char *p, size_t n)
{
	size_t k;

	if (n && p[n - 1] == '\r')
		n--;
	for (k = 0; k < n; k++)
		if (p[k] != ' ' && p[k] != '\t')
			break;
	if (k < n)
		jsonl_line(j, p, n);
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
		if (!skipping && nl && j->line.len == 0) {
			finish_line(j, chunk + pos, seg); /* whole in the chunk: no copy */
		} else if (!skipping) {
			buf_append(&j->line, chunk + pos, seg);
			if (nl)
				finish_line(j, j->line.data, j->line.len);
		}
		pos = end;
		if (nl) {
			pos++;
			j->lines++;
			skipping = 0;
			buf_reset(&j->line);
		}
		if (j->out.len >= FLUSH_AT && flush(j, wr, wctx) != 0) {
			rc = -1;
			goto done;
		}
	}
	if (!skipping && j->line.len)
		finish_line(j, j->line.data, j->line.len);
	if (flush(j, wr, wctx) != 0)
		rc = -1;
done:
	if (shown)
		fprintf(stderr, "\ranalyze: %zu lines\n", j->lines);
	free(chunk);
	return rc;
}
