-- kindred schema, version 1: people, sessions, invitations, caseloads,
-- check-ins and the audit trail.  Written once for both backends: the
-- store replaces @ID@, @BLOB@ and @I64@ with each dialect's spelling.
-- Times are Unix seconds (UTC).

CREATE TABLE users (
	id @ID@,
	role TEXT NOT NULL CHECK (role IN ('client', 'clinician', 'supporter', 'admin')),
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	pw_hash TEXT NOT NULL,
	data_key @BLOB@,
	created_at @I64@ NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
	token_hash @BLOB@ PRIMARY KEY,
	user_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf TEXT NOT NULL,
	created_at @I64@ NOT NULL,
	expires_at @I64@ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE invitations (
	id @ID@,
	token_hash @BLOB@ NOT NULL UNIQUE,
	clinician_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	created_at @I64@ NOT NULL,
	expires_at @I64@ NOT NULL,
	used_at @I64@,
	used_by @I64@ REFERENCES users(id) ON DELETE SET NULL
);

CREATE TABLE care_links (
	clinician_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at @I64@ NOT NULL,
	PRIMARY KEY (clinician_id, client_id)
);
CREATE INDEX care_links_client ON care_links(client_id);

CREATE TABLE checkins (
	id @ID@,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	mood INTEGER NOT NULL CHECK (mood BETWEEN 0 AND 10),
	feelings TEXT NOT NULL,
	note @BLOB@,
	created_at @I64@ NOT NULL
);
CREATE INDEX checkins_client ON checkins(client_id, created_at);

-- Who looked at or changed whose data, and what policy answered.  Kept
-- when a person is deleted (the subject id stays, their data does not).
CREATE TABLE audit (
	id @ID@,
	at @I64@ NOT NULL,
	actor_id @I64@,
	subject_id @I64@,
	action TEXT NOT NULL,
	resource TEXT NOT NULL,
	resource_id @I64@,
	allowed INTEGER NOT NULL,
	reason TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit(subject_id, at);

-- Failed logins per key (a username or an address) in a sliding window;
-- in the database so several servers share it.
CREATE TABLE throttle (
	key TEXT PRIMARY KEY,
	window_start @I64@ NOT NULL,
	failures INTEGER NOT NULL
);
