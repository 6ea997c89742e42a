/*
 * audit_group.c: see audit_group.h.  The writer takes everything queued,
 * writes it in one transaction and wakes those waiting in flush; while
 * it writes, the next group gathers, so the groups grow with the load.
 * A failed write puts the rows back in front and is tried again.  The
 * writer lets a group gather for a few milliseconds: each commit makes
 * every reading connection drop its page cache, so fewer, larger groups
 * keep the readers' caches warm.  Someone waiting in flush cuts it short.
 */
#include "store/audit_group.h"

#include "kd.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GATHER_NS (5 * 1000 * 1000)
#define GATHER_ROWS 512

struct audit_group {
	store *s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* rows are waiting, or stop */
	pthread_cond_t done; /* a group was written */
	audit_new *rows;
	size_t n, cap;
	uint64_t queued, written; /* rows ever queued / ever written */
	int stop;
	int hurry; /* a flush is waiting: write without gathering */
	int failing; /* the last group could not be written */
};

static void rows_free(audit_new *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].action);
		free(rows[i].resource);
		free(rows[i].reason);
	}
	free(rows);
}

static int write_group(store *s, const audit_new *rows, size_t n)
{
	size_t i;
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = store_audit_write(s, &rows[i]);
	if (rc == 0)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

/* Puts rows that could not be written back in front of newer ones. */
static void put_back(audit_group *g, audit_new *rows, size_t n)
{
	if (g->n + n > g->cap) {
		g->cap = g->n + n;
		g->rows = kd_xrealloc(g->rows, g->cap * sizeof(*g->rows));
	}
	memmove(g->rows + n, g->rows, g->n * sizeof(*g->rows));
	memcpy(g->rows, rows, n * sizeof(*rows));
	g->n += n;
	free(rows);
}

/* Called with mu held and rows waiting. */
static void gather(audit_group *g)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += GATHER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!g->stop && !g->hurry && g->n < GATHER_ROWS)
		if (pthread_cond_timedwait(&g->wake, &g->mu, &until) == ETIMEDOUT)
			break;
	g->hurry = 0;
}

static void *writer(void *arg)
{
	audit_group *g = arg;
	audit_new *rows;
	size_t n;
	int rc, failures = 0;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->n == 0 && !g->stop)
			pthread_cond_wait(&g->wake, &g->mu);
		if (g->n == 0)
			break;
		gather(g);
		rows = g->rows;
		n = g->n;
		g->rows = NULL;
		g->n = g->cap = 0;
		pthread_mutex_unlock(&g->mu);
		rc = write_group(g->s, rows, n);
		pthread_mutex_lock(&g->mu);
		if (rc == 0) {
			rows_free(rows, n);
			g->written += n;
			failures = 0;
			g->failing = 0;
			pthread_cond_broadcast(&g->done);
			continue;
		}
		put_back(g, rows, n);
		g->failing = 1;
		if (g->stop && ++failures >= 3) {
			fprintf(stderr, "kindred: %zu audit rows could not be written: %s\n", g->n,
				kd_strerror(rc));
			break;
		}
		/* The database is away: try again shortly. */
		pthread_mutex_unlock(&g->mu);
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

audit_group *audit_group_start(store *s)
{
	audit_group *g = kd_xcalloc(1, sizeof(*g));

	g->s = s;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->wake, NULL);
	pthread_cond_init(&g->done, NULL);
	if (pthread_create(&g->thread, NULL, writer, g) != 0) {
		pthread_cond_destroy(&g->done);
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->mu);
		free(g);
		return NULL;
	}
	return g;
}

int audit_group_add(audit_group *g, const audit_new *row)
{
	audit_new *r;

	pthread_mutex_lock(&g->mu);
	/* While groups cannot be written (a full disk, a database away),
	 * each caller writes its own row, so that an access whose record
	 * cannot be kept is refused, as policy promises. */
	if (g->n >= AUDIT_GROUP_MAX || g->stop || g->failing) {
		pthread_mutex_unlock(&g->mu);
		return KD_EBUSY;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->rows = kd_xrealloc(g->rows, g->cap * sizeof(*g->rows));
	}
	r = &g->rows[g->n++];
	*r = *row;
	r->action = kd_xstrdup(row->action);
	r->resource = kd_xstrdup(row->resource);
	r->reason = kd_xstrdup(row->reason);
	g->queued++;
	if (g->n == 1 || g->n == GATHER_ROWS)
		pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

int audit_group_flush(audit_group *g)
{
	struct timespec until;
	uint64_t target;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&g->mu);
	target = g->queued;
	if (g->written < target) {
		g->hurry = 1;
		pthread_cond_signal(&g->wake);
	}
	while (g->written < target && rc == 0)
		if (pthread_cond_timedwait(&g->done, &g->mu, &until) == ETIMEDOUT)
			rc = KD_EBUSY;
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void audit_group_stop(audit_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	rows_free(g->rows, g->n);
	pthread_cond_destroy(&g->done);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
