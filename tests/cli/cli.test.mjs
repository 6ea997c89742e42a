// The kindred command line: help, version, exit codes and `user`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "../http/lib.mjs";

function run(args, input) {
  const r = spawnSync(BIN, args, { input: input ?? "", encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("--help, help COMMAND and --version", () => {
  const h = run(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.out, /serve/);
  assert.match(h.out, /exit codes/);
  const hs = run(["help", "serve"]);
  assert.equal(hs.code, 0);
  assert.match(hs.out, /--data-dir/);
  assert.equal(run(["serve", "--help"]).code, 0);
  const v = run(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.out, /^kindred \d+\.\d+\.\d+/);
});

test("usage errors exit 2", () => {
  assert.equal(run([]).code, 2);
  assert.equal(run(["frobnicate"]).code, 2);
  assert.equal(run(["help", "frobnicate"]).code, 2);
  assert.equal(run(["serve", "--nonsense"]).code, 2);
  assert.equal(run(["serve", "--port"]).code, 2);
  assert.equal(run(["serve", "--port", "70000"]).code, 2);
  assert.equal(run(["user", "add", "x"]).code, 2);
  assert.equal(run(["user", "remove"]).code, 2);
});

test("configuration problems exit 3", () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-cli-"));
  try {
    const conf = join(dir, "kindred.conf");
    writeFileSync(conf, "colour = blue\n");
    const r = run(["serve", "--config", conf, "--data-dir", join(dir, "var")]);
    assert.equal(r.code, 3);
    assert.match(r.err, /unknown setting 'colour'/);
    assert.equal(run(["serve", "--config", join(dir, "missing.conf")]).code, 3);
    // A line too long to read whole, or holding a NUL, is refused, never
    // cut: the rest of a long line was once read as a line of its own, so
    // a value could be silently shortened (found by fuzz_config).
    writeFileSync(conf, `access_log = ${join(dir, "a".repeat(400))}${" ".repeat(4000)}\n`);
    const long = run(["serve", "--config", conf, "--data-dir", join(dir, "var")]);
    assert.equal(long.code, 3);
    assert.match(long.err, /kindred\.conf:1: line too long/);
    writeFileSync(conf, "port = 0\0 junk\n");
    const nul = run(["serve", "--config", conf, "--data-dir", join(dir, "var")]);
    assert.equal(nul.code, 3);
    assert.match(nul.err, /kindred\.conf:1: line holds a NUL byte/);
    // An unsafe key file is refused.
    const data = join(dir, "var2");
    assert.equal(run(["user", "list", "--data-dir", data]).code, 0);
    chmodSync(join(data, "master.key"), 0o644);
    const unsafe = run(["user", "list", "--data-dir", data]);
    assert.equal(unsafe.code, 3);
    assert.match(unsafe.err, /master key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("user add and list; the key file is private; a lost key is not silently replaced", () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-cli-"));
  try {
    const add = run(["user", "add", "rowan", "--role", "clinician", "--name", "Rowan Ade", "--data-dir", dir], "a long enough password\n");
    assert.equal(add.code, 0, add.err);
    assert.match(add.out, /added rowan \(clinician\)/);
    assert.equal(statSync(join(dir, "master.key")).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const dup = run(["user", "add", "rowan", "--role", "clinician", "--data-dir", dir], "a long enough password\n");
    assert.equal(dup.code, 2);
    assert.match(dup.err, /taken/);
    const weak = run(["user", "add", "sky", "--role", "client", "--data-dir", dir], "short\n");
    assert.equal(weak.code, 2);
    const bad = run(["user", "add", "sky", "--role", "wizard", "--data-dir", dir], "a long enough password\n");
    assert.equal(bad.code, 2);
    const list = run(["user", "list", "--data-dir", dir]);
    assert.equal(list.code, 0);
    assert.match(list.out, /rowan\t/);
    assert.match(list.out, /Rowan Ade/);
    rmSync(join(dir, "master.key"));
    const lost = run(["user", "list", "--data-dir", dir]);
    assert.equal(lost.code, 3);
    assert.match(lost.err, /missing but the database has accounts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("serve reports a port already in use and exits 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-cli-"));
  const net = await import("node:net");
  const blocker = net.createServer();
  await new Promise((r) => blocker.listen(0, "127.0.0.1", r));
  try {
    const r = run(["serve", "--port", String(blocker.address().port), "--data-dir", dir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot listen/);
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// PostgreSQL unreachable at start: serve (and every command that opens the
// database) stops at once with exit 1 and says which database and why; a
// location that is not a valid URL is a configuration problem, exit 3.  The
// password in a URL never shows in the message.
test("serve with PostgreSQL unreachable exits 1 with a clear message; a bad URL exits 3", () => {
  const dir = mkdtempSync(join(tmpdir(), "kindred-cli-pg-"));
  try {
    const sock = run(["serve", "--port", "0", "--data-dir", dir, "--database",
      "postgresql://kindred:s3cret@/kindred?host=/nonexistent-kindred&port=5999"]);
    assert.equal(sock.code, 1, sock.err);
    assert.match(sock.err, /cannot open database postgresql:\/\/kindred:\*\*\*@\/kindred\?host=\/nonexistent-kindred&port=5999: connection to server .* failed/);
    assert.doesNotMatch(sock.err, /s3cret/);
    const tcp = run(["serve", "--port", "0", "--data-dir", dir, "--database", "postgresql://127.0.0.1:1/kindred"]);
    assert.equal(tcp.code, 1, tcp.err);
    assert.match(tcp.err, /cannot open database .*(refused|failed)/);
    const bad = run(["serve", "--port", "0", "--data-dir", dir, "--database", "postgresql://x:y@[bad"]);
    assert.equal(bad.code, 3, bad.err);
    const m = run(["migrate", "--from", join(dir, "k.db"), "--to", "postgresql://127.0.0.1:1/kindred"]);
    assert.equal(m.code, 1, m.err);
    assert.match(m.err, /cannot open the target/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
