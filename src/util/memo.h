/*
 * memo.h: a small, bounded, thread-safe memory of byte strings computed
 * from rows, so a list that is read again and again does not repeat the
 * same work (unsealing and writing each row) every time.
 *
 * An entry is found by the row's id and a check: a hash of everything
 * the value was computed from.  A row whose contents changed has another
 * check and is simply not found, so nothing needs telling when rows
 * change; a person's entries are forgotten at once when they ask for
 * their data to be deleted (memo_forget_owner).  The memory is
 * set-associative with a byte budget: old entries make room for new ones.
 */
#ifndef KD_MEMO_H
#define KD_MEMO_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct memo memo;

/* A memory of at most max_bytes of values, none longer than max_value. */
memo *memo_new(size_t max_bytes, size_t max_value);
void memo_free(memo *m);

/* Appends the value of (id, check) to b and returns 1, or returns 0. */
int memo_get(memo *m, int64_t id, uint64_t check, buf *b);
/* Remembers the value of (id, check), which belongs to owner. */
void memo_put(memo *m, int64_t id, uint64_t check, int64_t owner, const char *value, size_t len);
/* Forgets (and wipes) every value of owner. */
void memo_forget_owner(memo *m, int64_t owner);

/* The check of some bytes, chained: check = memo_hash(check, p, n). */
uint64_t memo_hash(uint64_t h, const void *p, size_t n);

#endif
