/*
 * store.h: kindred's one storage interface.  Everything above it (care,
 * web, cli) reads and writes through these functions; SQL and dialects
 * stay below it.  The backend is chosen by the location given to
 * store_open(): a path (or "sqlite:PATH") selects the embedded SQLite
 * backend, a postgres:// or postgresql:// URL (libpq's syntax, so
 * ?host=/socket/dir&sslmode=... work) selects PostgreSQL.
 *
 * Threads: a store is shared by all threads; each thread gets its own
 * connection on first use (prepared statements are cached per
 * connection), so calls from different threads never contend for a
 * connection.  store_begin/commit/rollback act on the calling thread's
 * connection.
 *
 * Free text never arrives here in the clear: columns such as a check-in
 * note hold what vault_seal() produced.
 *
 * Ownership: row structs filled by store_* are the caller's; release
 * their strings with the matching _clear().  Strings passed in are
 * copied or used only during the call.
 */
#ifndef KD_STORE_H
#define KD_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* Opens (creating if needed) the database at location and applies any
 * pending migrations.  On failure *err (if non-NULL) receives a
 * malloc'd message. */
int store_open(const char *location, store **out, char **err);
/* NULL is a no-op.  Call only when no other thread uses the store. */
void store_close(store *s);
/* Writes location to out (n bytes) with any password in it replaced by
 * "***", for messages and logs. */
void store_location_print(const char *location, char *out, size_t n);
/* "sqlite" or "postgresql" (the dialect's name; static string). */
const char *store_backend(const store *s);
/* The schema version after migrations. */
int store_schema_version(store *s, int *version);

/* Transactions nest; only the outermost commit is real.  After any
 * failed call inside one, roll back: PostgreSQL has already ended the
 * transaction (its commit then fails), SQLite would keep it, and code
 * above must not depend on the difference.  KD_EBUSY from any call means
 * the database is away for now (the request may be tried again); what
 * the transaction wrote is gone, never half-written. */
int store_begin(store *s);
int store_commit(store *s);
int store_rollback(store *s);

/* Named locks for transactions that check and then write what no unique
 * constraint guards (setup's "no users yet").  Only inside a transaction
 * (KD_EINVAL otherwise); held until it ends; serialises the transactions
 * that take the same lock on every server sharing the database.  SQLite
 * transactions are serialised already, so there it costs nothing. */
enum store_lock { STORE_LOCK_MIGRATE = 1, STORE_LOCK_SETUP = 2 };
int store_lock(store *s, enum store_lock which);

/* --- people --- */

typedef struct store_user {
	int64_t id;
	char role[16];
	char *username;
	char *display_name;
	char *pw_hash;
	unsigned char *data_key; /* wrapped by the vault */
	size_t data_key_len;
	int64_t created_at;
	int disabled;
} store_user;

void store_user_clear(store_user *u);
int store_user_count(store *s, int64_t *n);
/* KD_EEXIST if the username is taken. */
int store_user_add(store *s, const char *role, const char *username,
		   const char *display_name, const char *pw_hash, int64_t now,
		   int64_t *id);
int store_user_set_key(store *s, int64_t id, const unsigned char *key, size_t len);
int store_user_set_password(store *s, int64_t id, const char *pw_hash);
/* KD_ENOTFOUND if absent. */
int store_user_get(store *s, int64_t id, store_user *u);
int store_user_by_name(store *s, const char *username, store_user *u);
/* Calls fn for each user in id order; a non-zero return from fn stops
 * the walk and is returned. */
int store_user_each(store *s, int (*fn)(void *arg, const store_user *u), void *arg);

/* --- sessions --- */

int store_session_add(store *s, const unsigned char hash[32], int64_t user_id,
		      const char *csrf, int64_t now, int64_t expires_at);
/* Finds an unexpired session; KD_ENOTFOUND otherwise.  csrf receives
 * the session's form token (at least 64 bytes). */
int store_session_get(store *s, const unsigned char hash[32], int64_t now,
		      int64_t *user_id, char *csrf, size_t csrf_len);
int store_session_delete(store *s, const unsigned char hash[32]);
int store_session_delete_user(store *s, int64_t user_id);

/* --- invitations and caseloads --- */

int store_invite_add(store *s, const unsigned char hash[32], int64_t clinician_id,
		     const char *role, int64_t now, int64_t expires_at, int64_t *id);
/* Marks the invitation used by user_id, atomically: KD_ENOTFOUND if no
 * such invitation, KD_EUSED if already used, KD_EEXPIRED if expired.
 * On success *clinician_id and role (16 bytes) describe it. */
int store_invite_take(store *s, const unsigned char hash[32], int64_t now,
		      int64_t user_id, int64_t *clinician_id, char role[16]);
/* Checks without taking; same errors as store_invite_take. */
int store_invite_check(store *s, const unsigned char hash[32], int64_t now);

int store_care_link(store *s, int64_t clinician_id, int64_t client_id, int64_t now);
/* 1 if client_id is on clinician_id's caseload, 0 if not, <0 on error. */
int store_is_clinician_of(store *s, int64_t clinician_id, int64_t client_id);

typedef struct store_client_row {
	int64_t id;
	const char *display_name;
	int64_t joined_at;
	int64_t last_checkin_at; /* 0 if none */
	int last_mood;           /* -1 if none */
	int64_t checkins;
} store_client_row;
/* Walks the clinician's caseload ordered by display name; the row's
 * strings are valid only during fn. */
int store_caseload_each(store *s, int64_t clinician_id,
			int (*fn)(void *arg, const store_client_row *r), void *arg);

/* --- check-ins --- */

typedef struct store_checkin {
	int64_t id;
	int64_t client_id;
	int mood;
	const char *feelings;     /* comma-separated codes */
	const unsigned char *note; /* sealed, or NULL */
	size_t note_len;
	int64_t created_at;
} store_checkin;

int store_checkin_add(store *s, int64_t client_id, int mood, const char *feelings,
		      int64_t now, int64_t *id);
int store_checkin_set_note(store *s, int64_t id, const unsigned char *sealed, size_t len);
/* Newest first, at most limit rows; pointers valid only during fn. */
int store_checkin_each(store *s, int64_t client_id, int limit,
		       int (*fn)(void *arg, const store_checkin *c), void *arg);

/* --- audit trail --- */

typedef struct store_audit_row {
	int64_t id;
	int64_t at;
	int64_t actor_id; /* 0 when anonymous */
	int64_t subject_id;
	const char *actor_name; /* NULL when anonymous or deleted */
	const char *actor_role;
	const char *action;
	const char *resource;
	int64_t resource_id;
	int allowed;
	const char *reason;
} store_audit_row;

int store_audit_add(store *s, int64_t at, int64_t actor_id, int64_t subject_id,
		    const char *action, const char *resource, int64_t resource_id,
		    int allowed, const char *reason);
/* Newest first; pointers valid only during fn. */
int store_audit_each(store *s, int64_t subject_id, int limit,
		     int (*fn)(void *arg, const store_audit_row *r), void *arg);

/* --- login throttling --- */

/* Records a failure for key; *failures receives the count within the
 * window that began at most window seconds ago. */
int store_throttle_fail(store *s, const char *key, int64_t now, int64_t window,
			int *failures);
/* The failure count for key within the window (0 if none). */
int store_throttle_get(store *s, const char *key, int64_t now, int64_t window,
		       int *failures);
int store_throttle_clear(store *s, const char *key);

#endif
