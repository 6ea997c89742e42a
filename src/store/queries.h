/*
 * queries.h: every SQL statement kindred runs, written once for both
 * dialects: $n parameters, RETURNING and ON CONFLICT, nothing else that
 * differs.  Included with Q() defined to build the enum and the table.
 */
Q(USER_COUNT, "SELECT count(*) FROM users")
Q(USER_ADD, "INSERT INTO users (role, username, display_name, pw_hash, created_at) "
	    "VALUES ($1, $2, $3, $4, $5) RETURNING id")
Q(USER_SET_PASSWORD, "UPDATE users SET pw_hash = $2 WHERE id = $1")
/* A person and their wrapped data key, which lives in the key store
 * (kindred_keys: an attached file on SQLite, a schema on PostgreSQL). */
#define USER_COLS                                                                          \
	"SELECT u.id, u.role, u.username, u.display_name, u.pw_hash, k.wrapped, u.created_at, " \
	"u.disabled FROM users u LEFT JOIN kindred_keys.data_keys k ON k.owner_id = u.id "
Q(USER_GET, USER_COLS "WHERE u.id = $1")
/* The same without the key store's file, for readers that may not need
 * the key (KEY_GET then fetches it). */
Q(USER_GET_PLAIN, "SELECT u.id, u.role, u.username, u.display_name, u.pw_hash, NULL, "
		  "u.created_at, u.disabled FROM users u WHERE u.id = $1")
Q(KEY_GET, "SELECT wrapped FROM kindred_keys.data_keys WHERE owner_id = $1")
Q(USER_BY_NAME, USER_COLS "WHERE u.username = $1")
Q(USER_ALL, USER_COLS "ORDER BY u.id")
#undef USER_COLS
Q(KEY_PUT, "INSERT INTO kindred_keys.data_keys (owner_id, wrapped, updated_at) "
	   "VALUES ($1, $2, $3) ON CONFLICT (owner_id) DO UPDATE SET wrapped = excluded.wrapped, "
	   "updated_at = excluded.updated_at")
Q(KEY_DELETE, "DELETE FROM kindred_keys.data_keys WHERE owner_id = $1")
Q(KEY_PAGE, "SELECT owner_id, wrapped FROM kindred_keys.data_keys WHERE owner_id > $1 "
	    "ORDER BY owner_id LIMIT $2")
Q(KEY_SWAP, "UPDATE kindred_keys.data_keys SET wrapped = $3, updated_at = $4 "
	    "WHERE owner_id = $1 AND wrapped = $2")
Q(SESSION_ADD, "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) "
	       "VALUES ($1, $2, $3, $4, $5)")
Q(SESSION_GET, "SELECT s.user_id, s.csrf, u.role, u.display_name FROM sessions s "
	       "JOIN users u ON u.id = s.user_id "
	       "WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0")
Q(SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = $1")
Q(SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = $1")
Q(INVITE_ADD, "INSERT INTO invitations (token_hash, clinician_id, role, created_at, expires_at, "
	      "scopes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
Q(INVITE_GET, "SELECT id, clinician_id, role, expires_at, used_at, scopes FROM invitations "
	      "WHERE token_hash = $1")
Q(INVITE_TAKE, "UPDATE invitations SET used_at = $2, used_by = $3 "
	       "WHERE id = $1 AND used_at IS NULL")
Q(CARE_LINK, "INSERT INTO care_links (clinician_id, client_id, created_at) VALUES ($1, $2, $3) "
	     "ON CONFLICT (clinician_id, client_id) DO NOTHING")
Q(CARE_IS, "SELECT 1 FROM care_links WHERE clinician_id = $1 AND client_id = $2")
/* The page's clients are chosen first, so the per-client figures are
 * computed for those 100, not for the whole caseload before sorting. */
Q(CASELOAD, "SELECT u.id, u.display_name, p.created_at, "
	    "(SELECT max(c.created_at) FROM checkins c WHERE c.client_id = u.id), "
	    "(SELECT c.mood FROM checkins c WHERE c.client_id = u.id "
	    " ORDER BY c.created_at DESC, c.id DESC LIMIT 1), "
	    "(SELECT count(*) FROM checkins c WHERE c.client_id = u.id), "
	    "(SELECT count(*) FROM risk_events r WHERE r.client_id = u.id "
	    " AND r.told_clinician = 1 AND r.seen_at IS NULL), "
	    "(SELECT max(r.level) FROM risk_events r WHERE r.client_id = u.id "
	    " AND r.told_clinician = 1 AND r.seen_at IS NULL) "
	    "FROM (SELECT l.client_id, l.created_at FROM care_links l "
	    "      JOIN users n ON n.id = l.client_id WHERE l.clinician_id = $1 "
	    "      ORDER BY n.display_name, n.id LIMIT $2 OFFSET $3) p "
	    "JOIN users u ON u.id = p.client_id ORDER BY u.display_name, u.id")
Q(CHECKIN_ADD, "INSERT INTO checkins (client_id, mood, feelings, created_at) "
	       "VALUES ($1, $2, $3, $4) RETURNING id")
Q(CHECKIN_SET_NOTE, "UPDATE checkins SET note = $2 WHERE id = $1")
Q(CHECKIN_PUT, "INSERT INTO checkins (id, client_id, mood, feelings, note, created_at) "
	       "VALUES ($1, $2, $3, $4, $5, $6)")
Q(CHECKIN_LIST, "SELECT id, client_id, mood, feelings, note, created_at FROM checkins "
		"WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
Q(AUDIT_ADD, "INSERT INTO audit (at, actor_id, subject_id, action, resource, resource_id, "
	     "allowed, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
Q(AUDIT_LIST, "SELECT a.id, a.at, a.actor_id, a.subject_id, u.display_name, u.role, a.action, "
	      "a.resource, a.resource_id, a.allowed, a.reason FROM audit a "
	      "LEFT JOIN users u ON u.id = a.actor_id WHERE a.subject_id = $1 "
	      "ORDER BY a.at DESC, a.id DESC LIMIT $2")
Q(THROTTLE_FAIL, "INSERT INTO throttle (key, window_start, failures) VALUES ($1, $2, 1) "
		 "ON CONFLICT (key) DO UPDATE SET "
		 "failures = CASE WHEN throttle.window_start > $2 - $3 "
		 "THEN throttle.failures + 1 ELSE 1 END, "
		 "window_start = CASE WHEN throttle.window_start > $2 - $3 "
		 "THEN throttle.window_start ELSE $2 END "
		 "RETURNING failures")
Q(THROTTLE_GET, "SELECT failures FROM throttle WHERE key = $1 AND window_start > $2 - $3")
Q(THROTTLE_CLEAR, "DELETE FROM throttle WHERE key = $1")
Q(THROTTLE_FORGIVE, "UPDATE throttle SET failures = CASE WHEN failures > 0 "
		    "THEN failures - 1 ELSE 0 END WHERE key = $1")
Q(MIGRATION_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations")
Q(MIGRATION_DONE, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
Q(SAFETY_GET, "SELECT p.body, p.updated_at, p.updated_by, u.display_name FROM safety_plans p "
	      "LEFT JOIN users u ON u.id = p.updated_by WHERE p.client_id = $1")
Q(SAFETY_PUT, "INSERT INTO safety_plans (client_id, body, updated_at, updated_by) "
	      "VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE SET "
	      "body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
Q(JOURNAL_ADD, "INSERT INTO journal_entries (client_id, risk_level, created_at) "
	       "VALUES ($1, $2, $3) RETURNING id")
Q(JOURNAL_SET, "UPDATE journal_entries SET body = $2, reply = $3 WHERE id = $1")
Q(JOURNAL_LIST, "SELECT id, client_id, body, reply, risk_level, created_at FROM journal_entries "
		"WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
Q(JOURNAL_GET, "SELECT id, client_id, body, reply, risk_level, created_at FROM journal_entries "
	       "WHERE id = $1")
Q(DRAFT_GET, "SELECT body, updated_at FROM journal_drafts WHERE client_id = $1")
Q(DRAFT_PUT, "INSERT INTO journal_drafts (client_id, body, updated_at) VALUES ($1, $2, $3) "
	     "ON CONFLICT (client_id) DO UPDATE SET body = excluded.body, "
	     "updated_at = excluded.updated_at")
Q(DRAFT_DELETE, "DELETE FROM journal_drafts WHERE client_id = $1")
Q(PREFS_GET, "SELECT notify, replies FROM client_prefs WHERE client_id = $1")
Q(PREFS_PUT, "INSERT INTO client_prefs (client_id, notify, replies, updated_at) "
	     "VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE SET "
	     "notify = excluded.notify, replies = excluded.replies, updated_at = excluded.updated_at")
Q(RISK_ADD, "INSERT INTO risk_events (client_id, source, source_id, level, told_clinician, "
	    "created_at, told_supporters) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
Q(RISK_LIST, "SELECT id, source, source_id, level, created_at, seen_at FROM risk_events "
	     "WHERE client_id = $1 AND told_clinician = 1 ORDER BY created_at DESC, id DESC LIMIT $2")
Q(RISK_SEEN, "UPDATE risk_events SET seen_at = $2, seen_by = $3 "
	     "WHERE client_id = $1 AND told_clinician = 1 AND seen_at IS NULL")
Q(ASSIGN_PUT, "INSERT INTO assignments (client_id, instrument, schedule, assigned_by, created_at, "
	      "active) VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (client_id, instrument) DO UPDATE "
	      "SET schedule = excluded.schedule, assigned_by = excluded.assigned_by, "
	      "created_at = excluded.created_at, active = 1")
Q(ASSIGN_STOP, "UPDATE assignments SET active = 0 WHERE client_id = $1 AND instrument = $2")
Q(ASSIGN_LIST, "SELECT a.instrument, a.schedule, a.created_at, "
	       "(SELECT max(r.created_at) FROM responses r WHERE r.client_id = a.client_id "
	       " AND r.instrument = a.instrument AND r.created_at >= a.created_at) "
	       "FROM assignments a WHERE a.client_id = $1 AND a.active = 1 ORDER BY a.created_at, a.id")
Q(RESPONSE_ADD, "INSERT INTO responses (client_id, instrument, answers, total_x1000, band, alerts, "
		"submission, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
		"ON CONFLICT (client_id, submission) DO NOTHING RETURNING id")
Q(RESPONSE_BY_SUBMISSION, "SELECT id FROM responses WHERE client_id = $1 AND submission = $2")
Q(RESPONSE_GET, "SELECT id, client_id, instrument, answers, created_at FROM responses WHERE id = $1")
Q(RESPONSE_LIST, "SELECT id, client_id, instrument, answers, created_at FROM responses "
		 "WHERE client_id = $1 AND ($2 = '' OR instrument = $2) "
		 "ORDER BY created_at, id LIMIT $3")
Q(SUPPORTER_LINK, "INSERT INTO supporter_links (client_id, supporter_id, scopes, created_at) "
		  "VALUES ($1, $2, $3, $4) ON CONFLICT (client_id, supporter_id) DO UPDATE SET "
		  "scopes = excluded.scopes")
Q(SUPPORTER_UNLINK, "DELETE FROM supporter_links WHERE client_id = $1 AND supporter_id = $2")
Q(SUPPORTER_SCOPES, "SELECT scopes FROM supporter_links WHERE client_id = $1 AND supporter_id = $2")
Q(SUPPORTERS_OF, "SELECT l.supporter_id, u.display_name, l.scopes, l.created_at FROM supporter_links l "
		 "JOIN users u ON u.id = l.supporter_id WHERE l.client_id = $1 ORDER BY u.display_name, u.id")
Q(SUPPORTED_BY, "SELECT l.client_id, u.display_name, l.scopes, l.created_at, "
		"(SELECT count(*) FROM risk_events r WHERE r.client_id = l.client_id "
		" AND r.told_supporters = 1 AND r.created_at >= l.created_at "
		" AND r.created_at > $2) FROM supporter_links l "
		"JOIN users u ON u.id = l.client_id WHERE l.supporter_id = $1 ORDER BY u.display_name, u.id")
/* Copying whole tables (store_copy.c): a page of rows after a key, in
 * key order; an insert that keeps the ids; a count; emptying. */
#define TABLE(t, key, keyargs, limitarg, cols, vals, types, identity)                     \
	Q(COPY_READ_##t, "SELECT " cols " FROM " #t " WHERE (" key ") > (" keyargs ") "   \
			 "ORDER BY " key " LIMIT " limitarg)                              \
	Q(COPY_WRITE_##t, "INSERT INTO " #t " (" cols ") VALUES (" vals ")")                \
	Q(COPY_COUNT_##t, "SELECT count(*) FROM " #t)                                      \
	Q(COPY_CLEAR_##t, "DELETE FROM " #t)
#define KEYS_TABLE(t, key, keyargs, limitarg, cols, vals, types, identity)                \
	Q(COPY_READ_##t, "SELECT " cols " FROM kindred_keys." #t " WHERE (" key ") > ("    \
			 keyargs ") ORDER BY " key " LIMIT " limitarg)                    \
	Q(COPY_WRITE_##t, "INSERT INTO kindred_keys." #t " (" cols ") VALUES (" vals ")")   \
	Q(COPY_COUNT_##t, "SELECT count(*) FROM kindred_keys." #t)                         \
	Q(COPY_CLEAR_##t, "DELETE FROM kindred_keys." #t)
#include "store/tables.h"
#undef TABLE
#undef KEYS_TABLE
Q(USER_DELETE, "DELETE FROM users WHERE id = $1")
