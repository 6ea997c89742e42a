// Black-box test of the scale-out deployment: two `kindred serve` processes
// on one PostgreSQL database behind a private nginx that balances round
// robin, as docs/DEPLOYMENT.md describes.  Everything goes through nginx:
// setup, an invitation, sign-in, check-ins, the sign-in throttle (failures
// answered by both servers still stop at 5), sessions and the audit trail.
// Each server is named by server_id, so the X-Kindred-Server header and
// each server's access log show that both answered.
//
// PostgreSQL only (several servers on one SQLite file are covered by
// servers.test.mjs), and nginx must be installed (Debian's nginx-light,
// which `make test-deps` installs); otherwise a counted, printed skip.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, Client, BACKEND, eventually } from "./lib.mjs";

function nginxPath() {
  for (const p of ["/usr/sbin/nginx", "/usr/bin/nginx"]) {
    try { execFileSync(p, ["-v"], { stdio: "ignore" }); return p; } catch { /* next */ }
  }
  return null;
}
const NGINX = nginxPath();
const skip = BACKEND !== "postgresql"
  ? "several servers behind nginx share a PostgreSQL database; this pass is SQLite"
  : !NGINX ? "nginx is not installed (apt-get install nginx-light; make test-deps does)" : false;
const PW = "round and round we go";
let a, b, nginx, tmp, base;
const answered = new Map(); // X-Kindred-Server -> responses seen

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// A client of nginx that notes which kindred answered each request.
class ViaNginx extends Client {
  constructor() { super(base); this.servers = []; }
  async req(method, path, opts) {
    const r = await super.req(method, path, opts);
    const who = r.headers.get("x-kindred-server");
    assert.ok(who, `${method} ${path} (${r.status}) came through nginx from a named server`);
    this.servers.push(who);
    answered.set(who, (answered.get(who) || 0) + 1);
    return r;
  }
}

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), "kindred-nginx-"));
  chmodSync(tmp, 0o755); // nginx's workers run as nobody under root
  const conf = (id) => {
    const f = join(tmp, `${id}.conf`);
    writeFileSync(f, `server_id = ${id}\ntrusted_proxy = 127.0.0.1\nthreads = 2\n`);
    return f;
  };
  a = await startServer(["--config", conf("kindred-a")]);
  b = await startServer(["--config", conf("kindred-b")], { peer: a });
  const port = await freePort();
  const up = (s) => s.base.replace(/^http:\/\//, "");
  writeFileSync(join(tmp, "nginx.conf"), `
worker_processes 1;
daemon off;
pid ${tmp}/nginx.pid;
error_log ${tmp}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${tmp}/access.log;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  upstream kindred {
    server ${up(a)};
    server ${up(b)};
    keepalive 8;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://kindred;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
    }
  }
}
`);
  nginx = spawn(NGINX, ["-p", tmp, "-c", join(tmp, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  nginx.stderr.on("data", (d) => { err += d; });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await fetch(base + "/healthz"); break; } catch (e) {
      if (i > 50 || nginx.exitCode !== null) throw new Error("nginx did not start: " + err + readLog("error.log"));
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

function readLog(name) {
  try { return readFileSync(join(tmp, name), "utf8"); } catch { return ""; }
}

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const done = new Promise((r) => nginx.on("exit", r));
    nginx.kill("SIGTERM");
    await done;
  }
  if (b) await b.stop();
  if (a) await a.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let clientId;

test("setup, invitation, sign-in and check-ins through nginx, answered by both servers", { skip }, async () => {
  const admin = new ViaNginx();
  const s = await admin.post("/api/v1/setup", { json: { username: "rhea", display_name: "Rhea", password: PW } });
  assert.equal(s.status, 201, s.text);
  const again = await new ViaNginx().post("/api/v1/setup", { json: { username: "other", display_name: "O", password: PW } });
  assert.equal(again.status, 409, "set up once, whichever server is asked");
  admin.csrf = s.data.csrf; // setup signs the administrator in
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  assert.equal(inv.status, 201, inv.text);

  const client = new ViaNginx();
  assert.equal((await client.get(inv.data.path)).status, 200);
  const j = await client.post("/api/v1" + inv.data.path, { json: { username: "kai", display_name: "Kai", password: PW } });
  assert.equal(j.status, 201, j.text);
  clientId = j.data.id;
  client.csrf = j.data.csrf;
  for (let i = 0; i < 4; i++) {
    const r = await client.api("POST", "/api/v1/checkins", { mood: 3 + i, note: `through nginx ${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const token = await client.formToken("/checkins");
  assert.equal((await client.post("/checkins", { form: { csrf: token, mood: "7" } })).status, 303,
    "a form token from one server is good on the other");
  const mine = await client.get("/api/v1/checkins");
  assert.equal(mine.data.checkins.length, 5);
  assert.deepEqual(mine.data.checkins.slice(1).map((c) => c.note),
    ["through nginx 3", "through nginx 2", "through nginx 1", "through nginx 0"]);
  const load = await admin.get("/api/v1/clients");
  assert.deepEqual(load.data.clients.map((c) => c.name), ["Kai"]);
  const theirs = await admin.get(`/api/v1/clients/${clientId}/checkins`);
  assert.equal(theirs.data.checkins.length, 5);
  assert.deepEqual(new Set(client.servers), new Set(["kindred-a", "kindred-b"]), "both servers served the client");
});

test("the audit trail holds every read, whichever server made it", { skip }, async () => {
  const admin = new ViaNginx();
  await admin.login("rhea", PW);
  for (let i = 0; i < 4; i++) {
    assert.equal((await admin.get(`/api/v1/clients/${clientId}/checkins`)).status, 200);
  }
  const client = new ViaNginx();
  await client.login("kai", PW);
  let audit;
  const reads = await eventually(async () => {
    audit = await client.get("/api/v1/audit");
    const r = audit.data.entries.filter((e) => !e.self && e.resource === "checkins");
    return r.length >= 5 && r;
  });
  assert.ok(reads, `the clinician's five reads are there: ${audit.text}`);
});

test("sign-in failures spread over both servers are throttled at 5", { skip }, async () => {
  const c = new ViaNginx();
  const codes = [];
  for (let i = 0; i < 6; i++) {
    codes.push((await c.post("/api/v1/login", { json: { username: "kai", password: "wrong " + i } })).status);
  }
  assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
  assert.deepEqual(new Set(c.servers.slice(0, 5)), new Set(["kindred-a", "kindred-b"]), "both servers counted failures");
  for (let i = 0; i < 2; i++) {
    const r = await new ViaNginx().post("/api/v1/login", { json: { username: "kai", password: PW } });
    assert.equal(r.status, 429, "the right password waits too, on either server");
  }
  // The lock is kai's: another person still signs in through nginx.
  const other = new ViaNginx();
  assert.equal((await other.post("/api/v1/login", { json: { username: "rhea", password: PW } })).status, 200);
});

test("a session ends on both servers when it ends on one", { skip }, async () => {
  const c = new ViaNginx();
  await c.login("rhea", PW);
  const saved = c.cookieHeader();
  assert.equal((await c.get("/api/v1/me")).status, 200);
  assert.equal((await c.get("/api/v1/me")).status, 200);
  assert.equal((await c.api("POST", "/api/v1/logout", {})).status, 200);
  for (let i = 0; i < 2; i++) {
    const r = await new ViaNginx().req("GET", "/api/v1/me", { headers: { cookie: saved } });
    assert.equal(r.status, 401, "signed out everywhere");
  }
  for (const s of [a, b]) {
    assert.equal((await fetch(s.base + "/api/v1/me", { headers: { cookie: saved } })).status, 401);
  }
});

test("both servers answered, as their access logs and nginx's show", { skip }, async () => {
  assert.deepEqual([...answered.keys()].sort(), ["kindred-a", "kindred-b"]);
  for (const [s, id] of [[a, "kindred-a"], [b, "kindred-b"]]) {
    const logged = () => s.stderr().split("\n").filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l)).filter((l) => l.server === id && l.path !== "/healthz");
    /* The access log is written each second, not line by line. */
    await eventually(() => logged().length >= 10);
    const lines = logged();
    assert.ok(lines.length >= 10, `${id} logged ${lines.length} requests`);
    assert.ok(lines.every((l) => l.addr === "127.0.0.1"), "the client's address, from X-Real-IP");
  }
  const proxied = readLog("access.log").trim().split("\n").length;
  assert.ok(proxied >= 20, `nginx passed on ${proxied} requests`);
  const share = answered.get("kindred-a") / (answered.get("kindred-a") + answered.get("kindred-b"));
  assert.ok(share > 0.3 && share < 0.7, `round robin shares the load: ${share}`);
});
