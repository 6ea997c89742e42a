// Black-box HTTP tests of kindred's foundation: setup, sign-in, invitations,
// check-ins, who may see what, CSRF, the audit trail and bad input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, addUser, Client, BACKEND, assertSealed } from "./lib.mjs";

let srv;
const PW = "correct horse battery";
const ids = {};
const clients = {};

before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

// Invites a client through clinician c and lets them join; returns their client.
async function inviteAndJoin(clin, username, name) {
  const inv = await clin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  assert.match(inv.data.path, /^\/join\/[A-Za-z0-9_-]{43}$/);
  const c = new Client(srv.base);
  const page = await c.get(inv.data.path);
  assert.equal(page.status, 200);
  const r = await c.post("/api/v1" + inv.data.path, {
    json: { username, display_name: name, password: PW },
  });
  assert.equal(r.status, 201, r.text);
  c.csrf = r.data.csrf;
  return { client: c, id: r.data.id, path: inv.data.path };
}

test("health check answers JSON without a session", async () => {
  const r = await new Client(srv.base).get("/healthz");
  assert.equal(r.status, 200);
  assert.equal(r.data.status, "ok");
  assert.equal(r.data.store, BACKEND);
});

test("first run: every page leads to setup, and the help page needs no account", async () => {
  const c = new Client(srv.base);
  const home = await c.get("/");
  assert.equal(home.status, 303);
  assert.equal(home.headers.get("location"), "/setup");
  const help = await c.get("/help");
  assert.equal(help.status, 200);
  assert.match(help.text, /Samaritans/);
  assert.match(help.text, /116 123/);
});

test("security headers are on every answer", async () => {
  const r = await new Client(srv.base).get("/help");
  const csp = r.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.equal(r.headers.get("referrer-policy"), "no-referrer");
  assert.equal(r.headers.get("cache-control"), "no-store");
});

test("setup without the form token is refused", async () => {
  const c = new Client(srv.base);
  await c.get("/setup");
  const r = await c.post("/setup", { form: { username: "ada", display_name: "Ada", password: PW } });
  assert.equal(r.status, 403);
  assert.match(r.text, /did not come from kindred/);
});

test("setup creates the administrator once, with a session", async () => {
  const c = new Client(srv.base);
  const token = await c.formToken("/setup");
  const weak = await c.post("/setup", { form: { csrf: token, username: "ada", display_name: "Ada", password: "short" } });
  assert.equal(weak.status, 400);
  assert.match(weak.text, /at least 10 characters/);
  assert.match(weak.text, /value="ada"/, "the form keeps what was typed");
  const r = await c.post("/setup", { form: { csrf: token, username: "ada", display_name: "Ada Clinician", password: PW } });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.headers.get("location"), "/clients");
  const cookie = r.headers.getSetCookie().find((s) => s.startsWith("kd_session="));
  assert.ok(cookie, "a session cookie is set");
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const page = await c.get("/clients");
  assert.equal(page.status, 200);
  assert.match(page.text, /Your clients/);
  // A second setup is refused and a new visitor is sent to sign in.
  const again = await new Client(srv.base).post("/api/v1/setup", {
    json: { username: "eve", display_name: "Eve", password: PW },
  });
  assert.equal(again.status, 409);
  const setupPage = await new Client(srv.base).get("/setup");
  assert.equal(setupPage.status, 303);
  assert.equal(setupPage.headers.get("location"), "/login");
});

test("sign-in: wrong password is 401 with a kind message; the right one works", async () => {
  const c = new Client(srv.base);
  const bad = await c.post("/api/v1/login", { json: { username: "ada", password: "not the password" } });
  assert.equal(bad.status, 401);
  assert.equal(bad.data.error.code, "sign_in_required");
  const unknown = await c.post("/api/v1/login", { json: { username: "nobody", password: PW } });
  assert.equal(unknown.status, 401);
  await c.login("ada", PW);
  const me = await c.get("/api/v1/me");
  assert.equal(me.status, 200);
  assert.equal(me.data.role, "admin");
  clients.ada = c;
  ids.ada = me.data.id;
});

test("HTML sign-in form works with its token and redirects home", async () => {
  const c = new Client(srv.base);
  const token = await c.formToken("/login");
  const r = await c.post("/login", { form: { csrf: token, username: "ada", password: PW } });
  assert.equal(r.status, 303);
  const wrong = new Client(srv.base);
  const t2 = await wrong.formToken("/login");
  const w = await wrong.post("/login", { form: { csrf: t2, username: "ada", password: "nope nope nope" } });
  assert.equal(w.status, 401);
  assert.match(w.text, /did not match/);
});

test("invitation: a client joins the clinician's caseload; the link works once", async () => {
  const { client, id, path } = await inviteAndJoin(clients.ada, "bea", "Bea");
  clients.bea = client;
  ids.bea = id;
  const again = await new Client(srv.base).post("/api/v1" + path, {
    json: { username: "bea2", display_name: "Bea again", password: PW },
  });
  assert.equal(again.status, 410);
  assert.equal(again.data.error.code, "invitation_used");
  const page = await new Client(srv.base).get(path);
  assert.equal(page.status, 400 <= page.status && page.status < 500 ? page.status : -1);
  assert.match(page.text, /already been used/);
  const bogus = await new Client(srv.base).get("/join/" + "x".repeat(43));
  assert.equal(bogus.status, 404);
  const caseload = await clients.ada.get("/api/v1/clients");
  assert.equal(caseload.status, 200);
  assert.deepEqual(caseload.data.clients.map((c) => c.name), ["Bea"]);
});

test("a client cannot invite", async () => {
  const r = await clients.bea.api("POST", "/api/v1/invitations", {});
  assert.equal(r.status, 403);
});

test("check-in through the API, sealed note readable by the client", async () => {
  const r = await clients.bea.api("POST", "/api/v1/checkins", {
    mood: 6, feelings: ["calm", "tired", "calm"], note: "marker-bea-7f3a slept badly but the walk helped",
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.mood, 6);
  assert.equal(r.data.feelings, "calm,tired");
  const list = await clients.bea.get("/api/v1/checkins");
  assert.equal(list.status, 200);
  assert.equal(list.data.checkins.length, 1);
  assert.equal(list.data.checkins[0].note, "marker-bea-7f3a slept badly but the walk helped");
  assert.deepEqual(list.data.checkins[0].feelings.map((f) => f.label), ["Calm", "Tired"]);
});

test("check-in through the HTML form thanks the client and shows the history", async () => {
  const token = await clients.bea.formToken("/checkins");
  const r = await clients.bea.post("/checkins", {
    form: new URLSearchParams([["csrf", token], ["mood", "3"], ["feelings", "anxious"], ["feelings", "lonely"], ["note", "marker-form-91c2"]]),
  });
  assert.equal(r.status, 303, r.text);
  assert.match(r.headers.get("location"), /^\/checkins\?thanks=\d+$/);
  const page = await clients.bea.get(r.headers.get("location"));
  assert.match(page.text, /Thank you for checking in/);
  assert.match(page.text, /marker-form-91c2/);
  assert.match(page.text, /Mood 3 of 10/);
  assert.match(page.text, /Lonely/);
});

test("a check-in form without its token is refused and nothing is saved", async () => {
  const before = (await clients.bea.get("/api/v1/checkins")).data.checkins.length;
  const r = await clients.bea.post("/checkins", { form: { mood: "5" } });
  assert.equal(r.status, 403);
  const noHeader = await clients.bea.post("/api/v1/checkins", { json: { mood: 5 } });
  assert.equal(noHeader.status, 403);
  const after = (await clients.bea.get("/api/v1/checkins")).data.checkins.length;
  assert.equal(after, before);
});

test("check-in input is checked: mood range, unknown feelings, missing mood", async () => {
  for (const body of [{ mood: 11 }, { mood: -1 }, { mood: "seven" }, {}, { mood: 5, feelings: ["smug"] }]) {
    const r = await clients.bea.api("POST", "/api/v1/checkins", body);
    assert.equal(r.status, 400, JSON.stringify(body) + " " + r.text);
    assert.equal(r.data.error.code, "invalid");
  }
  const long = await clients.bea.api("POST", "/api/v1/checkins", { mood: 5, note: "a".repeat(10001) });
  assert.equal(long.status, 413);
});

test("clinicians see only their own clients; clients only themselves", async () => {
  addUser(srv.dir, "cato", "clinician", PW, "Cato");
  const cato = new Client(srv.base);
  await cato.login("cato", PW);
  clients.cato = cato;
  const { client: dan, id: danId } = await inviteAndJoin(cato, "dan", "Dan");
  clients.dan = dan;
  ids.dan = danId;

  const own = await clients.ada.get(`/api/v1/clients/${ids.bea}/checkins`);
  assert.equal(own.status, 200);
  assert.equal(own.data.checkins[0].note !== undefined, true);
  const other = await cato.get(`/api/v1/clients/${ids.bea}/checkins`);
  assert.equal(other.status, 404);
  const otherHtml = await cato.get(`/clients/${ids.bea}/checkins`);
  assert.equal(otherHtml.status, 404);
  assert.doesNotMatch(otherHtml.text, /marker-bea/);
  const peer = await dan.get(`/api/v1/clients/${ids.bea}/checkins`);
  assert.equal(peer.status, 404);
  const danOwn = await dan.get("/api/v1/checkins");
  assert.equal(danOwn.status, 200);
  assert.equal(danOwn.data.checkins.length, 0);
  const danCaseload = await dan.get("/api/v1/clients");
  assert.equal(danCaseload.status, 403);
  const nobody = await new Client(srv.base).get(`/api/v1/clients/${ids.bea}/checkins`);
  assert.equal(nobody.status, 401);
  const nobodyHtml = await new Client(srv.base).get("/checkins");
  assert.equal(nobodyHtml.status, 303);
  assert.equal(nobodyHtml.headers.get("location"), "/login");
});

test("the client can see who looked at their data, including refused attempts", async () => {
  const r = await clients.bea.get("/api/v1/audit");
  assert.equal(r.status, 200);
  const byOthers = r.data.entries.filter((e) => !e.self);
  assert.ok(byOthers.some((e) => e.who === "Ada Clinician" && e.allowed && e.resource === "checkins"));
  assert.ok(byOthers.some((e) => e.who === "Cato" && !e.allowed));
  assert.ok(byOthers.some((e) => e.who === "Dan" && !e.allowed));
  const page = await clients.bea.get("/audit");
  assert.match(page.text, /Who looked at my data/);
  assert.match(page.text, /Cato/);
});

test("free text is sealed: the note's words are nowhere in the database files", async () => {
  assertSealed(srv, ["marker-bea-7f3a", "marker-form-91c2", "slept badly"], "Ada Clinician");
});

test("sign-in is throttled after repeated failures for one username", async () => {
  addUser(srv.dir, "fay", "clinician", PW, "Fay");
  const c = new Client(srv.base);
  const codes = [];
  for (let i = 0; i < 6; i++) {
    codes.push((await c.post("/api/v1/login", { json: { username: "fay", password: "wrong password " + i } })).status);
  }
  assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
  const right = await c.post("/api/v1/login", { json: { username: "fay", password: PW } });
  assert.equal(right.status, 429, "even the right password waits");
  assert.ok(right.headers.get("retry-after"));
});

test("sign-out ends the session on the server", async () => {
  const c = new Client(srv.base);
  await c.login("dan", PW);
  const saved = c.cookieHeader();
  const out = await c.api("POST", "/api/v1/logout", {});
  assert.equal(out.status, 200);
  const replay = await fetch(srv.base + "/api/v1/checkins", { headers: { cookie: saved } });
  assert.equal(replay.status, 401);
});

test("bad input gets a clear 4xx and the server keeps serving", async () => {
  const c = clients.bea;
  const h = { "x-csrf-token": c.csrf };
  const cases = [
    [await c.req("POST", "/api/v1/checkins", { raw: "{\"mood\": 5", contentType: "application/json", headers: h }), 400],
    [await c.req("POST", "/api/v1/checkins", { raw: "[1,2]", contentType: "application/json", headers: h }), 400],
    [await c.req("POST", "/api/v1/checkins", { raw: "mood=%ZZ", contentType: "application/x-www-form-urlencoded", headers: h }), 400],
    [await c.req("POST", "/api/v1/checkins", { raw: Buffer.from([0x6e, 0x6f, 0x74, 0x65, 0x3d, 0xff, 0xfe]), contentType: "application/x-www-form-urlencoded", headers: h }), 400],
    [await c.req("POST", "/api/v1/checkins", { raw: "mood=5&note=%00", contentType: "application/x-www-form-urlencoded", headers: h }), 400],
    [await c.req("POST", "/api/v1/checkins", { raw: "{\"a\":".repeat(100) + "1" + "}".repeat(100), contentType: "application/json", headers: h }), 413],
    [await c.req("POST", "/api/v1/checkins", { raw: "<x/>", contentType: "application/xml", headers: h }), 415],
    [await c.req("POST", "/api/v1/checkins", { raw: "x".repeat(2 * 1024 * 1024), contentType: "application/json", headers: h }), 413],
    [await c.get("/api/v1/no-such-thing"), 404],
    [await c.get("/no-such-page"), 404],
    [await c.req("DELETE", "/api/v1/checkins"), 405],
    [await c.get("/clients/abc/checkins"), 404],
    [await c.get("/api/v1/checkins?limit=100000"), 400],
  ];
  cases.forEach(([r, want], i) => assert.equal(r.status, want, `case ${i}: ${r.text.slice(0, 200)}`));
  const notFound = await c.get("/no-such-page");
  assert.match(notFound.headers.get("content-type"), /text\/html/);
  assert.match(notFound.text, /could not find that page/);
  const apiNotFound = await c.get("/api/v1/no-such-thing");
  assert.equal(apiNotFound.data.error.code, "not_found");
  assert.ok(srv.alive(), "server still running");
  const list = await c.get("/api/v1/checkins");
  assert.equal(list.status, 200);
  assert.equal(list.data.checkins.length, 2, "nothing stored was lost or added");
});

test("static files carry caching headers and answer If-None-Match", async () => {
  const c = new Client(srv.base);
  const r = await c.get("/static/kindred.css");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /text\/css/);
  assert.match(r.headers.get("cache-control"), /max-age/);
  const etag = r.headers.get("etag");
  assert.ok(etag);
  const again = await c.get("/static/kindred.css", { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  assert.equal((await c.get("/static/../templates/login.html")).status, 404);
  assert.equal((await c.get("/static/nothing.css")).status, 404);
});
