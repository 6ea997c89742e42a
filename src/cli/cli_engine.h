/*
 * cli_engine.h: what the engine-facing commands (analyze, lint) share —
 * building the engine from the data embedded in the binary, and writing
 * JSON strings.
 */
#ifndef KD_CLI_ENGINE_H
#define KD_CLI_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "kindred/engine.h"
#include "util/buf.h"

/* Builds an engine from every embedded file under data/ (passed to the
 * engine under its name without "data/", e.g. "lexicons/risk.tsv").  A
 * model file that does not fit is a warning on stderr (its reading runs
 * on rules), not a failure.  On failure prints why on stderr and returns
 * the engine's error code.  *out is the caller's, released with
 * kd_engine_free(). */
int cli_engine_new(kd_engine **out);

/* The same without the learned models (data/models/): the rules-only
 * engine, for `kindred train` (whose features must not depend on older
 * models) and `kindred eval --rules`. */
int cli_engine_rules_new(kd_engine **out);

/* Writes to f one line per reading saying how e makes it: "model",
 * "rules" (with the reason when a model file was refused) or "off". */
void cli_engine_sources(FILE *f, const kd_engine *e);

/* Reads path whole into *data (the caller's, free(); NUL-terminated),
 * refusing files over KD_ENGINE_MAX_TEXT.  Returns 0 or -1 (errno). */
int cli_read_file(const char *path, char **data, size_t *len);

/* Appends s[0..len) as a JSON string literal (quotes included), escaping
 * control characters and writing U+FFFD for bytes that are not UTF-8. */
void cli_json_str(buf *b, const char *s, size_t len);

/* Appends n in decimal, and x (clamped to [0, 1]) with three decimals;
 * printf was a tenth of analyze's time. */
void cli_json_uint(buf *b, size_t n);
void cli_json_unit(buf *b, double x);

/* Appends the fields of stigma hit h in text (no braces):
 * "start":N,"end":N,"text":...,"term":...,"suggestion":...,"reason":... */
void cli_json_stigma(buf *b, const char *text, const kd_stigma_hit *h);

#endif
