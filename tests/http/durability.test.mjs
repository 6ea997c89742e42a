// Durability: acknowledged writes survive the server being killed at
// random moments, the database stays whole, and an online backup restores.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, copyFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, sqlite, Client, BIN, BACKEND } from "./lib.mjs";

const PW = "durable password 1";
const dir = mkdtempSync(join(tmpdir(), "kindred-crash-"));
const cleanup = [dir];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

// Posts check-ins until the server goes away; returns the acknowledged ids.
async function writer(c, acked, stop) {
  let i = 0;
  while (!stop.done) {
    try {
      const r = await c.api("POST", "/api/v1/checkins", { mood: i++ % 11, note: `crash note ${i}` });
      if (r.status === 201) acked.push(r.data.id);
    } catch {
      return; // the server was killed mid-request: that write was never acknowledged
    }
  }
}

// These read the SQLite files directly; PostgreSQL's own WAL makes the same
// promise, and its outage tests are in outage.test.mjs.
const onSqlite = BACKEND === "sqlite" ? {} : { skip: "checks SQLite's files; PostgreSQL keeps its own WAL" };

test("every acknowledged check-in survives SIGKILL at random moments", onSqlite, async () => {
  let srv = await startServer([], { dir, keep: true });
  const setup = new Client(srv.base);
  const s = await setup.post("/api/v1/setup", { json: { username: "ada", display_name: "Ada", password: PW } });
  setup.csrf = s.data.csrf;
  const inv = await setup.api("POST", "/api/v1/invitations", {});
  const client = new Client(srv.base);
  const j = await client.post("/api/v1" + inv.data.path, { json: { username: "cal", display_name: "Cal", password: PW } });
  client.csrf = j.data.csrf;

  const acked = [];
  const cycles = 8;
  for (let cycle = 0; cycle < cycles; cycle++) {
    client.base = srv.base;
    const stop = { done: false };
    const writers = [1, 2, 3, 4].map(() => writer(client, acked, stop));
    await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 450)));
    await srv.kill();
    stop.done = true;
    await Promise.all(writers);
    srv = await startServer([], { dir, keep: true });
  }
  client.base = srv.base;
  assert.ok(acked.length > cycles, `enough writes acknowledged (${acked.length})`);
  const db = join(dir, "kindred.db");
  const stored = new Set(sqlite(db, "SELECT id FROM checkins").split("\n").map(Number));
  const lost = acked.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost of ${acked.length}`);
  assert.equal(sqlite(db, "PRAGMA integrity_check"), "ok");
  // Notes written just before a kill still open.
  const list = await client.get("/api/v1/checkins?limit=5");
  assert.equal(list.status, 200);
  assert.match(list.data.checkins[0].note, /^crash note \d+$/);
  await srv.stop();
});

test("an online backup taken during writes is consistent and restores with the keys", onSqlite, async () => {
  const srv = await startServer([], { dir, keep: true });
  const client = new Client(srv.base);
  await client.login("cal", PW);
  const acked = [];
  const stop = { done: false };
  const writers = [1, 2].map(() => writer(client, acked, stop));
  await new Promise((r) => setTimeout(r, 200));
  const backup = join(mkdtempSync(join(tmpdir(), "kindred-backup-")), "kindred-backup.db");
  cleanup.push(join(backup, ".."));
  const out = spawnSync(BIN, ["backup", backup, "--data-dir", dir], { encoding: "utf8" });
  stop.done = true;
  await Promise.all(writers);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /no data keys and no master key are in the backup/);
  // The key store goes to a backup of its own.
  const keys = join(backup, "..", "kindred-keys-backup.db");
  const kout = spawnSync(BIN, ["backup", "--keys", keys, "--data-dir", dir], { encoding: "utf8" });
  assert.equal(kout.status, 0, kout.stderr);
  assert.equal(sqlite(backup, "SELECT count(*) FROM sqlite_master WHERE name = 'data_keys'"), "0");
  assert.equal(statSync(backup).mode & 0o777, 0o600);
  assert.equal(sqlite(backup, "PRAGMA integrity_check"), "ok");
  const again = spawnSync(BIN, ["backup", backup, "--data-dir", dir], { encoding: "utf8" });
  assert.equal(again.status, 2, "never overwrites a backup");
  const inBackup = Number(sqlite(backup, "SELECT count(*) FROM checkins"));
  await srv.stop();

  // Restore into a new data directory with the same key and key store.
  const restored = mkdtempSync(join(tmpdir(), "kindred-restore-"));
  cleanup.push(restored);
  copyFileSync(backup, join(restored, "kindred.db"));
  copyFileSync(keys, join(restored, "kindred-keys.db"));
  copyFileSync(join(dir, "master.key"), join(restored, "master.key"));
  const srv2 = await startServer([], { dir: restored, keep: true });
  const c2 = new Client(srv2.base);
  await c2.login("cal", PW);
  const list = await c2.get("/api/v1/checkins?limit=500");
  assert.equal(list.status, 200);
  assert.equal(list.data.checkins.length, Math.min(500, inBackup));
  assert.match(list.data.checkins[0].note, /^crash note \d+$/, "sealed text opens after restore");
  await srv2.stop();
});
