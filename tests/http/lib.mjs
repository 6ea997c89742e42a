// Helpers for kindred's black-box HTTP tests: start a real `kindred serve`
// on a free port with a fresh data directory, and a tiny cookie-keeping
// client.  No mocks: every test talks HTTP to the real binary.
//
// The suite runs once per backend.  With KINDRED_HTTP_BACKEND=postgresql
// (tests/run.sh sets it for the second pass, with KINDRED_TEST_PG the URL
// of a cluster's "postgres" database) each server gets a fresh database,
// created here with psql and dropped when the server stops.
import { spawn, execFileSync, spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = process.env.KINDRED_BIN || "build/kindred";
// The backend under test, as /healthz names it.
export const BACKEND = process.env.KINDRED_HTTP_BACKEND === "postgresql" ? "postgresql" : "sqlite";
const PG_ADMIN = process.env.KINDRED_TEST_PG || "";
const databases = new Map(); // data directory -> { name, url } on PostgreSQL
const users = new Map(); // data directory -> servers running on it
let dbSerial = 0;

// The answer of the sqlite3 shell to query on the SQLite file db, trimmed:
// what is really on disk, read past the server.
export function sqlite(db, query) {
  return execFileSync("sqlite3", [db, query], { encoding: "utf8" }).trim();
}

// Whether the command cmd is installed (it answers --version).
export function have(cmd) {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

// The URL of database name on the test cluster (the admin URL with its
// database part replaced; libpq URLs keep host and port in the query).
export function pgDatabaseUrl(name) {
  const m = PG_ADMIN.match(/^(postgres(?:ql)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/);
  if (!m) throw new Error("KINDRED_TEST_PG is not a postgresql:// URL: " + PG_ADMIN);
  return `${m[1]}/${name}${m[2] || ""}`;
}

export function psql(url, sql) {
  return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
    { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 }).toString();
}

function freshDatabase() {
  if (!PG_ADMIN) throw new Error("KINDRED_HTTP_BACKEND=postgresql needs KINDRED_TEST_PG");
  const name = `kindred_http_${process.pid}_${++dbSerial}`;
  psql(PG_ADMIN, `CREATE DATABASE ${name}`);
  return { name, url: pgDatabaseUrl(name) };
}

// Cuts a server's PostgreSQL database off (down = true: no new connections,
// the open ones ended, as when the database server goes away) or lets it
// back.  The rest of the cluster keeps running.
export function pgOutage(srv, down) {
  const name = databases.get(srv.dir)?.name;
  if (!name) throw new Error("pgOutage: the server is not on PostgreSQL");
  psql(PG_ADMIN, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${down ? "false" : "true"}`);
  if (down) {
    psql(PG_ADMIN, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${name}'`);
  }
}

// The --database location of a server's data directory (null: the
// default SQLite file inside it).
export function databaseOf(dir) {
  return databases.get(dir)?.url || null;
}

// Starts a server; with { peer }, a second server on the peer's data
// directory and database (the same master key and data, as several
// servers behind a load balancer share them).  The last of them to stop
// removes the directory and the database.  With { dir }, a server on an
// existing data directory (and its database), which { keep } leaves in
// place when the server stops, for restarts.
export async function startServer(extraArgs = [], { peer, dir: reuse, keep } = {}) {
  const dir = peer ? peer.dir : reuse || mkdtempSync(join(tmpdir(), "kindred-http-"));
  const known = databases.get(dir) || null;
  const db = peer || known ? known : BACKEND === "postgresql" ? freshDatabase() : null;
  if (db) databases.set(dir, db);
  users.set(dir, (users.get(dir) || 0) + 1);
  const dbArgs = db ? ["--database", db.url] : [];
  const child = spawn(BIN, ["serve", "--port", "0", "--data-dir", dir, ...dbArgs, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "", stopped = false;
  child.stderr.on("data", (d) => { stderr += d; });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + stderr)), 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^ ]+?)\/? /);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  return {
    base, dir, child, database: db ? db.url : null,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.on("exit", r));
        child.kill("SIGKILL");
        await done;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.on("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      users.set(dir, users.get(dir) - 1);
      if (users.get(dir) === 0 && keep) users.delete(dir);
      if (users.get(dir) === 0 && !keep) {
        users.delete(dir);
        rmSync(dir, { recursive: true, force: true });
        if (db) {
          databases.delete(dir);
          psql(PG_ADMIN, `DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
        }
      }
      // Under `make asan` a sanitizer report in the server is a failure.
      const at = stderr.search(/(ERROR: (Address|Leak)Sanitizer|runtime error:)/);
      if (at >= 0) {
        throw new Error("sanitizer report from the server:\n" +
          stderr.slice(at).split("\n").slice(0, 40).join("\n"));
      }
    },
  };
}

// Every byte string a file of srv's database holds, for the sealed-text
// tests: the SQLite file, the key store's file, and their WALs; under
// PostgreSQL a logical dump of the test database (bytea shows as hex there;
// the kindred_keys schema included) and, after a checkpoint, the raw files
// of the cluster: the WAL and the database's own directory.
export function databaseBytes(srv) {
  if (BACKEND === "sqlite") {
    const files = readdirSync(srv.dir).filter((f) => f.startsWith("kindred.db") || f.startsWith("kindred-keys.db"));
    assert.ok(files.includes("kindred-keys.db"), "the key store exists: " + files.join(","));
    assert.ok(files.includes("kindred.db-wal"), "the WAL exists: " + files.join(","));
    return files.map((f) => [f, readFileSync(join(srv.dir, f))]);
  }
  const out = [["pg_dump", execFileSync("pg_dump", ["--data-only", srv.database], { maxBuffer: 1 << 28 })]];
  psql(srv.database, "CHECKPOINT");
  const host = new URLSearchParams(srv.database.split("?")[1] || "").get("host");
  const oid = psql(srv.database, "SELECT oid FROM pg_database WHERE datname = current_database()").trim();
  const data = join(host, "data");
  for (const sub of ["pg_wal", join("base", oid)]) {
    for (const f of readdirSync(join(data, sub), { withFileTypes: true })) {
      if (f.isFile()) out.push([join(sub, f.name), readFileSync(join(data, sub, f.name))]);
    }
  }
  assert.ok(out.length > 2, "found the cluster's files under " + data);
  return out;
}

// The number of data keys srv's key store holds for owner id.
export function keysOf(srv, id) {
  const q = `SELECT count(*) FROM data_keys WHERE owner_id = ${Number(id)}`;
  if (BACKEND === "sqlite") {
    return Number(execFileSync("sqlite3", [join(srv.dir, "kindred-keys.db"), q], { encoding: "utf8" }).trim());
  }
  return Number(psql(srv.database, q.replace("data_keys", "kindred_keys.data_keys")).trim());
}

// Asserts that no marker is anywhere in srv's database files (also in hex),
// and that the scan does see known, a string stored in the clear.
export function assertSealed(srv, markers, known) {
  const all = databaseBytes(srv);
  for (const [name, bytes] of all) {
    for (const marker of markers) {
      assert.equal(bytes.includes(Buffer.from(marker)), false, `${marker} found in ${name}`);
      assert.equal(bytes.includes(Buffer.from(Buffer.from(marker).toString("hex"))), false,
        `${marker} found in hex in ${name}`);
    }
  }
  assert.ok(all.some(([, bytes]) => bytes.includes(Buffer.from(known))), "the scan reads real data");
}

// Adds an account from the command line, as an administrator would.
export function addUser(dir, username, role, password, name) {
  const db = databaseOf(dir);
  execFileSync(BIN, ["user", "add", username, "--role", role, "--name", name || username,
    "--data-dir", dir, ...(db ? ["--database", db] : [])],
    { input: password + "\n", stdio: ["pipe", "pipe", "pipe"] });
}

// A small clinic on a fresh server: the first account ("clin", display
// name "Dr Clin", an administrator with a caseload) and, for each name in
// clients, a client who joined through an invitation.  Returns { clin,
// clients: { name: [Client, id] } }.
export async function setupClinic(srv, password, clients = []) {
  const clin = new Client(srv.base);
  const s = await clin.post("/api/v1/setup", { json: { username: "clin", display_name: "Dr Clin", password } });
  assert.equal(s.status, 201, s.text);
  clin.csrf = s.data.csrf;
  const out = {};
  for (const username of clients) {
    const inv = await clin.api("POST", "/api/v1/invitations", {});
    const c = new Client(srv.base);
    const r = await c.post("/api/v1" + inv.data.path, { json: { username, display_name: username, password } });
    assert.equal(r.status, 201, r.text);
    c.csrf = r.data.csrf;
    out[username] = [c, r.data.id];
  }
  return { clin, clients: out };
}

// A browser-like client: keeps cookies, never follows redirects.
export class Client {
  constructor(base) { this.base = base; this.jar = new Map(); this.csrf = null; }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async req(method, path, { form, json, headers = {}, raw, contentType } = {}) {
    const h = { ...headers };
    if (this.jar.size) h.cookie = this.cookieHeader();
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h["content-type"] = "application/x-www-form-urlencoded";
    } else if (json !== undefined) {
      body = typeof json === "string" ? json : JSON.stringify(json);
      h["content-type"] = "application/json";
    } else if (raw !== undefined) {
      body = raw;
      if (contentType) h["content-type"] = contentType;
    }
    const res = await fetch(this.base + path, { method, headers: h, body, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      if (attrs.some((a) => /max-age=0/i.test(a.trim()))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    let data = null;
    if ((res.headers.get("content-type") || "").startsWith("application/json")) {
      data = JSON.parse(text);
    }
    return { status: res.status, headers: res.headers, text, data };
  }

  get(path, opts) { return this.req("GET", path, opts); }
  post(path, opts) { return this.req("POST", path, opts); }

  // The form token of the page at path (a hidden field named csrf).
  async formToken(path) {
    const r = await this.get(path);
    const m = r.text.match(/name="csrf" value="([^"]+)"/);
    if (!m) throw new Error(`no form token on ${path} (status ${r.status})`);
    return m[1];
  }

  // Signs in through the API and remembers the session's token.
  async login(username, password) {
    const r = await this.post("/api/v1/login", { json: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    this.csrf = r.data.csrf;
    return r;
  }

  // A state-changing API call with the session's CSRF header.
  api(method, path, json) {
    return this.req(method, path, { json, headers: { "x-csrf-token": this.csrf || "" } });
  }
}

// Calls fn until it returns a truthy value or ms pass; returns the last
// value.  For what another server writes in the background (its group
// of audit rows): visible within milliseconds, not at once.
export async function eventually(fn, ms = 3000) {
  const end = Date.now() + ms;
  let v = await fn();
  while (!v && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    v = await fn();
  }
  return v;
}
