/*
 * test_json_arena.c: web/json_arena.c.  Outside a request jansson gets
 * malloc's memory; inside, values come from the thread's arena, survive
 * until the request ends, and a value made before the request can still
 * be freed in it.  Large values get blocks of their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/json_write.h"
#include "web/json_arena.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void values_live_until_the_end(void **state)
{
	json_t *before, *rows, *big;
	char *large;
	buf out;
	int i;

	(void)state;
	json_arena_install();
	/* Made outside a request: malloc's, freed inside one. */
	before = json_pack("{s:s}", "made", "before");
	json_arena_begin();
	rows = json_array();
	for (i = 0; i < 5000; i++) /* more than one block's worth */
		json_array_append_new(rows, json_pack("{s:i, s:s}", "n", i, "text", "some words"));
	large = malloc(100000);
	memset(large, 'x', 99999);
	large[99999] = '\0';
	big = json_string(large); /* a block of its own */
	free(large);
	json_array_append_new(rows, big);
	json_array_append(rows, before);
	json_decref(before); /* rows still holds it */
	assert_int_equal(json_array_size(rows), 5002);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 4999), "n")), 4999);
	assert_int_equal(json_string_length(json_array_get(rows, 5000)), 99999);
	buf_init(&out);
	json_write(&out, json_array_get(rows, 5001));
	assert_string_equal(buf_cstr(&out), "{\"made\":\"before\"}");
	buf_free(&out);
	json_decref(rows); /* frees `before` through free() */
	json_arena_end();

	/* The next request reuses the kept block. */
	json_arena_begin();
	rows = json_pack("[i, i]", 1, 2);
	assert_int_equal(json_integer_value(json_array_get(rows, 1)), 2);
	json_decref(rows);
	json_arena_end();
}

static void aligned_and_distinct(void **state)
{
	unsigned char *p[64];
	int i;

	(void)state;
	json_arena_install();
	json_arena_begin();
	for (i = 0; i < 64; i++) {
		p[i] = json_arena_malloc((size_t)i + 1);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], i, (size_t)i + 1);
	}
	for (i = 0; i < 64; i++)
		assert_int_equal(p[i][i], i);
	for (i = 0; i < 64; i++)
		json_arena_free(p[i]);
	json_arena_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_live_until_the_end),
		cmocka_unit_test(aligned_and_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
