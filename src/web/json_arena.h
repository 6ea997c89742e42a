/*
 * json_arena.h: the JSON values of one request, allocated from a region
 * of the worker thread's and let go all at once when the request ends.
 * A reply is hundreds of small jansson values; malloc and free of each
 * cost more than building them.  Values made outside a request (content
 * loaded at start, the CLI) still come from malloc, and a value of a
 * request must not outlive it (none is kept: see docs/ARCHITECTURE.md).
 */
#ifndef KD_JSON_ARENA_H
#define KD_JSON_ARENA_H

#include <stddef.h>

/* Points jansson at the arena; once, before any worker thread runs. */
void json_arena_install(void);
/* The calling thread's JSON values come from its arena until end. */
void json_arena_begin(void);
/* Forgets every value of the request; keeps the first block for the
 * next one. */
void json_arena_end(void);

/* jansson's allocation functions (exposed for the unit test). */
void *json_arena_malloc(size_t n);
void json_arena_free(void *p);

#endif
