// Disk full: a real kindred server on SQLite whose writes fail for lack
// of space.  It must say so plainly (507 "disk_full", a person's words, and
// a log line naming the database), keep serving what needs no record (the
// crisis lines above all), refuse a look at a person's data whose audit
// row cannot be kept (policy's promise), lose or corrupt nothing (every write that was answered 201 is
// there, nothing refused is, PRAGMA integrity_check is ok),
// and take writes again as soon as space returns, with no restart.  The
// same for `kindred backup` to a full destination: a clear error, no half
// file left behind.
//
// How the disk is filled.  Two ways, each its own test:
//   - a file-size limit (always): RLIMIT_FSIZE is lowered on the running
//     server with `prlimit --pid` (util-linux), just above the size its
//     WAL has reached, so the next frames past it fail with EFBIG; kindred
//     ignores SIGXFSZ, which would otherwise kill it.  Raising the limit
//     again is space returning.  Needs no privilege, so it runs for every
//     developer; SQLite sees an I/O error with errno EFBIG, not ENOSPC.
//   - a real full file system (when mount is allowed, as root in CI): the
//     data directory is a 8 MB tmpfs, filled to the last page with a
//     ballast file as a runaway log would; deleting it is space
//     returning.  SQLite sees ENOSPC (SQLITE_FULL).  Without the right to
//     mount it is a counted skip that says why.
// No fault is injected into SQLite or kindred: both ways are the kernel
// refusing a write, as on a production disk.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, setupClinic, sqlite, have, Client, BIN, BACKEND } from "./lib.mjs";

const PW = "a quiet harbour";
const cleanup = [];
after(() => cleanup.reverse().forEach((f) => f()));

const skipBackend = BACKEND !== "sqlite" && "fills the disk under SQLite's files; PostgreSQL's disk is its server's";
const skipLimit = skipBackend || (!have("prlimit") && "prlimit (util-linux) is missing") ||
  (!have("sqlite3") && "sqlite3 is missing");

// A tmpfs of 8 MB at a new directory, or the reason there cannot be one.
function mountTmpfs() {
  const dir = mkdtempSync(join(tmpdir(), "kindred-full-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = (r.stderr || r.error?.message || "").trim().split("\n")[0];
    return { skip: `cannot mount a tmpfs (${why || "not root"})` };
  }
  cleanup.push(() => {
    // lazily, should a failed test have left a server on it
    if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

// Writes zeros to path until the file system has no page left.
function fillWith(path) {
  const fd = openSync(path, "w");
  for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
    const chunk = Buffer.alloc(size);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      if (e.code !== "ENOSPC") throw e;
    }
  }
  closeSync(fd);
}

const isFull = (r) => r.status === 507 && r.data?.error?.code === "disk_full";

// Posts check-ins until every writer has been refused three times for lack
// of space.  Returns the ids answered 201 and how many were refused.
async function writeUntilFull(srv, c, acked, tag) {
  let refused = 0, i = 0;
  const note = `${tag} ` + "a steady note ".repeat(150);
  const writers = [1, 2, 3].map(async () => {
    let mine = 0;
    while (mine < 3) {
      assert.ok(i < 3000, "the disk never filled");
      const r = await c.api("POST", "/api/v1/checkins", { mood: i++ % 11, note: `${note} ${i}` });
      if (r.status === 201) {
        acked.push(r.data.id);
        continue;
      }
      assert.ok(isFull(r), `a refused write says the disk is full: ${r.status} ${r.text}\n` +
        srv.stderr().split("\n").filter((l) => !l.startsWith("{")).slice(-5).join("\n"));
      assert.match(r.data.error.message, /the disk is full/);
      mine++;
      refused++;
    }
  });
  await Promise.all(writers);
  return refused;
}

// What a full disk must look like from outside; fill() runs once the clinic
// is set up, whileFull() after the checks of reads, unfill() when the test
// gives the space back.  The server is stopped at the end, pass or fail.
async function diskFull(srv, hooks) {
  try {
    return await diskFullChecks(srv, hooks);
  } finally {
    await srv.stop();
  }
}

async function diskFullChecks(srv, { fill, whileFull, unfill }) {
  const { clients: { ola: [client] } } = await setupClinic(srv, PW, ["ola"]);
  const acked = [];
  for (let i = 0; i < 3; i++) {
    const r = await client.api("POST", "/api/v1/checkins", { mood: 5, note: `before ${i}` });
    assert.equal(r.status, 201, r.text);
    acked.push(r.data.id);
  }

  fill();
  const refused = await writeUntilFull(srv, client, acked, "filling");
  assert.ok(refused >= 3);

  // Reads that need no write go on: help and the crisis lines, the sign-in
  // page, static files, the health check.
  for (let i = 0; i < 4; i++) {
    const help = await new Client(srv.base).get("/help");
    assert.equal(help.status, 200);
    assert.match(help.text, /116 123/);
  }
  assert.equal((await new Client(srv.base).get("/login")).status, 200);
  assert.equal((await new Client(srv.base).get("/static/kindred.css")).status, 200);
  const health = await new Client(srv.base).get("/healthz");
  assert.equal(health.status, 200, health.text);
  // A look at a person's data needs its audit row kept: with the disk full
  // that cannot be, so the look is refused with the same plain 507.
  for (let i = 0; i < 3; i++) {
    const list = await client.get("/api/v1/checkins?limit=500");
    assert.ok(isFull(list), `${list.status} ${list.text}`);
  }
  const page = await client.get("/checkins");
  assert.equal(page.status, 507);
  // A new session is a write of its own, refused like the others.
  const login = await new Client(srv.base).post("/api/v1/login", { json: { username: "ola", password: PW } });
  assert.ok(isFull(login), `${login.status} ${login.text}`);
  assert.ok(srv.alive(), "the server keeps running");
  assert.match(srv.stderr(), /kindred: the disk is full: could not write \S*kindred\.db \(/);
  assert.doesNotMatch(srv.stderr(), /kindred: sqlite: /, "no other database error on the way");
  whileFull();

  // Space returns: the very next writes succeed, without a restart.
  unfill();
  for (let i = 0; i < 5; i++) {
    const r = await client.api("POST", "/api/v1/checkins", { mood: 7, note: `after ${i}` });
    assert.equal(r.status, 201, `write ${i} after space returned: ${r.text}`);
    acked.push(r.data.id);
  }
  const back = await client.get("/api/v1/checkins?limit=500");
  assert.equal(back.status, 200, back.text);
  const answeredReads = 1; // the refused looks above left no "allowed" row
  assert.equal(back.data.checkins[0].note, "after 4", "sealed text written after the outage opens");
  assert.deepEqual(back.data.checkins.map((c) => c.id).sort((a, b) => a - b),
    [...acked].sort((a, b) => a - b), "the server shows exactly the acknowledged check-ins");
  await srv.stop();

  // On disk: whole, every acknowledged write there, nothing refused written,
  // and an audit row for each read that was answered (none for the refused).
  const db = join(srv.dir, "kindred.db");
  assert.equal(sqlite(db, "PRAGMA integrity_check"), "ok");
  const stored = sqlite(db, "SELECT id FROM checkins ORDER BY id").split("\n").map(Number);
  assert.deepEqual(stored, [...acked].sort((a, b) => a - b));
  const looked = Number(sqlite(db, "SELECT count(*) FROM audit WHERE action = 'read' AND resource = 'checkins' AND allowed = 1"));
  assert.equal(looked, answeredReads, "who looked is recorded for every read answered, and only those");
  return acked.length;
}

// `kindred backup` to a destination that fills: exit 1, a plain message,
// and neither the half-written copy nor its journal left behind.
function backupRefused(dataDir, destDir, prefix = []) {
  const dest = join(destDir, "kindred-backup.db");
  const out = spawnSync(prefix.length ? prefix[0] : BIN,
    [...prefix.slice(1), ...(prefix.length ? [BIN] : []), "backup", dest, "--data-dir", dataDir],
    { encoding: "utf8" });
  assert.equal(out.status, 1, `exit status 1 (failed), got ${out.status} ${out.signal || ""}: ${out.stderr}`);
  assert.match(out.stderr, /^kindred backup: .*kindred-backup\.db: the disk is full: there is no room for the backup\n$/);
  assert.equal(existsSync(dest), false, "no half backup is left");
  assert.deepEqual(readdirSync(destDir).filter((f) => f.startsWith("kindred-backup")), [], "nor its journal");
}

test("a file-size limit reached: 507 and a log line, reads go on, nothing lost or corrupt, writes resume when it is raised", { skip: skipLimit }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-full-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await startServer([], { dir, keep: true });
  const pid = String(srv.child.pid);
  const limit = () => {
    // Just past what the WAL holds now: a few more frames fit, then none.
    const wal = join(srv.dir, "kindred.db-wal");
    const size = existsSync(wal) ? statSync(wal).size : 0;
    execFileSync("prlimit", ["--pid", pid, `--fsize=${size + 96 * 1024}:`]);
  };
  const n = await diskFull(srv, {
    fill: limit,
    // A backup of that database, written under a limit smaller than it.
    whileFull: () => {
      const dest = mkdtempSync(join(tmpdir(), "kindred-backup-"));
      cleanup.push(() => rmSync(dest, { recursive: true, force: true }));
      backupRefused(dir, dest, ["prlimit", "--fsize=16384:"]);
    },
    unfill: () => execFileSync("prlimit", ["--pid", pid, "--fsize=unlimited:"]),
  });
  assert.ok(n >= 8);
});

const tmpfs = skipLimit ? { skip: skipLimit } : mountTmpfs();

test("a full file system (tmpfs): the same, and space freed brings writes back", { skip: tmpfs.skip }, async () => {
  const ballast = join(tmpfs.dir, "ballast");
  const srv = await startServer([], { dir: tmpfs.dir, keep: true });
  const dest = mkdtempSync(join(tmpfs.dir, "backup-"));
  await diskFull(srv, {
    fill: () => fillWith(ballast),
    whileFull: () => backupRefused(tmpfs.dir, dest), // into the full file system
    unfill: () => rmSync(ballast),
  });
});
