/*
 * memo.c: see memo.h.  Four ways per set, the least recently used one
 * gives way.  The sets are spread over a few locks, held only to copy
 * bytes in or out: a list takes one for each of its rows, and workers
 * reading at the same time rarely meet.
 */
#include "util/memo.h"

#include "kd.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { WAYS = 4, LOCKS = 64 };

typedef struct entry {
	int64_t id;
	uint64_t check;
	int64_t owner;
	uint64_t used; /* its set's clock when last found or put */
	char *value;   /* NULL: empty */
	size_t len;
} entry;

struct memo {
	pthread_rwlock_t mu[LOCKS]; /* set i is under mu[i % LOCKS] */
	entry *e;
	size_t sets; /* a power of two */
	size_t max_bytes, max_value;
	_Atomic size_t bytes;
};

/* The next tick of a set's own clock: recency only matters within a set. */
static uint64_t tick(const entry *set)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < WAYS; i++)
		if (__atomic_load_n(&set[i].used, __ATOMIC_RELAXED) > t)
			t = __atomic_load_n(&set[i].used, __ATOMIC_RELAXED);
	return t + 1;
}

memo *memo_new(size_t max_bytes, size_t max_value)
{
	memo *m = kd_xcalloc(1, sizeof(*m));
	size_t sets = LOCKS, i;

	/* About one entry per 256 bytes of budget. */
	while (sets * WAYS * 256 < max_bytes)
		sets *= 2;
	for (i = 0; i < LOCKS; i++)
		pthread_rwlock_init(&m->mu[i], NULL);
	m->e = kd_xcalloc(sets * WAYS, sizeof(*m->e));
	m->sets = sets;
	m->max_bytes = max_bytes;
	m->max_value = max_value;
	return m;
}

static void drop(memo *m, entry *e)
{
	if (!e->value)
		return;
	/* Values hold people's words: wiped, not just freed. */
	explicit_bzero(e->value, e->len);
	free(e->value);
	m->bytes -= e->len;
	e->value = NULL;
	e->len = 0;
}

void memo_free(memo *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->sets * WAYS; i++)
		drop(m, &m->e[i]);
	free(m->e);
	for (i = 0; i < LOCKS; i++)
		pthread_rwlock_destroy(&m->mu[i]);
	free(m);
}

static size_t set_index(const memo *m, int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & (m->sets - 1);
}

int memo_get(memo *m, int64_t id, uint64_t check, buf *b)
{
	size_t si = set_index(m, id);
	entry *set = &m->e[si * WAYS];
	int i, found = 0;

	/* Readers share the lock; the recency they note is a hint, written
	 * without one. */
	pthread_rwlock_rdlock(&m->mu[si % LOCKS]);
	for (i = 0; i < WAYS; i++) {
		if (set[i].value && set[i].id == id && set[i].check == check) {
			__atomic_store_n(&set[i].used, tick(set), __ATOMIC_RELAXED);
			buf_append(b, set[i].value, set[i].len);
			found = 1;
			break;
		}
	}
	pthread_rwlock_unlock(&m->mu[si % LOCKS]);
	return found;
}

void memo_put(memo *m, int64_t id, uint64_t check, int64_t owner, const char *value, size_t len)
{
	size_t si = set_index(m, id);
	entry *set = &m->e[si * WAYS], *victim;
	char *copy;
	int i;

	if (len == 0 || len > m->max_value)
		return;
	copy = kd_xmalloc(len);
	memcpy(copy, value, len);
	pthread_rwlock_wrlock(&m->mu[si % LOCKS]);
	victim = NULL;
	for (i = 0; i < WAYS && !victim; i++)
		if (set[i].value && set[i].id == id) /* an older state of the row */
			victim = &set[i];
	for (i = 0; i < WAYS && !victim; i++)
		if (!set[i].value)
			victim = &set[i];
	if (!victim) {
		victim = &set[0];
		for (i = 1; i < WAYS; i++)
			if (set[i].used < victim->used)
				victim = &set[i];
	}
	drop(m, victim);
	if (m->bytes + len > m->max_bytes) { /* over budget: keep the old ones */
		pthread_rwlock_unlock(&m->mu[si % LOCKS]);
		free(copy);
		return;
	}
	victim->id = id;
	victim->check = check;
	victim->owner = owner;
	victim->used = tick(set);
	victim->value = copy;
	victim->len = len;
	m->bytes += len;
	pthread_rwlock_unlock(&m->mu[si % LOCKS]);
}

void memo_forget_owner(memo *m, int64_t owner)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->sets * WAYS; i++) {
		pthread_rwlock_wrlock(&m->mu[i / WAYS % LOCKS]);
		if (m->e[i].value && m->e[i].owner == owner)
			drop(m, &m->e[i]);
		pthread_rwlock_unlock(&m->mu[i / WAYS % LOCKS]);
	}
}

uint64_t memo_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	h ^= (uint64_t)n * 0x9E3779B97F4A7C15ULL;
	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
	return h ^ (h >> 29);
}
