// The safety plan: written by the client alone or with their clinician,
// sealed at rest, shown on "Help now", and saved as a page to keep.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, addUser, Client, assertSealed, setupClinic } from "./lib.mjs";

const PW = "safety plan password";
let srv, clin, other, ana, ben, anaId;

before(async () => {
  srv = await startServer();
  let clients;
  ({ clin, clients } = await setupClinic(srv, PW, ["ana", "ben"]));
  [ana, anaId] = clients.ana;
  [ben] = clients.ben;
  addUser(srv.dir, "other", "clinician", PW, "Other Clinician");
  other = new Client(srv.base);
  await other.login("other", PW);
});
after(async () => { await srv.stop(); });

test("a new plan shows every step, empty, and the crisis lines", async () => {
  const r = await ana.get("/api/v1/safety-plan");
  assert.equal(r.status, 200);
  assert.equal(r.data.exists, false);
  assert.deepEqual(r.data.steps.map((s) => s.key),
    ["warning_signs", "coping", "distractions", "people", "professionals", "environment", "reasons"]);
  assert.ok(r.data.steps.every((s) => s.items.length === 0));
  assert.ok(r.data.crisis.lines.length > 0);
});

test("the client writes the plan with the form, one item per line", async () => {
  const token = await ana.formToken("/safety-plan");
  const r = await ana.post("/safety-plan", { form: {
    csrf: token, warning_signs: "Not sleeping\r\n\r\n  Skipping meals  ", coping: "Walk by the canal",
    reasons: "marker-reason-4d1e my niece", people: "", bogus: "ignored",
  } });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.headers.get("location"), "/safety-plan?saved=1");
  const plan = await ana.get("/api/v1/safety-plan");
  const by = Object.fromEntries(plan.data.steps.map((s) => [s.key, s.items]));
  assert.deepEqual(by.warning_signs, ["Not sleeping", "Skipping meals"]);
  assert.deepEqual(by.coping, ["Walk by the canal"]);
  assert.deepEqual(by.people, []);
  assert.equal(plan.data.exists, true);
  assert.equal(plan.data.updated_by, "ana");
  const page = await ana.get("/safety-plan?saved=1");
  assert.match(page.text, /Saved\. Thank you/);
  assert.match(page.text, /Walk by the canal/);
});

test("the clinician of the client reads and edits it together with them", async () => {
  const r = await clin.get(`/api/v1/clients/${anaId}/safety-plan`);
  assert.equal(r.status, 200);
  const edit = await clin.api("POST", `/api/v1/clients/${anaId}/safety-plan`, {
    warning_signs: ["Not sleeping"], people: ["Jo 07700 900456"], reasons: ["marker-reason-4d1e my niece"],
  });
  assert.equal(edit.status, 200, edit.text);
  const seen = await ana.get("/api/v1/safety-plan");
  assert.equal(seen.data.updated_by, "Dr Clin");
  assert.deepEqual(seen.data.steps.find((s) => s.key === "people").items, ["Jo 07700 900456"]);
});

test("nobody else sees or changes it", async () => {
  assert.equal((await other.get(`/api/v1/clients/${anaId}/safety-plan`)).status, 404);
  assert.equal((await other.api("POST", `/api/v1/clients/${anaId}/safety-plan`, { coping: ["x"] })).status, 404);
  assert.equal((await ben.get(`/api/v1/clients/${anaId}/safety-plan`)).status, 404);
  assert.equal((await ben.api("POST", `/api/v1/clients/${anaId}/safety-plan`, { coping: ["x"] })).status, 404);
  assert.equal((await new Client(srv.base).get("/api/v1/safety-plan")).status, 401);
  const audit = await ana.get("/api/v1/audit");
  assert.ok(audit.data.entries.some((e) => e.who === "Other Clinician" && e.resource === "safety plan" && !e.allowed));
});

test("bad plans are refused with a clear message and change nothing", async () => {
  const before = (await ana.get("/api/v1/safety-plan")).data;
  for (const body of [{ coping: [1, 2] }, { coping: { a: 1 } }, { coping: Array(21).fill("x") }, { coping: ["x".repeat(501)] }]) {
    const r = await ana.api("POST", "/api/v1/safety-plan", body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.ok(r.data.error.message.length > 10);
  }
  assert.deepEqual((await ana.get("/api/v1/safety-plan")).data.steps, before.steps);
});

test("Help now shows the client's own plan; a visitor sees the lines only", async () => {
  const mine = await ana.get("/help");
  assert.match(mine.text, /From your safety plan/);
  assert.match(mine.text, /Jo 07700 900456/);
  const anon = await new Client(srv.base).get("/help");
  assert.doesNotMatch(anon.text, /From your safety plan/);
  assert.match(anon.text, /Samaritans/);
});

test("a copy to keep is one self-contained page with no script", async () => {
  const r = await ana.get("/safety-plan/download");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-disposition"), /attachment; filename="my-safety-plan.html"/);
  assert.match(r.text, /<style>/);
  assert.doesNotMatch(r.text, /<script|<link /);
  assert.match(r.text, /Jo 07700 900456/);
  assert.match(r.text, /116 123/);
  assert.match(r.headers.get("content-security-policy"), /default-src 'none'/);
});

test("the plan is sealed: its words are nowhere in the database files", async () => {
  assertSealed(srv, ["marker-reason-4d1e", "Walk by the canal", "Jo 07700"], "Dr Clin");
});
