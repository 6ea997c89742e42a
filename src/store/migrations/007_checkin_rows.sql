-- kindred schema, version 7: a client's check-ins read from one index.
-- On SQLite the index of a client's check-ins carries the rows' columns,
-- so a list of check-ins is read from the index alone, without a look-up
-- in the table for every row (a fifth of the work of a list request).
-- The notes it carries are sealed, as in the table.  PostgreSQL keeps
-- its index: an entry of a B-tree there holds at most about 2.7 kB, less
-- than a long sealed note.  Lines starting @SQLITE@ run on SQLite only.
@SQLITE@CREATE INDEX IF NOT EXISTS checkins_client_rows ON checkins(client_id, created_at, id, mood, feelings, note);
@SQLITE@DROP INDEX IF EXISTS checkins_client;
