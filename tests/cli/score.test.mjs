// Black-box tests of `kindred score`: no server, no data directory.  Runs
// the real binary and checks its output and exit codes (0 success, 2 bad
// answers or usage).  The expected numbers are the hand-computed ones of
// tests/instruments/*.vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const BIN = process.env.KINDRED_BIN || "build/kindred";

function score(...args) {
  const r = spawnSync(BIN, ["score", ...args], { encoding: "utf8" });
  // Under `make asan` a sanitizer report is a failure even if the exit code is right.
  assert.doesNotMatch(r.stderr, /(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:/, r.stderr);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(...args) {
  const r = score("--json", ...args);
  assert.equal(r.code, 0, r.err);
  const v = JSON.parse(r.out);
  assert.deepEqual(Object.keys(v), ["instrument", "total", "subscales", "band", "alerts"]);
  for (const a of v.alerts) assert.deepEqual(Object.keys(a), ["item", "reason"]);
  return v;
}

test("--list names every instrument with its number of items", () => {
  const r = score("--list");
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trim().split("\n").slice(1).map((l) => l.split("\t"));
  const items = Object.fromEntries(rows.map(([id, , n]) => [id, Number(n)]));
  assert.deepEqual(items, { auditc: 3, gad7: 7, phq2: 2, phq9: 10, "scs-sf": 12, "socs-s": 20, who5: 5 });
  assert.match(r.out, /phq9\tPatient Health Questionnaire-9 \(PHQ-9\)\t10/);
  assert.doesNotMatch(r.out, /cssrs/i);
});

test("PHQ-9 in plain words: total, band and the item 9 alert", () => {
  const r = score("phq9", "1,0,2,1,0,0,1,0,1");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Total: 6 /m);
  assert.match(r.out, /^Band: Mild depression$/m);
  assert.match(r.out, /item 9 \(risk\): .*better off dead/);
});

test("PHQ-9 --json on both sides of the 10 cut-off", () => {
  assert.deepEqual(json("phq9", "3,3,3,0,0,0,0,0,0"),
    { instrument: "phq9", total: 9, subscales: {}, band: "Mild depression", alerts: [] });
  const v = json("phq9", "3,3,3,1,0,0,0,0,0");
  assert.equal(v.total, 10);
  assert.equal(v.band, "Moderate depression");
  const max = json("phq9", "3,3,3,3,3,3,3,3,3");
  assert.equal(max.total, 27);
  assert.equal(max.band, "Severe depression");
  assert.equal(max.alerts.length, 1);
  assert.equal(max.alerts[0].item, 9);
});

test("GAD-7, PHQ-2 and WHO-5 bands and alerts", () => {
  assert.equal(json("gad7", "3,3,3,3,2,0,0").band, "Moderate anxiety");
  assert.equal(json("gad7", "0,0,3,3,3,3,3").band, "Severe anxiety");
  assert.equal(json("phq2", "1,1").band, "Below the screening cut-off");
  assert.match(json("phq2", "2,1").band, /^At or above the screening cut-off \(3\)/);
  const w = json("who5", "4,1,4,0,4");
  assert.equal(w.total, 13);
  assert.equal(w.band, "Not below the cut-off for poor well-being");
  assert.deepEqual(w.alerts.map((a) => a.item), [2, 4]);
  const low = json("who5", "3,3,2,2,2");
  assert.equal(low.total, 12);
  assert.match(low.band, /^Poor well-being/);
  assert.match(score("who5", "3,3,2,2,2").out, /^Percentage score \(0-100\): 48$/m);
});

test("SCS-SF: reverse items, mean total and subscales; no bands", () => {
  const v = json("scs-sf", "1,2,3,4,5,1,2,3,4,5,1,2");
  assert.equal(v.total, 3.25);
  assert.deepEqual(v.subscales, {
    self_kindness: 1.5, self_judgment: 1.5, common_humanity: 5,
    isolation: 3.5, mindfulness: 2.5, over_identified: 2.5,
  });
  assert.equal(v.band, null);
  assert.equal(json("scs-sf", "5,4,4,4,4,4,4,4,4,4,4,4").total, 2.9167);
  assert.match(score("scs-sf", "3,3,3,3,3,3,3,3,3,3,3,3").out, /^Band: none/m);
});

test("SOCS-S: the five elements as subscales", () => {
  const v = json("socs-s", "1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5");
  assert.equal(v.total, 60);
  assert.deepEqual(v.subscales, { recognising: 4, universality: 8, feeling: 12, tolerating: 16, acting: 20 });
});

test("AUDIT-C skip logic: after 'Never' the skipped items may be empty", () => {
  assert.deepEqual(json("auditc", "0,,"),
    { instrument: "auditc", total: 0, subscales: {}, band: "Below the screening cut-offs", alerts: [] });
  assert.equal(json("auditc", "1,1,1").band,
    "Positive screen for women (cut-off 3); below the cut-off for men (4)");
  const r = score("auditc", "0,1,1");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /2 answers to items the instrument skips were ignored/);
  const miss = score("auditc", "1,,");
  assert.equal(miss.code, 2);
  assert.match(miss.err, /item 2 has no answer/);
});

test("a site's own definition with --file: C-SSRS-shaped skip logic and levelled alerts", () => {
  const f = "tests/instruments/skip-fixture.json";
  const v = json("--file", f, "0,0,,,,1,1");
  assert.equal(v.total, null);
  assert.equal(v.band, null);
  assert.deepEqual(v.alerts.map((a) => a.item), [6]);
  assert.match(score("--file", f, "1,1,1,1,1,0").out, /item 4 \(risk-high\)/);
  const r = score("--file", f, "1,1,,,,0");
  assert.equal(r.code, 2);
  assert.match(r.err, /item 3 has no answer/);
  const bad = score("--file", "tests/instruments/malformed.txt", "0");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /not a valid definition: not valid JSON/);
  assert.equal(score("--file", "/nonexistent/def.json", "0").code, 2);
});

test("wrong answers exit 2 with a message naming the item", () => {
  const cases = [
    [["gad7", "1,0,2,4,0,0,0"], /item 4: 4 is not one of its answers \(0, 1, 2, 3\)/],
    [["phq9", "1,0,2"], /item 4 has no answer/],
    [["phq9", "0,0,,0,0,0,0,0,0"], /item 3 has no answer/],
    [["phq9", "0,0,0,0,0,0,0,0,0,0,0"], /PHQ-9 has 10 items; 11 answers were given/],
    [["who5", "5,5,x,5,5"], /answer 3 \('x'\) is not a whole number/],
    [["who5", "5,5,2.5,5,5"], /answer 3 \('2.5'\) is not a whole number/],
    [["who5", "-1,5,5,5,5"], /item 1: -1 is not one of its answers/],
    [["nope", "1"], /no instrument 'nope'/],
    [["--bogus", "phq9", "1"], /unknown option '--bogus'/],
    [["phq9"], /usage: kindred score/],
    [[], /usage: kindred score/],
  ];
  for (const [args, re] of cases) {
    const r = score(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.out}${r.err}`);
    assert.match(r.err, re, args.join(" "));
    assert.equal(r.out, "", args.join(" "));
  }
});

test("kindred help score explains the command", () => {
  const r = spawnSync(BIN, ["help", "score"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /kindred score \[--json\] INSTRUMENT ANSWERS/);
  assert.match(r.stdout, /--list/);
});
