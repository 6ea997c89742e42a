// Helpers for kindred's black-box HTTP tests: start a real `kindred serve`
// on a free port with a fresh data directory, and a tiny cookie-keeping
// client.  No mocks: every test talks HTTP to the real binary.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = process.env.KINDRED_BIN || "build/kindred";

// Starts a server on a fresh data directory, or on opts.dir (kept on stop
// when opts.keep is true).
export async function startServer(extraArgs = [], opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), "kindred-http-"));
  const child = spawn(BIN, ["serve", "--port", "0", "--data-dir", dir, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
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
    base, dir, child,
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
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.on("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
      // Under `make asan` a sanitizer report in the server is a failure.
      const report = stderr.match(/(ERROR: (Address|Leak)Sanitizer|runtime error:).*/);
      if (report) throw new Error("sanitizer report from the server: " + report[0]);
    },
  };
}

// Adds an account from the command line, as an administrator would.
export function addUser(dir, username, role, password, name) {
  execFileSync(BIN, ["user", "add", username, "--role", role, "--name", name || username,
    "--data-dir", dir], { input: password + "\n", stdio: ["pipe", "pipe", "pipe"] });
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
