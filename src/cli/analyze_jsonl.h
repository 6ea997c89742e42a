/*
 * analyze_jsonl.h: the JSON Lines protocol of `kindred analyze --jsonl`,
 * apart from the command so the fuzz target can drive it from memory.
 *
 * Input, one object per line: {"id": str, "speaker": "helper"|"client",
 * "text": str, "context": [{"speaker", "text"}, ...]} (context optional,
 * oldest first).  Output, one line per non-blank input line, in order:
 * the readings (docs/models.md), or {"id": str|null, "error": str}.
 */
#ifndef KD_ANALYZE_JSONL_H
#define KD_ANALYZE_JSONL_H

#include <stddef.h>
#include <sys/types.h>

#include "kindred/engine.h"
#include "util/buf.h"

#define JSONL_MAX_LINE (1024u * 1024u) /* bytes per input line */

/* Returns bytes read into p (at most n), 0 at end of input, -1 on error. */
typedef ssize_t (*jsonl_read_fn)(void *ctx, char *p, size_t n);
/* Writes all n bytes; returns 0, or -1 on error. */
typedef int (*jsonl_write_fn)(void *ctx, const char *p, size_t n);

typedef struct jsonl {
	kd_analyzer *a;    /* borrowed */
	size_t max_line;   /* 0 means JSONL_MAX_LINE */
	kd_turn *turns;    /* reused context array */
	size_t tcap;
	char *scratch;     /* strings with escapes, decoded; grows to the longest line */
	size_t scap;
	buf line;          /* the line being read */
	buf out;           /* output not yet written */
	int progress;      /* count lines on stderr as input streams in */
	size_t lines;      /* input lines seen */
} jsonl;

/* Prepares j around analyzer a (borrowed).  Release with jsonl_free(). */
void jsonl_init(jsonl *j, kd_analyzer *a);
void jsonl_free(jsonl *j);

/* Appends the output line (with its newline) for one input line
 * line[0..len) (no newline) to j->out. */
void jsonl_line(jsonl *j, const char *line, size_t len);

/* Reads JSON Lines until end of input, writing one line per input line.
 * Output is flushed before every read, so a caller that writes a line
 * and waits gets its answer.  Returns 0, or -1 on a read or write error. */
int jsonl_run(jsonl *j, jsonl_read_fn rd, void *rctx, jsonl_write_fn wr, void *wctx);

#endif
