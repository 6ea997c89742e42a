-- kindred schema, version 4: measures.  A clinician assigns an instrument
-- on a schedule (or a client chooses one for themselves); each answered
-- form is a response with its score.  submission makes a double click one
-- response, not two.
CREATE TABLE assignments (
	id @ID@,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	instrument TEXT NOT NULL,
	schedule TEXT NOT NULL CHECK (schedule IN ('once', 'weekly', 'fortnightly', 'monthly')),
	assigned_by @I64@ REFERENCES users(id) ON DELETE SET NULL,
	created_at @I64@ NOT NULL,
	active INTEGER NOT NULL DEFAULT 1,
	UNIQUE (client_id, instrument)
);

CREATE TABLE responses (
	id @ID@,
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	instrument TEXT NOT NULL,
	answers TEXT NOT NULL,
	total_x1000 @I64@,      -- the total times 1000 (means keep 3 decimals)
	band TEXT,
	alerts INTEGER NOT NULL DEFAULT 0,
	submission TEXT NOT NULL,
	created_at @I64@ NOT NULL,
	UNIQUE (client_id, submission)
);
CREATE INDEX responses_client ON responses(client_id, instrument, created_at);
