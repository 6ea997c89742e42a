/*
 * template.h: a small Mustache subset that turns a handler's JSON value
 * into HTML.  Templates are compiled once when the server starts and then
 * rendered many times, concurrently, from request threads.
 *
 * Syntax:
 *   {{name}} {{a.b.c}}   value from the context stack, HTML-escaped.
 *                        Strings are escaped; integers print as such,
 *                        reals with %g; true prints "true"; false, null,
 *                        missing, arrays and objects print nothing.
 *   {{.}}                the current context item.
 *   {{{name}}}           the same, NOT escaped.  Only for SVG that our
 *                        own svg.c rendered; never for anything a person
 *                        typed.  There is deliberately no {{&name}}.
 *   {{#name}}..{{/name}} array: once per element, element pushed;
 *                        object: once, object pushed; true, non-empty
 *                        string, non-zero number: once, nothing pushed;
 *                        false, null, missing, [], "", 0: not at all.
 *   {{^name}}..{{/name}} once when {{#name}} would render nothing.
 *   {{> name}}           another template of the set, with the current
 *                        context stack.
 *   {{! text}}           a comment.
 * Whitespace may surround names inside tags, and precede the sigil of
 * all but {{{ ({{ #name }} is a section).  Names use [A-Za-z0-9_.-].
 * A name is looked up innermost context first, then outward; in a.b.c
 * only "a" is searched for, b and c must be found inside it.  No
 * set-delimiter, no lambdas, no standalone-line trimming.
 *
 * Limits (each fails the call rather than exhausting the server):
 * sections nest at most TPL_MAX_NEST deep in one template (compile time);
 * partials nest at most TPL_MAX_PARTIAL_DEPTH deep, so recursion through
 * partials fails with KD_EINVAL; one render visits at most TPL_MAX_STEPS
 * nodes and appends at most TPL_MAX_OUTPUT bytes, else KD_ETOOBIG.
 *
 * Threads: tpl_add and tpl_link must finish before any tpl_render starts;
 * after that the set is read-only and any number of threads may call
 * tpl_render and tpl_has on it at once.
 */
#ifndef KD_WEB_TEMPLATE_H
#define KD_WEB_TEMPLATE_H

#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>

#define TPL_MAX_NEST 64
#define TPL_MAX_PARTIAL_DEPTH 16
#define TPL_MAX_STEPS (1UL << 20)
#define TPL_MAX_OUTPUT ((size_t)8 << 20)

typedef struct tpl_set tpl_set;

/* Creates an empty set in *out; the caller owns it (tpl_set_free).
 * Returns 0 (allocation failure aborts). */
int tpl_set_new(tpl_set **out);

/* Frees s and every template in it.  NULL is a no-op. */
void tpl_set_free(tpl_set *s);

/* Compiles src (len bytes, need not be NUL-terminated, may be NULL when
 * len is 0) and adds it to s under name.  Both are copied; the caller
 * keeps ownership of its arguments.  A name outside [A-Za-z0-9_.-] can
 * be rendered but not included as a partial.
 * Returns 0, KD_EINVAL (syntax error, empty name) or KD_EEXIST (name
 * already in s); on failure s is unchanged.  If err is not NULL it is set
 * to NULL on success and, on failure, to a malloc'd message that the
 * caller must free(); a syntax error reads "name:line: what". */
int tpl_add(tpl_set *s, const char *name, const char *src, size_t len, char **err);

/* Binds every {{> partial}} to its template, so that rendering need not
 * look partials up by name.  Call once after the last tpl_add.  Returns
 * 0, or KD_ENOTFOUND if some partial names no template in s; err works as
 * in tpl_add.  Without tpl_link, partials are found by name at render
 * time and a missing one fails that render with KD_ENOTFOUND. */
int tpl_link(tpl_set *s, char **err);

/* Returns 1 if s holds a template called name, else 0. */
int tpl_has(const tpl_set *s, const char *name);

/* Appends the rendering of template name with context ctx (borrowed; NULL
 * acts as an empty object) to out, which the caller owns.  Does not
 * modify s.  Returns 0, KD_ENOTFOUND (no such template or partial),
 * KD_EINVAL (partials nested too deep) or KD_ETOOBIG (a limit above); on
 * failure out is left as it was before the call. */
int tpl_render(const tpl_set *s, const char *name, const json_t *ctx, buf *out);

#endif
