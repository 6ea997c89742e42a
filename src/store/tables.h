/*
 * tables.h: every table of a clinic's data, once, for copying a whole
 * database to another (store_copy.c, `kindred migrate`).  Included with
 * TABLE() defined: queries.h turns each row into its four statements,
 * store_copy.c into its catalog entry.  Listed in dependency order:
 * users first, as every other table refers to it.  schema_migrations is
 * not here: each database keeps its own, and both must be at the same
 * version before a copy.
 *
 * TABLE(name, key, keyargs, limitarg, cols, vals, types, identity)
 *   key       the primary key's columns; cols begins with them
 *   keyargs   the parameters the previous page's last key is bound to
 *   limitarg  the parameter of the page size
 *   cols      every column, vals their parameters in order
 *   types     one letter per column of cols: I integer, T text, B blob
 *   identity  1 when id comes from an identity (reset after the copy)
 *
 * A migration that adds a table or a column must add it here too;
 * store_copy() refuses a source with a table it does not know.
 *
 * KEYS_TABLE is a table of the key store (kindred_keys), which lives
 * apart from the data so that a data backup holds no data keys; a copy
 * carries it along, since the target must open what it copied.
 */
TABLE(users, "id", "$1", "$2", "id, role, username, display_name, pw_hash, created_at, disabled",
      "$1, $2, $3, $4, $5, $6, $7", "ITTTTII", 1)
KEYS_TABLE(data_keys, "owner_id", "$1", "$2", "owner_id, wrapped, updated_at", "$1, $2, $3",
	   "IBI", 0)
TABLE(sessions, "token_hash", "$1", "$2", "token_hash, user_id, csrf, created_at, expires_at",
      "$1, $2, $3, $4, $5", "BITII", 0)
TABLE(invitations, "id", "$1", "$2",
      "id, token_hash, clinician_id, role, created_at, expires_at, used_at, used_by, scopes",
      "$1, $2, $3, $4, $5, $6, $7, $8, $9", "IBITIIIIT", 1)
TABLE(care_links, "clinician_id, client_id", "$1, $2", "$3", "clinician_id, client_id, created_at",
      "$1, $2, $3", "III", 0)
TABLE(checkins, "id", "$1", "$2", "id, client_id, mood, feelings, note, created_at",
      "$1, $2, $3, $4, $5, $6", "IIITBI", 1)
TABLE(audit, "id", "$1", "$2",
      "id, at, actor_id, subject_id, action, resource, resource_id, allowed, reason",
      "$1, $2, $3, $4, $5, $6, $7, $8, $9", "IIIITTIIT", 1)
TABLE(throttle, "key", "$1", "$2", "key, window_start, failures", "$1, $2, $3", "TII", 0)
TABLE(safety_plans, "client_id", "$1", "$2", "client_id, body, updated_at, updated_by",
      "$1, $2, $3, $4", "IBII", 0)
TABLE(journal_entries, "id", "$1", "$2", "id, client_id, body, reply, risk_level, created_at",
      "$1, $2, $3, $4, $5, $6", "IIBBII", 1)
TABLE(journal_drafts, "client_id", "$1", "$2", "client_id, body, updated_at", "$1, $2, $3", "IBI",
      0)
TABLE(client_prefs, "client_id", "$1", "$2", "client_id, notify, replies, updated_at",
      "$1, $2, $3, $4", "ITII", 0)
TABLE(risk_events, "id", "$1", "$2",
      "id, client_id, source, source_id, level, told_clinician, created_at, seen_at, seen_by, "
      "told_supporters",
      "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10", "IITIIIIIII", 1)
TABLE(assignments, "id", "$1", "$2",
      "id, client_id, instrument, schedule, assigned_by, created_at, active",
      "$1, $2, $3, $4, $5, $6, $7", "IITTIII", 1)
TABLE(responses, "id", "$1", "$2",
      "id, client_id, instrument, answers, total_x1000, band, alerts, submission, created_at",
      "$1, $2, $3, $4, $5, $6, $7, $8, $9", "IITTITITI", 1)
TABLE(supporter_links, "client_id, supporter_id", "$1, $2", "$3",
      "client_id, supporter_id, scopes, created_at", "$1, $2, $3, $4", "IITI", 0)
