// The authorization matrix (issue 6, item 1): every endpoint × every actor
// × own/other's resource, against one table of expected answers.
//
// The endpoints come from two sources that must agree with the table:
// the route table printed by the binary (`kindred routes`: every HTML page
// and every /api/v1 twin) and the `paths:` of docs/openapi.yaml.  A route or
// an operation without a row in TABLE fails, and so does a row for an
// endpoint that no longer exists, so the matrix cannot silently fall behind.
//
// Actors: anon (not signed in), A (a client, the owner of the resources),
// B (another client of the same clinician), clinA (A's clinician), clinX
// (another clinician), admin (the first account: an administrator who is
// also a clinician, with their own client C), sup (a supporter, made with
// `kindred user add --role supporter`; supporters hold no grants yet, so
// they must see nothing of A's).  {id} is tried with A (A's user id, or one
// of A's journal entries) and with C (the admin's client), so each actor
// meets both their own and someone else's resource.
//
// Every state-changing request carries the actor's valid CSRF token (the
// session's, or the anonymous form token), so a refusal is about access.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { startServer, addUser, Client, BIN } from "./lib.mjs";

const PW = "matrix password 1";
const ACTORS = ["anon", "A", "B", "clinA", "clinX", "admin", "sup"];

// Expected answers.  One line per endpoint face and target: METHOD PATH
// TARGET, then one cell per actor in ACTORS order.
//   ok      any 2xx
//   >/x     303 See Other with a Location starting with /x
//   NNN     exactly that status (401 sign in, 403 never for this role,
//           404 not theirs / not known to them, 409 conflict)
// TARGET is A or C for {id} paths (whose {id}), "-" otherwise.
const TABLE = `
# method path                                 target anon     A          B          clinA      clinX      admin      sup
GET  /healthz                                   -     ok       ok         ok         ok         ok         ok         ok
GET  /                                          -     ok       >/checkins >/checkins >/clients  >/clients  >/clients  >/people
GET  /help                                      -     ok       ok         ok         ok         ok         ok         ok
GET  /api/v1/help                               -     ok       ok         ok         ok         ok         ok         ok
GET  /setup                                     -     >/login  >/login    >/login    >/login    >/login    >/login    >/login
POST /setup                                     -     409      409        409        409        409        409        409
POST /api/v1/setup                              -     409      409        409        409        409        409        409
GET  /login                                     -     ok       >/         >/         >/         >/         >/         >/
POST /login                                     -     401      >/         >/         >/         >/         >/         >/
POST /api/v1/login                              -     401      ok         ok         ok         ok         ok         ok
POST /logout                                    -     401      >/login    >/login    >/login    >/login    >/login    >/login
POST /api/v1/logout                             -     401      ok         ok         ok         ok         ok         ok
GET  /api/v1/me                                 -     401      ok         ok         ok         ok         ok         ok
GET  /join/{token}                              -     ok       ok         ok         ok         ok         ok         ok
POST /join/{token}                              -     >/settings >/settings >/settings >/settings >/settings >/settings >/settings
POST /api/v1/join/{token}                       -     ok       ok         ok         ok         ok         ok         ok
GET  /invitations/new                           -     >/login  403        403        ok         ok         ok         403
POST /invitations                               -     401      403        403        ok         ok         ok         403
POST /api/v1/invitations                        -     401      403        403        ok         ok         ok         403
GET  /checkins                                  -     >/login  ok         ok         >/clients  >/clients  >/clients  >/clients
GET  /api/v1/checkins                           -     401      ok         ok         403        403        403        403
POST /checkins                                  -     401      >/checkins >/checkins 404        404        404        404
POST /api/v1/checkins                           -     401      ok         ok         404        404        404        404
GET  /clients                                   -     >/login  403        403        ok         ok         ok         403
GET  /api/v1/clients                            -     401      403        403        ok         ok         ok         403
GET  /clients/{id}/checkins                     A     >/login  ok         404        ok         404        404        404
GET  /clients/{id}/checkins                     C     >/login  404        404        404        404        ok         404
GET  /api/v1/clients/{id}/checkins              A     401      ok         404        ok         404        404        404
GET  /api/v1/clients/{id}/checkins              C     401      404        404        404        404        ok         404
GET  /audit                                     -     >/login  ok         ok         ok         ok         ok         ok
GET  /api/v1/audit                              -     401      ok         ok         ok         ok         ok         ok
GET  /safety-plan                               -     >/login  ok         ok         404        404        404        404
GET  /api/v1/safety-plan                        -     401      ok         ok         404        404        404        404
POST /safety-plan                               -     401      >/safety-plan >/safety-plan 404  404        404        404
POST /api/v1/safety-plan                        -     401      ok         ok         404        404        404        404
GET  /safety-plan/download                      -     >/login  ok         ok         404        404        404        404
GET  /clients/{id}/safety-plan                  A     >/login  ok         404        ok         404        404        404
GET  /clients/{id}/safety-plan                  C     >/login  404        404        404        404        ok         404
GET  /api/v1/clients/{id}/safety-plan           A     401      ok         404        ok         404        404        404
GET  /api/v1/clients/{id}/safety-plan           C     401      404        404        404        404        ok         404
POST /clients/{id}/safety-plan                  A     401      >/clients/ 404        >/clients/ 404        404        404
POST /clients/{id}/safety-plan                  C     401      404        404        404        404        >/clients/ 404
POST /api/v1/clients/{id}/safety-plan           A     401      ok         404        ok         404        404        404
POST /api/v1/clients/{id}/safety-plan           C     401      404        404        404        404        ok         404
GET  /api/v1/clients/{id}/risk                  A     401      404        404        ok         404        404        404
GET  /api/v1/clients/{id}/risk                  C     401      404        404        404        404        ok         404
POST /clients/{id}/risk/seen                    A     401      404        404        >/clients/ 404        404        404
POST /clients/{id}/risk/seen                    C     401      404        404        404        404        >/clients/ 404
POST /api/v1/clients/{id}/risk/seen             A     401      404        404        ok         404        404        404
POST /api/v1/clients/{id}/risk/seen             C     401      404        404        404        404        ok         404
GET  /journal                                   -     >/login  ok         ok         404        404        404        404
GET  /api/v1/journal                            -     401      ok         ok         404        404        404        404
POST /journal                                   -     401      >/journal/ >/journal/ 404        404        404        404
POST /api/v1/journal                            -     401      ok         ok         404        404        404        404
GET  /api/v1/journal/draft                      -     401      ok         ok         404        404        404        404
POST /journal/draft                             -     401      >/journal  >/journal  404        404        404        404
POST /api/v1/journal/draft                      -     401      ok         ok         404        404        404        404
GET  /journal/{id}                              A     >/login  ok         404        404        404        404        404
GET  /journal/{id}                              C     >/login  404        404        404        404        404        404
GET  /api/v1/journal/{id}                       A     401      ok         404        404        404        404        404
GET  /api/v1/journal/{id}                       C     401      404        404        404        404        404        404
GET  /settings                                  -     >/login  ok         ok         404        404        404        404
GET  /api/v1/settings                           -     401      ok         ok         404        404        404        404
POST /settings                                  -     401      >/settings >/settings 404        404        404        404
POST /api/v1/settings                           -     401      ok         ok         404        404        404        404
GET  /my-data                                    -     >/login  ok         ok         ok         ok         ok         ok
GET  /api/v1/my-data/export                     -     401      ok         ok         404        404        404        404
POST /my-data/delete                            -     401      403        403        403        403        403        403
POST /api/v1/my-data/delete                     -     401      403        403        403        403        403        403
GET  /supporters                                 -     >/login    ok         ok         404        404        404        ok
GET  /api/v1/supporters                          -     401        ok         ok         404        404        404        ok
POST /supporters                                 -     401        ok         ok         404        404        404        403
POST /api/v1/supporters                          -     401        ok         ok         404        404        404        403
POST /supporters/{id}                            A     401        404        404        404        404        404        404
POST /api/v1/supporters/{id}                     A     401        404        404        404        404        404        404
POST /supporters/{id}/remove                     A     401        404        404        404        404        404        404
POST /api/v1/supporters/{id}/remove              A     401        404        404        404        404        404        404
POST /supporters/{id}                            C     401        404        404        404        404        404        404
POST /api/v1/supporters/{id}                     C     401        404        404        404        404        404        404
POST /supporters/{id}/remove                     C     401        404        404        404        404        404        404
POST /api/v1/supporters/{id}/remove              C     401        404        404        404        404        404        404
GET  /people                                     -     >/login    ok         ok         404        404        404        ok
GET  /api/v1/people                              -     401        ok         ok         404        404        404        ok
GET  /people/{id}                                A     >/login    404        404        404        404        404        404
GET  /api/v1/people/{id}                         A     401        404        404        404        404        404        404
GET  /people/{id}                                C     >/login    404        404        404        404        404        404
GET  /api/v1/people/{id}                         C     401        404        404        404        404        404        404
GET  /measures                                   -     >/login    ok         ok         404        404        404        404
GET  /api/v1/measures                            -     401        ok         ok         404        404        404        404
GET  /measures/{token}                           -     >/login    ok         ok         404        404        404        404
GET  /api/v1/measures/{token}                    -     401        ok         ok         404        404        404        404
POST /measures/{token}                           -     401        >/responses/ >/responses/ 404        404        404        404
POST /api/v1/measures/{token}                    -     401        ok         ok         404        404        404        404
GET  /responses/{id}                             A     >/login    ok         404        ok         404        404        404
GET  /api/v1/responses/{id}                      A     401        ok         404        ok         404        404        404
GET  /responses/{id}                             C     >/login    404        404        404        404        ok         404
GET  /api/v1/responses/{id}                      C     401        404        404        404        404        ok         404
GET  /progress                                   -     >/login    ok         ok         404        404        404        404
GET  /api/v1/progress                            -     401        ok         ok         404        404        404        404
GET  /clients/{id}/measures                      A     >/login    ok         404        ok         404        404        404
GET  /api/v1/clients/{id}/measures               A     401        ok         404        ok         404        404        404
GET  /clients/{id}/measures                      C     >/login    404        404        404        404        ok         404
GET  /api/v1/clients/{id}/measures               C     401        404        404        404        404        ok         404
POST /clients/{id}/assignments                   A     401        >/measures 404        >/clients/ 404        404        404
POST /api/v1/clients/{id}/assignments            A     401        ok         404        ok         404        404        404
POST /clients/{id}/assignments                   C     401        404        404        404        404        >/clients/ 404
POST /api/v1/clients/{id}/assignments            C     401        404        404        404        404        ok         404
GET  /clients/{id}/progress                      A     >/login    ok         404        ok         404        404        404
GET  /api/v1/clients/{id}/progress               A     401        ok         404        ok         404        404        404
GET  /clients/{id}/progress                      C     >/login    404        404        404        404        ok         404
GET  /api/v1/clients/{id}/progress               C     401        404        404        404        404        ok         404
`;

function parseTable(text) {
  const rows = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [method, path, target, ...cells] = line.trim().split(/\s+/);
    assert.equal(cells.length, ACTORS.length, `TABLE line has ${cells.length} cells: ${line}`);
    const key = `${method} ${path} ${target}`;
    assert.ok(!rows.has(key), `TABLE has ${key} twice`);
    rows.set(key, { method, path, target, want: Object.fromEntries(ACTORS.map((a, i) => [a, cells[i]])) });
  }
  return rows;
}

// The `paths:` of the OpenAPI document, read the simple way: a path is a
// line indented by exactly two spaces ending in ':', a method a line
// indented by exactly four; a line without indent ends the section.
export function openapiOps(yaml) {
  const ops = [];
  let inPaths = false, path = null;
  for (const line of yaml.split("\n")) {
    if (/^paths:\s*$/.test(line)) { inPaths = true; continue; }
    if (!inPaths) continue;
    if (/^\S/.test(line)) break;
    let m;
    if ((m = line.match(/^ {2}(\/\S*):\s*$/))) path = m[1];
    else if ((m = line.match(/^ {4}(get|put|post|delete|patch|head|options|trace):\s*$/)) && path) {
      ops.push(`${m[1].toUpperCase()} ${path}`);
    }
  }
  return ops;
}

// Every endpoint face: "METHOD PATH" for each HTML route and each /api/v1
// twin of the binary's route table, and each OpenAPI operation.
function endpoints() {
  const routes = JSON.parse(execFileSync(BIN, ["routes"]).toString());
  assert.ok(routes.length > 20, "kindred routes lists the route table");
  const faces = new Set();
  for (const r of routes) {
    if (r.html) faces.add(`${r.method} ${r.pattern}`);
    if (r.api) faces.add(`${r.method} /api/v1${r.pattern}`);
  }
  const doc = openapiOps(readFileSync("docs/openapi.yaml", "utf8"));
  assert.ok(doc.length > 20, "the OpenAPI paths were read");
  for (const op of doc) faces.add(op);
  return { faces: [...faces], routes: routes.length, doc: doc.length };
}

function targetsOf(face) {
  return face.includes("{id}") ? ["A", "C"] : ["-"];
}

test("the parser reads a sample of OpenAPI paths", () => {
  const sample = "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      summary: x\n    post:\n" +
    "      requestBody:\n        get:\n  /b/{id}:\n    get:\ncomponents:\n  /c:\n    get:\n";
  assert.deepEqual(openapiOps(sample), ["GET /a", "POST /a", "GET /b/{id}"]);
});

test("every route and every OpenAPI operation has a row in the table, and no row is stale", () => {
  const table = parseTable(TABLE);
  const { faces } = endpoints();
  const missing = [];
  for (const f of faces) {
    for (const t of targetsOf(f)) if (!table.has(`${f} ${t}`)) missing.push(`${f} ${t}`);
  }
  const known = new Set(faces.flatMap((f) => targetsOf(f).map((t) => `${f} ${t}`)));
  const stale = [...table.keys()].filter((k) => !known.has(k));
  assert.deepEqual(missing, [], "endpoints without an expectation in TABLE:\n  " + missing.join("\n  "));
  assert.deepEqual(stale, [], "TABLE rows for endpoints that do not exist:\n  " + stale.join("\n  "));
});

// --- the world the matrix runs in ---

let srv;
const creds = {}; // actor -> username
const who = {}; // actor -> a signed-in (or anonymous) Client
const ids = {}; // A, C -> user ids; jA, jC -> journal entry ids
let serial = 0;

async function anonClient() {
  const c = new Client(srv.base);
  c.csrf = await c.formToken("/login"); // the double-submit form token
  return c;
}

async function signedIn(actor) {
  if (actor === "anon") return anonClient();
  const c = new Client(srv.base);
  await c.login(creds[actor], PW);
  return c;
}

async function join(clin, username) {
  const inv = await clin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  const c = new Client(srv.base);
  const r = await c.post("/api/v1" + inv.data.path, { json: { username, display_name: username, password: PW } });
  assert.equal(r.status, 201, r.text);
  c.csrf = r.data.csrf;
  return [c, r.data.id];
}

async function freshToken() {
  const inv = await who.clinA.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  return inv.data.token;
}

const MARKERS = ["marker-authz-note-a1", "marker-authz-journal-a1", "marker-authz-plan-a1"];

before(async () => {
  srv = await startServer();
  const admin = new Client(srv.base);
  const s = await admin.post("/api/v1/setup", { json: { username: "admin", display_name: "Admin Clinician", password: PW } });
  assert.equal(s.status, 201, s.text);
  admin.csrf = s.data.csrf;
  who.admin = admin;
  creds.admin = "admin";
  for (const [actor, user, role] of [["clinA", "clina", "clinician"], ["clinX", "clinx", "clinician"], ["sup", "sup", "supporter"]]) {
    addUser(srv.dir, user, role, PW, user);
    creds[actor] = user;
    who[actor] = await signedIn(actor);
  }
  [who.A, ids.A] = await join(who.clinA, "clienta");
  [who.B] = await join(who.clinA, "clientb");
  const [c, cId] = await join(admin, "clientc");
  ids.C = cId;
  Object.assign(creds, { A: "clienta", B: "clientb" });
  who.anon = await anonClient();

  // A's data, which nobody else may see.
  assert.equal((await who.A.api("POST", "/api/v1/checkins", { mood: 4, note: MARKERS[0] })).status, 201);
  const j = await who.A.api("POST", "/api/v1/journal", { text: MARKERS[1] + " a quiet day with tea" });
  assert.equal(j.status, 201, j.text);
  ids.jA = j.data.id;
  assert.equal((await who.A.api("POST", "/api/v1/safety-plan", { reasons: [MARKERS[2]] })).status, 200);
  const jc = await c.api("POST", "/api/v1/journal", { text: "C writes a line about the garden" });
  assert.equal(jc.status, 201, jc.text);
  ids.jC = jc.data.id;
  const ra = await who.A.api("POST", "/api/v1/measures/phq9", { answers: [1, 0, 0, 1, 0, 0, 1, 0, 0] });
  assert.equal(ra.status, 201, ra.text);
  ids.rA = ra.data.id;
  const rc = await c.api("POST", "/api/v1/measures/gad7", { answers: [1, 0, 0, 1, 0, 0, 1] });
  assert.equal(rc.status, 201, rc.text);
  ids.rC = rc.data.id;
});
after(async () => { await srv?.stop(); });

// A valid body for each state-changing endpoint, so that only access
// decides the answer.  (path without /api/v1) -> fields.
function bodyFor(path) {
  switch (path) {
    case "/setup": return { username: `late${++serial}`, display_name: "Late", password: PW };
    case "/join/{token}": return { username: `joiner${++serial}`, display_name: "Joiner", password: PW };
    case "/checkins": return { mood: 6, feelings: ["calm"], note: "matrix check-in" };
    case "/safety-plan":
    case "/clients/{id}/safety-plan": return { coping: ["a walk"], reasons: [MARKERS[2]] };
    case "/journal": return { text: "matrix entry, an ordinary day" };
    case "/journal/draft": return { text: "matrix draft" };
    case "/settings": return { notify: "clinician", replies: true };
    case "/measures/{token}": return { answers: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
    case "/my-data/delete": return { password: "not the password at all" };
    case "/clients/{id}/assignments": return { instrument: "phq9", schedule: "weekly" };
    default: return {};
  }
}

// Rows whose request would end or replace the actor's session run on a
// session of their own.
const FRESH_SESSION = new Set(["/login", "/logout", "/join/{token}"]);

async function send(actor, row) {
  const api = row.path.startsWith("/api/v1/");
  const bare = api ? row.path.slice(7) : row.path;
  let c = who[actor];
  if (FRESH_SESSION.has(bare)) c = await signedIn(actor);
  let path = row.path;
  if (path.includes("{id}")) {
    const id = bare.startsWith("/journal/") ? ids["j" + row.target]
      : bare.startsWith("/responses/") ? ids["r" + row.target] : ids[row.target];
    path = path.replace("{id}", String(id));
  }
  if (bare.startsWith("/measures/")) path = path.replace("{token}", "phq9");
  if (path.includes("{token}")) path = path.replace("{token}", await freshToken());
  if (row.method === "GET") return c.get(path);
  let fields = bodyFor(bare);
  if (bare === "/login") {
    fields = actor === "anon" ? { username: "nobody-here", password: PW } : { username: creds[actor], password: PW };
  }
  const headers = c.csrf ? { "x-csrf-token": c.csrf } : {};
  if (api) return c.req(row.method, path, { json: fields, headers });
  // A page form: fields as a browser sends them, with the form token.
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    for (const item of Array.isArray(v) ? v : [v]) form.append(k, typeof v === "boolean" ? (v ? "on" : "off") : String(item));
  }
  if (c.csrf) form.append("csrf", c.csrf);
  return c.req(row.method, path, { form });
}

function verdict(want, r) {
  if (want === "ok") return r.status >= 200 && r.status < 300;
  if (want.startsWith(">")) {
    return r.status === 303 && (r.headers.get("location") || "").startsWith(want.slice(1));
  }
  return r.status === Number(want);
}

function describe(r) {
  const loc = r.headers.get("location");
  return `${r.status}${loc ? " -> " + loc : ""}`;
}

test("the matrix: every endpoint × actor × own/other's resource answers as the table says", async () => {
  const table = parseTable(TABLE);
  const failures = [];
  let cells = 0, allowed = 0;
  for (const row of table.values()) {
    for (const actor of ACTORS) {
      const want = row.want[actor];
      const r = await send(actor, row);
      cells++;
      const denied = /^4/.test(want);
      if (!denied) allowed++;
      const line = `${row.method} ${row.path} [${row.target}] as ${actor}: want ${want}, got ${describe(r)}`;
      if (!verdict(want, r)) {
        failures.push((denied && r.status < 400 ? "UNEXPECTED ACCESS: " : "mismatch: ") + line);
        continue;
      }
      if (r.status >= 400) {
        // A refusal has the house shape and shows nothing of A's.
        const api = row.path.startsWith("/api/v1/");
        if (api && !(r.data && r.data.error && r.data.error.code && r.data.error.message)) {
          failures.push(`no {"error":{code,message}} body: ${line}`);
        }
        if (!api && !/^text\/html/.test(r.headers.get("content-type") || "")) {
          failures.push(`not an HTML page: ${line}`);
        }
        for (const m of MARKERS) if (r.text.includes(m)) failures.push(`refusal shows ${m}: ${line}`);
      }
      if (actor !== "A" && actor !== "clinA" && r.status < 400) {
        // Only A and A's clinician may ever read A's words.
        for (const m of MARKERS.slice(0, 2)) if (r.text.includes(m)) failures.push(`LEAK of ${m}: ${line}`);
      }
    }
  }
  assert.ok(srv.alive(), "the server kept serving");
  console.log(`# authz matrix: ${table.size} rows × ${ACTORS.length} actors = ${cells} requests, ${allowed} allowed, ${cells - allowed} refused`);
  assert.deepEqual(failures, [], `${failures.length} of ${cells} cells differ from TABLE:\n  ` + failures.join("\n  "));
});

test("the refusals were written to the audit trail A reads", async () => {
  const r = await who.A.get("/api/v1/audit");
  assert.equal(r.status, 200);
  const refused = new Set(r.data.entries.filter((e) => !e.self && !e.allowed).map((e) => e.who));
  for (const name of ["clientb", "clinx", "Admin Clinician", "sup"]) {
    assert.ok(refused.has(name), `${name}'s refused attempts on A's data are in A's audit trail: ${[...refused]}`);
  }
});
