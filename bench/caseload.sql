-- bench/caseload.sql: a database of :clients clients (psql variable, e.g.
-- psql -v clients=100000 -f bench/caseload.sql), all on the caseload of the
-- clinician :'clinician' (who must exist: bench/pg.sh adds them with
-- `kindred user add`), 100 of them also on the caseload of 'bench-small',
-- with three check-ins each, one in ten with a risk
-- event the clinician has not seen.  Set-based inserts, so 100,000 clients
-- take seconds.  Password hashes and data keys are placeholders: these
-- clients never sign in; only the clinician's caseload is measured.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE bench_ids AS
WITH added AS (
	INSERT INTO users (role, username, display_name, pw_hash, created_at)
	SELECT 'client', 'bench-client-' || g, 'Client ' || lpad(g::text, 6, '0'), 'x',
	       1700000000 + g
	FROM generate_series(1, :clients) AS g
	RETURNING id
)
SELECT id FROM added;
INSERT INTO care_links (clinician_id, client_id, created_at)
SELECT u.id, b.id, 1700000000
FROM bench_ids b, users u WHERE u.username = :'clinician';
-- A second clinician with an ordinary caseload, 100 of the same clients:
-- their caseload query runs in the same 100,000-client database.
INSERT INTO users (role, username, display_name, pw_hash, created_at)
VALUES ('clinician', 'bench-small', 'Small Caseload', 'x', 1700000000);
INSERT INTO care_links (clinician_id, client_id, created_at)
SELECT u.id, b.id, 1700000000
FROM bench_ids b, users u WHERE u.username = 'bench-small' AND b.id % (:clients / 100) = 0;
INSERT INTO checkins (client_id, mood, feelings, created_at)
SELECT b.id, (b.id + k) % 11, 'calm,tired', 1700100000 + b.id * 10 + k
FROM bench_ids b, generate_series(1, 3) AS k;
INSERT INTO risk_events (client_id, source, source_id, level, told_clinician, created_at)
SELECT b.id, 'journal', 0, 2, 1, 1700200000 + b.id
FROM bench_ids b WHERE b.id % 10 = 0;
COMMIT;
VACUUM ANALYZE; -- as autovacuum would: index-only scans need the visibility map
