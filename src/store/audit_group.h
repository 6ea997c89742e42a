/*
 * audit_group.h: the audit rows of a serving process, written in groups.
 * Every read of a person's data is recorded; one transaction per read
 * made each read a write, serialised on the database's one writer.  A
 * group holds the rows a request made and a thread of its own writes
 * whatever has gathered in one transaction, so a read waits for no
 * disk.  Internal to the store: store_audit_defer() starts it.
 */
#ifndef KD_AUDIT_GROUP_H
#define KD_AUDIT_GROUP_H

#include "store/store.h"

#include <stdint.h>

typedef struct audit_group audit_group;

/* Rows past this many waiting are written by their caller at once, so
 * a database that is away costs memory only up to here. */
#define AUDIT_GROUP_MAX 65536

/* The row as store_audit_add takes it. */
typedef struct audit_new {
	int64_t at, actor_id, subject_id, resource_id;
	int allowed;
	char *action, *resource, *reason; /* owned by the group */
} audit_new;

/* Writes one row now, in the caller's transaction if any (store.c). */
int store_audit_write(store *s, const audit_new *row);

audit_group *audit_group_start(store *s);
/* Queues a copy of the row; KD_EBUSY when the group is full or its last
 * write failed (write it yourself, and learn whether it can be kept). */
int audit_group_add(audit_group *g, const audit_new *row);
/* Returns once every row queued before the call is in the database, or
 * KD_EBUSY after two seconds of failing to write them. */
int audit_group_flush(audit_group *g);
/* Writes what is left and ends the thread. */
void audit_group_stop(audit_group *g);

#endif
