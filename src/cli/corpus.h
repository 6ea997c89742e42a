/*
 * corpus.h: labelled examples for `kindred train` and `kindred eval`,
 * read from the shared corpora by format-specific loaders (AnnoMI,
 * EPITOME, ESConv) or from a user's own JSON Lines (docs/models.md):
 *
 *   {"text": str, "label": str, "speaker": "helper"|"client" (optional),
 *    "context": [{"speaker", "text"}, ...] (optional, oldest first)}
 *
 * with label, per task:  mi        "question/open", "question/closed",
 *                                  "reflection/simple", "reflection/complex",
 *                                  "therapist_input/information" (or advice,
 *                                  negotiation, options), "other"; a bare
 *                                  behaviour leaves its subtype unlabelled
 *                        empathy   "ER,IP,EX", each 0, 1 or 2 ("2,0,1")
 *                        strategy  one of the eight ESConv strategy names
 *
 * Every example owns its strings; corpus_free releases them all.
 */
#ifndef KD_CORPUS_H
#define KD_CORPUS_H

#include <stddef.h>

#include "kindred/engine.h"

#define CORPUS_CTX 40 /* preceding turns kept per example */

typedef struct corpus_ex {
	char *text;
	size_t len;
	kd_speaker speaker;
	kd_turn ctx[CORPUS_CTX]; /* texts owned */
	size_t nctx;
	int y[4]; /* per head of the task; -1 = unlabelled */
} corpus_ex;

typedef struct corpus {
	corpus_ex *ex;
	size_t n, cap;
} corpus;

/* Which split of a shared corpus to read. */
typedef enum { SPLIT_TRAIN, SPLIT_DEV } corpus_split;

/* Loads task's examples of split from dir: the corpus's own folder or
 * the folder holding annomi/, epitome/, esconv/ (../shared/data); or, if
 * dir holds train.jsonl (and, for SPLIT_DEV, dev.jsonl) or is a .jsonl
 * file itself, the user's own corpus.  Appends to c.  On failure returns
 * -1 with a message in err. */
int corpus_load(corpus *c, kd_task task, const char *dir, corpus_split split, char *err,
		size_t errlen);

/* Appends every `every`-th supporter turn of ESConv's train split (in
 * dir/esconv or dir) to c as an mi example, its strategy mapped to the MI
 * behaviour it roughly is (Question -> question, its subtype unlabelled;
 * Restatement -> reflection/simple, Reflection of feelings ->
 * reflection/complex; Suggestions -> therapist_input/advice, Information
 * -> therapist_input/information; Self-disclosure, Affirmation, Others
 * -> other).  Peer-support text next to AnnoMI's, so that the mi model
 * does not learn AnnoMI's quirks.  0, or -1 and err. */
int corpus_add_esconv_as_mi(corpus *c, const char *dir, size_t every, char *err, size_t errlen);

/* Parses one JSONL line of the user format into c (0, or -1 and err). */
int corpus_jsonl_line(corpus *c, kd_task task, const char *line, size_t len, char *err,
		      size_t errlen);

void corpus_free(corpus *c);

/* The kd_task named s ("mi", "empathy", "strategy"), or 0. */
kd_task corpus_task(const char *s);

#endif
