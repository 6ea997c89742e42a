// Black-box test of `kindred migrate`: a clinic's server on its SQLite file
// gathers every kind of data (accounts, sessions, an invitation, a caseload,
// check-ins with sealed notes, journal entries with sealed reflections, a
// draft, a safety plan, choices, risk events, the audit trail, throttle
// counts); the server stops, `kindred migrate` copies the file into the
// database of the backend under test (PostgreSQL on that pass, another
// SQLite file on the other), and a server started on the copy with the same
// data directory (so the same master key) opens the sealed text, keeps the
// sessions, and hands out new ids after the old ones.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, Client, BIN, BACKEND, databaseOf, psql } from "./lib.mjs";

const PW = "moving house gently";
const RISKY = "I have been saving my pills and I wrote letters to everyone.";
let dir, source, target, old, moved;
const saved = {}; // what the clinic had before the move

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kindred-migrate-"));
  source = `sqlite:${join(dir, "kindred.db")}`;
  // On PostgreSQL startServer gives dir a fresh database; the first server
  // still runs on the SQLite file (a later --database wins).
  old = await startServer(["--database", source], { dir, keep: true });
  target = BACKEND === "postgresql" ? databaseOf(dir) : `sqlite:${join(dir, "moved.db")}`;
});

after(async () => {
  if (old) await old.stop();
  if (moved) await moved.stop();
});

function migrate(...extra) {
  return spawnSync(BIN, ["migrate", "--from", source, "--to", target, ...extra], { encoding: "utf8" });
}

test("a clinic's data on SQLite, of every kind", async () => {
  const admin = new Client(old.base);
  const s = await admin.post("/api/v1/setup", { json: { username: "mara", display_name: "Mara", password: PW } });
  assert.equal(s.status, 201, s.text);
  admin.csrf = s.data.csrf;
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  const c = new Client(old.base);
  const j = await c.post("/api/v1" + inv.data.path, { json: { username: "noor", display_name: "Noor", password: PW } });
  assert.equal(j.status, 201, j.text);
  c.csrf = j.data.csrf;
  saved.clientId = j.data.id;
  for (let i = 0; i < 3; i++) {
    assert.equal((await c.api("POST", "/api/v1/checkins", { mood: 3 + i, note: `marker-move-${i} packing boxes` })).status, 201);
  }
  assert.equal((await c.api("POST", "/api/v1/settings", { notify: "clinician" })).status, 200);
  assert.equal((await c.api("POST", "/api/v1/safety-plan", { reasons: ["marker-plan my sister"] })).status, 200);
  const je = await c.api("POST", "/api/v1/journal", { text: "marker-journal the new flat is quiet and I feel lonely." });
  assert.equal(je.status, 201, je.text);
  saved.reply = je.data.reply;
  assert.equal((await c.api("POST", "/api/v1/journal", { text: RISKY })).data.risk.at_risk, true);
  assert.equal((await c.api("POST", "/api/v1/journal/draft", { text: "marker-draft half" })).status, 200);
  assert.equal((await new Client(old.base).post("/api/v1/login", { json: { username: "noor", password: "wrong" } })).status, 401);
  await admin.api("POST", "/api/v1/invitations", {}); // one left unused
  saved.checkins = (await c.get("/api/v1/checkins")).data.checkins;
  saved.caseload = (await admin.get("/api/v1/clients")).data.clients;
  saved.audit = (await c.get("/api/v1/audit")).data.entries;
  saved.cookie = c.cookieHeader();
  saved.csrf = c.csrf;
  assert.equal(saved.caseload[0].risk_flag, true);
  await old.stop();
  old = null;
});

test("kindred migrate copies every table and shows the same counts and checksums", () => {
  const r = migrate();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const rows = r.stdout.split("\n").filter((l) => / (same|DIFFERENT)$/.test(l));
  const tables = rows.map((l) => l.split(/\s+/)[0]);
  for (const t of ["users", "sessions", "invitations", "care_links", "checkins", "audit", "throttle",
    "safety_plans", "journal_entries", "journal_drafts", "client_prefs", "risk_events"]) {
    assert.ok(tables.includes(t), `${t} is in the report:\n${r.stdout}`);
  }
  for (const l of rows) {
    const [t, a, b, sa, sb, verdict] = l.trim().split(/\s+/);
    assert.equal(verdict, "same", l);
    assert.equal(a, b, l);
    assert.equal(sa, sb, l);
    if (["users", "sessions", "checkins", "audit", "journal_entries", "risk_events", "throttle"].includes(t)) {
      assert.ok(Number(a) > 0, `${t} has rows: ${l}`);
    }
  }
  assert.match(r.stdout, /every count and checksum matches/);
});

test("a second migrate into the copy is refused; --force replaces it", () => {
  const r = migrate();
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /not empty/);
  const f = migrate("--force");
  assert.equal(f.status, 0, f.stdout + f.stderr);
});

test("a server on the copy opens the sealed text, keeps the sessions, and goes on", async () => {
  moved = await startServer(["--database", target], { dir });
  const health = await new Client(moved.base).get("/healthz");
  assert.equal(health.status, 200);
  // The session made before the move still holds.
  const c = new Client(moved.base);
  for (const kv of saved.cookie.split("; ")) {
    const i = kv.indexOf("=");
    c.jar.set(kv.slice(0, i), kv.slice(i + 1));
  }
  c.csrf = saved.csrf;
  assert.deepEqual((await c.get("/api/v1/checkins")).data.checkins, saved.checkins);
  assert.equal(saved.checkins[0].note, "marker-move-2 packing boxes");
  // A fresh sign-in (the password hash moved too) reads the sealed text.
  const again = new Client(moved.base);
  await again.login("noor", PW);
  const journal = (await again.get("/api/v1/journal")).data.entries;
  assert.ok(journal.some((e) => e.reply === saved.reply), "the sealed reflection opens");
  assert.equal((await again.get("/api/v1/journal/draft")).data.text, "marker-draft half");
  const plan = await again.get("/api/v1/safety-plan");
  assert.match(JSON.stringify(plan.data), /marker-plan my sister/);
  const admin = new Client(moved.base);
  await admin.login("mara", PW);
  assert.deepEqual((await admin.get("/api/v1/clients")).data.clients, saved.caseload);
  const audit = (await again.get("/api/v1/audit")).data.entries;
  assert.deepEqual(audit.slice(-saved.audit.length), saved.audit, "the audit trail moved whole");
  // New rows get ids after the copied ones (identity sequences were reset).
  const add = await again.api("POST", "/api/v1/checkins", { mood: 8, note: "marker-after settled in" });
  assert.equal(add.status, 201, add.text);
  assert.ok(add.data.id > Math.max(...saved.checkins.map((x) => x.id)), `new id ${add.data.id}`);
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  if (BACKEND === "postgresql") {
    assert.equal(psql(target, "SELECT count(*) FROM checkins").trim(), "4");
  }
});

test("migrate says what is wrong with its arguments", () => {
  assert.equal(spawnSync(BIN, ["migrate", "--from", source], { encoding: "utf8" }).status, 2);
  assert.equal(spawnSync(BIN, ["migrate", "--from", source, "--to", source], { encoding: "utf8" }).status, 2);
  const help = execFileSync(BIN, ["help", "migrate"]).toString();
  assert.match(help, /--force/);
});
