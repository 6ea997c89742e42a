/*
 * fuzz_cookie_path.c: libFuzzer target for input_cookie(),
 * input_match_path() and input_trimmed(), the small parsers over request
 * headers and paths.  The input is split on newlines into a cookie
 * header, a cookie name, a pattern and a path, each a short string.
 * Invariants, beside memory safety on arbitrary text:
 *   - a found cookie fits its buffer and is a substring of the header;
 *     put first in a header, a pair's value is read back exactly;
 *   - a captured id is positive and a captured token is 1..128
 *     characters of [A-Za-z0-9_-], both found in the path;
 *   - "/c/{id}/t/{token}" matches exactly the paths a plain reference
 *     predicate accepts;
 *   - a trimmed string has no ASCII whitespace at either end.
 */
#include "kd.h"
#include "web/input.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARTS 4

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

static int ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int tokch(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Plain restatements of the id and token rules, for comparison. */
static int ref_id(const char *s)
{
	size_t n = strlen(s), i;
	int ok = 0;

	if (n == 0 || n > 19 || s[0] == '0')
		goto done;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			goto done;
	ok = n < 19 || strcmp(s, "9223372036854775807") <= 0;
done:
	return ok;
}

static int ref_token(const char *s)
{
	size_t n = strlen(s), i;
	int ok = 0;

	if (n == 0 || n > 128)
		goto done;
	for (i = 0; i < n; i++)
		if (!tokch(s[i]))
			goto done;
	ok = 1;
done:
	return ok;
}

static void check_cookie(const char *header, const char *name, size_t outlen)
{
	char out[64];
	int rc;

	rc = input_cookie(header, name, out, outlen);
	CHECK(rc == 0 || rc == KD_ENOTFOUND || rc == KD_ETOOBIG || rc == KD_EINVAL);
	CHECK(rc != KD_EINVAL || !*name);
	if (rc == 0) {
		CHECK(strlen(out) < outlen);
		CHECK(strstr(header, out));
	} else {
		CHECK(out[0] == '\0');
	}
}

/* Builds "name=value; header" and expects value back, trimmed of OWS and
 * of one pair of quotes. */
static void check_cookie_first(const char *header, const char *rawname, const char *rawval)
{
	char name[64], val[64], out[64], *hdr;
	size_t i, n = 0, a, b;
	int rc;

	for (i = 0; rawname[i] && n < sizeof(name) - 1; i++)
		if (rawname[i] != '=' && rawname[i] != ';' && !ows(rawname[i]))
			name[n++] = rawname[i];
	name[n] = '\0';
	if (!n)
		goto done;
	for (i = 0, n = 0; rawval[i] && n < sizeof(val) - 1; i++)
		if (rawval[i] != ';')
			val[n++] = rawval[i];
	val[n] = '\0';
	hdr = malloc(strlen(name) + strlen(val) + strlen(header) + 4);
	CHECK(hdr);
	sprintf(hdr, "%s=%s;%s", name, val, header);
	rc = input_cookie(hdr, name, out, sizeof(out));
	CHECK(rc == 0);
	a = 0;
	b = strlen(val);
	while (a < b && ows(val[a]))
		a++;
	while (b > a && ows(val[b - 1]))
		b--;
	if (b - a >= 2 && val[a] == '"' && val[b - 1] == '"') {
		a++;
		b--;
	}
	CHECK(strlen(out) == b - a && !memcmp(out, val + a, b - a));
	free(hdr);
done:
	return;
}

static void check_path(const char *pattern, const char *path)
{
	char tok[129], num[32];
	int64_t id = -5;
	int m;

	strcpy(tok, "unset");
	m = input_match_path(pattern, path, &id, tok, sizeof(tok));
	CHECK(m == 0 || m == 1);
	if (!m)
		CHECK(id == -5 && !strcmp(tok, "unset"));
	if (m && id != -5) {
		CHECK(strstr(pattern, "{id}"));
		CHECK(id > 0);
		snprintf(num, sizeof(num), "%" PRId64, id);
		CHECK(strstr(path, num));
	}
	if (m && strcmp(tok, "unset")) {
		CHECK(strstr(pattern, "{token}"));
		CHECK(ref_token(tok));
		CHECK(strstr(path, tok));
	}
	if (m && !strchr(pattern, '{'))
		CHECK(!strcmp(pattern, path));
}

static void check_path_ref(const char *a, const char *b)
{
	char path[1024], num[32], tok[129];
	int64_t id = 0;
	int m;

	if (strchr(a, '/') || strchr(b, '/') || strlen(a) + strlen(b) > 400)
		goto done;
	snprintf(path, sizeof(path), "/c/%s/t/%s", a, b);
	m = input_match_path("/c/{id}/t/{token}", path, &id, tok, sizeof(tok));
	CHECK(m == (ref_id(a) && ref_token(b)));
	if (m) {
		snprintf(num, sizeof(num), "%" PRId64, id);
		CHECK(!strcmp(num, a));
		CHECK(!strcmp(tok, b));
	}
done:
	return;
}

static void check_trim(const char *s)
{
	char *t = input_trimmed(s);
	size_t n;

	CHECK(t);
	n = strlen(t);
	CHECK(n == 0 || (!ascii_space(t[0]) && !ascii_space(t[n - 1])));
	CHECK(strstr(s, t));
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *part[PARTS], *nl;
	size_t i, outlen;

	if (size == 0 || size > 4096)
		goto done;
	outlen = 1 + data[0] % 63;
	/* NUL-terminated like the strings MHD hands over; an embedded NUL
	 * just ends a part early. */
	copy = malloc(size);
	CHECK(copy);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	part[0] = copy;
	for (i = 1; i < PARTS; i++) {
		nl = strchr(part[i - 1], '\n');
		if (nl) {
			*nl = '\0';
			part[i] = nl + 1;
		} else {
			part[i] = part[i - 1] + strlen(part[i - 1]);
		}
	}
	check_cookie(part[0], part[1], outlen);
	check_cookie_first(part[0], part[1], part[2]);
	check_path(part[2], part[3]);
	check_path_ref(part[1], part[2]);
	check_trim(part[0]);
	check_trim(part[3]);
	free(copy);
done:
	return 0;
}
