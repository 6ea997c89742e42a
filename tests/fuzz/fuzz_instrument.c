/*
 * fuzz_instrument.c: libFuzzer target over instrument_load(), the reader
 * of the definitions `kindred score --file` takes from a site (and of the
 * shipped data/instruments/, which run.sh adds to the seeds), and over
 * instrument_score() on whatever definition it accepts.
 *
 * The input is the definition.  Once it loads, it is scored with a few
 * answer vectors drawn from a generator seeded by the input: a valid
 * option or no answer per item, and now and then a value no option has.
 * Checks, beyond the sanitizers:
 *   - a refused definition leaves no instrument and says why;
 *   - every read-only view answers within its bounds (items numbered in
 *     order, each with options, bands ascending);
 *   - a result's total lies within the instrument's total range, a band
 *     found holds the total, alerts name asked items;
 *   - a refused answer vector says why and leaves no result.
 *
 * Build and run: sh tests/fuzz/run.sh tests/fuzz/fuzz_instrument.c
 */
#include "care/instruments.h"
#include "kd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EPS 1e-6

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void check_views(const instrument *in)
{
	size_t i, n = instrument_item_count(in);
	double lo, hi, prev = 0;
	const char *label;

	CHECK(instrument_id(in) && instrument_name(in) && instrument_short_name(in));
	CHECK(instrument_total_min(in) <= instrument_total_max(in) + EPS);
	for (i = 0; i < n; i++) {
		const instrument_item *it = instrument_item_at(in, i);
		CHECK(it && it->number == (int)i + 1 && it->text && it->noptions > 0);
	}
	CHECK(instrument_item_at(in, n) == NULL);
	for (i = 0; i < instrument_band_count(in); i++) {
		CHECK(instrument_band_at(in, i, &lo, &hi, &label) == 0 && label);
		CHECK(lo <= hi + EPS && (i == 0 || lo >= prev - EPS));
		prev = hi;
	}
	CHECK(instrument_band_at(in, instrument_band_count(in), &lo, &hi, &label) ==
	      KD_ENOTFOUND);
}

static void check_result(const instrument *in, const instrument_result *r)
{
	size_t i, b;
	double lo, hi;
	const char *label;

	CHECK(r->in == in);
	if (r->has_total) {
		CHECK(r->total >= instrument_total_min(in) - EPS);
		CHECK(r->total <= instrument_total_max(in) + EPS);
	}
	if (r->band) {
		CHECK(r->has_total);
		for (b = 0; b < instrument_band_count(in); b++) {
			instrument_band_at(in, b, &lo, &hi, &label);
			if (label == r->band)
				break;
		}
		CHECK(b < instrument_band_count(in));
		CHECK(r->total >= lo - EPS && r->total <= hi + EPS);
	}
	for (i = 0; i < r->nalerts; i++) {
		CHECK(r->alerts[i].item >= 1 && (size_t)r->alerts[i].item <= instrument_item_count(in));
		CHECK(r->alerts[i].level && r->alerts[i].reason);
	}
	for (i = 0; i < r->nsubscales; i++)
		CHECK(r->subscales[i].id && r->subscales[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	instrument *in = NULL;
	instrument_result *r;
	char msg[256];
	int *answers;
	size_t i, n, k;
	uint32_t seed = 2166136261u;
	int rc;

	rc = instrument_load((const char *)data, size, &in, msg, sizeof(msg));
	if (rc != 0) {
		CHECK(in == NULL && msg[0] != '\0');
		return 0;
	}
	CHECK(in != NULL);
	check_views(in);
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	seed |= 1;
	n = instrument_item_count(in);
	answers = kd_xcalloc(n + 1, sizeof(int));
	for (k = 0; k < 6; k++) {
		for (i = 0; i < n; i++) {
			const instrument_item *it = instrument_item_at(in, i);
			uint32_t x = next(&seed);
			if (x % 7 == 0)
				answers[i] = INSTRUMENT_NO_ANSWER;
			else if (x % 97 == 1)
				answers[i] = (int)(next(&seed) % 2001) - 1000;
			else
				answers[i] = it->options[x % it->noptions].value;
			/* is-asked must not depend on answers after the item */
			(void)instrument_item_asked(in, answers, i + 1, i);
		}
		r = NULL;
		rc = instrument_score(in, answers, k == 5 ? n / 2 : n, &r, msg, sizeof(msg));
		if (rc != 0) {
			CHECK(r == NULL && msg[0] != '\0');
			continue;
		}
		check_result(in, r);
		instrument_result_free(r);
	}
	/* one answer too many is refused */
	r = NULL;
	CHECK(instrument_score(in, answers, n + 1, &r, msg, sizeof(msg)) != 0 && !r);
	free(answers);
	instrument_free(in);
	return 0;
}
