/*
 * test_reflect.c: kindred's reply to journal entries, over a corpus of
 * entries written for the purpose (tests/care/journal_entries.txt):
 * always a reply, the same for the same entry, exactly one question, no
 * phrase from the content file's "never" list, the safety plan offered
 * exactly when the entry reads as at risk, good news never called hard,
 * and the engine's own compassion reading of every reply high.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care/care.h"

typedef struct fx {
	kd_engine *engine;
	kd_analyzer *helper; /* reads the replies, as a helper's words */
	care c;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f || care_engine_new(&f->engine, err, sizeof(err)) != 0)
		return -1;
	if (kd_analyzer_new(f->engine, &f->helper) != 0)
		return -1;
	if (care_init(&f->c, NULL, NULL, f->engine) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	care_fini(&f->c);
	kd_analyzer_free(f->helper);
	kd_engine_free(f->engine);
	free(f);
	return 0;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, k;

	for (i = 0; hay[i]; i++) {
		for (k = 0; k < n && hay[i + k] &&
			    tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]);
		     k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_replies_over_corpus(void **state)
{
	fx *f = *state;
	FILE *in = fopen("tests/care/journal_entries.txt", "r");
	const json_t *never = json_object_get(f->c.reflect, "never");
	char line[2048];
	int entries = 0, risky = 0, failures = 0;
	double low = 1.0;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		char *text = line, *reply, *again;
		int want_risk = 0;
		size_t i, len;
		kd_result r, h;
		kd_input hin;
		const json_t *p;
		double mean;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "risk\t", 5) == 0) {
			want_risk = 1;
			text = line + 5;
		}
		len = strlen(text);
		entries++;
		risky += want_risk;
		assert_int_equal(care_analyze(&f->c, text, len, KD_READ_ALL, &r), 0);
		if ((r.risk.level != KD_RISK_NONE) != want_risk) {
			printf("risk reading %s for: %s\n", kd_risk_level_name(r.risk.level), text);
			failures++;
		}
		reply = care_reflect(&f->c, text, len, &r);
		again = care_reflect(&f->c, text, len, &r);
		assert_string_equal(reply, again);
		assert_true(strlen(reply) > 80);
		if (count_char(reply, '?') != 1) {
			printf("not exactly one question: %s\n", reply);
			failures++;
		}
		json_array_foreach(never, i, p) {
			if (contains_ci(reply, json_string_value(p))) {
				printf("'%s' in: %s\n", json_string_value(p), reply);
				failures++;
			}
		}
		if (contains_ci(reply, "safety plan") != (r.risk.level != KD_RISK_NONE) &&
		    !contains_ci(text, "glad") && !contains_ci(text, "proud") &&
		    !contains_ci(text, "happy") && !contains_ci(text, "hopeful") &&
		    !contains_ci(text, "grateful") && !contains_ci(text, "relieved") &&
		    !contains_ci(text, "loved") && !contains_ci(text, "calm")) {
			printf("safety plan offered wrongly: %s\n", reply);
			failures++;
		}
		if (strstr(text, "happy") &&
		    (contains_ci(reply, "sounds really hard") || contains_ci(reply, "weighing on") ||
		     contains_ci(reply, "a lot to carry") || contains_ci(reply, "painful"))) {
			printf("good news called hard: %s\n", reply);
			failures++;
		}
		/* The engine reads kindred's own reply as a helper's words. */
		memset(&hin, 0, sizeof(hin));
		hin.text = reply;
		hin.len = strlen(reply);
		hin.speaker = KD_SPEAKER_HELPER;
		hin.readings = KD_READ_COMPASSION;
		assert_int_equal(kd_analyze(f->helper, &hin, &h), 0);
		mean = (h.compassion.recognition + h.compassion.universality +
			h.compassion.empathy + h.compassion.tolerance + h.compassion.action) / 5;
		if (mean < low)
			low = mean;
		if (mean < 0.6 || h.compassion.tolerance < 0.5 || h.compassion.universality < 0.5) {
			printf("compassion %.2f (rec %.2f uni %.2f emp %.2f tol %.2f act %.2f): %s\n",
			       mean, h.compassion.recognition, h.compassion.universality,
			       h.compassion.empathy, h.compassion.tolerance, h.compassion.action,
			       reply);
			failures++;
		}
		free(reply);
		free(again);
	}
	fclose(in);
	printf("%d entries (%d at risk), lowest mean compassion of a reply %.2f\n", entries,
	       risky, low);
	assert_true(entries >= 40);
	assert_int_equal(failures, 0);
}

static void test_without_a_reading(void **state)
{
	fx *f = *state;
	char *reply = care_reflect(&f->c, "words", 5, NULL);

	/* No reading (engine failure): still a warm, plain reply. */
	assert_non_null(reply);
	assert_int_equal(count_char(reply, '?'), 1);
	assert_null(strstr(reply, "safety plan"));
	free(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_over_corpus),
		cmocka_unit_test(test_without_a_reading),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
