// Black-box HTTP tests of a PostgreSQL outage under a running server: while
// the database is away, private pages and the API answer 503 "try again"
// (not "please sign in"), nothing is half-written, and the crisis lines
// still show; when it returns the very next requests succeed, with no
// restart of kindred.  PostgreSQL only: under SQLite the file cannot go
// away, and the test says so as a counted skip.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, BACKEND, pgOutage, psql } from "./lib.mjs";

const skip = BACKEND !== "postgresql" && "the database is a local SQLite file, which cannot go away";
const PW = "a steady lighthouse";
let srv, admin, client;

before(async () => {
  if (skip) return;
  srv = await startServer();
  admin = new Client(srv.base);
  const r = await admin.post("/api/v1/setup", { json: { username: "ida", display_name: "Ida", password: PW } });
  assert.equal(r.status, 201, r.text);
  admin.csrf = r.data.csrf;
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  client = new Client(srv.base);
  const j = await client.post("/api/v1" + inv.data.path, { json: { username: "joe", display_name: "Joe", password: PW } });
  assert.equal(j.status, 201, j.text);
  client.csrf = j.data.csrf;
  const c = await client.api("POST", "/api/v1/checkins", { mood: 5, note: "before" });
  assert.equal(c.status, 201, c.text);
});

after(async () => {
  if (srv) {
    pgOutage(srv, false);
    await srv.stop();
  }
});

test("database away: 503 for the API and pages, crisis lines still shown", { skip }, async () => {
  pgOutage(srv, true);
  // Several rounds, so each of the server's threads meets the outage.
  for (let i = 0; i < 4; i++) {
    const list = await client.get("/api/v1/checkins");
    assert.equal(list.status, 503, list.text);
    assert.equal(list.data.error.code, "busy");
    const add = await client.api("POST", "/api/v1/checkins", { mood: 2, note: "during" });
    assert.equal(add.status, 503, add.text);
    const page = await client.get("/checkins");
    assert.equal(page.status, 503, "a page says try again, it does not send to sign-in");
    const login = await new Client(srv.base).post("/api/v1/login", { json: { username: "joe", password: PW } });
    assert.equal(login.status, 503);
    const health = await new Client(srv.base).get("/healthz");
    assert.equal(health.status, 503);
  }
  const help = await client.get("/help");
  assert.equal(help.status, 200);
  assert.match(help.text, /116 123/);
  assert.ok(srv.alive(), "the server keeps running");
});

test("database back: the next requests succeed, nothing from the outage was written", { skip }, async () => {
  pgOutage(srv, false);
  for (let i = 0; i < 4; i++) {
    const list = await client.get("/api/v1/checkins");
    assert.equal(list.status, 200, `request ${i} after the outage: ${list.text}`);
    assert.equal(list.data.checkins.length, 1, "the check-ins refused during the outage are not there");
  }
  const add = await client.api("POST", "/api/v1/checkins", { mood: 7, note: "after" });
  assert.equal(add.status, 201, add.text);
  assert.equal((await client.get("/api/v1/checkins")).data.checkins.length, 2);
  assert.equal(psql(srv.database, "SELECT count(*) FROM checkins").trim(), "2");
  const health = await new Client(srv.base).get("/healthz");
  assert.equal(health.status, 200);
});
