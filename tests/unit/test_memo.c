/*
 * test_memo.c: util/memo.c finds a value only by its row's id and check,
 * keeps to its byte budget, gives way to new values, forgets an owner's
 * values; and care's hand-written times say what strftime says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "care/care.h"
#include "util/buf.h"
#include "util/memo.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void found_by_id_and_check(void **state)
{
	memo *m = memo_new(64 * 1024, 1024);
	buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(memo_get(m, 7, 1, &b), 0);
	memo_put(m, 7, 1, 100, "seven", 5);
	assert_int_equal(memo_get(m, 7, 1, &b), 1);
	assert_string_equal(buf_cstr(&b), "seven");
	/* The same row changed: another check, not found. */
	assert_int_equal(memo_get(m, 7, 2, &b), 0);
	assert_int_equal(memo_get(m, 8, 1, &b), 0);
	/* Its new state replaces the old. */
	memo_put(m, 7, 2, 100, "seven again", 11);
	assert_int_equal(memo_get(m, 7, 1, &b), 0);
	buf_reset(&b);
	assert_int_equal(memo_get(m, 7, 2, &b), 1);
	assert_string_equal(buf_cstr(&b), "seven again");
	/* Appended, never overwriting what the buffer holds. */
	assert_int_equal(memo_get(m, 7, 2, &b), 1);
	assert_string_equal(buf_cstr(&b), "seven againseven again");
	/* Too long, or empty: not kept. */
	{
		char big[2048];
		memset(big, 'x', sizeof(big));
		memo_put(m, 9, 1, 100, big, sizeof(big));
		assert_int_equal(memo_get(m, 9, 1, &b), 0);
		memo_put(m, 10, 1, 100, big, 0);
		assert_int_equal(memo_get(m, 10, 1, &b), 0);
	}
	buf_free(&b);
	memo_free(m);
}

static void owner_forgotten(void **state)
{
	memo *m = memo_new(64 * 1024, 1024);
	buf b;
	int64_t id;

	(void)state;
	buf_init(&b);
	for (id = 1; id <= 40; id++)
		memo_put(m, id, 5, id % 2 ? 1 : 2, "words", 5);
	memo_forget_owner(m, 1);
	for (id = 1; id <= 40; id++)
		assert_int_equal(memo_get(m, id, 5, &b), id % 2 ? 0 : 1);
	buf_free(&b);
	memo_free(m);
}

static void budget_and_eviction(void **state)
{
	memo *m = memo_new(16 * 1024, 1024);
	char v[1000];
	buf b;
	int64_t id;
	int found = 0;

	(void)state;
	memset(v, 'v', sizeof(v));
	buf_init(&b);
	/* 200 values of 1000 bytes into 16 KiB: at most 16 stay. */
	for (id = 1; id <= 200; id++)
		memo_put(m, id, 3, 1, v, sizeof(v));
	for (id = 1; id <= 200; id++)
		found += memo_get(m, id, 3, &b);
	assert_true(found > 0);
	assert_true(found <= 16);
	buf_free(&b);

	/* Many more small values than entries: the newest are there. */
	m = (memo_free(m), memo_new(16 * 1024, 1024));
	buf_init(&b);
	for (id = 1; id <= 5000; id++)
		memo_put(m, id, 3, 1, "x", 1);
	assert_int_equal(memo_get(m, 5000, 3, &b), 1);
	assert_int_equal(memo_get(m, 1, 3, &b), 0);
	buf_free(&b);
	memo_free(m);
}

static void hash_sees_every_byte(void **state)
{
	unsigned char a[40], c[40];
	size_t i;

	(void)state;
	memset(a, 0, sizeof(a));
	for (i = 0; i < sizeof(a); i++) {
		memcpy(c, a, sizeof(a));
		c[i] ^= 1;
		assert_true(memo_hash(0, a, sizeof(a)) != memo_hash(0, c, sizeof(c)));
		assert_true(memo_hash(0, a, i) != memo_hash(0, a, i + 1));
	}
	assert_true(memo_hash(1, a, 8) != memo_hash(2, a, 8));
}

static void times_as_strftime(void **state)
{
	/* Leap days, century rules, year ends, the epoch and before it. */
	static const int64_t fixed[] = {0, -1, 86399, 86400, 951782400, 951868800, 4107542400LL,
					 1709164800, 1735689599, 1735689600, -2208988800LL,
					 253402300799LL};
	char got[64], want[64];
	struct tm tm;
	time_t tt;
	int64_t t;
	size_t i;
	unsigned r = 12345;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 20000; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			t = fixed[i];
		} else {
			r = r * 1103515245u + 12345u;
			t = (int64_t)(r % 4000000000u) - 200000000; /* 1963 to 2096 */
		}
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		care_iso_time(t, got, sizeof(got));
		assert_string_equal(got, want);
		strftime(want, sizeof(want), "%a %d %b %Y, %H:%M UTC", &tm);
		care_human_time(t, got, sizeof(got));
		assert_string_equal(got, want);
	}
	/* A buffer too small for the fast path still gets strftime's answer. */
	care_iso_time(0, got, 10);
	care_human_time(0, got, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(found_by_id_and_check),
		cmocka_unit_test(owner_forgotten),
		cmocka_unit_test(budget_and_eviction),
		cmocka_unit_test(hash_sees_every_byte),
		cmocka_unit_test(times_as_strftime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
