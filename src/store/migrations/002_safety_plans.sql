-- kindred schema, version 2: safety plans.  One per client; the plan is
-- sealed as a whole with the client's key, bound to (safety_plans, body,
-- client id).
CREATE TABLE safety_plans (
	client_id @I64@ PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	body @BLOB@ NOT NULL,
	updated_at @I64@ NOT NULL,
	updated_by @I64@ REFERENCES users(id) ON DELETE SET NULL
);
