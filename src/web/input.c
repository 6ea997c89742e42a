/*
 * input.c: the request input layer of input.h.  Every request passes
 * through here, usually with a few hundred bytes of form or JSON and a
 * handful of fields, sometimes with a hostile megabyte.  So the common
 * case must be cheap (a field without escapes is validated where it lies
 * and copied once, into its json string; small forms decode on the
 * stack) and the hostile case must be bounded before it costs much (a
 * JSON body is pre-scanned for depth and field count before jansson
 * allocates a tree for it).
 */
#include "web/input.h"

#include "kd.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const input_limits input_default_limits = {
	.max_fields = 64,
	.max_field_len = 262144,
	.max_depth = 16,
};

/* A form whose fields need at most this much decoding room never
 * touches the heap for it. */
#define FORM_STACK 512

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero if some byte of w is 0 (the classic bit trick: only a zero
 * byte borrows into its own high bit while that bit was clear). */
static int word_has_zero(uint64_t w)
{
	return ((w - ONES) & ~w & HIGHS) != 0;
}

int input_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, need;
	unsigned char c, lo, hi;
	uint64_t w;
	int ok = 0;

	if (!s) {
		ok = len == 0;
		goto done;
	}
	while (i < len) {
		/* Most input is ASCII: clear eight bytes at a time. */
		if (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if (!(w & HIGHS) && !word_has_zero(w)) {
				i += 8;
				continue;
			}
		}
		c = p[i];
		if (c < 0x80) {
			if (c == 0)
				goto done;
			i++;
			continue;
		}
		/* The second byte's range is where overlongs (E0, F0),
		 * surrogates (ED) and code points past U+10FFFF (F4) are
		 * turned away; C0, C1 and F5..FF never start a sequence. */
		lo = 0x80;
		hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			goto done;
		}
		if (len - i - 1 < need || p[i + 1] < lo || p[i + 1] > hi)
			goto done;
		for (k = 2; k <= need; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				goto done;
		i += need + 1;
	}
	ok = 1;
done:
	return ok;
}

static int hexval(char c)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Decodes s[0..len) into dst, which has room for min(len, max) bytes:
 * decoding never lengthens, and it stops as soon as the result would
 * pass max. */
static int form_decode(const char *s, size_t len, size_t max, char *dst, size_t *dlen)
{
	size_t i = 0, n = 0;
	int rc = 0, hi, lo;

	while (i < len) {
		if (n == max) {
			rc = KD_ETOOBIG;
			goto done;
		}
		if (s[i] == '+') {
			dst[n++] = ' ';
			i++;
		} else if (s[i] == '%') {
			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				rc = KD_EINVAL;
				goto done;
			}
			dst[n++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			dst[n++] = s[i++];
		}
	}
	*dlen = n;
done:
	return rc;
}

/* Turns one raw name or value into checked bytes.  *res points into raw
 * when there is nothing to decode, which is most fields, else into dst. */
static int form_field(const char *raw, size_t rawlen, size_t max, char *dst, const char **res,
		      size_t *reslen)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < rawlen; i++)
		if (raw[i] == '%' || raw[i] == '+')
			break;
	if (i == rawlen) {
		if (rawlen > max) {
			rc = KD_ETOOBIG;
			goto done;
		}
		*res = raw;
		*reslen = rawlen;
	} else {
		rc = form_decode(raw, rawlen, max, dst, reslen);
		if (rc)
			goto done;
		*res = dst;
	}
	if (!input_utf8_valid(*res, *reslen))
		rc = KD_EUTF8;
done:
	return rc;
}

/* Adds one pair to an object that only this parse has built, so a value
 * already there is a string or an array of strings. */
static int form_add(json_t *obj, const char *k, size_t klen, const char *v, size_t vlen)
{
	json_t *str, *old, *arr = NULL;
	int rc = KD_ENOMEM;

	str = json_stringn_nocheck(v, vlen);
	if (!str)
		goto done;
	old = json_object_getn(obj, k, klen);
	if (json_is_array(old)) {
		/* jansson's *_new calls take the reference even on failure. */
		if (json_array_append_new(old, str) == 0)
			rc = 0;
		goto done;
	}
	if (old) {
		arr = json_array();
		if (!arr || json_array_append(arr, old)) {
			json_decref(arr);
			json_decref(str);
			goto done;
		}
		if (json_array_append_new(arr, str)) {
			json_decref(arr);
			goto done;
		}
		str = arr;
	}
	if (json_object_setn_new_nocheck(obj, k, klen, str) == 0)
		rc = 0;
done:
	return rc;
}

/* Merges a freshly parsed form into the caller's object.  Conflicts are
 * found before anything changes, so a refused merge leaves dst as it was. */
static int form_merge(json_t *dst, json_t *src)
{
	const char *key;
	json_t *v, *old, *arr;
	int rc = KD_EINVAL;

	json_object_foreach(src, key, v) {
		old = json_object_get(dst, key);
		if (old && !json_is_string(old) && !json_is_array(old))
			goto done;
	}
	rc = KD_ENOMEM;
	json_object_foreach(src, key, v) {
		old = json_object_get(dst, key);
		if (!old) {
			if (json_object_set_nocheck(dst, key, v))
				goto done;
			continue;
		}
		if (json_is_string(old)) {
			arr = json_array();
			if (!arr || json_array_append(arr, old)) {
				json_decref(arr);
				goto done;
			}
			if (json_object_set_new_nocheck(dst, key, arr))
				goto done;
			old = arr;
		}
		if (json_is_array(v) ? json_array_extend(old, v) : json_array_append(old, v))
			goto done;
	}
	rc = 0;
done:
	return rc;
}

int input_parse_form(const char *s, size_t len, const input_limits *lim, json_t **out)
{
	char stackbuf[FORM_STACK];
	char *scratch = stackbuf;
	size_t cap = sizeof(stackbuf);
	json_t *obj = NULL;
	const char *eq, *amp, *k, *v;
	size_t i, end, krawlen, vstart, kroom, need, klen, vlen, n = 0;
	int rc = KD_EINVAL;

	if (!out || (!s && len) || (*out && !json_is_object(*out)))
		goto done;
	if (!lim)
		lim = &input_default_limits;
	rc = KD_ENOMEM;
	obj = json_object();
	if (!obj)
		goto done;
	for (i = 0; i < len; i = end + 1) {
		amp = memchr(s + i, '&', len - i);
		end = amp ? (size_t)(amp - s) : len;
		eq = memchr(s + i, '=', end - i);
		krawlen = (eq ? (size_t)(eq - s) : end) - i;
		if (krawlen == 0)
			continue;
		if (++n > lim->max_fields) {
			rc = KD_ETOOBIG;
			goto done;
		}
		vstart = eq ? (size_t)(eq - s) + 1 : end;
		kroom = min_size(krawlen, lim->max_field_len);
		need = kroom + min_size(end - vstart, lim->max_field_len);
		if (need > cap) {
			/* Old contents are dead between pairs: no realloc copy. */
			if (scratch != stackbuf)
				free(scratch);
			scratch = kd_xmalloc(need);
			cap = need;
		}
		rc = form_field(s + i, krawlen, lim->max_field_len, scratch, &k, &klen);
		if (rc)
			goto done;
		rc = form_field(s + vstart, end - vstart, lim->max_field_len, scratch + kroom, &v,
				&vlen);
		if (rc)
			goto done;
		rc = form_add(obj, k, klen, v, vlen);
		if (rc)
			goto done;
	}
	if (*out) {
		rc = form_merge(*out, obj);
		if (rc)
			goto done;
	} else {
		*out = obj;
		obj = NULL;
	}
	rc = 0;
done:
	json_decref(obj);
	if (scratch != stackbuf)
		free(scratch);
	return rc;
}

/* Rejects over-deep or over-wide JSON before jansson builds a tree for
 * it.  For well-formed JSON the counts are exact: every non-empty
 * container holds one field more than it has commas.  For malformed JSON
 * they are merely some numbers, and jansson rejects it anyway. */
static int json_prescan(const char *s, size_t len, size_t max_depth, size_t max_total)
{
	size_t i, j, depth = 0, fields = 0;
	int in_str = 0, rc = KD_ETOOBIG;

	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_str = 1;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				goto done;
			for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t' ||
						    s[j] == '\n' || s[j] == '\r');
			     j++)
				;
			if (j < len && s[j] != ']' && s[j] != '}')
				fields++;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		case ',':
			fields++;
			break;
		default:
			break;
		}
		if (fields > max_total)
			goto done;
	}
	rc = 0;
done:
	return rc;
}

/* The authoritative check over the parsed tree; the pre-scan only spares
 * work.  Recursion is bounded by the pre-scan's depth limit and, should
 * that ever be wrong, by jansson's own parser depth limit. */
static int json_check(json_t *v, const input_limits *lim, size_t depth, size_t max_total,
		      size_t *fields)
{
	const char *key;
	size_t klen, i;
	json_t *child;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth > lim->max_depth) {
			rc = KD_ETOOBIG;
			goto done;
		}
		json_object_keylen_foreach(v, key, klen, child) {
			if (++*fields > max_total || klen > lim->max_field_len) {
				rc = KD_ETOOBIG;
				goto done;
			}
			rc = json_check(child, lim, depth + 1, max_total, fields);
			if (rc)
				goto done;
		}
		break;
	case JSON_ARRAY:
		if (depth > lim->max_depth) {
			rc = KD_ETOOBIG;
			goto done;
		}
		json_array_foreach(v, i, child) {
			if (++*fields > max_total) {
				rc = KD_ETOOBIG;
				goto done;
			}
			rc = json_check(child, lim, depth + 1, max_total, fields);
			if (rc)
				goto done;
		}
		break;
	case JSON_STRING:
		if (json_string_length(v) > lim->max_field_len)
			rc = KD_ETOOBIG;
		break;
	default:
		break;
	}
done:
	return rc;
}

static int json_error_rc(const json_error_t *err)
{
	int rc;

	switch (json_error_code(err)) {
	case json_error_invalid_utf8:
	case json_error_null_character:
	case json_error_null_byte_in_key:
		rc = KD_EUTF8;
		break;
	case json_error_stack_overflow:
		rc = KD_ETOOBIG;
		break;
	case json_error_out_of_memory:
		rc = KD_ENOMEM;
		break;
	default:
		rc = KD_EINVAL;
		break;
	}
	return rc;
}

/* Adds a body's members to the query's; any shared name is refused
 * before anything changes. */
static int json_merge(json_t *dst, json_t *src)
{
	const char *key;
	json_t *v;
	int rc = KD_EINVAL;

	json_object_foreach(src, key, v) {
		if (json_object_get(dst, key))
			goto done;
	}
	rc = json_object_update(dst, src) ? KD_ENOMEM : 0;
done:
	return rc;
}

int input_parse_json(const char *s, size_t len, const input_limits *lim, json_t **out)
{
	json_error_t err;
	json_t *root = NULL;
	size_t max_total, fields = 0;
	int rc = KD_EINVAL;

	if (!out || !s || (*out && !json_is_object(*out)))
		goto done;
	if (!lim)
		lim = &input_default_limits;
	max_total = lim->max_fields > SIZE_MAX / 4 ? SIZE_MAX : lim->max_fields * 4;
	rc = json_prescan(s, len, lim->max_depth, max_total);
	if (rc)
		goto done;
	root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		rc = json_error_rc(&err);
		goto done;
	}
	rc = KD_EINVAL;
	if (!json_is_object(root))
		goto done;
	rc = json_check(root, lim, 1, max_total, &fields);
	if (rc)
		goto done;
	if (*out) {
		rc = json_merge(*out, root);
		if (rc)
			goto done;
	} else {
		*out = root;
		root = NULL;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

const char *input_str(const json_t *in, const char *key)
{
	const json_t *v = NULL;

	if (in && key)
		v = json_object_get(in, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Strict decimal: what a person types into a number field, nothing a
 * parser like strtoll would also forgive (spaces, '+', hex, trailing
 * junk). */
static int parse_decimal(const char *s, size_t len, long long *out)
{
	unsigned long long v = 0, limit = (unsigned long long)LLONG_MAX;
	unsigned d;
	size_t i = 0;
	int neg = 0, rc = KD_EINVAL;

	if (len && s[0] == '-') {
		neg = 1;
		limit++;
		i = 1;
	}
	if (i == len)
		goto done;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto done;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			goto done;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (long long)v;
	else if (v == limit)
		*out = LLONG_MIN;
	else
		*out = -(long long)v;
	rc = 0;
done:
	return rc;
}

int input_int(const json_t *in, const char *key, long long min, long long max,
	      long long *out)
{
	const json_t *v = NULL;
	long long n = 0;
	int rc = KD_EINVAL;

	if (!out || min > max)
		goto done;
	if (in && key)
		v = json_object_get(in, key);
	if (!v || (json_is_string(v) && json_string_length(v) == 0)) {
		rc = KD_ENOTFOUND;
		goto done;
	}
	if (json_is_integer(v))
		n = (long long)json_integer_value(v);
	else if (!json_is_string(v) ||
		 parse_decimal(json_string_value(v), json_string_length(v), &n))
		goto done;
	if (n < min || n > max)
		goto done;
	*out = n;
	rc = 0;
done:
	return rc;
}

size_t input_strings(const json_t *in, const char *key, const char **vals, size_t max)
{
	const json_t *v = NULL, *e;
	size_t i, n = 0;

	if (in && key)
		v = json_object_get(in, key);
	if (json_is_string(v)) {
		if (!vals)
			n = 1;
		else if (max) {
			vals[0] = json_string_value(v);
			n = 1;
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			e = json_array_get(v, i);
			if (!json_is_string(e))
				continue;
			if (vals) {
				if (n == max)
					break;
				vals[n] = json_string_value(e);
			}
			n++;
		}
	}
	return n;
}

int input_bool(const json_t *in, const char *key)
{
	const json_t *v = NULL;
	const char *s;
	int on = 0;

	if (in && key)
		v = json_object_get(in, key);
	if (json_is_true(v)) {
		on = 1;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		on = !strcmp(s, "1") || !strcmp(s, "on") || !strcmp(s, "true");
	}
	return on;
}

/* 1 if v is one of the words a form or the API uses for a choice. */
static int bool_word(const json_t *v)
{
	static const char *const words[] = {"on", "off", "1", "0", "true", "false"};
	size_t i;

	if (json_is_boolean(v))
		return 1;
	if (!json_is_string(v))
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(json_string_value(v), words[i]) == 0)
			return 1;
	return 0;
}

int input_expect(const json_t *in, const char *key, input_kind kind)
{
	const json_t *v = NULL, *e;
	size_t i;
	int ok = 0;

	if (in && key)
		v = json_object_get(in, key);
	if (!v)
		return 0;
	switch (kind) {
	case INPUT_TEXT:
		ok = json_is_string(v);
		break;
	case INPUT_TEXTS:
	case INPUT_BOOL:
		if (json_is_array(v)) {
			/* An empty list is a choice of none (no feelings, nothing
			 * shared); an empty list of booleans means nothing. */
			ok = kind == INPUT_TEXTS || json_array_size(v) > 0;
			json_array_foreach(v, i, e)
				if (kind == INPUT_TEXTS ? !json_is_string(e) : !json_is_string(e) || !bool_word(e))
					ok = 0;
		} else {
			ok = kind == INPUT_TEXTS ? json_is_string(v) : bool_word(v);
		}
		break;
	case INPUT_INT:
		ok = json_is_integer(v) || json_is_string(v);
		break;
	}
	return ok ? 0 : KD_EINVAL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char *input_trimmed(const char *s)
{
	size_t a = 0, b;
	char *t = NULL;

	if (!s)
		goto done;
	b = strlen(s);
	while (a < b && is_space(s[a]))
		a++;
	while (b > a && is_space(s[b - 1]))
		b--;
	t = kd_xstrndup(s + a, b - a);
done:
	return t;
}

/* Optional whitespace around cookie names and values (RFC 6265 OWS). */
static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int input_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen, i = 0, end, a, b, eq;
	int rc = KD_EINVAL;

	if (out && outlen)
		out[0] = '\0';
	if (!header || !name || !*name || !out)
		goto done;
	nlen = strlen(name);
	rc = KD_ENOTFOUND;
	while (header[i]) {
		end = i + strcspn(header + i, ";");
		a = i;
		while (a < end && is_ows(header[a]))
			a++;
		for (eq = a; eq < end && header[eq] != '='; eq++)
			;
		b = eq;
		while (b > a && is_ows(header[b - 1]))
			b--;
		if (eq < end && b - a == nlen && !memcmp(header + a, name, nlen)) {
			a = eq + 1;
			b = end;
			while (a < b && is_ows(header[a]))
				a++;
			while (b > a && is_ows(header[b - 1]))
				b--;
			if (b - a >= 2 && header[a] == '"' && header[b - 1] == '"') {
				a++;
				b--;
			}
			if (b - a >= outlen) {
				rc = KD_ETOOBIG;
				goto done;
			}
			memcpy(out, header + a, b - a);
			out[b - a] = '\0';
			rc = 0;
			goto done;
		}
		i = header[end] ? end + 1 : end;
	}
done:
	return rc;
}

#define TOKEN_MAX 128

/* 1..INT64_MAX with no sign and no leading zero, so each id has exactly
 * one spelling in a URL. */
static int parse_id(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0, d;
	size_t i;
	int ok = 0;

	if (len == 0 || s[0] == '0')
		goto done;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto done;
		d = (uint64_t)(s[i] - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			goto done;
		v = v * 10 + d;
	}
	*out = (int64_t)v;
	ok = 1;
done:
	return ok;
}

static int token_ok(const char *s, size_t len)
{
	size_t i;
	char c;
	int ok = 0;

	if (len == 0 || len > TOKEN_MAX)
		goto done;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			goto done;
	}
	ok = 1;
done:
	return ok;
}

int input_match_path(const char *pattern, const char *path, int64_t *id, char *token,
		     size_t tokenlen)
{
	const char *p = pattern, *q = path, *tok = NULL;
	size_t pl, ql, toklen = 0;
	int64_t idv = 0;
	int have_id = 0, match = 0;

	if (!pattern || !path)
		goto done;
	for (;;) {
		pl = strcspn(p, "/");
		ql = strcspn(q, "/");
		if (pl == 4 && !memcmp(p, "{id}", 4)) {
			if (have_id || !parse_id(q, ql, &idv))
				goto done;
			have_id = 1;
		} else if (pl == 7 && !memcmp(p, "{token}", 7)) {
			if (tok || !token_ok(q, ql))
				goto done;
			tok = q;
			toklen = ql;
		} else if (pl != ql || memcmp(p, q, pl)) {
			goto done;
		}
		p += pl;
		q += ql;
		/* Both at '/' (more segments) or both at the end. */
		if (*p != *q)
			goto done;
		if (!*p)
			break;
		p++;
		q++;
	}
	/* Outputs are written only once the whole path has matched, so a
	 * router trying patterns in turn never sees a stale capture. */
	if (tok && token) {
		if (toklen >= tokenlen)
			goto done;
		memcpy(token, tok, toklen);
		token[toklen] = '\0';
	}
	if (have_id && id)
		*id = idv;
	match = 1;
done:
	return match;
}
