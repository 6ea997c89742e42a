/*
 * test_json_write.c: util/json_write.c writes what jansson's json_dumps
 * writes (compact, insertion order) for every kind of value, including
 * escapes, embedded NULs, reals and deep nesting, and random trees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/json_write.h"

#include <stdlib.h>
#include <string.h>

static void same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	buf got;

	assert_non_null(want);
	buf_init(&got);
	json_write(&got, v);
	assert_string_equal(buf_cstr(&got), want);
	free(want);
	buf_free(&got);
}

static void literals(void **state)
{
	static const char *const docs[] = {
		"null", "true", "false", "0", "-1", "9223372036854775807",
		"-9223372036854775808", "1.5", "-0.25", "1e+300", "3.0", "\"\"",
		"\"plain text\"", "\"quote \\\" backslash \\\\ slash /\"",
		"\"\\b\\f\\n\\r\\t \\u0001 \\u001f \\u007f\"", "\"caf\\u00e9 \\u2764 \\ud83d\\ude00\"",
		"\"nul \\u0000 inside\"", "[]", "{}", "[1,[2,[3,{}]],\"x\"]",
		"{\"b\":1,\"a\":{\"z\":[true,false,null],\"y\":\"\\n\"},\"\\u00e9\\\"\":2}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t err;
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

		assert_non_null(v);
		same_as_jansson(v);
		json_decref(v);
	}
}

static void too_deep_is_null(void **state)
{
	json_t *root = json_array(), *at = root;
	buf got;
	int i;

	(void)state;
	for (i = 0; i < JSON_WRITE_MAX_DEPTH + 5; i++) {
		json_t *next = json_array();
		json_array_append_new(at, next);
		at = next;
	}
	buf_init(&got);
	json_write(&got, root);
	/* JSON_WRITE_MAX_DEPTH + 1 levels of brackets, then null. */
	assert_int_equal(got.len, (size_t)2 * (JSON_WRITE_MAX_DEPTH + 1) + 4);
	assert_non_null(strstr(buf_cstr(&got), "[null]"));
	buf_free(&got);
	json_decref(root);
}

static json_t *random_value(unsigned *seed, int depth)
{
	int kind = rand_r(seed) % (depth > 4 ? 5 : 7);
	char s[16];
	int i, n;

	switch (kind) {
	case 0: return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
	case 1: return json_real((double)rand_r(seed) / 7.0);
	case 2: return json_boolean(rand_r(seed) & 1);
	case 3: return json_null();
	case 4:
		n = rand_r(seed) % (int)sizeof(s);
		for (i = 0; i < n; i++) /* ASCII including every control byte */
			s[i] = (char)(1 + rand_r(seed) % 127);
		return json_stringn(s, (size_t)n);
	case 5: {
		json_t *a = json_array();
		n = rand_r(seed) % 5;
		for (i = 0; i < n; i++)
			json_array_append_new(a, random_value(seed, depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		n = rand_r(seed) % 5;
		for (i = 0; i < n; i++) {
			/* i < 5: "% 10" only tells the compiler it fits */
			snprintf(s, sizeof(s), "k%d\"%d", i % 10, rand_r(seed) % 100);
			json_object_set_new(o, s, random_value(seed, depth + 1));
		}
		return o;
	}
	}
}

static void random_trees(void **state)
{
	unsigned seed = 20261125;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		json_t *v = random_value(&seed, 0);
		same_as_jansson(v);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literals),
		cmocka_unit_test(too_deep_is_null),
		cmocka_unit_test(random_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
