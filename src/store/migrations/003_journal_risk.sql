-- kindred schema, version 3: the journal, its drafts, a client's choices
-- about care (who is told when they may be at risk; journal replies), and
-- the risk pathway's events.

CREATE TABLE journal_entries (
	id @ID@,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	body @BLOB@,            -- sealed; set right after the row exists
	reply @BLOB@,           -- sealed reflection, NULL when replies are off
	risk_level INTEGER NOT NULL DEFAULT 0,
	created_at @I64@ NOT NULL
);
CREATE INDEX journal_client ON journal_entries(client_id, created_at);

-- One draft per client, sealed, replaced as they type.
CREATE TABLE journal_drafts (
	client_id @I64@ PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	body @BLOB@ NOT NULL,
	updated_at @I64@ NOT NULL
);

-- A client's own choices.  notify: who is told when kindred notices they
-- may be at risk ('clinician', 'supporters' with the alerts scope, 'both',
-- or 'nobody'; NULL until they choose).
CREATE TABLE client_prefs (
	client_id @I64@ PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	notify TEXT CHECK (notify IN ('clinician', 'supporters', 'both', 'nobody')),
	replies INTEGER NOT NULL DEFAULT 1,
	updated_at @I64@ NOT NULL
);

-- Each time the risk pathway noticed something.  told_clinician is 1 when
-- the client's choice at that moment was to tell their clinician.
CREATE TABLE risk_events (
	id @ID@,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	source TEXT NOT NULL,
	source_id @I64@,
	level INTEGER NOT NULL,
	told_clinician INTEGER NOT NULL,
	created_at @I64@ NOT NULL,
	seen_at @I64@,
	seen_by @I64@ REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX risk_events_client ON risk_events(client_id, created_at);
