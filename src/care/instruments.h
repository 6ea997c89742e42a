/*
 * instruments.h: validated questionnaires (PHQ-9, GAD-7, WHO-5, ...) as
 * data, and one engine that scores them all.
 *
 * An instrument is defined by a JSON document (docs/instruments.md): its
 * exact published wording, answer options, scoring (sum or mean, reverse
 * items, subscales), bands with the authors' labels, item-level alerts,
 * skip logic, LOINC codes, source and licence.  Nothing of that lives in
 * C: the shipped definitions are data/instruments/<id>.json, embedded at
 * build time.  Loading validates the whole definition and refuses a
 * malformed one with a message naming what is wrong, so a typo in a data
 * file fails the build's tests rather than a person's result.
 *
 * Ownership: an instrument owns everything reachable from it; every
 * string and array handed out (item text, band labels, alert reasons,
 * result fields that are strings) stays valid until instrument_free().
 * A result is the caller's, freed with instrument_result_free().
 *
 * Threads: loading is not shared with anyone; once loaded, an instrument
 * and a catalog are read-only, so any number of threads may score with
 * them at once.  There is no global state.
 */
#ifndef KD_CARE_INSTRUMENTS_H
#define KD_CARE_INSTRUMENTS_H

#include <limits.h>
#include <stddef.h>

/* Marks an item without an answer (skipped, or not given). */
#define INSTRUMENT_NO_ANSWER INT_MIN

typedef struct instrument instrument;
typedef struct instrument_catalog instrument_catalog;

enum instrument_op { INSTRUMENT_EQUALS, INSTRUMENT_MIN, INSTRUMENT_MAX };

/* "item N's answer equals / is at least / is at most value". */
typedef struct instrument_cond {
	int item; /* 1-based item number */
	enum instrument_op op;
	int value;
} instrument_cond;

typedef struct instrument_option {
	int value;
	const char *label;
} instrument_option;

typedef struct instrument_item {
	int number; /* 1-based, equal to its position */
	const char *text;
	const instrument_option *options; /* in the order to show them */
	size_t noptions;
	int scored;     /* counts towards the total */
	int required;   /* must be answered when asked */
	int has_ask_if; /* asked only when ask_if holds */
	instrument_cond ask_if;
} instrument_item;

typedef struct instrument_subscore {
	const char *id;
	const char *name;
	int has_score; /* 0 when none of its items was asked */
	int is_mean;   /* a mean of its items (else a sum) */
	double score;
} instrument_subscore;

typedef struct instrument_alert {
	int item;
	const char *level; /* "risk", "risk-low", "risk-moderate", "risk-high" or "attention" */
	const char *reason;
} instrument_alert;

typedef struct instrument_result {
	const instrument *in;
	int has_total; /* 0 for instruments without a total, or nothing asked */
	double total;
	int has_scaled; /* a published rescaling, e.g. WHO-5 percentage */
	double scaled;
	const char *band; /* the authors' label, or NULL (no bands) */
	instrument_subscore *subscales;
	size_t nsubscales;
	instrument_alert *alerts;
	size_t nalerts;
	size_t nignored; /* answers given to items the skip logic skipped */
} instrument_result;

/*
 * Parses and validates one definition from len bytes of JSON (need not
 * be NUL-terminated).  On success *out is a new instrument (the
 * caller's, freed with instrument_free).  On failure returns KD_EINVAL
 * for a malformed definition (or KD_ENOMEM), leaves *out NULL and writes
 * a message naming the fault into msg (msglen bytes, may be 0).
 */
int instrument_load(const char *json, size_t len, instrument **out, char *msg, size_t msglen);
/* Releases in and everything handed out from it; NULL is a no-op. */
void instrument_free(instrument *in);

/* Read-only views; strings and arrays are owned by in. */
const char *instrument_id(const instrument *in);
const char *instrument_name(const instrument *in);
const char *instrument_short_name(const instrument *in);
/* NULL when no instruction is shipped. */
const char *instrument_preamble(const instrument *in);
/* "sum", "mean" or "none". */
const char *instrument_method(const instrument *in);
/* Name of the published rescaling of the total, or NULL. */
const char *instrument_scaled_name(const instrument *in);
/* The range a total can take; both 0 for method "none". */
double instrument_total_min(const instrument *in);
double instrument_total_max(const instrument *in);
/* Bands in ascending order, for shading charts; 0 when the authors
 * publish none.  Returns 0, or KD_ENOTFOUND when i is out of range. */
size_t instrument_band_count(const instrument *in);
int instrument_band_at(const instrument *in, size_t i, double *min, double *max,
		       const char **label);
/* 1 if every part of the definition was checked against a source. */
int instrument_verified(const instrument *in);
size_t instrument_item_count(const instrument *in);
/* Item i (0-based), or NULL when out of range. */
const instrument_item *instrument_item_at(const instrument *in, size_t i);
/* 1 if item i (0-based) is asked given the answers so far (see below). */
int instrument_item_asked(const instrument *in, const int *answers, size_t n, size_t i);

/*
 * Scores answers[0..n-1], one per item in item order, with
 * INSTRUMENT_NO_ANSWER for none; n may be smaller than the number of
 * items (the rest count as unanswered).  Skip logic is honoured: an item
 * whose ask_if does not hold is not asked, its answer (if any) is ignored
 * and counted in nignored, and for a sum it counts 0.  Returns KD_EINVAL
 * with a message when an answer is not one of the item's options, a
 * required asked item has no answer, or n exceeds the number of items;
 * the message names the item ("item 3: ...").  On success *out is the
 * caller's (instrument_result_free); its strings are owned by in.
 */
int instrument_score(const instrument *in, const int *answers, size_t n,
		     instrument_result **out, char *msg, size_t msglen);
/* NULL is a no-op. */
void instrument_result_free(instrument_result *r);

/*
 * Loads every embedded data/instruments/<id>.json.  Fails (KD_EINVAL
 * with a message) if any is malformed, if a file's id differs from its
 * name, or if its licence does not allow shipping: a definition that may
 * not be distributed must never be in data/.  *out is the caller's.
 */
int instrument_catalog_load(instrument_catalog **out, char *msg, size_t msglen);
void instrument_catalog_free(instrument_catalog *c);
size_t instrument_catalog_count(const instrument_catalog *c);
/* Sorted by id; NULL when out of range.  Owned by c. */
const instrument *instrument_catalog_at(const instrument_catalog *c, size_t i);
/* The instrument with that id, or NULL.  Owned by c. */
const instrument *instrument_catalog_find(const instrument_catalog *c, const char *id);

#endif
