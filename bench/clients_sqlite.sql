-- bench/clients_sqlite.sql: CLIENTS clients (bench/run.sh replaces the
-- word with a number) shared among 100 clinicians, 100 clients each when
-- CLIENTS is 10,000; the benchmark clinician 'bench' takes one in a
-- hundred of them (a caseload of a real size in a database of a real
-- clinic's size).  Three check-ins each, one in ten with a risk event not
-- yet seen.  Password hashes are placeholders and there are no data keys:
-- these people never sign in.
BEGIN;
CREATE TEMP TABLE bench_n AS
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < CLIENTS)
SELECT g FROM n;
INSERT INTO users (role, username, display_name, pw_hash, created_at)
SELECT 'clinician', 'bench-clinician-' || g, 'Clinician ' || g, 'x', 1700000000
FROM bench_n WHERE g < 100;
INSERT INTO users (role, username, display_name, pw_hash, created_at)
SELECT 'client', 'bench-client-' || g, 'Client ' || printf('%06d', g), 'x', 1700000000 + g
FROM bench_n;
INSERT INTO care_links (clinician_id, client_id, created_at)
SELECT c.id, u.id, 1700000000
FROM users u JOIN users c
  ON c.username = CASE WHEN u.id % 100 = 0 THEN 'bench'
                       ELSE 'bench-clinician-' || (u.id % 100) END
WHERE u.username LIKE 'bench-client-%';
INSERT INTO checkins (client_id, mood, feelings, created_at)
SELECT u.id, (u.id + k.g) % 11, 'calm,tired', 1700100000 + u.id * 10 + k.g
FROM users u, (SELECT g FROM bench_n WHERE g <= 3) k
WHERE u.username LIKE 'bench-client-%';
INSERT INTO risk_events (client_id, source, source_id, level, told_clinician, created_at)
SELECT id, 'journal', 0, 2, 1, 1700200000 + id
FROM users WHERE username LIKE 'bench-client-%' AND id % 10 = 0;
COMMIT;
