// The bad-input catalogue (issue 6, item 4): hostile input to every entry
// point that takes input — every POST route, on both faces (the page and
// its /api/v1 twin), and the query strings of every GET route.  Oversized
// bodies, invalid UTF-8, NUL bytes (raw, %00 and \u0000), deep JSON,
// SQL injection strings in every text field, path traversal on /static/,
// header injection, CSRF without a token or with another session's,
// session fixation, a replayed invitation and an expired session.
//
// Each answer must be a clear 4xx (the API's {"error":{"code","message"}},
// a page for pages), the server keeps serving, and the stored data of
// the people in it reads the same afterwards (compared through the API).
// The POST routes are taken from the binary's route table, so a new one
// fails here until it is catalogued in POSTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import { startServer, Client, BIN, BACKEND, psql } from "./lib.mjs";

const PW = "hostile password 1";
let srv, clin, ana, ben, sam, anaId, samId, entryId;

// Every POST route and the fields it reads, with their kind.
const PLAN = { warning_signs: "texts", coping: "texts", distractions: "texts", people: "texts",
  professionals: "texts", environment: "texts", reasons: "texts" };
const POSTS = {
  "/setup": { as: "anon", fields: { username: "text", display_name: "text", password: "text" } },
  "/login": { as: "anon", fields: { username: "text", password: "text" } },
  "/join/{token}": { as: "anon", fields: { username: "text", display_name: "text", password: "text" } },
  "/logout": { as: "ana", fields: {} },
  "/invitations": { as: "clin", fields: {} },
  "/checkins": { as: "ana", fields: { mood: "int", feelings: "texts", note: "text" } },
  "/safety-plan": { as: "ana", fields: PLAN },
  "/clients/{id}/safety-plan": { as: "clin", fields: PLAN },
  "/clients/{id}/risk/seen": { as: "clin", fields: {} },
  "/journal": { as: "ana", fields: { text: "text" } },
  "/journal/draft": { as: "ana", fields: { text: "text" } },
  "/settings": { as: "ana", fields: { notify: "text", replies: "bool" } },
  "/supporters": { as: "ana", fields: { scopes: "texts" } },
  "/my-data/delete": { as: "ana", fields: { password: "text" } },
  "/supporters/{id}": { as: "ana", fields: { scopes: "texts" } },
  "/supporters/{id}/remove": { as: "ana", fields: {} },
  "/measures/{token}": { as: "ana", fields: { answers: "ints", submission: "text" } },
  "/clients/{id}/assignments": { as: "clin", fields: { instrument: "text", schedule: "text" } },
};
// A valid value of each kind, for the fields not under test.
const GOOD = { text: "fine words here", texts: ["fine words"], int: 5, bool: true,
  ints: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
const VALID = {
  "/setup": { username: "latecomer", display_name: "Late", password: PW },
  "/login": { username: "ana", password: PW },
  "/join/{token}": { username: "joiner", display_name: "Joiner", password: PW },
  "/checkins": { mood: 5, feelings: ["calm"], note: "a note" },
  "/safety-plan": { coping: ["a walk"] },
  "/clients/{id}/safety-plan": { coping: ["a walk"] },
  "/journal": { text: "an ordinary day" },
  "/journal/draft": { text: "a draft" },
  "/settings": { notify: "clinician", replies: true },
  "/measures/{token}": { answers: [0, 0, 0, 0, 0, 0, 0, 0, 0] },
  "/my-data/delete": { password: "not the password at all" },
  "/clients/{id}/assignments": { instrument: "phq9", schedule: "weekly" },
};

const SQLI = [
  "'; DROP TABLE users; --",
  "Robert'); DROP TABLE journal_entries;--",
  "' OR '1'='1",
  "\" OR \"\"=\"",
  "1; DELETE FROM checkins WHERE 1=1; --",
  "$1 $2 ?1 :name @x",
  "'; SELECT pg_sleep(10); --",
  "%' UNION SELECT username, password_hash FROM users --",
];

async function anonClient() {
  const c = new Client(srv.base);
  c.csrf = await c.formToken("/login");
  return c;
}

async function invite() {
  const inv = await clin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);
  return inv.data.token;
}

async function join(username) {
  const token = await invite();
  const c = new Client(srv.base);
  const r = await c.post("/api/v1/join/" + token, { json: { username, display_name: username, password: PW } });
  assert.equal(r.status, 201, r.text);
  c.csrf = r.data.csrf;
  return [c, r.data.id];
}

before(async () => {
  srv = await startServer();
  clin = new Client(srv.base);
  const s = await clin.post("/api/v1/setup", { json: { username: "clin", display_name: "Dr Clin", password: PW } });
  assert.equal(s.status, 201, s.text);
  clin.csrf = s.data.csrf;
  [ana, anaId] = await join("ana");
  [ben] = await join("ben");
  [sam, samId] = await join("sam"); // receives the text that is stored on purpose
  assert.equal((await ana.api("POST", "/api/v1/checkins", { mood: 4, feelings: ["tired"], note: "ana's note" })).status, 201);
  const j = await ana.api("POST", "/api/v1/journal", { text: "ana's entry about a long week" });
  assert.equal(j.status, 201, j.text);
  entryId = j.data.id;
  assert.equal((await ana.api("POST", "/api/v1/safety-plan", { coping: ["call my sister"], reasons: ["my cat"] })).status, 200);
  assert.equal((await ana.api("POST", "/api/v1/journal/draft", { text: "ana's draft" })).status, 200);
  assert.equal((await ana.api("POST", "/api/v1/settings", { notify: "clinician", replies: true })).status, 200);
});
after(async () => { await srv?.stop(); });

// What the people in this server have stored, read through the API.
async function snapshot() {
  const read = async (c, path) => {
    const r = await c.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
    return r.data;
  };
  const plan = await read(ana, "/api/v1/safety-plan");
  return JSON.stringify({
    checkins: (await read(ana, "/api/v1/checkins")).checkins,
    journal: await read(ana, "/api/v1/journal"),
    entry: await read(ana, `/api/v1/journal/${entryId}`),
    plan: [plan.steps, plan.updated_at, plan.updated_by],
    settings: await read(ana, "/api/v1/settings"),
    me: await read(ana, "/api/v1/me"),
    ben: (await read(ben, "/api/v1/checkins")).checkins,
    caseload: (await read(clin, "/api/v1/clients")).clients.map((c) => [c.id, c.name, c.checkins]),
  });
}

// A clear refusal: a 4xx with the house error shape (API) or a page.
function assertClear(r, api, what, codes) {
  const line = `${what}: got ${r.status} ${String(r.text).slice(0, 160)}`;
  assert.ok(r.status >= 400 && r.status < 500, "not a 4xx: " + line);
  if (codes) assert.ok(codes.includes(r.status), `want ${codes}: ` + line);
  const ctype = r.headers.get("content-type") || "";
  if (api) {
    assert.match(ctype, /^application\/json/, "not JSON: " + line);
    assert.equal(typeof r.data?.error?.code, "string", "no error.code: " + line);
    assert.equal(typeof r.data?.error?.message, "string", "no error.message: " + line);
  } else {
    assert.match(ctype, /^text\/html/, "not a page: " + line);
    assert.match(r.text, /<html/i, "not a page: " + line);
  }
}

// Runs fn, then checks that the server still serves and nothing stored
// changed.
async function unchanged(fn) {
  const before = await snapshot();
  await fn();
  assert.ok(srv.alive(), "the server is still running");
  const health = await new Client(srv.base).get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(await snapshot(), before, "stored data changed");
}

const clientOf = (as) => ({ ana, clin, ben, sam }[as]);

// The concrete path and the client to send a POST route's input with.
async function target(bare, api) {
  const spec = POSTS[bare];
  let path = bare.replace("{id}", String(anaId));
  if (bare.startsWith("/measures/")) path = path.replace("{token}", "phq9");
  if (path.includes("{token}")) path = path.replace("{token}", await invite());
  const c = spec.as === "anon" ? await anonClient() : clientOf(spec.as);
  return { c, path: (api ? "/api/v1" : "") + path, spec };
}

// Sends a raw body (Buffer or string) to a POST route.
async function sendRaw(bare, api, body, contentType) {
  const { c, path } = await target(bare, api);
  const headers = c.csrf ? { "x-csrf-token": c.csrf } : {};
  return c.req("POST", path, { raw: body, contentType, headers });
}

// The POST routes of the binary, as bare patterns.
function postRoutes() {
  const routes = JSON.parse(execFileSync(BIN, ["routes"]).toString());
  return routes.filter((r) => r.method === "POST").map((r) => r.pattern);
}
function getRoutes() {
  const routes = JSON.parse(execFileSync(BIN, ["routes"]).toString());
  const out = [];
  for (const r of routes.filter((x) => x.method === "GET")) {
    if (r.html) out.push(r.pattern);
    if (r.api) out.push("/api/v1" + r.pattern);
  }
  return out;
}

// The first field of a route (a text one if it has any), or "x".
function firstField(bare) {
  const f = Object.entries(POSTS[bare].fields);
  return (f.find(([, k]) => k === "text" || k === "texts") || f[0] || ["x"])[0];
}

// A JSON body: the route's valid fields with one raw-spliced value.
function jsonWith(bare, field, rawValue) {
  const base = { ...(VALID[bare] || {}) };
  delete base[field];
  const head = JSON.stringify(base).slice(0, -1);
  return Buffer.concat([Buffer.from(head + (head.length > 1 ? "," : "") + JSON.stringify(field) + ":"),
    Buffer.isBuffer(rawValue) ? rawValue : Buffer.from(rawValue), Buffer.from("}")]);
}
function formWith(bare, field, rawValue, c) {
  const base = { ...(VALID[bare] || {}) };
  delete base[field];
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(base)) for (const i of [].concat(v)) p.append(k, String(i));
  if (c?.csrf) p.append("csrf", c.csrf);
  const head = p.toString();
  return Buffer.concat([Buffer.from(head + (head ? "&" : "") + encodeURIComponent(field) + "="),
    Buffer.isBuffer(rawValue) ? rawValue : Buffer.from(rawValue)]);
}

// A raw HTTP exchange, for what fetch refuses to send: literal "../",
// CR/LF in headers.  Answers { status, head, body }.
function rawHttp(bytes) {
  const { hostname, port } = new URL(srv.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname);
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error("no answer to raw request")); }, 10000);
    sock.on("connect", () => sock.write(bytes));
    sock.on("data", (d) => chunks.push(d));
    sock.on("error", (e) => { clearTimeout(timer); reject(e); });
    sock.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString("latin1");
      const end = all.indexOf("\r\n\r\n");
      const head = end < 0 ? all : all.slice(0, end);
      const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
      resolve({ status: m ? Number(m[1]) : 0, head, body: end < 0 ? "" : all.slice(end + 4) });
    });
  });
}
function rawGet(target, extra = "") {
  return rawHttp(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`);
}

// Runs SQL on the server's database (the test's own, never a shared one).
function sql(statement) {
  if (BACKEND === "postgresql") return psql(srv.database, statement);
  return execFileSync("sqlite3", ["-cmd", ".timeout 5000", pathJoin(srv.dir, "kindred.db"), statement]).toString();
}

test("every POST route is in the catalogue", () => {
  const missing = postRoutes().filter((p) => !(p in POSTS));
  assert.deepEqual(missing, [], "POST routes without hostile input: " + missing.join(", "));
});

test("oversized bodies are refused with 413 on every POST route", async () => {
  await unchanged(async () => {
    for (const bare of Object.keys(POSTS)) {
      for (const api of [true, false]) {
        const field = firstField(bare);
        const big = "a".repeat(1024 * 1024 + 16);
        const json = await sendRaw(bare, api, jsonWith(bare, field, JSON.stringify(big)), "application/json");
        assertClear(json, api, `${bare} api=${api} 1 MiB JSON`, [413]);
        const { c } = await target(bare, api);
        const form = await sendRaw(bare, api, formWith(bare, field, big, c), "application/x-www-form-urlencoded");
        assertClear(form, api, `${bare} api=${api} 1 MiB form`, [413]);
      }
    }
    // Over the per-field limit inside an accepted body size is refused too.
    const r = await sendRaw("/journal", true, jsonWith("/journal", "text", JSON.stringify("b".repeat(300000))), "application/json");
    assertClear(r, true, "one 300 KB field", [413]);
    // A flood far over the limit is cut short, and still answered.
    const flood = await sendRaw("/checkins", true, Buffer.alloc(9 * 1024 * 1024, 0x61), "application/json").catch((e) => e);
    if (!(flood instanceof Error)) assertClear(flood, true, "9 MiB flood", [413]);
  });
});

test("invalid UTF-8 and NUL bytes are refused with 400 on every POST route", async () => {
  const badJson = {
    "invalid UTF-8": Buffer.from([0x22, 0xff, 0xfe, 0x61, 0x22]),
    "overlong /": Buffer.from([0x22, 0xc0, 0xaf, 0x22]),
    "a lone surrogate": Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]),
    "a raw NUL": Buffer.from([0x22, 0x61, 0x00, 0x62, 0x22]),
    "\\u0000": Buffer.from('"a\\u0000b"'),
  };
  const badForm = {
    "invalid UTF-8": Buffer.from([0xff, 0xfe]),
    "%ff": Buffer.from("%ff%fe"),
    "%c0%af": Buffer.from("%c0%af"),
    "a raw NUL": Buffer.from([0x61, 0x00, 0x62]),
    "%00": Buffer.from("a%00b"),
    "a bad escape": Buffer.from("%zz"),
  };
  await unchanged(async () => {
    for (const bare of Object.keys(POSTS)) {
      const field = firstField(bare);
      for (const api of [true, false]) {
        for (const [name, v] of Object.entries(badJson)) {
          const r = await sendRaw(bare, api, jsonWith(bare, field, v), "application/json");
          assertClear(r, api, `${bare} api=${api} JSON ${name}`, [400]);
        }
        for (const [name, v] of Object.entries(badForm)) {
          const { c } = await target(bare, api);
          const r = await sendRaw(bare, api, formWith(bare, field, v, c), "application/x-www-form-urlencoded");
          assertClear(r, api, `${bare} api=${api} form ${name}`, [400]);
        }
        // The same in a field's name.
        const r = await sendRaw(bare, api, Buffer.from('{"a\\u0000b": 1}'), "application/json");
        assertClear(r, api, `${bare} api=${api} NUL in a name`, [400]);
      }
    }
  });
});

test("deep, wide and malformed JSON is refused on every POST route", async () => {
  const bodies = {
    "17 levels of objects": '{"a":'.repeat(17) + "1" + "}".repeat(17),
    "100000 open brackets": "[".repeat(100000),
    "10000 nested arrays": "[".repeat(10000) + "]".repeat(10000),
    "300 members": "{" + Array.from({ length: 300 }, (_, i) => `"k${i}":1`).join(",") + "}",
    "a top-level array": "[1,2,3]",
    "a top-level string": '"text"',
    "truncated": '{"text": "abc',
    "trailing junk": '{"text": "abc"} x',
    "a duplicate key": '{"text": "a", "text": "b"}',
    "a lone comma": "{,}",
    "empty": " ",
  };
  await unchanged(async () => {
    for (const bare of Object.keys(POSTS)) {
      for (const api of [true, false]) {
        for (const [name, body] of Object.entries(bodies)) {
          const r = await sendRaw(bare, api, body, "application/json");
          if (name === "empty" && r.status < 400) continue; // whitespace: no fields at all is not hostile
          assertClear(r, api, `${bare} api=${api} ${name}`);
        }
      }
    }
  });
});

test("a wrong JSON type for any field is refused with 400 on every POST route", async () => {
  // One value of each JSON type; each field gets every type but its own.
  const VALUES = { string: "text", number: 7, real: 2.5, bool: true, null: null, object: { a: "b" },
    array: ["a"], "array of numbers": [1, 2], "empty array": [] };
  const RIGHT = { text: ["string"], texts: ["string", "array"], int: ["number", "string"],
    bool: ["bool"], ints: ["array of numbers"] };
  let sent = 0;
  await unchanged(async () => {
    for (const [bare, spec] of Object.entries(POSTS)) {
      for (const [field, kind] of Object.entries(spec.fields)) {
        for (const [type, value] of Object.entries(VALUES)) {
          if (RIGHT[kind].includes(type)) continue;
          if (kind === "texts" && type === "empty array") continue; // an emptied step
          const body = { ...(VALID[bare] || {}), [field]: value };
          const r = await sendRaw(bare, true, JSON.stringify(body), "application/json");
          sent++;
          assertClear(r, true, `${bare} ${field} (${kind}) as ${type}`, [400]);
        }
      }
    }
  });
  console.log(`# hostile: ${sent} wrong-type requests`);
  assert.ok(sent > 100, `${sent} wrong types sent`);
});

test("an unknown content type is 415 on every POST route", async () => {
  await unchanged(async () => {
    for (const bare of Object.keys(POSTS)) {
      for (const api of [true, false]) {
        for (const ct of ["application/xml", "text/plain", "multipart/form-data; boundary=x"]) {
          const r = await sendRaw(bare, api, "<x>1</x>", ct);
          assertClear(r, api, `${bare} api=${api} ${ct}`);
        }
      }
    }
  });
});

test("a field sent in both the query and the body is refused (parameter pollution)", async () => {
  await unchanged(async () => {
    const h = { "x-csrf-token": ana.csrf };
    const json = await ana.req("POST", "/api/v1/settings?notify=nobody", { json: { notify: "clinician" }, headers: h });
    assertClear(json, true, "notify in the query and the JSON body", [400]);
    const draft = await ana.req("POST", "/api/v1/journal/draft?text=", { json: { text: "" }, headers: h });
    assertClear(draft, true, "the draft's text in the query and the JSON body", [400]);
    const form = await ana.req("POST", "/settings?notify=nobody", { form: { csrf: ana.csrf, notify: "clinician" } });
    assertClear(form, false, "notify in the query and the form", [400]);
  });
});

test("behind TLS both cookies carry Secure, and HSTS is sent", async () => {
  const dir = mkdtempSync(pathJoin(tmpdir(), "kindred-tls-"));
  const conf = pathJoin(dir, "kindred.conf");
  writeFileSync(conf, "secure_cookies = true\n");
  const tls = await startServer(["--config", conf]);
  try {
    const c = new Client(tls.base);
    const page = await c.get("/setup");
    const anon = page.headers.getSetCookie().find((x) => x.startsWith("kd_csrf="));
    assert.match(anon, /; Secure/);
    assert.match(anon, /HttpOnly/);
    assert.match(anon, /SameSite=Strict/);
    assert.match(page.headers.get("strict-transport-security") || "", /max-age=\d+/);
    const r = await c.post("/api/v1/setup", { json: { username: "tls", display_name: "TLS", password: PW } });
    assert.equal(r.status, 201, r.text);
    const session = r.headers.getSetCookie().find((x) => x.startsWith("kd_session="));
    assert.match(session, /; Secure/);
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
  } finally {
    await tls.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hostile query strings on every GET route are refused with 400", async () => {
  const queries = {
    "%ff": "?q=%ff",
    "%00": "?q=a%00b",
    "%00 in a name": "?a%00b=1",
    "%c0%af": "?q=%c0%af",
    "65 fields": "?" + Array.from({ length: 65 }, (_, i) => `f${i}=1`).join("&"),
    "limit as SQL": "?limit=1%20OR%201%3D1",
    "limit past the range": "?limit=99999999999999999999",
  };
  await unchanged(async () => {
    for (const route of getRoutes()) {
      const api = route.startsWith("/api/v1/");
      let path = route.replace("{token}", "x".repeat(43));
      path = path.replace("{id}", String(route.includes("/journal/") ? entryId : anaId));
      const who = path.includes("/clients") ? clin : ana;
      for (const [name, q] of Object.entries(queries)) {
        const r = await who.get(path + q);
        if (name.startsWith("limit") && !/checkins$/.test(route)) {
          // Only the check-in lists read limit; elsewhere it is ignored.
          assert.ok(r.status < 500, `${route}${q}: ${r.status}`);
          continue;
        }
        if (route === "/healthz") { assert.ok(r.status === 400 || r.status === 200, `${route} ${name}: ${r.status}`); continue; }
        // /healthz is always JSON (for monitors); the rest follow their face.
        assertClear(r, api, `GET ${route} ${name}`, [400]);
      }
      // A URL far past what a request line may hold.
      const long = await rawGet(path + "?q=" + "a".repeat(64 * 1024), `Cookie: ${who.cookieHeader()}\r\n`);
      assert.ok(long.status >= 400 && long.status < 500, `GET ${route} with a 64 KB query: ${long.status}`);
    }
    // Ids that are not ids never reach a query.
    for (const p of ["/api/v1/clients/1%20OR%201=1/checkins", "/api/v1/clients/1'--/checkins",
      "/api/v1/clients/-1/checkins", "/api/v1/clients/0/checkins", "/api/v1/clients/01/checkins",
      "/api/v1/clients/99999999999999999999/checkins", "/api/v1/journal/1;DROP%20TABLE%20users"]) {
      assertClear(await clin.get(p), true, p, [404]);
    }
  });
});

test("SQL injection strings in every text field are kept as text, or refused", async () => {
  const plainFields = { "/checkins": ["note"], "/journal": ["text"], "/journal/draft": ["text"] };
  const snapAna = await snapshot();
  for (const s of SQLI) {
    // Stored fields read back exactly as written (sam's own data).
    const chk = await sam.api("POST", "/api/v1/checkins", { mood: 3, note: s });
    assert.equal(chk.status, 201, chk.text);
    const list = await sam.get("/api/v1/checkins?limit=1");
    assert.equal(list.data.checkins[0].note, s);
    const j = await sam.api("POST", "/api/v1/journal", { text: s });
    assert.equal(j.status, 201, j.text);
    assert.equal((await sam.get(`/api/v1/journal/${j.data.id}`)).data.text, s);
    assert.equal((await sam.api("POST", "/api/v1/journal/draft", { text: s })).status, 200);
    assert.equal((await sam.get("/api/v1/journal/draft")).data.text, s);
    const plan = await sam.api("POST", "/api/v1/safety-plan", { coping: [s], reasons: s });
    assert.equal(plan.status, 200, plan.text);
    const steps = Object.fromEntries(plan.data.steps.map((x) => [x.key, x.items]));
    assert.deepEqual(steps.coping, [s]);
    const byClin = await clin.api("POST", `/api/v1/clients/${samId}/safety-plan`, { people: [s] });
    assert.equal(byClin.status, 200, byClin.text);
    assert.deepEqual(byClin.data.steps.find((x) => x.key === "people").items, [s]);
    // The same through the page form.
    const form = await sam.post("/checkins", { form: { csrf: sam.csrf, mood: "2", note: s } });
    assert.equal(form.status, 303, form.text);
    assert.equal((await sam.get("/api/v1/checkins?limit=1")).data.checkins[0].note, s);
    // Fields with a fixed vocabulary refuse them.
    assertClear(await sam.api("POST", "/api/v1/checkins", { mood: 3, feelings: [s] }), true, `feelings ${s}`, [400]);
    assertClear(await sam.api("POST", "/api/v1/settings", { notify: s }), true, `notify ${s}`, [400]);
    assertClear(await sam.api("POST", "/api/v1/checkins", { mood: s }), true, `mood ${s}`, [400]);
    // Accounts: a username is a pattern, so it is refused; a display
    // name or password is text.
    const anon = new Client(srv.base);
    const login = await anon.post("/api/v1/login", { json: { username: s, password: s } });
    assertClear(login, true, `login ${s}`, [400, 401, 429]);
    const setup = await anon.post("/api/v1/setup", { json: { username: "x" + s, display_name: s, password: s + s } });
    assertClear(setup, true, `setup ${s}`, [400, 409]);
    const bad = await anon.post("/api/v1/join/" + (await invite()), { json: { username: s, display_name: "x", password: PW } });
    assertClear(bad, true, `join as ${s}`, [400]);
  }
  // A display name and a password are text: an account with them works.
  const token = await invite();
  const odd = new Client(srv.base);
  const made = await odd.post("/api/v1/join/" + token, { json: { username: "odd.one", display_name: SQLI[0], password: SQLI[1] } });
  assert.equal(made.status, 201, made.text);
  const again = new Client(srv.base);
  await again.login("odd.one", SQLI[1]);
  assert.equal((await again.get("/api/v1/me")).data.name, SQLI[0]);
  // Nothing else moved: ana's data, and every table still answers.
  const now = JSON.parse(await snapshot());
  const was = JSON.parse(snapAna);
  for (const k of ["checkins", "journal", "entry", "plan", "settings", "me", "ben"]) {
    assert.deepEqual(now[k], was[k], `${k} changed`);
  }
  assert.ok(now.caseload.some((c) => c[1] === SQLI[0]), "the odd name is on the caseload as text");
  assert.equal((await clin.get(`/api/v1/clients/${samId}/checkins?limit=500`)).data.checkins.length, SQLI.length * 2);
  assert.ok(srv.alive());
  void plainFields;
});

test("path traversal on /static/ finds nothing outside the static files", async () => {
  const targets = [
    "/static/../templates/login.html",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/templates/login.html",
    "/static/%2e%2e%2ftemplates%2flogin.html",
    "/static/..%2ftemplates%2flogin.html",
    "/static/..%252ftemplates%252flogin.html",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/..\\templates\\login.html",
    "/static/kindred.css/../../templates/login.html",
    "/static/kindred.css%00.html",
    "/static/./kindred.css",
    "/static/",
    "/static",
    "/static/%ff",
    "/api/v1/../../static/../templates/login.html",
    "http://x/static/../templates/login.html",
  ];
  await unchanged(async () => {
    for (const t of targets) {
      const r = await rawGet(t);
      assert.ok(r.status >= 400 && r.status < 500, `${t}: ${r.status}`);
      assert.doesNotMatch(r.body, /\{\{|root:x:0:0/, `${t} served a file that is not static`);
      assert.match(r.head, /content-type: (text\/html|application\/json)/i, `${t}: a clear answer`);
    }
    // The real file is still served, and only by GET/HEAD.
    assert.equal((await rawGet("/static/kindred.css")).status, 200);
    const post = await ana.req("POST", "/static/kindred.css", { raw: "x", contentType: "text/plain" });
    assert.equal(post.status, 405);
  });
});

test("CR/LF cannot reach a response header", async () => {
  const inject = "x\r\nSet-Cookie: injected=1\r\nLocation: https://evil.example/";
  await unchanged(async () => {
    // In a query echoed into a page and in a path.
    for (const t of ["/login?next=%0d%0aSet-Cookie:%20injected=1", "/journal/1%0d%0aSet-Cookie:%20injected=1",
      "/checkins?thanks=1%0d%0aLocation:%20https://evil.example/"]) {
      const r = await rawGet(t, `Cookie: ${ana.cookieHeader()}\r\n`);
      assert.ok(r.status > 0, t);
      assert.doesNotMatch(r.head, /injected|evil\.example/i, `${t} injected a header`);
    }
    // A cookie with CR/LF in it, or a bare CR, is not a session.
    const cr = await rawHttp(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: kd_session=${"a".repeat(20)}\r${"b".repeat(22)}\r\n\r\n`);
    assert.ok(cr.status >= 400 && cr.status < 500, `bare CR in a cookie: ${cr.status}`);
    const lf = await rawHttp(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: kd_session=${"a".repeat(43)}%0d%0aSet-Cookie:%20injected=1\r\n\r\n`);
    assert.ok(lf.status >= 400 && lf.status < 500, `encoded CRLF in a cookie: ${lf.status}`);
    assert.doesNotMatch(lf.head, /injected/);
    const folded = await rawHttp(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: ${ana.cookieHeader()}\r\n X-Folded: 1\r\n\r\n`);
    assert.ok(folded.status === 200 || (folded.status >= 400 && folded.status < 500), `a folded header: ${folded.status}`);
    // A CSRF header with CR/LF is a wrong token.
    const h = await rawHttp(`POST /api/v1/journal/draft HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: ${ana.cookieHeader()}\r\n` +
      `Content-Type: application/json\r\nX-CSRF-Token: ${ana.csrf}\rX\r\nContent-Length: 2\r\n\r\n{}`);
    assert.ok(h.status >= 400 && h.status < 500, `CR in the CSRF header: ${h.status}`);
  });
  // Text with CR/LF is stored in the body, never in a header: the
  // redirect after a form post is built from an id alone.
  const r = await sam.post("/checkins", { form: { csrf: sam.csrf, mood: "5", note: inject } });
  assert.equal(r.status, 303);
  assert.match(r.headers.get("location"), /^\/checkins\?thanks=\d+$/);
  assert.ok(!r.headers.getSetCookie().some((c) => /injected/.test(c)));
  const j = await sam.post("/journal", { form: { csrf: sam.csrf, text: inject } });
  assert.equal(j.status, 303);
  assert.match(j.headers.get("location"), /^\/journal\/\d+$/);
  const setup = await (async () => {
    const a = await anonClient();
    return a.post("/login", { form: { csrf: a.csrf, username: inject, password: inject } });
  })();
  assertClear(setup, false, "a sign-in form with CR/LF", [400, 401]);
  assert.doesNotMatch([...setup.headers.keys()].join(" "), /location/);
});

test("CSRF: no token, or another session's token, is refused on every POST route", async () => {
  await unchanged(async () => {
    for (const bare of Object.keys(POSTS)) {
      for (const api of [true, false]) {
        const { c, path, spec } = await target(bare, api);
        const fields = VALID[bare] || {};
        const other = spec.as === "anon" ? await anonClient() : ben;
        const tries = {
          "no token": {},
          "another session's token": { "x-csrf-token": other.csrf },
          "an empty token": { "x-csrf-token": "" },
          "a token one letter off": { "x-csrf-token": (c.csrf || "x".repeat(43)).slice(0, -1) + ((c.csrf || "x").endsWith("A") ? "B" : "A") },
        };
        for (const [name, headers] of Object.entries(tries)) {
          let r;
          if (api && spec.as === "anon") {
            // Before sign-in the API takes JSON only (no CORS, so no
            // cross-site JSON); a form there needs the cookie's token.
            r = await c.req("POST", path, { raw: new URLSearchParams(fields).toString(), contentType: "application/x-www-form-urlencoded", headers });
          } else if (api) {
            r = await c.req("POST", path, { json: fields, headers });
          } else {
            const p = new URLSearchParams(fields);
            if (headers["x-csrf-token"] !== undefined) p.append("csrf", headers["x-csrf-token"]);
            r = await c.req("POST", path, { form: p });
          }
          assertClear(r, api, `${bare} api=${api} ${name}`, [403]);
          if (api) assert.equal(r.data.error.code, "csrf");
        }
      }
    }
  });
});

test("session fixation: a session cookie planted before sign-in is never the one after", async () => {
  // An attacker's made-up token, and an attacker's own real session.
  const planted = "A".repeat(43);
  const mallory = new Client(srv.base);
  await mallory.login("ben", PW);
  const stolen = mallory.jar.get("kd_session");
  for (const cookie of [planted, stolen]) {
    const v = new Client(srv.base);
    v.jar.set("kd_session", cookie);
    let r;
    if (cookie === planted) {
      const token = await v.formToken("/login");
      r = await v.post("/login", { form: { csrf: token, username: "ana", password: PW } });
      assert.equal(r.status, 303, r.text.slice(0, 200));
    } else {
      // Signing in over a live session needs that session's token.
      assertClear(await v.post("/api/v1/login", { json: { username: "ana", password: PW } }), true,
        "sign-in over a planted session without its token", [403]);
      r = await v.req("POST", "/api/v1/login", { json: { username: "ana", password: PW }, headers: { "x-csrf-token": mallory.csrf } });
      assert.equal(r.status, 200, r.text.slice(0, 200));
    }
    const now = v.jar.get("kd_session");
    assert.ok(now && now !== cookie, "a new session token at sign-in");
    assert.equal((await v.get("/api/v1/me")).data.name, "ana");
    // The planted cookie does not open ana's data (a real session that
    // was replaced is gone).
    const probe = new Client(srv.base);
    probe.jar.set("kd_session", cookie);
    const me = await probe.get("/api/v1/me");
    assertClear(me, true, "the planted cookie after the victim signed in", [401]);
    assertClear(await probe.get("/api/v1/journal"), true, "the planted cookie reads ana's journal", [401]);
  }
  // The API sign-in gives a new token too.
  const w = new Client(srv.base);
  w.jar.set("kd_session", planted);
  await w.login("ana", PW);
  assert.notEqual(w.jar.get("kd_session"), planted);
});

test("a replayed invitation creates nothing", async () => {
  const token = await invite();
  const first = await new Client(srv.base).post("/api/v1/join/" + token, { json: { username: "once", display_name: "Once", password: PW } });
  assert.equal(first.status, 201);
  await unchanged(async () => {
    const api = await new Client(srv.base).post("/api/v1/join/" + token, { json: { username: "twice", display_name: "Twice", password: PW } });
    assertClear(api, true, "API replay", [410]);
    assert.equal(api.data.error.code, "invitation_used");
    const again = await new Client(srv.base).post("/api/v1/join/" + token, { json: { username: "once", display_name: "Once", password: PW } });
    assertClear(again, true, "API replay with the same account", [410]);
    const a = await anonClient();
    const page = await a.post("/join/" + token, { form: { csrf: a.csrf, username: "thrice", display_name: "Thrice", password: PW } });
    assertClear(page, false, "page replay", [410]);
    assertClear(await a.get("/join/" + token), false, "the used link's page", [410]);
    // An expired one too.
    const old = await invite();
    sql("UPDATE invitations SET expires_at = 1 WHERE used_at IS NULL");
    const late = await new Client(srv.base).post("/api/v1/join/" + old, { json: { username: "late", display_name: "Late", password: PW } });
    assertClear(late, true, "an expired invitation", [410]);
    assert.equal(late.data.error.code, "invitation_expired");
  });
  for (const u of ["twice", "thrice", "late"]) {
    assertClear(await new Client(srv.base).post("/api/v1/login", { json: { username: u, password: PW } }), true, `${u} exists`, [401]);
  }
});

test("an expired session is signed out everywhere", async () => {
  const c = new Client(srv.base);
  await c.login("ben", PW);
  assert.equal((await c.get("/api/v1/me")).status, 200);
  await unchanged(async () => {
    sql(`UPDATE sessions SET expires_at = 1 WHERE expires_at = (SELECT max(expires_at) FROM sessions)`);
    const me = await c.get("/api/v1/me");
    assertClear(me, true, "an expired session on the API", [401]);
    assert.equal(me.data.error.code, "sign_in_required");
    const page = await c.get("/journal");
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("location"), "/login");
    const post = await c.api("POST", "/api/v1/checkins", { mood: 5 });
    assertClear(post, true, "a write with an expired session", [401, 403]);
    const form = await c.post("/journal", { form: { csrf: c.csrf, text: "late words" } });
    assertClear(form, false, "a form with an expired session", [401, 403]);
  });
  assert.equal((await ben.get("/api/v1/me")).status, 200, "ben's other session still works");
});

test("methods that no route has, and odd request lines, are clear 4xx", async () => {
  await unchanged(async () => {
    for (const [m, p] of [["DELETE", "/api/v1/journal"], ["PUT", "/api/v1/settings"], ["PATCH", "/settings"], ["POST", "/api/v1/me"]]) {
      const r = await ana.req(m, p, { headers: { "x-csrf-token": ana.csrf } });
      assertClear(r, p.startsWith("/api/"), `${m} ${p}`, [405]);
    }
    for (const line of ["GET /api/v1/me%00 HTTP/1.1", "GET /%ff HTTP/1.1", "BREW /api/v1/me HTTP/1.1",
      "GET /api/v1/me HTTP/9.9", "GET " + "/a".repeat(20000) + " HTTP/1.1"]) {
      const r = await rawHttp(`${line}\r\nHost: x\r\nConnection: close\r\nCookie: ${ana.cookieHeader()}\r\n\r\n`);
      assert.ok(r.status >= 400 && r.status < 600 && r.status !== 500, `${JSON.stringify(line.slice(0, 40))}: ${r.status}`);
    }
  });
});
