/*
 * fuzz_form.c: libFuzzer target for input_parse_form() and
 * input_utf8_valid().  The first byte picks the limits (the defaults, or
 * tight ones that trip every limit); the rest is a form body.  Inputs
 * are small (a few KiB); the invariants are what a handler relies on:
 *   - input_utf8_valid agrees with a plain code-point decoder;
 *   - a parsed form holds only strings and arrays of two or more
 *     strings, each valid UTF-8 without NUL and within the limits;
 *   - re-encoding the result and parsing it again gives the same object;
 *   - parsing the same body into the result doubles every field.
 */
#include "kd.h"
#include "web/input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const input_limits tight = {.max_fields = 4, .max_field_len = 8, .max_depth = 2};

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* The definition, spelled differently from input.c: decode each code
 * point, then ask whether it was the shortest form and a scalar value. */
static int ref_utf8(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;
	int ok = 0;

	while (i < len) {
		if (s[i] == 0)
			goto done;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0) {
			n = 2;
			cp = s[i] & 0x1Fu;
			min = 0x80;
		} else if ((s[i] & 0xF0) == 0xE0) {
			n = 3;
			cp = s[i] & 0x0Fu;
			min = 0x800;
		} else if ((s[i] & 0xF8) == 0xF0) {
			n = 4;
			cp = s[i] & 0x07u;
			min = 0x10000;
		} else {
			goto done;
		}
		if (len - i < n)
			goto done;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto done;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto done;
		i += n;
	}
	ok = 1;
done:
	return ok;
}

static void check_string(const json_t *s, const input_limits *lim)
{
	CHECK(json_is_string(s));
	CHECK(json_string_length(s) <= lim->max_field_len);
	CHECK(input_utf8_valid(json_string_value(s), json_string_length(s)));
}

/* Returns the number of values (pairs) the object holds. */
static size_t check_shape(json_t *in, const input_limits *lim)
{
	const char *key;
	json_t *v;
	size_t i, n_vals, n = 0;

	CHECK(json_is_object(in));
	json_object_foreach(in, key, v) {
		CHECK(*key);
		CHECK(strlen(key) <= lim->max_field_len);
		CHECK(input_utf8_valid(key, strlen(key)));
		if (json_is_array(v)) {
			CHECK(json_array_size(v) >= 2);
			for (i = 0; i < json_array_size(v); i++)
				check_string(json_array_get(v, i), lim);
			n += json_array_size(v);
			CHECK(input_str(in, key) == NULL);
		} else {
			check_string(v, lim);
			n++;
			CHECK(input_str(in, key) == json_string_value(v));
		}
		n_vals = json_is_array(v) ? json_array_size(v) : 1;
		CHECK(input_strings(in, key, NULL, 0) == n_vals);
	}
	CHECK(n <= lim->max_fields);
	return n;
}

static void put_escaped(char **p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			*(*p)++ = (char)c;
		} else if (c == ' ') {
			*(*p)++ = '+';
		} else {
			*(*p)++ = '%';
			*(*p)++ = hex[c >> 4];
			*(*p)++ = hex[c & 15];
		}
	}
}

static void put_pair(char **p, const char *k, const char *v)
{
	put_escaped(p, k);
	*(*p)++ = '=';
	put_escaped(p, v);
	*(*p)++ = '&';
}

/* Encodes in as a form body (every byte escaped three ways over is the
 * worst case) and checks the parser reads back the same object. */
static void check_roundtrip(json_t *in, const input_limits *lim, size_t size)
{
	char *text, *p;
	const char *key;
	json_t *v, *again = NULL;
	size_t i, cap = 3 * 2 * (size + 16) + 64 * json_object_size(in) + 16;

	text = malloc(cap);
	CHECK(text);
	p = text;
	json_object_foreach(in, key, v) {
		if (json_is_array(v)) {
			for (i = 0; i < json_array_size(v); i++)
				put_pair(&p, key, json_string_value(json_array_get(v, i)));
		} else {
			put_pair(&p, key, json_string_value(v));
		}
	}
	CHECK((size_t)(p - text) <= cap);
	CHECK(input_parse_form(text, (size_t)(p - text), lim, &again) == 0);
	CHECK(json_equal(in, again));
	json_decref(again);
	free(text);
}

static void poke_accessors(json_t *in)
{
	const char *key, *vals[3];
	json_t *v;
	long long n;
	int rc, b;

	json_object_foreach(in, key, v) {
		n = 7;
		rc = input_int(in, key, -1000, 1000, &n);
		CHECK(rc == 0 || rc == KD_EINVAL || rc == KD_ENOTFOUND);
		CHECK(rc ? n == 7 : (n >= -1000 && n <= 1000));
		b = input_bool(in, key);
		CHECK(b == 0 || b == 1);
		CHECK(input_strings(in, key, vals, 3) <= 3);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const input_limits *lim;
	const char *s;
	json_t *in = NULL, *copy, *v;
	const char *key;
	size_t len, n;
	int rc;

	CHECK(input_utf8_valid((const char *)data, size) == ref_utf8(data, size));
	if (size == 0)
		goto done;
	lim = (data[0] & 1) ? &tight : &input_default_limits;
	s = (const char *)data + 1;
	len = size - 1;

	rc = input_parse_form(s, len, lim, &in);
	CHECK(rc == 0 || rc == KD_EINVAL || rc == KD_EUTF8 || rc == KD_ETOOBIG);
	if (rc) {
		CHECK(in == NULL);
		goto done;
	}
	n = check_shape(in, lim);
	poke_accessors(in);
	check_roundtrip(in, lim, len);

	/* The same body merged in again: every field now holds twice its
	 * values, the old ones first. */
	copy = json_deep_copy(in);
	CHECK(copy);
	CHECK(input_parse_form(s, len, lim, &in) == 0);
	CHECK(json_object_size(in) == json_object_size(copy));
	json_object_foreach(copy, key, v) {
		size_t was = json_is_array(v) ? json_array_size(v) : 1;
		json_t *now = json_object_get(in, key);

		CHECK(json_is_array(now) && json_array_size(now) == 2 * was);
		CHECK(json_equal(json_array_get(now, 0),
				 json_is_array(v) ? json_array_get(v, 0) : v));
	}
	CHECK(n <= lim->max_fields);
	json_decref(copy);
	json_decref(in);
done:
	return 0;
}
