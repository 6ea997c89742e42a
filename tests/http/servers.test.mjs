// Black-box HTTP tests of several kindred servers on one database, as
// behind a round-robin load balancer: every request alternates between two
// servers, and sessions, form tokens, invitations, the login throttle and
// the audit trail hold whichever server answers; races between the two
// (setup, one invitation joined twice) have one winner.  Runs on both
// backends: two processes can share a SQLite file on one machine too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, Client, eventually } from "./lib.mjs";

const PW = "two lamps one room";
let a, b;

// A client whose requests go to a and b in turn, one cookie jar.
class RoundRobin extends Client {
  constructor() { super(a.base); this.n = 0; this.seen = new Set(); }
  async req(method, path, opts) {
    this.base = this.n++ % 2 === 0 ? a.base : b.base;
    this.seen.add(this.base);
    return super.req(method, path, opts);
  }
}

before(async () => {
  a = await startServer();
  b = await startServer([], { peer: a });
});
after(async () => {
  await b.stop();
  await a.stop();
});

let admins = [];
// The administrator who won the setup race.
async function winner() {
  assert.equal(admins.length, 1, "one administrator");
  return admins[0];
}

test("setup raced on both servers makes one administrator", async () => {
  const tries = await Promise.all([a, b, a, b].map((s, i) =>
    new Client(s.base).post("/api/v1/setup", { json: { username: `boss${i}`, display_name: "Boss", password: PW } })));
  const codes = tries.map((r) => r.status).sort();
  assert.deepEqual(codes, [201, 409, 409, 409], tries.map((r) => r.text).join("\n"));
  admins = tries.map((r, i) => (r.status === 201 ? `boss${i}` : null)).filter(Boolean);
});

test("a session, its form token and its data hold on whichever server answers", async () => {
  const admin = new RoundRobin();
  await admin.login(await winner(), PW);
  const me = await admin.get("/api/v1/me");
  assert.equal(me.status, 200);
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);

  const client = new RoundRobin();
  assert.equal((await client.get(inv.data.path)).status, 200);
  const j = await client.post("/api/v1" + inv.data.path, { json: { username: "kit", display_name: "Kit", password: PW } });
  assert.equal(j.status, 201, j.text);
  client.csrf = j.data.csrf;
  for (let i = 0; i < 4; i++) {
    const r = await client.api("POST", "/api/v1/checkins", { mood: 4 + i, note: `note ${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const mine = await client.get("/api/v1/checkins");
  assert.equal(mine.data.checkins.length, 4);
  assert.deepEqual(mine.data.checkins.map((c) => c.note), ["note 3", "note 2", "note 1", "note 0"]);
  // The HTML form's token, fetched from one server, is good on the other.
  const token = await client.formToken("/checkins");
  const form = await client.post("/checkins", { form: { csrf: token, mood: "6" } });
  assert.equal(form.status, 303, form.text);

  const caseload = await admin.get("/api/v1/clients");
  assert.deepEqual(caseload.data.clients.map((c) => c.name), ["Kit"]);
  const theirs = await admin.get(`/api/v1/clients/${j.data.id}/checkins`);
  assert.equal(theirs.status, 200);
  assert.equal(theirs.data.checkins.length, 5);
  // The audit trail shows the reads made through both servers.
  let audit;
  const seen = await eventually(async () => {
    audit = await client.get("/api/v1/audit");
    return audit.data.entries.some((e) => !e.self && e.resource === "checkins");
  });
  assert.ok(seen, audit.text);

  // Signing out on one server ends the session on the other.
  const saved = client.cookieHeader();
  assert.equal((await client.api("POST", "/api/v1/logout", {})).status, 200);
  for (const s of [a, b]) {
    const replay = await fetch(s.base + "/api/v1/checkins", { headers: { cookie: saved } });
    assert.equal(replay.status, 401);
  }
  assert.equal(admin.seen.size, 2, "both servers answered");
});

test("one invitation joined on both servers at once: one joins, one is told it is used", async () => {
  const admin = new Client(b.base);
  await admin.login(await winner(), PW);
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  const tries = await Promise.all([a, b, a, b].map((s, i) =>
    new Client(s.base).post("/api/v1" + inv.data.path, { json: { username: `racer${i}`, display_name: "Racer", password: PW } })));
  const codes = tries.map((r) => r.status).sort();
  assert.deepEqual(codes, [201, 410, 410, 410], tries.map((r) => r.text).join("\n"));
  const caseload = await admin.get("/api/v1/clients");
  assert.equal(caseload.data.clients.filter((c) => c.name === "Racer").length, 1);
});

test("the sign-in throttle counts failures on both servers together", async () => {
  const c = new RoundRobin();
  const codes = [];
  for (let i = 0; i < 6; i++) {
    codes.push((await c.post("/api/v1/login", { json: { username: "kit", password: "wrong " + i } })).status);
  }
  assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
  for (const s of [a, b]) {
    const r = await new Client(s.base).post("/api/v1/login", { json: { username: "kit", password: PW } });
    assert.equal(r.status, 429, "throttled on every server");
  }
});

// Behind a load balancer every request comes from its address; with
// trusted_proxy the balancer's X-Real-IP names the client, so the per-address
// throttle (20 failures) counts each client, not the whole clinic together.
// From anyone else X-Real-IP is ignored: a client cannot pick its address.
test("trusted_proxy: the balancer's X-Real-IP is the address the throttle counts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-proxy-"));
  const conf = join(dir, "kindred.conf");
  writeFileSync(conf, "trusted_proxy = 127.0.0.1, ::1\n");
  const login = (s, ip, username, password) => fetch(s.base + "/api/v1/login", {
    method: "POST", headers: { "content-type": "application/json", "x-real-ip": ip },
    body: JSON.stringify({ username, password }),
  }).then((r) => r.status);
  try {
    for (const trusted of [true, false]) {
      const s = await startServer(trusted ? ["--config", conf] : []);
      try {
        const admin = new Client(s.base);
        assert.equal((await admin.post("/api/v1/setup", { json: { username: "ola", display_name: "Ola", password: PW } })).status, 201);
        const codes = [];
        for (let i = 0; i < 21; i++) codes.push(await login(s, "192.0.2.1", `nobody${i}`, "guess"));
        assert.equal(codes[19], 401);
        assert.equal(codes[20], 429, "the 21st failure from one address is throttled");
        assert.equal(await login(s, "192.0.2.2", "ola", PW), trusted ? 200 : 429,
          trusted ? "another client behind the balancer still signs in" : "X-Real-IP from an untrusted peer is ignored");
      } finally {
        await s.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
