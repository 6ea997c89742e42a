/*
 * json_write.c: see json_write.h.  Strings are escaped straight into the
 * buffer's room, reserved once for the worst case.
 */
#include "util/json_write.h"

#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ONES ((uint64_t)0x0101010101010101)
#define HIGHS ((uint64_t)0x8080808080808080)

/* Whether any byte of w is below 0x20, '"' or '\\' (bytes of 0x80 and up,
 * UTF-8, never need it; the test is exact for the rest). */
static int needs_escape(uint64_t w)
{
	uint64_t quote = w ^ (ONES * '"'), slash = w ^ (ONES * '\\');
	uint64_t hit = ((w - ONES * 0x20) | (quote - ONES) | (slash - ONES)) & ~w & HIGHS;

	return hit != 0;
}

void json_write_string(buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	/* Six bytes out per byte in at worst (\u00XX), and the quotes. */
	char *o = buf_space(b, len * 6 + 2), *start = o;
	size_t i;

	*o++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c;

		/* Eight bytes at a time while none needs escaping. */
		while (len - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (needs_escape(w))
				break;
			memcpy(o, &w, 8);
			o += 8;
			i += 8;
		}
		if (i == len)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
			break;
		}
	}
	*o++ = '"';
	buf_added(b, (size_t)(o - start));
}

static void write_real(buf *b, double d)
{
	char tmp[32], *e;
	int n;

	if (!isfinite(d)) { /* not JSON; jansson refuses them too */
		buf_puts(b, "null");
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", d);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		buf_puts(b, "null");
		return;
	}
	/* As jansson writes reals: ".0" keeps a whole number a real when
	 * read back, and the exponent loses its '+' and leading zeros. */
	if (!strpbrk(tmp, ".eE")) {
		buf_append(b, tmp, (size_t)n);
		buf_puts(b, ".0");
		return;
	}
	e = strchr(tmp, 'e');
	if (!e) {
		buf_append(b, tmp, (size_t)n);
		return;
	}
	buf_append(b, tmp, (size_t)(e - tmp + 1));
	e++;
	if (*e == '+')
		e++;
	else if (*e == '-')
		buf_putc(b, *e++);
	while (*e == '0' && e[1])
		e++;
	buf_puts(b, e);
}

/* Digits by hand: printf's machinery costs more than the whole row. */
void json_write_int(buf *b, int64_t n)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void write_value(buf *b, const json_t *v, int depth)
{
	size_t i;

	if (!v || depth > JSON_WRITE_MAX_DEPTH) {
		buf_puts(b, "null");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		size_t key_len;
		json_t *item;
		int first = 1;

		buf_putc(b, '{');
		/* const is cast away only for the iteration macro. */
		json_object_keylen_foreach((json_t *)v, key, key_len, item) {
			if (!first)
				buf_putc(b, ',');
			first = 0;
			json_write_string(b, key, key_len);
			buf_putc(b, ':');
			write_value(b, item, depth + 1);
		}
		buf_putc(b, '}');
		break;
	}
	case JSON_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_putc(b, ',');
			write_value(b, json_array_get(v, i), depth + 1);
		}
		buf_putc(b, ']');
		break;
	case JSON_STRING:
		json_write_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		json_write_int(b, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		write_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	default:
		buf_puts(b, "null");
		break;
	}
}

void json_write(buf *b, const json_t *v)
{
	write_value(b, v, 0);
}
