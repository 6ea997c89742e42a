/*
 * access_log.h: the access log's lines, gathered in memory and written
 * in one go when enough have gathered or a second has passed (as nginx's
 * access_log buffer= flush=).  A line per request written on its own
 * made every worker wait for the log file's lock and a system call.
 */
#ifndef KD_ACCESS_LOG_H
#define KD_ACCESS_LOG_H

#include <stddef.h>
#include <stdio.h>

/* Lines go to f from now on (NULL: nowhere). */
void access_log_start(FILE *f);
/* Adds one whole line (with its newline). */
void access_log_add(const char *line, size_t len);
/* Writes what has gathered: each second, and before stopping. */
void access_log_flush(void);

#endif
