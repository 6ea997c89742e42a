/*
 * fuzz_json_input.c: libFuzzer target for input_parse_json().  The first
 * byte picks the limits (the defaults, or tight ones); the rest is a
 * request body of a few KiB at most.  Invariants:
 *   - an accepted body is an object within every limit, and all its
 *     names and strings are valid UTF-8 without NUL;
 *   - the parser refuses nothing that jansson accepts as an object
 *     within the limits (so the pre-scan never over-counts);
 *   - merging the body into its own result is refused and changes
 *     nothing (every name collides), unless the object is empty.
 */
#include "kd.h"
#include "web/input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const input_limits tight = {.max_fields = 2, .max_field_len = 8, .max_depth = 3};

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

struct measure {
	size_t depth;  /* deepest container, the top object being 1 */
	size_t fields; /* members plus elements over the tree */
	size_t longest; /* longest name or string, in bytes */
	int bad_text;  /* some name or string is not valid UTF-8 or holds NUL */
};

static void note_text(struct measure *m, const char *s, size_t len)
{
	if (len > m->longest)
		m->longest = len;
	if (!input_utf8_valid(s, len))
		m->bad_text = 1;
}

static void measure_tree(json_t *v, size_t depth, struct measure *m)
{
	const char *key;
	size_t klen, i;
	json_t *child;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth > m->depth)
			m->depth = depth;
		json_object_keylen_foreach(v, key, klen, child) {
			m->fields++;
			note_text(m, key, klen);
			measure_tree(child, depth + 1, m);
		}
		break;
	case JSON_ARRAY:
		if (depth > m->depth)
			m->depth = depth;
		json_array_foreach(v, i, child) {
			m->fields++;
			measure_tree(child, depth + 1, m);
		}
		break;
	case JSON_STRING:
		note_text(m, json_string_value(v), json_string_length(v));
		break;
	default:
		break;
	}
}

static int within(const struct measure *m, const input_limits *lim)
{
	return m->depth <= lim->max_depth && m->fields <= lim->max_fields * 4 &&
	       m->longest <= lim->max_field_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const input_limits *lim;
	const char *s;
	json_t *in = NULL, *ref, *copy;
	struct measure m;
	size_t len;
	int rc;

	if (size == 0)
		goto done;
	lim = (data[0] & 1) ? &tight : &input_default_limits;
	s = (const char *)data + 1;
	len = size - 1;

	rc = input_parse_json(s, len, lim, &in);
	CHECK(rc == 0 || rc == KD_EINVAL || rc == KD_EUTF8 || rc == KD_ETOOBIG);
	CHECK(rc ? in == NULL : json_is_object(in));

	ref = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL);
	if (ref) {
		memset(&m, 0, sizeof(m));
		measure_tree(ref, 1, &m);
		CHECK(!m.bad_text);
		if (json_is_object(ref) && within(&m, lim))
			CHECK(rc == 0);
	}
	if (rc == 0) {
		CHECK(ref && json_equal(in, ref));
		memset(&m, 0, sizeof(m));
		measure_tree(in, 1, &m);
		CHECK(!m.bad_text);
		CHECK(within(&m, lim));

		copy = json_deep_copy(in);
		CHECK(copy);
		rc = input_parse_json(s, len, lim, &in);
		CHECK(json_object_size(copy) ? rc == KD_EINVAL : rc == 0);
		CHECK(json_equal(in, copy));
		json_decref(copy);
	}
	json_decref(ref);
	json_decref(in);
done:
	return 0;
}
