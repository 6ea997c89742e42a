-- kindred schema, version 5: supporters.  A client invites family or
-- friends and decides, per supporter, what they may see (scopes: a comma
-- list of checkins, safety_plan, alerts).  Invitations gain the scopes
-- the client chose when inviting; their clinician_id column holds
-- whoever invited (a clinician for a client, a client for a supporter).
ALTER TABLE invitations ADD COLUMN scopes TEXT NOT NULL DEFAULT '';

CREATE TABLE supporter_links (
	client_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	supporter_id @I64@ NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	scopes TEXT NOT NULL,
	created_at @I64@ NOT NULL,
	PRIMARY KEY (client_id, supporter_id)
);
CREATE INDEX supporter_links_supporter ON supporter_links(supporter_id);

ALTER TABLE risk_events ADD COLUMN told_supporters INTEGER NOT NULL DEFAULT 0;
