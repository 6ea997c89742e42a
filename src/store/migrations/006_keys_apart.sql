-- kindred schema, version 6: data keys live apart from the data.  Each
-- person's wrapped data key moves from users.data_key to the key store,
-- kindred_keys.data_keys (on SQLite a database file of its own beside the
-- main one, on PostgreSQL a schema of its own), so that a backup of the
-- data holds no keys and a person deleted after it stays unreadable when
-- it is restored.  The key store's table is made by the store before the
-- migrations run (store.c), since on SQLite it is not in this file.
INSERT INTO kindred_keys.data_keys (owner_id, wrapped, updated_at)
	SELECT id, data_key, created_at FROM users WHERE data_key IS NOT NULL
	ON CONFLICT (owner_id) DO NOTHING;

ALTER TABLE users DROP COLUMN data_key;
