// The engine's commands beyond analyze --jsonl: analyze FILE (transcript
// report), train (a user's own JSONL corpus) and eval (dev splits).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "../http/lib.mjs";

function run(args, input) {
  const r = spawnSync(BIN, args, { input: input ?? "", encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), "kindred-engine-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("analyze FILE reports a plain T:/C: transcript", () => {
  withDir((dir) => {
    const f = join(dir, "session.txt");
    writeFileSync(f, [
      "# made up",
      "T: What brings you in today?",
      "C: I can't sleep and some nights I don't want to wake up.",
      "T: It sounds like the nights are the hardest part,",
      "   and you are worn out.",
      "C: This commute is killing me too, honestly.",
      "T: Would it be okay if we looked at what helps on the bad nights?",
    ].join("\n"));
    const r = run(["analyze", f]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /: 5 turns/);
    assert.match(r.out, /reflections : questions/);
    assert.match(r.out, /open questions/);
    assert.match(r.out, /compassion/);
    assert.match(r.out, /made by +mi model, empathy model, strategy model/);
    // the client's second turn is an idiom; the first is ideation
    assert.match(r.out, /turn 2 \(line 3\): ideation/);
    assert.doesNotMatch(r.out, /turn 4 \(line 6\)/);
  });
});

test("analyze FILE reads WebVTT voices and refuses what is not a transcript", () => {
  withDir((dir) => {
    const v = join(dir, "s.vtt");
    writeFileSync(v, "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Sam Client>I feel so alone &amp; tired.\n\n" +
      "00:00:03.000 --> 00:00:05.000\n<v Therapist>You feel alone and tired.\n");
    const r = run(["analyze", v]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 +\d+ +client/);
    assert.match(r.out, /2 +\d+ +helper/);
    const bad = join(dir, "notes.txt");
    writeFileSync(bad, "Just some notes.\n");
    const b = run(["analyze", bad]);
    assert.equal(b.code, 1);
    assert.match(b.err, /expected a turn starting T: or C:/);
    assert.equal(run(["analyze", join(dir, "missing.txt")]).code, 1);
    assert.equal(run(["analyze", "--frob"]).code, 2);
  });
});

test("train learns a user's own JSONL corpus and reports its dev split", () => {
  withDir((dir) => {
    const words = { "Self-disclosure": ["when I was", "I went through"], "Information": ["studies show", "the leaflet says"] };
    const lines = (n) => {
      const out = [];
      for (let i = 0; i < n; i++)
        for (const [label, ws] of Object.entries(words))
          out.push(JSON.stringify({ text: `${ws[i % 2]} something ${i}.`, label }));
      return out.join("\n") + "\n";
    };
    writeFileSync(join(dir, "train.jsonl"), lines(30));
    writeFileSync(join(dir, "dev.jsonl"), lines(5));
    const out = join(dir, "strategy.bin");
    const r = run(["train", "--task", "strategy", "--data", dir, "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /dev strategy .*macro-F1/);
    assert.match(r.out, /Self-disclosure +P 1\.000 +R 1\.000/);
    assert.ok(statSync(out).size > 1000);
    writeFileSync(join(dir, "train.jsonl"), '{"text": "hi", "label": "Chatting"}\n');
    const bad = run(["train", "--task", "strategy", "--data", dir, "--out", out]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /train\.jsonl:1: label "Chatting"/);
    assert.equal(run(["train", "--task", "nope", "--data", dir, "--out", out]).code, 2);
  });
});

test("eval says clearly when the corpora are missing", () => {
  const r = run(["eval", "--data", "/nonexistent/shared/data"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /missing/);
});

test("analyze --version says how each reading is made", () => {
  const r = run(["analyze", "--version"]);
  assert.equal(r.code, 0, r.err);
  for (const name of ["mi", "empathy", "strategy", "risk", "stigma", "compassion"])
    assert.match(r.out, new RegExp(`^  ${name} +(model|rules)`, "m"));
  assert.match(r.out, /^  risk +rules$/m);
  // the built-in models fit this engine: no warning
  assert.doesNotMatch(r.err, /warning/);
});

test("analyze --jsonl: one line per input, in order; bad lines are errors and the stream goes on", () => {
  const lines = [
    JSON.stringify({ id: "a", speaker: "client", text: "I want to die tonight" }),
    JSON.stringify({ id: "b", speaker: "helper", text: "It sounds like the nights are hard.",
      context: [{ speaker: "client", text: "I can't sleep." }] }),
    '{"id":"c","speaker":"client","text":"caf\\u00e9 \\ud83d\\ude00 \\"quoted\\"\\n\\tend"}',
    "",
    "{not json",
    '{"id":"e","speaker":"robot","text":"hi"}',
    '{"id":"f","speaker":"client","text":"x","context":[{"speaker":"client"}]}',
    '{"id":"g","speaker":"client","text":"nul \\u0000 inside"}',
    '{"id":"h","speaker":"client","text":"ok","extra":{"deep":[1,2.5e3,true,null,"s"]}}',
    '["an array"]',
  ];
  const r = spawnSync(BIN, ["analyze", "--jsonl"], { input: lines.join("\n") + "\n" });
  assert.equal(r.status, 0, String(r.stderr));
  const out = r.stdout.toString().trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(out.map((o) => o.id), ["a", "b", "c", null, "e", "f", "g", "h", null]);
  assert.deepEqual(out.map((o) => "error" in o), [false, false, false, true, true, true, true, false, true]);
  assert.equal(out[0].risk.level, "imminent");
  assert.equal(out[0].mi.behaviour, null); // a client has no MI behaviour
  assert.equal(out[1].mi.behaviour, "reflection");
  assert.deepEqual(Object.keys(out[1]), ["id", "mi", "empathy", "strategy", "risk", "stigma", "compassion"]);
  assert.match(out[3].error, /invalid JSON at column \d+/);
  assert.match(out[4].error, /speaker/);
  assert.match(out[5].error, /context turn/);
  assert.match(out[6].error, /NUL/);
  assert.match(out[8].error, /object/);
  // invalid UTF-8 inside a string is refused, not passed on
  const bad = spawnSync(BIN, ["analyze", "--jsonl"],
    { input: Buffer.concat([Buffer.from('{"id":"u","speaker":"client","text":"bad '), Buffer.from([0xff]), Buffer.from('"}\n')]) });
  assert.match(bad.stdout.toString(), /^\{"id":null,"error":"invalid JSON at column \d+: invalid UTF-8/);
});
