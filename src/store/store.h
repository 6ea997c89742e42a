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
/* The key store's file for the SQLite database at location: NAME.db
 * becomes NAME-keys.db, another name gets "-keys.db" added.  Writes it to
 * out (n bytes); KD_EINVAL for a PostgreSQL location (whose key store is
 * the schema kindred_keys), KD_ETOOBIG if it does not fit. */
int store_keys_path(const char *location, char *out, size_t n);
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
/* The reads that follow, until store_read_end or the first write, see
 * one snapshot and share one read lock (SQLite; a no-op on PostgreSQL).
 * For a request that mostly reads: a write simply ends it. */
int store_read_begin(store *s);
void store_read_end(store *s);
int store_commit(store *s);
int store_rollback(store *s);

/* Durable commits that do not hold the calling thread (a server's
 * worker).  After store_defer_sync(s, 1), the calling thread's commits
 * return once written, before they are on disk; the thread must then,
 * before answering, take the newest such commit with
 * store_take_pending_sync (0: nothing to wait for; it is forgotten
 * either way) and hand it to store_sync_notify, which calls done(arg, 0)
 * once it is on disk, or done(arg, KD_EIO) if the disk refused: exactly
 * once, from another thread or before it returns.  Threads that never
 * opt in (commands, migrations, the audit thread) keep commits that
 * return once durable.  A no-op on PostgreSQL, whose commits are
 * durable when they return. */
void store_defer_sync(store *s, int on);
uint64_t store_take_pending_sync(store *s);
void store_sync_notify(store *s, uint64_t token, void (*done)(void *arg, int rc), void *arg);

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
	unsigned char *data_key; /* wrapped by the vault; NULL if none (shredded) */
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
/* Puts id's wrapped data key in the key store (kindred_keys), or with
 * key NULL destroys it there. */
int store_user_set_key(store *s, int64_t id, const unsigned char *key, size_t len);
int store_user_set_password(store *s, int64_t id, const char *pw_hash);
/* KD_ENOTFOUND if absent. */
int store_user_get(store *s, int64_t id, store_user *u);
/* The same without the data key (u->data_key NULL), which lives in the
 * key store, another file: for readers that may not need it. */
int store_user_get_plain(store *s, int64_t id, store_user *u);
/* Fills u->data_key from the key store; it stays NULL when there is none
 * (shredded). */
int store_user_key(store *s, store_user *u);
/* Deletes the account's data key from the key store and then the account
 * and, through the foreign keys, everything that is theirs, in one
 * transaction; audit rows about them stay (they name the id, not the
 * data). */
int store_user_delete(store *s, int64_t id);
int store_user_by_name(store *s, const char *username, store_user *u);
/* Calls fn for each user in id order; a non-zero return from fn stops
 * the walk and is returned. */
int store_user_each(store *s, int (*fn)(void *arg, const store_user *u), void *arg);

/* --- the key store (master-key rotation) --- */

/* Calls fn with at most limit wrapped data keys whose owner id is above
 * after, in owner order; pointers valid only during fn. */
int store_key_page(store *s, int64_t after, int limit,
		   int (*fn)(void *arg, int64_t owner_id, const unsigned char *wrapped, size_t len),
		   void *arg);
/* Replaces owner_id's wrapped key with new_key only if it is still old
 * (a person deleted or re-keyed meanwhile is left alone); *changed
 * receives 1 or 0. */
int store_key_swap(store *s, int64_t owner_id, const unsigned char *old, size_t old_len,
		   const unsigned char *new_key, size_t new_len, int64_t now, int64_t *changed);

/* --- sessions --- */

int store_session_add(store *s, const unsigned char hash[32], int64_t user_id,
		      const char *csrf, int64_t now, int64_t expires_at);
/* Finds an unexpired session; KD_ENOTFOUND otherwise.  csrf receives
 * the session's form token (at least 64 bytes). */
int store_session_get(store *s, const unsigned char hash[32], int64_t now,
		      int64_t *user_id, char *csrf, size_t csrf_len);
/* The same, with who the session is: role (16 bytes) and a malloc'd
 * display name (the caller frees), so a request needs one query. */
int store_session_actor(store *s, const unsigned char hash[32], int64_t now, int64_t *user_id,
			char role[16], char **display_name, char *csrf, size_t csrf_len);
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
/* An invitation carrying scopes (a supporter's, chosen by the client who
 * invites); store_invite_add is this with none. */
int store_invite_add_scoped(store *s, const unsigned char hash[32], int64_t inviter_id,
			    const char *role, const char *scopes, int64_t now, int64_t expires_at,
			    int64_t *id);
/* The role and scopes of a usable invitation; the errors of
 * store_invite_check. */
int store_invite_info(store *s, const unsigned char hash[32], int64_t now, char role[16],
		      char *scopes, size_t len);

/* --- supporters --- */

/* Links supporter_id to client_id with scopes, or changes the scopes. */
int store_supporter_link(store *s, int64_t client_id, int64_t supporter_id, const char *scopes,
			 int64_t now);
int store_supporter_unlink(store *s, int64_t client_id, int64_t supporter_id);
/* The scopes client_id gave supporter_id ("" and KD_ENOTFOUND if none). */
int store_supporter_scopes(store *s, int64_t client_id, int64_t supporter_id, char *scopes,
			   size_t len);

typedef struct store_support_row {
	int64_t id; /* the other person: supporter (of a client) or client (of a supporter) */
	const char *display_name;
	const char *scopes;
	int64_t since;
	int64_t recent_alerts; /* for a supporter: alerts they were told of lately */
} store_support_row;

int store_supporters_each(store *s, int64_t client_id,
			  int (*fn)(void *arg, const store_support_row *r), void *arg);
/* The clients who share with supporter_id; alerts counted since `since`. */
int store_supported_each(store *s, int64_t supporter_id, int64_t since,
			 int (*fn)(void *arg, const store_support_row *r), void *arg);

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
	int64_t risk_unseen; /* risk events for the clinician not yet seen */
	int risk_level;      /* highest of those, 0 if none */
} store_client_row;
/* Walks the clinician's caseload ordered by display name; the row's
 * strings are valid only during fn. */
/* One page of it: at most limit rows after skipping offset. */
int store_caseload_page(store *s, int64_t clinician_id, int64_t limit, int64_t offset,
			int (*fn)(void *arg, const store_client_row *r), void *arg);
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
/* Inside a transaction: the id the next check-in will have, so that its
 * note can be sealed to it and the row written whole (store_checkin_put)
 * in one statement. */
int store_checkin_next_id(store *s, int64_t *id);
int store_checkin_put(store *s, int64_t id, int64_t client_id, int mood, const char *feelings,
		      const unsigned char *sealed, size_t len, int64_t now);
/* Newest first, at most limit rows; pointers valid only during fn. */
int store_checkin_each(store *s, int64_t client_id, int limit,
		       int (*fn)(void *arg, const store_checkin *c), void *arg);

/* --- journal --- */

typedef struct store_journal {
	int64_t id;
	int64_t client_id;
	const unsigned char *body; /* sealed; NULL until set */
	size_t body_len;
	const unsigned char *reply; /* sealed; NULL when none */
	size_t reply_len;
	int risk_level;
	int64_t created_at;
} store_journal;

int store_journal_add(store *s, int64_t client_id, int risk_level, int64_t now, int64_t *id);
int store_journal_set(store *s, int64_t id, const unsigned char *body, size_t body_len,
		      const unsigned char *reply, size_t reply_len);
/* Newest first; pointers valid only during fn. */
int store_journal_each(store *s, int64_t client_id, int limit,
		       int (*fn)(void *arg, const store_journal *j), void *arg);
/* Calls fn once for entry id; KD_ENOTFOUND if there is none. */
int store_journal_get(store *s, int64_t id, int (*fn)(void *arg, const store_journal *j),
		      void *arg);

/* The client's one draft (sealed); KD_ENOTFOUND if none.  *body is the
 * caller's (free()). */
int store_draft_get(store *s, int64_t client_id, unsigned char **body, size_t *len,
		    int64_t *updated_at);
int store_draft_put(store *s, int64_t client_id, const unsigned char *body, size_t len,
		    int64_t now);
int store_draft_delete(store *s, int64_t client_id);

/* --- a client's choices --- */

typedef struct store_prefs {
	char notify[16]; /* "clinician", "nobody", or "" when not chosen yet */
	int replies;     /* journal replies on (1) or off (0) */
} store_prefs;

/* Fills the defaults (not chosen, replies on) when the client has none. */
int store_prefs_get(store *s, int64_t client_id, store_prefs *p);
int store_prefs_put(store *s, int64_t client_id, const store_prefs *p, int64_t now);

/* --- the risk pathway --- */

typedef struct store_risk_row {
	int64_t id;
	const char *source;
	int64_t source_id;
	int level;
	int64_t created_at;
	int64_t seen_at; /* 0 if not yet */
} store_risk_row;

int store_risk_add(store *s, int64_t client_id, const char *source, int64_t source_id,
		   int level, int told_clinician, int told_supporters, int64_t now, int64_t *id);
/* Events the client's clinician was told of, newest first. */
int store_risk_each(store *s, int64_t client_id, int limit,
		    int (*fn)(void *arg, const store_risk_row *r), void *arg);
/* Marks every unseen event of the client as seen by seen_by. */
int store_risk_seen(store *s, int64_t client_id, int64_t seen_by, int64_t now);

/* --- measures --- */

typedef struct store_assignment {
	const char *instrument;
	const char *schedule; /* once | weekly | fortnightly | monthly */
	int64_t created_at;
	int64_t last_answered_at; /* since assigned; 0 if not yet */
} store_assignment;

/* Assigns (or re-assigns with a new schedule) an instrument. */
int store_assign(store *s, int64_t client_id, const char *instrument, const char *schedule,
		 int64_t assigned_by, int64_t now);
int store_unassign(store *s, int64_t client_id, const char *instrument);
/* Active assignments, oldest first; pointers valid only during fn. */
int store_assignment_each(store *s, int64_t client_id,
			  int (*fn)(void *arg, const store_assignment *a), void *arg);

typedef struct store_response {
	int64_t id;
	int64_t client_id;
	const char *instrument;
	const char *answers; /* comma-separated, empty for skipped items */
	int64_t created_at;
} store_response;

/* Saves a response once per submission token: a repeat of the same
 * submission (a double click) returns the first response's id and
 * sets *repeat. */
int store_response_add(store *s, int64_t client_id, const char *instrument, const char *answers,
		       int64_t total_x1000, const char *band, int alerts, const char *submission,
		       int64_t now, int64_t *id, int *repeat);
/* KD_ENOTFOUND if absent. */
int store_response_get(store *s, int64_t id, int (*fn)(void *arg, const store_response *r),
		       void *arg);
/* Oldest first; instrument "" for all.  Pointers valid only during fn. */
int store_response_each(store *s, int64_t client_id, const char *instrument, int limit,
			int (*fn)(void *arg, const store_response *r), void *arg);

/* --- safety plans --- */

typedef struct store_safety_plan {
	unsigned char *body; /* sealed */
	size_t body_len;
	int64_t updated_at;
	int64_t updated_by;
	char *updated_by_name; /* NULL if that account is gone */
} store_safety_plan;

void store_safety_plan_clear(store_safety_plan *p);
/* KD_ENOTFOUND if the client has no plan yet. */
int store_safety_plan_get(store *s, int64_t client_id, store_safety_plan *p);
/* Creates or replaces the client's plan. */
int store_safety_plan_put(store *s, int64_t client_id, const unsigned char *body, size_t len,
			  int64_t now, int64_t updated_by);

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
/* From now on audit rows are queued and written in groups by a thread of
 * the store's (audit_group.h): a serving process calls this.  A crash
 * loses at most the rows of the group being gathered (milliseconds). */
int store_audit_defer(store *s);
/* Returns once every audit row added before is in the database. */
int store_audit_flush(store *s);
/* Newest first, after a flush; pointers valid only during fn. */
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
/* Takes one failure back from key's count (an attempt counted before
 * it was known to succeed). */
int store_throttle_forgive(store *s, const char *key);

/* --- copying a whole database (store_copy.c, `kindred migrate`) --- */

/* What one table looked like on both sides of a copy: its row count and
 * a checksum of its rows, computed the same way from either database
 * (see store_copy.c).  table is a static string. */
typedef struct store_table_report {
	const char *table;
	int64_t from_rows, to_rows;
	unsigned char from_sum[32], to_sum[32];
} store_table_report;

/* The number of tables a copy covers (the size of store_copy's report). */
size_t store_copy_tables(void);

enum { STORE_COPY_REPLACE = 1 };
/* Copies every table of from into to, in one transaction on to: rows in
 * dependency order with their ids, identity sequences reset after, then
 * counts and checksums of every table compared from both sides; the
 * transaction commits only if all match.  Both stores must be at the
 * same schema version, and from must hold no table the copy does not
 * know.  to must be empty (KD_EEXIST) unless flags has
 * STORE_COPY_REPLACE: then its rows are deleted first, in the same
 * transaction.  A difference is KD_ECONFLICT (nothing committed; the
 * report shows where).  report (store_copy_tables() entries, the
 * caller's) is filled as far as the copy got; *err gets a malloc'd
 * message on failure.  Nothing else should write to from meanwhile: a
 * write there during the copy shows as a difference. */
int store_copy(store *from, store *to, int flags, store_table_report *report, char **err);
/* Fills report (store_copy_tables() entries) with the counts and
 * checksums of s alone, in from_rows and from_sum. */
int store_checksum(store *s, store_table_report *report);

/* --- backups (backup_sqlite.c) --- */

/* Copies the SQLite database at location (a path or sqlite:PATH) to dest,
 * a new file (mode 0600; KD_EEXIST if it exists), consistently, while the
 * database stays in use.  *err gets a malloc'd message on failure, and
 * nothing is left at dest; KD_ENOSPC when the disk (or a file-size limit)
 * is full. */
int store_backup_sqlite(const char *location, const char *dest, char **err);

#endif
