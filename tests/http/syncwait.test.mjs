// Durable replies off the worker threads: a request that committed is
// answered only once its commits are on disk, while the few worker
// threads go on serving others (server.c parks the connection, the
// database file's sync thread resumes it).  Checked from outside: many
// writers and readers at once on a server with two workers, every
// request answered and every acknowledged write on disk; and a sync that
// fails turns the reply into a 500, never a 201.
//
// How the sync is made to fail, with no fault injected into kindred: the
// sync thread opens the write-ahead log afresh for each sync, and the
// server's descriptor limit (RLIMIT_NOFILE, lowered on the running server
// with `prlimit --pid`) is set to its lowest free descriptor, so that
// open fails with EMFILE, as it would in a process out of descriptors.
// SQLite's own descriptors are open already: the commit itself succeeds.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, setupClinic, sqlite, have, BACKEND, eventually } from "./lib.mjs";

const PW = "a slow and steady tide";
const cleanup = [];
after(() => cleanup.reverse().forEach((f) => f()));

const onSqlite = BACKEND === "sqlite" ? false : "the sync thread is SQLite's; PostgreSQL commits durably";
const skipSql = onSqlite || (!have("sqlite3") && "sqlite3 is missing");
const skipLimit = skipSql || (!have("prlimit") && "prlimit (util-linux) is missing");

// A data directory whose server runs two worker threads.
function twoWorkers() {
  const dir = mkdtempSync(join(tmpdir(), "kindred-sync-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, "kindred.conf");
  writeFileSync(conf, "threads = 2\n");
  return { dir, args: ["--config", conf] };
}

test("many writers and readers on two workers: all answered, every acknowledged write on disk", { skip: skipSql }, async () => {
  const { dir, args } = twoWorkers();
  const srv = await startServer(args, { dir, keep: true });
  const { clients } = await setupClinic(srv, PW, ["ana", "ben", "cai", "dee"]);
  const acked = [];
  let reads = 0;
  // 4 clients x 6 connections each, half writing, half reading.
  const tasks = [];
  for (const [c] of Object.values(clients)) {
    for (let k = 0; k < 3; k++) {
      tasks.push((async () => {
        for (let i = 0; i < 25; i++) {
          const r = await c.api("POST", "/api/v1/checkins", { mood: i % 11, note: `busy note ${k} ${i}` });
          assert.equal(r.status, 201, r.text);
          acked.push(r.data.id);
        }
      })());
      tasks.push((async () => {
        for (let i = 0; i < 25; i++) {
          const r = await c.get("/api/v1/checkins?limit=5");
          assert.equal(r.status, 200, r.text);
          reads++;
        }
      })());
    }
  }
  await Promise.all(tasks);
  assert.equal(acked.length, 300);
  assert.equal(reads, 300);
  await srv.stop();
  assert.match(srv.stderr(), /SIGTERM received, stopping/);
  const db = join(dir, "kindred.db");
  const stored = new Set(sqlite(db, "SELECT id FROM checkins").split("\n").map(Number));
  assert.deepEqual(acked.filter((id) => !stored.has(id)), [], "no acknowledged write lost");
  assert.equal(stored.size, acked.length, "nothing written that was not acknowledged");
});

test("stopped while writes wait for the disk: a clean exit, every acknowledged write on disk", { skip: skipSql }, async () => {
  const { dir, args } = twoWorkers();
  const srv = await startServer(args, { dir, keep: true });
  const { clients: { fay: [c] } } = await setupClinic(srv, PW, ["fay"]);
  const acked = [];
  let stopping = false;
  const writers = Array.from({ length: 16 }, async (_, k) => {
    for (let i = 0; ; i++) {
      let r;
      try {
        r = await c.api("POST", "/api/v1/checkins", { mood: 3, note: `stopping ${k} ${i}` });
      } catch {
        return; // the server went away: that write was never acknowledged
      }
      if (r.status === 201) acked.push(r.data.id);
      if (stopping) return;
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  stopping = true;
  await srv.stop();
  await Promise.all(writers);
  assert.equal(srv.child.exitCode, 0, `exit ${srv.child.exitCode} ${srv.child.signalCode}: ${srv.stderr().slice(-500)}`);
  assert.ok(acked.length > 16, `writes acknowledged (${acked.length})`);
  const stored = new Set(sqlite(join(dir, "kindred.db"), "SELECT id FROM checkins").split("\n").map(Number));
  assert.deepEqual(acked.filter((id) => !stored.has(id)), [], "no acknowledged write lost");
});

// One keep-alive connection for every request, so that no new connection
// (which the server could not accept under the lowered limit) is needed.
function oneConnection(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanup.push(() => agent.destroy());
  return (method, path, headers, body) => new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { text += d; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("a write-ahead log that cannot be synced: 500, not 201, and a log line; writes resume", { skip: skipLimit }, async () => {
  const { dir, args } = twoWorkers();
  const srv = await startServer(args, { dir, keep: true });
  const pid = String(srv.child.pid);
  try {
    const { clients: { eve: [c] } } = await setupClinic(srv, PW, ["eve"]);
    const send = oneConnection(srv.base);
    const headers = { cookie: c.cookieHeader(), "x-csrf-token": c.csrf, "content-type": "application/json" };
    const post = (note) => send("POST", "/api/v1/checkins", headers, JSON.stringify({ mood: 4, note }));
    const before = await post("before");
    assert.equal(before.status, 201, before.text);

    const soft = execFileSync("prlimit", ["--pid", pid, "--nofile", "--output=SOFT", "--noheadings"],
      { encoding: "utf8" }).trim();
    const open = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
    let free = 0;
    while (open.has(free)) free++;
    execFileSync("prlimit", ["--pid", pid, `--nofile=${free}:`]);
    let refused;
    try {
      refused = await post("while no descriptor is free");
    } finally {
      execFileSync("prlimit", ["--pid", pid, `--nofile=${soft}:`]);
    }
    assert.equal(refused.status, 500, refused.text);
    assert.equal(JSON.parse(refused.text).error.code, "internal");
    /* The server's stderr reaches this process on its own path, maybe
     * after the reply. */
    const said = () => srv.stderr().match(/kindred: sqlite: the write-ahead log could not be synced to disk/g);
    await eventually(() => said());
    assert.equal(said()?.length, 1, "said once in the log");

    const again = await post("after");
    assert.equal(again.status, 201, again.text);
    assert.ok(srv.alive());
  } finally {
    await srv.stop();
  }
});
