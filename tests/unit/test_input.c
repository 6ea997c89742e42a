/*
 * test_input.c: unit tests for web/input.c, the request input layer.
 * Each group feeds the hostile shapes a client can send (bad escapes,
 * overlong UTF-8, NUL, deep or wide JSON, look-alike cookie names,
 * out-of-range ids) and the ordinary ones a browser sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kd.h"
#include "web/input.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---- */

#define U8(lit) input_utf8_valid(lit, sizeof(lit) - 1)

static void test_utf8_valid(void **state)
{
	KD_UNUSED(state);
	assert_int_equal(input_utf8_valid("", 0), 1);
	assert_int_equal(input_utf8_valid(NULL, 0), 1);
	assert_int_equal(input_utf8_valid(NULL, 1), 0);
	assert_int_equal(U8("plain ascii text, longer than one word"), 1);
	assert_int_equal(U8("caf\xc3\xa9"), 1);                 /* U+00E9 */
	assert_int_equal(U8("\xe2\x82\xac"), 1);                 /* U+20AC */
	assert_int_equal(U8("\xf0\x9f\x98\x80"), 1);             /* U+1F600 */
	assert_int_equal(U8("\xf4\x8f\xbf\xbf"), 1);             /* U+10FFFF */
	assert_int_equal(U8("\xed\x9f\xbf"), 1);                 /* U+D7FF */
	assert_int_equal(U8("\xee\x80\x80"), 1);                 /* U+E000 */
	assert_int_equal(U8("\xc2\x80"), 1);                     /* U+0080 */
	assert_int_equal(U8("\xe0\xa0\x80"), 1);                 /* U+0800 */
	assert_int_equal(U8("\xf0\x90\x80\x80"), 1);             /* U+10000 */
	assert_int_equal(U8("abcdefgh\xf0\x9f\x98\x80ijklmnop"), 1);
}

static void test_utf8_invalid(void **state)
{
	KD_UNUSED(state);
	/* overlong */
	assert_int_equal(U8("\xc0\x80"), 0);
	assert_int_equal(U8("\xc0\xaf"), 0);
	assert_int_equal(U8("\xc1\xbf"), 0);
	assert_int_equal(U8("\xe0\x80\x80"), 0);
	assert_int_equal(U8("\xe0\x9f\xbf"), 0);
	assert_int_equal(U8("\xf0\x80\x80\x80"), 0);
	assert_int_equal(U8("\xf0\x8f\xbf\xbf"), 0);
	/* surrogates */
	assert_int_equal(U8("\xed\xa0\x80"), 0);
	assert_int_equal(U8("\xed\xbf\xbf"), 0);
	assert_int_equal(U8("\xed\xa0\xbd\xed\xb8\x80"), 0); /* CESU-8 pair */
	/* truncated */
	assert_int_equal(U8("\xc3"), 0);
	assert_int_equal(U8("\xe2\x82"), 0);
	assert_int_equal(U8("\xf0\x9f\x98"), 0);
	assert_int_equal(U8("abcdefgh\xf0\x9f\x98"), 0);
	assert_int_equal(U8("\xe2\x82x"), 0);
	assert_int_equal(U8("\xf0\x9f\x98x"), 0);
	/* beyond U+10FFFF and bytes that never start a sequence */
	assert_int_equal(U8("\xf4\x90\x80\x80"), 0);
	assert_int_equal(U8("\xf5\x80\x80\x80"), 0);
	assert_int_equal(U8("\xf8\x88\x80\x80\x80"), 0);
	assert_int_equal(U8("\xff"), 0);
	assert_int_equal(U8("\xfe"), 0);
	assert_int_equal(U8("\x80"), 0);
	assert_int_equal(U8("a\xbf"), 0);
	/* NUL, in the byte loop and inside an otherwise clean word */
	assert_int_equal(U8("a\0b"), 0);
	assert_int_equal(U8("\0"), 0);
	assert_int_equal(U8("abcdefgh\0ijklmnop"), 0);
	assert_int_equal(U8("abc\0efghijklmnop"), 0);
}

/* ---- forms ---- */

static const input_limits small = {.max_fields = 3, .max_field_len = 4, .max_depth = 3};

static json_t *form_ok(const char *s, const input_limits *lim)
{
	json_t *in = NULL;

	assert_int_equal(input_parse_form(s, strlen(s), lim, &in), 0);
	assert_non_null(in);
	assert_true(json_is_object(in));
	return in;
}

static int form_rc(const char *s, size_t len, const input_limits *lim)
{
	json_t *in = NULL;
	int rc = input_parse_form(s, len, lim, &in);

	if (rc)
		assert_null(in);
	json_decref(in);
	return rc;
}

#define FORM_RC(lit, lim) form_rc(lit, sizeof(lit) - 1, lim)

static void test_form_decode(void **state)
{
	json_t *in;

	KD_UNUSED(state);
	in = form_ok("a=1&b=hello+world&c=%20x%2f%2F&d=caf%C3%A9&e%5B%5D=%e2%82%ac", NULL);
	assert_string_equal(input_str(in, "a"), "1");
	assert_string_equal(input_str(in, "b"), "hello world");
	assert_string_equal(input_str(in, "c"), " x//");
	assert_string_equal(input_str(in, "d"), "caf\xc3\xa9");
	assert_string_equal(input_str(in, "e[]"), "\xe2\x82\xac");
	assert_int_equal(json_object_size(in), 5);
	json_decref(in);

	/* no '=', empty values, empty keys and empty pairs */
	in = form_ok("flag&x=&=skipped&&=&a+b=c=d&", NULL);
	assert_string_equal(input_str(in, "flag"), "");
	assert_string_equal(input_str(in, "x"), "");
	assert_string_equal(input_str(in, "a b"), "c=d");
	assert_int_equal(json_object_size(in), 3);
	json_decref(in);

	in = form_ok("", NULL);
	assert_int_equal(json_object_size(in), 0);
	json_decref(in);

	/* NULL with zero length is an empty body, not an error */
	in = NULL;
	assert_int_equal(input_parse_form(NULL, 0, NULL, &in), 0);
	assert_int_equal(json_object_size(in), 0);
	json_decref(in);
	in = NULL;
	assert_int_equal(input_parse_form(NULL, 3, NULL, &in), KD_EINVAL);
	assert_int_equal(input_parse_form("a=1", 3, NULL, NULL), KD_EINVAL);

	/* only len bytes are read */
	in = NULL;
	assert_int_equal(input_parse_form("a=12345", 4, NULL, &in), 0);
	assert_string_equal(input_str(in, "a"), "12");
	json_decref(in);
}

static void test_form_repeated(void **state)
{
	const char *vals[4];
	json_t *in;

	KD_UNUSED(state);
	in = form_ok("t=1&x=y&t=2&t=3", NULL);
	assert_null(input_str(in, "t"));
	assert_true(json_is_array(json_object_get(in, "t")));
	assert_int_equal(input_strings(in, "t", vals, 4), 3);
	assert_string_equal(vals[0], "1");
	assert_string_equal(vals[1], "2");
	assert_string_equal(vals[2], "3");
	assert_string_equal(input_str(in, "x"), "y");
	json_decref(in);
}

static void test_form_bad_escapes(void **state)
{
	KD_UNUSED(state);
	assert_int_equal(FORM_RC("a=%", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%2", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%2&b=1", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%zz", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%g0", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%0g", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=%%41", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("%=1", NULL), KD_EINVAL);
	assert_int_equal(FORM_RC("a=1&b%=2", NULL), KD_EINVAL);
	/* an escape cut off by the length, not by the text */
	assert_int_equal(form_rc("a=%41", 4, NULL), KD_EINVAL);
}

static void test_form_utf8(void **state)
{
	KD_UNUSED(state);
	assert_int_equal(FORM_RC("a=%00", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=x%00y", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("%00=1", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=b\0c", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=%C3%28", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=%C0%AF", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=%ED%A0%80", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=%F4%90%80%80", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=%C3", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("a=\xff", NULL), KD_EUTF8);
	assert_int_equal(FORM_RC("\xc3=1", NULL), KD_EUTF8);
}

static void test_form_limits(void **state)
{
	json_t *in;
	char *big;
	size_t i;

	KD_UNUSED(state);
	in = form_ok("a=1&b=2&c=3", &small);
	json_decref(in);
	assert_int_equal(FORM_RC("a=1&b=2&c=3&d=4", &small), KD_ETOOBIG);
	/* repeats count: an array cannot grow without bound */
	assert_int_equal(FORM_RC("a=1&a=1&a=1&a=1", &small), KD_ETOOBIG);
	/* empty pairs and nameless pairs do not count */
	in = form_ok("a=1&&b=2&=x&&c=3&", &small);
	json_decref(in);

	in = form_ok("a=abcd&abcd=%41%41%41%41&c=+%2B+%2b", &small);
	assert_string_equal(input_str(in, "a"), "abcd");
	assert_string_equal(input_str(in, "abcd"), "AAAA");
	assert_string_equal(input_str(in, "c"), " + +");
	json_decref(in);
	assert_int_equal(FORM_RC("a=abcde", &small), KD_ETOOBIG);
	assert_int_equal(FORM_RC("a=%41%41%41%41%41", &small), KD_ETOOBIG);
	assert_int_equal(FORM_RC("a=++++a", &small), KD_ETOOBIG);
	assert_int_equal(FORM_RC("abcde=1", &small), KD_ETOOBIG);
	assert_int_equal(FORM_RC("%41%41%41%41%41=1", &small), KD_ETOOBIG);

	/* long escaped values use heap scratch; results must not mix */
	big = malloc(3 * 2000 + 64);
	assert_non_null(big);
	strcpy(big, "k=");
	for (i = 0; i < 2000; i++)
		memcpy(big + 2 + 3 * i, "%41", 3);
	strcpy(big + 2 + 3 * 2000, "&j=%42%43&k=x");
	in = form_ok(big, NULL);
	assert_int_equal(input_strings(in, "k", NULL, 0), 2);
	assert_int_equal(json_string_length(json_array_get(json_object_get(in, "k"), 0)), 2000);
	assert_string_equal(input_str(in, "j"), "BC");
	json_decref(in);
	free(big);
}

static void test_form_merge(void **state)
{
	const char *vals[8];
	json_t *in = NULL, *before;

	KD_UNUSED(state);
	assert_int_equal(input_parse_form("a=1&b=2&t=1&t=2", 15, NULL, &in), 0);
	assert_int_equal(input_parse_form("a=3&c=4&t=3&t=4", 15, NULL, &in), 0);
	assert_int_equal(input_strings(in, "a", vals, 8), 2);
	assert_string_equal(vals[0], "1");
	assert_string_equal(vals[1], "3");
	assert_string_equal(input_str(in, "b"), "2");
	assert_string_equal(input_str(in, "c"), "4");
	assert_int_equal(input_strings(in, "t", vals, 8), 4);
	assert_string_equal(vals[0], "1");
	assert_string_equal(vals[3], "4");
	/* merging a single value into an existing array */
	assert_int_equal(input_parse_form("t=5", 3, NULL, &in), 0);
	assert_int_equal(input_strings(in, "t", vals, 8), 5);
	assert_string_equal(vals[4], "5");

	/* a failed parse leaves the caller's object alone */
	before = json_deep_copy(in);
	assert_int_equal(input_parse_form("x=1&b=%zz", 9, NULL, &in), KD_EINVAL);
	assert_true(json_equal(in, before));
	json_decref(before);
	json_decref(in);

	/* a name holding another JSON type cannot take form values */
	in = NULL;
	assert_int_equal(input_parse_json("{\"n\":5}", 7, NULL, &in), 0);
	assert_int_equal(input_parse_form("x=1&n=2", 7, NULL, &in), KD_EINVAL);
	assert_int_equal(json_object_size(in), 1);
	assert_null(json_object_get(in, "x"));
	json_decref(in);

	/* *out must be an object */
	in = json_array();
	assert_int_equal(input_parse_form("a=1", 3, NULL, &in), KD_EINVAL);
	json_decref(in);
}

/* ---- JSON ---- */

static int json_rc(const char *s, size_t len, const input_limits *lim)
{
	json_t *in = NULL;
	int rc = input_parse_json(s, len, lim, &in);

	if (rc)
		assert_null(in);
	else
		assert_true(json_is_object(in));
	json_decref(in);
	return rc;
}

#define JSON_RC(lit, lim) json_rc(lit, sizeof(lit) - 1, lim)

static void test_json_shape(void **state)
{
	long long n;
	json_t *in = NULL;

	KD_UNUSED(state);
	assert_int_equal(input_parse_json("{\"mood\":4,\"note\":\"ok\",\"tags\":[\"a\"]}", 35,
					  NULL, &in),
			 0);
	assert_int_equal(input_int(in, "mood", 0, 10, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(input_str(in, "note"), "ok");
	json_decref(in);

	assert_int_equal(JSON_RC("[1]", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("\"s\"", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("1", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("null", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":1,}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{} {}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":1e999999}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":99999999999999999999}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":\"\\ud800\"}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"a\":1,\"a\":2}", NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{\"o\":{\"a\":1,\"a\":1}}", NULL), KD_EINVAL);
	assert_int_equal(json_rc("{}", 1, NULL), KD_EINVAL);
	assert_int_equal(json_rc(NULL, 0, NULL), KD_EINVAL);
	assert_int_equal(input_parse_json("{}", 2, NULL, NULL), KD_EINVAL);
	assert_int_equal(JSON_RC("{}", NULL), 0);
	assert_int_equal(JSON_RC(" \n{ } \n", NULL), 0);
}

static void test_json_utf8(void **state)
{
	KD_UNUSED(state);
	assert_int_equal(JSON_RC("{\"a\":\"x\\u0000y\"}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"\\u0000\":1}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"a\":[\"\\u0000\"]}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"a\":\"\xff\"}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"a\":\"\xc0\xaf\"}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"a\":\"\xed\xa0\x80\"}", NULL), KD_EUTF8);
	assert_int_equal(JSON_RC("{\"a\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}", NULL), 0);
}

static void test_json_depth(void **state)
{
	char deep[6000];
	size_t i;
	input_limits lim = small;

	KD_UNUSED(state);
	lim.max_fields = 100;
	lim.max_field_len = 100;
	assert_int_equal(JSON_RC("{\"a\":{\"b\":{\"c\":1}}}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":{\"b\":{\"c\":{}}}}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":[[1]]}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":[[[1]]]}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":[[]],\"b\":[[]],\"c\":{\"d\":[]}}", &lim), 0);
	/* brackets inside strings are not nesting */
	assert_int_equal(JSON_RC("{\"[[[[\":\"{{{{[[[[\\\"[[[[\"}", &lim), 0);

	/* default limit 16: sixteen levels pass, seventeen do not */
	for (i = 0; i < 15; i++)
		memcpy(deep + 5 * i, "{\"a\":", 5);
	memcpy(deep + 75, "{}", 2);
	memset(deep + 77, '}', 15);
	assert_int_equal(json_rc(deep, 92, NULL), 0);
	for (i = 0; i < 16; i++)
		memcpy(deep + 5 * i, "{\"a\":", 5);
	memcpy(deep + 80, "{}", 2);
	memset(deep + 82, '}', 16);
	assert_int_equal(json_rc(deep, 98, NULL), KD_ETOOBIG);

	/* far past jansson's own limit, refused before parsing */
	deep[0] = '{';
	deep[1] = '"';
	deep[2] = 'a';
	deep[3] = '"';
	deep[4] = ':';
	memset(deep + 5, '[', sizeof(deep) - 5);
	assert_int_equal(json_rc(deep, sizeof(deep), NULL), KD_ETOOBIG);
	lim = input_default_limits;
	lim.max_depth = SIZE_MAX;
	lim.max_fields = SIZE_MAX;
	assert_int_equal(json_rc(deep, sizeof(deep), &lim), KD_ETOOBIG);
	lim.max_depth = 0;
	assert_int_equal(JSON_RC("{}", &lim), KD_ETOOBIG);
}

static void test_json_fields_and_strings(void **state)
{
	input_limits lim = {.max_fields = 1, .max_field_len = 4, .max_depth = 16};

	KD_UNUSED(state);
	/* max_fields 1 allows 4 fields over the whole tree */
	assert_int_equal(JSON_RC("{\"a\":[1,2,3]}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":[1,2,3,4]}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":[],\"b\":{},\"c\":[{}]}", &lim), 0);
	/* commas inside strings are not fields */
	assert_int_equal(JSON_RC("{\"a\":\",,,,\"}", &lim), 0);

	assert_int_equal(JSON_RC("{\"a\":\"abcd\"}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":\"abcde\"}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"a\":[\"abcde\"]}", &lim), KD_ETOOBIG);
	assert_int_equal(JSON_RC("{\"abcde\":1}", &lim), KD_ETOOBIG);
	/* length is of the decoded string, not of its escapes */
	assert_int_equal(JSON_RC("{\"a\":\"\\u0041\\u0041\\u0041\\u0041\"}", &lim), 0);
	assert_int_equal(JSON_RC("{\"a\":\"\\u00e9\\u00e9\\u00e9\"}", &lim), KD_ETOOBIG);
}

static void test_json_merge(void **state)
{
	json_t *in = NULL, *before;
	long long n;

	KD_UNUSED(state);
	assert_int_equal(input_parse_form("page=2", 6, NULL, &in), 0);
	assert_int_equal(input_parse_json("{\"name\":\"x\",\"n\":[1]}", 20, NULL, &in), 0);
	assert_int_equal(input_int(in, "page", 1, 100, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(input_str(in, "name"), "x");
	before = json_deep_copy(in);
	assert_int_equal(input_parse_json("{\"z\":1,\"page\":3}", 16, NULL, &in), KD_EINVAL);
	assert_true(json_equal(in, before));
	assert_int_equal(input_parse_json("{\"z\":", 5, NULL, &in), KD_EINVAL);
	assert_true(json_equal(in, before));
	json_decref(before);
	json_decref(in);
}

/* ---- accessors ---- */

static json_t *sample(void)
{
	json_t *in = NULL;
	const char *body = "{\"i\":5,\"neg\":-3,\"big\":9223372036854775807,\"r\":1.0,"
			   "\"t\":true,\"f\":false,\"nul\":null,\"mixed\":[\"a\",1,\"b\",null],"
			   "\"empty\":[],\"obj\":{}}";
	const char *form = "s=42&m=-7&z=-0&e=&x=1+&y=+1&h=0x10&d=1.5&dash=-"
			   "&max=9223372036854775807&over=9223372036854775808"
			   "&min=-9223372036854775808&under=-9223372036854775809"
			   "&huge=99999999999999999999999&lead=007&rep=1&rep=2"
			   "&on=on&one=1&true=true&off=off&zero=0&false=false&yes=yes&ON=ON";

	assert_int_equal(input_parse_json(body, strlen(body), NULL, &in), 0);
	assert_int_equal(input_parse_form(form, strlen(form), NULL, &in), 0);
	return in;
}

static void test_accessor_int(void **state)
{
	json_t *in = sample();
	long long n;

	KD_UNUSED(state);
#define INT_OK(key, want)                                                      \
	do {                                                                   \
		n = 12345;                                                     \
		assert_int_equal(input_int(in, key, LLONG_MIN, LLONG_MAX, &n), 0); \
		assert_true(n == (want));                                      \
	} while (0)
#define INT_RC(key, lo, hi, want)                                     \
	do {                                                          \
		n = 12345;                                            \
		assert_int_equal(input_int(in, key, lo, hi, &n), want); \
		assert_true(n == 12345);                              \
	} while (0)
	INT_OK("i", 5);
	INT_OK("neg", -3);
	INT_OK("big", LLONG_MAX);
	INT_OK("s", 42);
	INT_OK("m", -7);
	INT_OK("z", 0);
	INT_OK("max", LLONG_MAX);
	INT_OK("min", LLONG_MIN);
	INT_OK("lead", 7);
	INT_RC("over", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("under", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("huge", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("x", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("y", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("h", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("d", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("dash", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("r", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("t", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("nul", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("rep", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("mixed", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("obj", LLONG_MIN, LLONG_MAX, KD_EINVAL);
	INT_RC("missing", LLONG_MIN, LLONG_MAX, KD_ENOTFOUND);
	INT_RC("e", LLONG_MIN, LLONG_MAX, KD_ENOTFOUND);
	/* range */
	INT_RC("i", 6, 10, KD_EINVAL);
	INT_RC("i", 0, 4, KD_EINVAL);
	INT_RC("s", 0, 41, KD_EINVAL);
	INT_RC("m", 0, 10, KD_EINVAL);
	INT_RC("i", 10, 0, KD_EINVAL);
	n = 0;
	assert_int_equal(input_int(in, "i", 5, 5, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(input_int(in, "i", 0, 10, NULL), KD_EINVAL);
	assert_int_equal(input_int(NULL, "i", 0, 10, &n), KD_ENOTFOUND);
	assert_int_equal(input_int(in, NULL, 0, 10, &n), KD_ENOTFOUND);
#undef INT_OK
#undef INT_RC
	json_decref(in);
}

static void test_accessor_str_strings_bool(void **state)
{
	json_t *in = sample();
	const char *vals[4];

	KD_UNUSED(state);
	assert_string_equal(input_str(in, "s"), "42");
	assert_string_equal(input_str(in, "e"), "");
	assert_null(input_str(in, "rep"));
	assert_null(input_str(in, "i"));
	assert_null(input_str(in, "nul"));
	assert_null(input_str(in, "missing"));
	assert_null(input_str(NULL, "s"));
	assert_null(input_str(in, NULL));

	assert_int_equal(input_strings(in, "s", vals, 4), 1);
	assert_string_equal(vals[0], "42");
	assert_int_equal(input_strings(in, "s", vals, 0), 0);
	assert_int_equal(input_strings(in, "s", NULL, 0), 1);
	assert_int_equal(input_strings(in, "rep", vals, 4), 2);
	assert_string_equal(vals[0], "1");
	assert_string_equal(vals[1], "2");
	assert_int_equal(input_strings(in, "rep", vals, 1), 1);
	assert_string_equal(vals[0], "1");
	assert_int_equal(input_strings(in, "mixed", vals, 4), 2);
	assert_string_equal(vals[0], "a");
	assert_string_equal(vals[1], "b");
	assert_int_equal(input_strings(in, "mixed", NULL, 0), 2);
	assert_int_equal(input_strings(in, "empty", vals, 4), 0);
	assert_int_equal(input_strings(in, "i", vals, 4), 0);
	assert_int_equal(input_strings(in, "missing", vals, 4), 0);
	assert_int_equal(input_strings(NULL, "s", vals, 4), 0);

	assert_int_equal(input_bool(in, "on"), 1);
	assert_int_equal(input_bool(in, "one"), 1);
	assert_int_equal(input_bool(in, "true"), 1);
	assert_int_equal(input_bool(in, "t"), 1);
	assert_int_equal(input_bool(in, "off"), 0);
	assert_int_equal(input_bool(in, "zero"), 0);
	assert_int_equal(input_bool(in, "false"), 0);
	assert_int_equal(input_bool(in, "f"), 0);
	assert_int_equal(input_bool(in, "missing"), 0);
	assert_int_equal(input_bool(in, "yes"), 0);
	assert_int_equal(input_bool(in, "ON"), 0);
	assert_int_equal(input_bool(in, "e"), 0);
	assert_int_equal(input_bool(in, "i"), 0);
	assert_int_equal(input_bool(in, "rep"), 0);
	assert_int_equal(input_bool(NULL, "on"), 0);
	json_decref(in);
}

/* A value of the wrong kind is refused, not read as missing. */
static void test_expect(void **state)
{
	json_t *in = json_pack("{s:s, s:i, s:n, s:{}, s:[s,s], s:[s,i], s:[], s:b, s:s, s:[s,s], s:[s,s]}",
			       "text", "a", "num", 3, "nul", "obj", "list", "a", "b", "mixed",
			       "a", 1, "empty", "flag", 1, "word", "maybe", "boxes", "off", "on",
			       "odd", "off", "yes");

	(void)state;
	assert_int_equal(input_expect(in, "absent", INPUT_TEXT), 0);
	assert_int_equal(input_expect(in, "text", INPUT_TEXT), 0);
	assert_int_equal(input_expect(in, "num", INPUT_TEXT), KD_EINVAL);
	assert_int_equal(input_expect(in, "nul", INPUT_TEXT), KD_EINVAL);
	assert_int_equal(input_expect(in, "obj", INPUT_TEXT), KD_EINVAL);
	assert_int_equal(input_expect(in, "list", INPUT_TEXT), KD_EINVAL);
	assert_int_equal(input_expect(in, "text", INPUT_TEXTS), 0);
	assert_int_equal(input_expect(in, "list", INPUT_TEXTS), 0);
	assert_int_equal(input_expect(in, "mixed", INPUT_TEXTS), KD_EINVAL);
	/* An empty list is a choice of none (no feelings, nothing shared). */
	assert_int_equal(input_expect(in, "empty", INPUT_TEXTS), 0);
	assert_int_equal(input_expect(in, "obj", INPUT_TEXTS), KD_EINVAL);
	assert_int_equal(input_expect(in, "num", INPUT_INT), 0);
	assert_int_equal(input_expect(in, "text", INPUT_INT), 0);
	assert_int_equal(input_expect(in, "list", INPUT_INT), KD_EINVAL);
	assert_int_equal(input_expect(in, "flag", INPUT_BOOL), 0);
	assert_int_equal(input_expect(in, "boxes", INPUT_BOOL), 0);
	assert_int_equal(input_expect(in, "word", INPUT_BOOL), KD_EINVAL);
	assert_int_equal(input_expect(in, "odd", INPUT_BOOL), KD_EINVAL);
	assert_int_equal(input_expect(in, "num", INPUT_BOOL), KD_EINVAL);
	assert_int_equal(input_expect(NULL, "text", INPUT_TEXT), 0);
	json_decref(in);
}

static void test_trimmed(void **state)
{
	char *t;

	KD_UNUSED(state);
	assert_null(input_trimmed(NULL));
#define TRIM(in, want)                         \
	do {                                   \
		t = input_trimmed(in);         \
		assert_non_null(t);            \
		assert_string_equal(t, want);  \
		free(t);                       \
	} while (0)
	TRIM("  a b \t\n", "a b");
	TRIM("\v\f\rx\r\n", "x");
	TRIM("   ", "");
	TRIM("", "");
	TRIM("x", "x");
	TRIM(" caf\xc3\xa9 ", "caf\xc3\xa9");
	TRIM("\xc2\xa0x", "\xc2\xa0x"); /* NBSP is not ASCII whitespace */
#undef TRIM
}

/* ---- cookies ---- */

static void test_cookie(void **state)
{
	char out[16];

	KD_UNUSED(state);
	assert_int_equal(input_cookie("a=b; c=d", "c", out, sizeof(out)), 0);
	assert_string_equal(out, "d");
	assert_int_equal(input_cookie("a=b; c=d", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
	assert_int_equal(input_cookie("  a = b  ;\tc=d\t", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
	assert_int_equal(input_cookie("  a = b  ;\tc=d\t", "c", out, sizeof(out)), 0);
	assert_string_equal(out, "d");
	assert_int_equal(input_cookie("a=b;c=d", "c", out, sizeof(out)), 0);
	assert_string_equal(out, "d");
	/* quoted values */
	assert_int_equal(input_cookie("s=\"abc\"; t=1", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(input_cookie("s= \"a b\" ", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "a b");
	assert_int_equal(input_cookie("s=\"\"", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(input_cookie("s=\"abc", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "\"abc");
	assert_int_equal(input_cookie("s=\"", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "\"");
	/* look-alike names */
#define SESSION(hdr) input_cookie(hdr, "kd_session", out, sizeof(out))
	assert_int_equal(SESSION("kd_session2=x; kd_session=y"), 0);
	assert_string_equal(out, "y");
	assert_int_equal(SESSION("kd_session2=x"), KD_ENOTFOUND);
	assert_string_equal(out, "");
	assert_int_equal(SESSION("xkd_session=x"), KD_ENOTFOUND);
	assert_int_equal(SESSION("kd_sessio=x"), KD_ENOTFOUND);
	assert_int_equal(SESSION("KD_SESSION=x"), KD_ENOTFOUND);
	assert_int_equal(SESSION("a=kd_session=x"), KD_ENOTFOUND);
	assert_int_equal(SESSION("kd_session"), KD_ENOTFOUND);
	assert_int_equal(SESSION("kd_session =z"), 0);
	assert_string_equal(out, "z");
#undef SESSION
	/* first wins; values may hold '='; empty values are values */
	assert_int_equal(input_cookie("a=1; a=2", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(input_cookie("t=a=b==", "t", out, sizeof(out)), 0);
	assert_string_equal(out, "a=b==");
	assert_int_equal(input_cookie("foo; a=", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(input_cookie(";;; a=1;", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	/* missing */
	strcpy(out, "stale");
	assert_int_equal(input_cookie("", "a", out, sizeof(out)), KD_ENOTFOUND);
	assert_string_equal(out, "");
	assert_int_equal(input_cookie("b=1", "a", out, sizeof(out)), KD_ENOTFOUND);
	/* fit: the value and its NUL */
	assert_int_equal(input_cookie("a=abc", "a", out, 4), 0);
	assert_string_equal(out, "abc");
	strcpy(out, "stale");
	assert_int_equal(input_cookie("a=abcd", "a", out, 4), KD_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(input_cookie("a=", "a", out, 1), 0);
	assert_int_equal(input_cookie("a=x", "a", out, 0), KD_ETOOBIG);
	/* misuse */
	assert_int_equal(input_cookie(NULL, "a", out, sizeof(out)), KD_EINVAL);
	assert_int_equal(input_cookie("a=1", NULL, out, sizeof(out)), KD_EINVAL);
	assert_int_equal(input_cookie("=1", "", out, sizeof(out)), KD_EINVAL);
	assert_int_equal(input_cookie("a=1", "a", NULL, 4), KD_EINVAL);
}

/* ---- paths ---- */

static void test_path_id(void **state)
{
	const char *pat = "/clients/{id}/checkins";
	int64_t id;

	KD_UNUSED(state);
#define NOMATCH(p, path)                                                    \
	do {                                                                \
		id = -99;                                                   \
		assert_int_equal(input_match_path(p, path, &id, NULL, 0), 0); \
		assert_true(id == -99);                                     \
	} while (0)
	id = 0;
	assert_int_equal(input_match_path(pat, "/clients/42/checkins", &id, NULL, 0), 1);
	assert_true(id == 42);
	assert_int_equal(
		input_match_path(pat, "/clients/9223372036854775807/checkins", &id, NULL, 0), 1);
	assert_true(id == INT64_MAX);
	NOMATCH(pat, "/clients/0/checkins");
	NOMATCH(pat, "/clients/-1/checkins");
	NOMATCH(pat, "/clients/+1/checkins");
	NOMATCH(pat, "/clients/042/checkins");
	NOMATCH(pat, "/clients/9223372036854775808/checkins");
	NOMATCH(pat, "/clients/99999999999999999999999/checkins");
	NOMATCH(pat, "/clients/1a/checkins");
	NOMATCH(pat, "/clients/0x1/checkins");
	NOMATCH(pat, "/clients/ 1/checkins");
	NOMATCH(pat, "/clients//checkins");
	NOMATCH(pat, "/clients/42/checkins/");
	NOMATCH(pat, "/clients/42/checkins/x");
	NOMATCH(pat, "/clients/42");
	NOMATCH(pat, "/clients/42/");
	NOMATCH(pat, "/client/42/checkins");
	NOMATCH(pat, "/clients/42/checkin");
	NOMATCH(pat, "clients/42/checkins");
	NOMATCH(pat, "//clients/42/checkins");
	NOMATCH(pat, "");
	NOMATCH("/a/{id}/{id}", "/a/1/2");
	NOMATCH(NULL, "/a");
	NOMATCH("/a", NULL);
	/* the id pointer is optional */
	assert_int_equal(input_match_path(pat, "/clients/7/checkins", NULL, NULL, 0), 1);
	/* literal patterns, the root, and the id at the end */
	assert_int_equal(input_match_path("/", "/", NULL, NULL, 0), 1);
	NOMATCH("/", "");
	NOMATCH("/", "//");
	assert_int_equal(input_match_path("/about", "/about", NULL, NULL, 0), 1);
	NOMATCH("/about", "/about/");
	NOMATCH("/about", "/abou");
	assert_int_equal(input_match_path("/c/{id}", "/c/5", &id, NULL, 0), 1);
	assert_true(id == 5);
	/* a placeholder must fill the whole segment */
	NOMATCH("/c/x{id}", "/c/x5");
#undef NOMATCH
}

static void test_path_token(void **state)
{
	char tok[129], small_tok[4], seg[200];
	int64_t id = 0;

	KD_UNUSED(state);
	assert_int_equal(input_match_path("/invite/{token}", "/invite/abc_DEF-123", NULL, tok,
					  sizeof(tok)),
			 1);
	assert_string_equal(tok, "abc_DEF-123");
	assert_int_equal(
		input_match_path("/c/{id}/share/{token}", "/c/12/share/Zz9", &id, tok, sizeof(tok)),
		1);
	assert_true(id == 12);
	assert_string_equal(tok, "Zz9");

	strcpy(seg, "/t/");
	memset(seg + 3, 'a', 128);
	seg[131] = '\0';
	assert_int_equal(input_match_path("/t/{token}", seg, NULL, tok, sizeof(tok)), 1);
	assert_int_equal(strlen(tok), 128);
	seg[131] = 'a';
	seg[132] = '\0';
	strcpy(tok, "keep");
	assert_int_equal(input_match_path("/t/{token}", seg, NULL, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "keep");

	assert_int_equal(input_match_path("/t/{token}", "/t/abc.def", NULL, tok, sizeof(tok)), 0);
	assert_int_equal(input_match_path("/t/{token}", "/t/abc%20", NULL, tok, sizeof(tok)), 0);
	assert_int_equal(input_match_path("/t/{token}", "/t/", NULL, tok, sizeof(tok)), 0);
	assert_int_equal(input_match_path("/t/{token}", "/t/a/", NULL, tok, sizeof(tok)), 0);
	assert_int_equal(input_match_path("/t/{token}", "/t/\xc3\xa9", NULL, tok, sizeof(tok)), 0);
	assert_int_equal(input_match_path("/t/{token}/{token}", "/t/a/b", NULL, tok, sizeof(tok)),
			 0);
	/* a buffer too small turns the match away and stays untouched */
	strcpy(small_tok, "old");
	assert_int_equal(input_match_path("/t/{token}", "/t/abcd", NULL, small_tok, 4), 0);
	assert_string_equal(small_tok, "old");
	assert_int_equal(input_match_path("/t/{token}", "/t/abc", NULL, small_tok, 4), 1);
	assert_string_equal(small_tok, "abc");
	/* nothing written when a later segment fails */
	id = -1;
	strcpy(tok, "keep");
	assert_int_equal(
		input_match_path("/c/{id}/share/{token}", "/c/12/shar/Zz9", &id, tok, sizeof(tok)),
		0);
	assert_true(id == -1);
	assert_string_equal(tok, "keep");
	assert_int_equal(input_match_path("/t/{token}", "/t/ok", NULL, NULL, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_form_decode),
		cmocka_unit_test(test_form_repeated),
		cmocka_unit_test(test_form_bad_escapes),
		cmocka_unit_test(test_form_utf8),
		cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_form_merge),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_fields_and_strings),
		cmocka_unit_test(test_json_merge),
		cmocka_unit_test(test_accessor_int),
		cmocka_unit_test(test_accessor_str_strings_bool),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_trimmed),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_path_id),
		cmocka_unit_test(test_path_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
