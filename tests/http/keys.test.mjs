// Secrets at rest: the master key is rotated while kindred serves
// (`kindred rekey`), and data keys live apart from the data, so a data
// backup holds none and deleting a person reaches every backup.  Runs on
// both backends, like the rest of the HTTP suite.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, Client, setupClinic, BIN, BACKEND, databaseOf, psql } from "./lib.mjs";

const PW = "keys test password 1";
const runFile = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "kindred-keys-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Runs a kindred command on a server's data directory (and database).
function kindred(dir, args, env = {}) {
  const db = databaseOf(dir);
  return runFile(BIN, [...args, "--data-dir", dir, ...(db ? ["--database", db] : [])],
    { env: { ...process.env, ...env }, encoding: "utf8" });
}

// What each client wrote, sealed: a journal entry and a check-in note.
async function writeSealed(clients, tag) {
  const wrote = {};
  for (const [name, [c]] of Object.entries(clients)) {
    const j = `marker-${tag}-j-${name} I could not get up today`;
    const n = `marker-${tag}-n-${name} slept badly again`;
    assert.equal((await c.api("POST", "/api/v1/journal", { text: j })).status, 201);
    assert.equal((await c.api("POST", "/api/v1/checkins", { mood: 3, note: n })).status, 201);
    wrote[name] = [j, n];
  }
  return wrote;
}

// A new client of clin joins on the server at base and writes sealed text;
// returns [their Client, what they wrote].
async function joinAndWrite(clin, base, username, tag) {
  const inv = await clin.api("POST", "/api/v1/invitations", {});
  const c = new Client(base);
  const joined = await c.post("/api/v1" + inv.data.path, { json: { username, display_name: username, password: PW } });
  assert.equal(joined.status, 201, joined.text);
  c.csrf = joined.data.csrf;
  return [c, (await writeSealed({ [username]: [c] }, tag))[username]];
}

// Reads a client's journal and check-ins; returns what failed, if anything.
async function readBack(c, [j, n]) {
  const journal = await c.get("/api/v1/journal");
  if (journal.status !== 200) return `journal ${journal.status} ${journal.text.slice(0, 200)}`;
  if (!journal.data.entries.some((e) => e.text === j)) return `journal entry missing: ${j}`;
  const checkins = await c.get("/api/v1/checkins?limit=500");
  if (checkins.status !== 200) return `check-ins ${checkins.status} ${checkins.text.slice(0, 200)}`;
  if (!checkins.data.checkins.some((k) => k.note === n)) return `note missing: ${n}`;
  return null;
}

// Every byte of a backup file may hold no sealed field's plaintext.
function assertNoPlaintext(name, bytes, markers) {
  for (const m of markers) {
    assert.equal(bytes.includes(Buffer.from(m)), false, `${m} found in ${name}`);
    assert.equal(bytes.includes(Buffer.from(Buffer.from(m).toString("hex"))), false, `${m} in hex in ${name}`);
  }
}

test("the master key rotates while the server serves sealed text; the old key is retired and refused", async () => {
  const srv = await startServer([], { keep: true });
  const names = ["ann", "bob", "cai", "dee", "eve", "fay"];
  const { clin, clients } = await setupClinic(srv, PW, names);
  const wrote = await writeSealed(clients, "rot");
  const before = readFileSync(join(srv.dir, "master.key"), "utf8");
  assert.equal(before.split("\n").filter(Boolean).length, 1);

  // Readers of sealed text (clients and their clinician) and a writer of
  // new notes, for as long as the rotation runs.
  const failures = [], notes = [];
  let requests = 0, done = false;
  const readers = names.map(async (name) => {
    const [c, id] = clients[name];
    while (!done) {
      const why = await readBack(c, wrote[name]);
      if (why) failures.push(`${name}: ${why}`);
      const seen = await clin.get(`/api/v1/clients/${id}/checkins?limit=500`);
      if (seen.status !== 200 || !seen.data.checkins.some((k) => k.note === wrote[name][1])) {
        failures.push(`clinician on ${name}: ${seen.status}`);
      }
      requests += 3;
    }
  });
  const writer = (async () => {
    const [ann] = clients.ann;
    for (let i = 0; !done; i++) {
      const note = `marker-rot-during-${i} still awake`;
      const r = await ann.api("POST", "/api/v1/checkins", { mood: 4, note });
      if (r.status === 201) notes.push(note);
      else failures.push(`writing a note: ${r.status} ${r.text.slice(0, 200)}`);
      requests++;
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  // One person a batch, so the rotation is many transactions long.
  const { stdout } = await kindred(srv.dir, ["rekey", "--batch", "1"]);
  // A person who joins during the rotation gets a key under the new key.
  const [gus, gusWrote] = await joinAndWrite(clin, srv.base, "gus", "rot");
  await new Promise((r) => setTimeout(r, 300));
  done = true;
  await Promise.all([...readers, writer]);
  assert.deepEqual(failures, [], `no request failed during the rotation (of ${requests})`);
  assert.ok(requests > 20, `the server was busy during the rotation (${requests} requests)`);
  assert.ok(notes.length > 0);
  const m = stdout.match(/re-wrapped (\d+) data keys under master key ([0-9a-f]{16}) in (\d+) batches/);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) >= names.length + 1 && Number(m[3]) >= names.length + 1, stdout);

  const both = readFileSync(join(srv.dir, "master.key"), "utf8").split("\n").filter(Boolean);
  assert.equal(both.length, 2, "the new key is first, the old one kept until --retire");
  assert.equal(both[1] + "\n", before);
  const oldKey = both[1];

  // Retire the old key: the running server still opens everything,
  // notes written during the rotation too.
  const retired = await kindred(srv.dir, ["rekey", "--retire"]);
  assert.match(retired.stdout, /retired the previous master key/);
  assert.deepEqual(readFileSync(join(srv.dir, "master.key"), "utf8"), both[0] + "\n");
  assert.equal(statSync(join(srv.dir, "master.key")).mode & 0o777, 0o600);
  for (const name of names) assert.equal(await readBack(clients[name][0], wrote[name]), null);
  assert.equal(await readBack(gus, gusWrote), null);
  const list = await clients.ann[0].get("/api/v1/checkins?limit=500");
  for (const note of notes) assert.ok(list.data.checkins.some((k) => k.note === note), note);
  await srv.stop();

  // A server with only the new key opens everything after a restart.
  const again = await startServer([], { dir: srv.dir, keep: true });
  for (const name of names) {
    const c = new Client(again.base);
    await c.login(name, PW);
    assert.equal(await readBack(c, wrote[name]), null);
  }
  await again.stop();

  // A server with only the old key refuses to start, and says why.
  const db = databaseOf(srv.dir);
  const old = spawn(BIN, ["serve", "--port", "0", "--data-dir", srv.dir, ...(db ? ["--database", db] : [])],
    { env: { ...process.env, KINDRED_MASTER_KEY: oldKey }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  old.stderr.on("data", (d) => { stderr += d; });
  const code = await new Promise((r) => old.on("exit", r));
  assert.equal(code, 3, stderr);
  assert.match(stderr, /wrapped under a master key this kindred does not have/);
  assert.match(stderr, /older than the last `kindred rekey`/);

  // And so does the old key file.
  const oldDir = mkdtempSync(join(scratch, "old-"));
  rmSync(oldDir, { recursive: true });
  await runFile("cp", ["-a", srv.dir, oldDir]);
  const oldFile = join(oldDir, "master.key");
  unlinkSync(oldFile);
  execFileSync("sh", ["-c", `umask 077 && printf '%s\\n' "$K" > "${oldFile}"`], { env: { ...process.env, K: oldKey } });
  await assert.rejects(runFile(BIN, ["user", "list", "--data-dir", oldDir, ...(db ? ["--database", db] : [])],
    { encoding: "utf8" }), (e) => e.code === 3 && /kindred rekey/.test(e.stderr));

  const last = await startServer([], { dir: srv.dir });
  await last.stop();
});

test("KINDRED_MASTER_KEY rotates too: NEW,OLD while re-wrapping, then NEW alone", async () => {
  const key = (await runFile(BIN, ["rekey", "--new-key"], { encoding: "utf8" })).stdout.trim();
  assert.match(key, /^[0-9a-f]{64}$/);
  const srv = await startServer([], { keep: true });
  const { clients } = await setupClinic(srv, PW, ["ivy"]);
  const wrote = await writeSealed(clients, "env");
  await srv.stop();
  const oldKey = readFileSync(join(srv.dir, "master.key"), "utf8").trim();
  unlinkSync(join(srv.dir, "master.key"));
  const one = await kindred(srv.dir, ["rekey"], { KINDRED_MASTER_KEY: oldKey }).catch((e) => e);
  assert.equal(one.code, 3);
  assert.match(one.stderr, /NEW,OLD/);
  const r = await kindred(srv.dir, ["rekey"], { KINDRED_MASTER_KEY: `${key},${oldKey}` });
  assert.match(r.stdout, /re-wrapped 2 data keys/);
  const check = await kindred(srv.dir, ["rekey", "--retire"], { KINDRED_MASTER_KEY: `${key},${oldKey}` });
  assert.match(check.stdout, /remove every other key from KINDRED_MASTER_KEY/);
  process.env.KINDRED_MASTER_KEY = key;
  try {
    const again = await startServer([], { dir: srv.dir });
    const c = new Client(again.base);
    await c.login("ivy", PW);
    assert.equal(await readBack(c, wrote.ivy), null);
    await again.stop();
  } finally {
    delete process.env.KINDRED_MASTER_KEY;
  }
});

test("with two servers: --stage writes the key file only, both servers follow it, a leftover .new stops a rotation", async () => {
  const srv = await startServer([], { keep: true });
  const peer = await startServer([], { peer: srv });
  try {
    await twoServers(srv, peer);
  } finally {
    await peer.stop();
    await srv.stop();
  }
  const last = await startServer([], { dir: srv.dir });
  await last.stop();
});

async function twoServers(srv, peer) {
  const { clin, clients } = await setupClinic(srv, PW, ["lia"]);
  const wrote = await writeSealed(clients, "peer");
  const staged = await kindred(srv.dir, ["rekey", "--stage"]);
  assert.match(staged.stdout, /copy it to every server, then run kindred rekey/);
  assert.equal(readFileSync(join(srv.dir, "master.key"), "utf8").split("\n").filter(Boolean).length, 2);
  // Nothing was re-wrapped yet: both servers open everything; a person
  // joining now gets a key under the new master key, which both open.
  const onPeer = new Client(peer.base);
  await onPeer.login("lia", PW);
  assert.equal(await readBack(onPeer, wrote.lia), null);
  const [, moWrote] = await joinAndWrite(clin, peer.base, "moe", "peer");
  const moOnSrv = new Client(srv.base);
  await moOnSrv.login("moe", PW);
  assert.equal(await readBack(moOnSrv, moWrote), null);
  const done = await kindred(srv.dir, ["rekey"]);
  assert.match(done.stdout, /continuing the rotation/);
  assert.match(done.stdout, /re-wrapped 2 data keys .* the key store holds 3, all under it/);
  assert.equal(await readBack(onPeer, wrote.lia), null);
  assert.equal(await readBack(clients.lia[0], wrote.lia), null);
  // A leftover master.key.new (a rekey that stopped while writing the
  // file) is never overwritten: exit 3, the file as it was.
  const before = readFileSync(join(srv.dir, "master.key"), "utf8");
  await kindred(srv.dir, ["rekey", "--retire"]);
  const retired = readFileSync(join(srv.dir, "master.key"), "utf8");
  assert.notEqual(retired, before);
  execFileSync("sh", ["-c", `umask 077 && echo x > "${join(srv.dir, "master.key.new")}"`]);
  const stopped = await kindred(srv.dir, ["rekey"]).catch((e) => e);
  assert.equal(stopped.code, 3);
  assert.match(stopped.stderr, /\.new file beside it exists/);
  assert.equal(readFileSync(join(srv.dir, "master.key"), "utf8"), retired);
  unlinkSync(join(srv.dir, "master.key.new"));
  assert.equal(await readBack(onPeer, wrote.lia), null);
}

// The data backup and the key-store backup, taken while the server runs:
// `kindred backup` (and --keys) on SQLite, pg_dump with and without the
// kindred_keys schema on PostgreSQL, as docs/DEPLOYMENT.md says.
async function backups(srv) {
  const dir = mkdtempSync(join(scratch, "backup-"));
  const data = join(dir, "data"), keys = join(dir, "keys");
  if (BACKEND === "sqlite") {
    await kindred(srv.dir, ["backup", data]);
    await kindred(srv.dir, ["backup", "--keys", keys]);
  } else {
    await runFile("pg_dump", ["--exclude-schema=kindred_keys", "-f", data, srv.database]);
    await runFile("pg_dump", ["--schema=kindred_keys", "-f", keys, srv.database]);
  }
  return { data, keys };
}

test("a data backup holds no data keys and no plaintext: restored after a deletion, the deleted person stays unreadable", async () => {
  const srv = await startServer([], { keep: true });
  const { clin, clients } = await setupClinic(srv, PW, ["joy", "kit"]);
  const wrote = await writeSealed(clients, "bk");
  const plans = {};
  for (const name of ["joy", "kit"]) {
    plans[name] = `marker-bk-plan-${name} call my sister`;
    assert.equal((await clients[name][0].api("POST", "/api/v1/safety-plan", { reasons: [plans[name]] })).status, 200);
  }
  const draft = "marker-bk-draft-kit half a thought";
  await clients.kit[0].api("POST", "/api/v1/journal/draft", { text: draft });
  const markers = [...Object.values(wrote).flat(), ...Object.values(plans), draft];
  const { data, keys } = await backups(srv);

  // Neither backup holds a sealed field's plaintext; the data backup holds
  // no key store, the key backup nothing but it.
  const dataBytes = readFileSync(data), keyBytes = readFileSync(keys);
  assertNoPlaintext("the data backup", dataBytes, markers);
  assertNoPlaintext("the key backup", keyBytes, markers);
  assert.ok(dataBytes.includes(Buffer.from("Dr Clin")), "the scan reads real data");
  assert.equal(dataBytes.includes(Buffer.from("data_key")), false, "no data keys in the data backup");
  assert.ok(keyBytes.includes(Buffer.from("data_keys")));
  assert.equal(keyBytes.includes(Buffer.from("Dr Clin")), false, "no data in the key backup");
  if (BACKEND === "sqlite") {
    assert.equal(statSync(keys).mode & 0o777, 0o600);
    assert.equal(statSync(join(srv.dir, "kindred-keys.db")).mode & 0o777, 0o600);
    // The live key store and the data file hold no plaintext either.
    for (const f of ["kindred-keys.db", "kindred.db"]) {
      assertNoPlaintext(f, readFileSync(join(srv.dir, f)), markers);
    }
  }

  // Kit deletes their account; then the data backup is restored over the
  // database, with the key store as it is now.
  const [kit, kitId] = clients.kit;
  const del = await kit.api("POST", "/api/v1/my-data/delete", { password: PW });
  assert.equal(del.status, 200, del.text);
  await srv.stop();
  if (BACKEND === "sqlite") {
    copyFileSync(data, join(srv.dir, "kindred.db"));
    rmSync(join(srv.dir, "kindred.db-wal"), { force: true });
    rmSync(join(srv.dir, "kindred.db-shm"), { force: true });
  } else {
    psql(srv.database, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", data, srv.database], { stdio: "pipe" });
  }
  const back = await startServer([], { dir: srv.dir });
  try {
    // Kit's rows came back with the backup, but not their key: they cannot
    // sign in, and nobody sees their sealed text.
    const k2 = new Client(back.base);
    const login = await k2.post("/api/v1/login", { json: { username: "kit", password: PW } });
    assert.equal(login.status, 401);
    const c2 = new Client(back.base);
    await c2.login("clin", PW);
    assert.equal((await c2.get(`/api/v1/clients/${kitId}/checkins`)).status, 404);
    assert.equal((await c2.get(`/api/v1/clients/${kitId}/safety-plan`)).status, 404);
    for (const path of ["/api/v1/clients", `/api/v1/clients/${kitId}/checkins`, "/api/v1/audit"]) {
      const r = await c2.get(path);
      for (const m of [...wrote.kit, plans.kit]) assert.equal(r.text.includes(m), false, `${m} on ${path}`);
    }
    // Joy's text still opens.
    const j2 = new Client(back.base);
    await j2.login("joy", PW);
    assert.equal(await readBack(j2, wrote.joy), null);
    const seen = await c2.get(`/api/v1/clients/${clients.joy[1]}/checkins`);
    assert.ok(seen.data.checkins.some((k) => k.note === wrote.joy[1]));
  } finally {
    await back.stop();
  }
  void clin;
});
