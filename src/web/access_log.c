/*
 * access_log.c: see access_log.h.  Workers append under a mutex that is
 * never held across a write; the lines are swapped out and written under
 * a second mutex, so they reach the file in order.
 */
#include "web/access_log.h"

#include "util/buf.h"

#include <pthread.h>

enum { GATHER_BYTES = 32 * 1024 };

static pthread_mutex_t gather_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;
static buf gathered;   /* under gather_mu */
static buf spare;      /* under write_mu: the other buffer, kept for its room */
static FILE *out;      /* under write_mu */

void access_log_start(FILE *f)
{
	access_log_flush();
	pthread_mutex_lock(&write_mu);
	out = f;
	pthread_mutex_unlock(&write_mu);
}

/* Takes the gathered lines out (under write_mu, so they go out in order)
 * and writes them. */
static void write_out(void)
{
	buf lines;

	pthread_mutex_lock(&gather_mu);
	lines = gathered;
	gathered = spare;
	pthread_mutex_unlock(&gather_mu);
	if (lines.len && out) {
		fwrite(lines.data, 1, lines.len, out);
		fflush(out);
	}
	buf_reset(&lines);
	spare = lines;
}

void access_log_add(const char *line, size_t len)
{
	int full;

	pthread_mutex_lock(&gather_mu);
	buf_append(&gathered, line, len);
	full = gathered.len >= GATHER_BYTES;
	pthread_mutex_unlock(&gather_mu);
	if (full) {
		pthread_mutex_lock(&write_mu);
		write_out();
		pthread_mutex_unlock(&write_mu);
	}
}

void access_log_flush(void)
{
	pthread_mutex_lock(&write_mu);
	write_out();
	pthread_mutex_unlock(&write_mu);
}
