// Measures: a clinician assigns, the client answers one form, the result
// is scored in plain words, progress is charted, a double click saves once,
// and PHQ-9 item 9 goes through the risk pathway to whom the client chose.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, addUser, Client, setupClinic } from "./lib.mjs";

const PW = "measures password 1";
let srv, clin, other, ana, ben, anaId, benId;

before(async () => {
  srv = await startServer();
  let clients;
  ({ clin, clients } = await setupClinic(srv, PW, ["ana", "ben"]));
  [ana, anaId] = clients.ana;
  [ben, benId] = clients.ben;
  await ana.api("POST", "/api/v1/settings", { notify: "clinician" });
  await ben.api("POST", "/api/v1/settings", { notify: "nobody" });
  addUser(srv.dir, "other", "clinician", PW, "Other");
  other = new Client(srv.base);
  await other.login("other", PW);
});
after(async () => { await srv.stop(); });

test("assign, answer, score, chart", async () => {
  const a = await clin.api("POST", `/api/v1/clients/${anaId}/assignments`, { instrument: "phq9", schedule: "fortnightly" });
  assert.equal(a.status, 201);
  const due = await ana.get("/api/v1/measures");
  assert.deepEqual(due.data.assigned.map((x) => [x.instrument, x.due, x.schedule]), [["phq9", true, "Every two weeks"]]);
  const form = await ana.get("/api/v1/measures/phq9");
  assert.equal(form.data.items.length, 10);
  assert.equal(form.data.items[0].text, "Little interest or pleasure in doing things");
  const r = await ana.api("POST", "/api/v1/measures/phq9", { answers: [2, 2, 1, 2, 1, 1, 1, 0, 0], submission: form.data.submission });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.total, 10);
  assert.equal(r.data.band, "Moderate depression");
  assert.match(r.data.does_not_mean, /does not/);
  assert.equal(r.data.at_risk, false);
  assert.deepEqual(r.data.alerts, [], "the client is not shown clinical alert wording");
  const page = await ana.get(`/responses/${r.data.id}`);
  assert.match(page.text, /Score: <strong>10<\/strong> out of 27/);
  assert.match(page.text, /What this does not mean/);
  assert.doesNotMatch(page.text, />phq9</, "no internal codes shown");
  const after = await ana.get("/api/v1/measures");
  assert.equal(after.data.assigned[0].due, false, "answered: not due until the next fortnight");
  // A second answer, and the progress chart with reliable change.
  await ana.api("POST", "/api/v1/measures/phq9", { answers: [1, 0, 0, 1, 0, 0, 1, 0, 0] });
  await ana.api("POST", "/api/v1/checkins", { mood: 4 });
  await ana.api("POST", "/api/v1/checkins", { mood: 6 });
  const prog = await ana.get("/api/v1/progress");
  const phq = prog.data.measures.find((m) => m.instrument === "phq9");
  assert.deepEqual(phq.points.map((p) => p.value), [10, 3]);
  assert.ok(Math.abs(phq.reliable_change.threshold - 5.99) < 0.01, String(phq.reliable_change.threshold));
  assert.match(phq.reliable_change.verdict, /Reliable improvement/);
  assert.deepEqual(prog.data.mood.points.map((p) => p.value), [4, 6]);
  const html = await ana.get("/progress");
  assert.match(html.text, /<svg[^>]+role="img"/);
  assert.match(html.text, /<title id="chart-0-t">PHQ-9<\/title>/);
  assert.match(html.text, /<table><caption>PHQ-9 totals<\/caption>/);
  assert.match(html.text, /r = 0.84 and SD = 5.4/);
  const seen = await clin.get(`/clients/${anaId}/progress`);
  assert.equal(seen.status, 200);
  assert.equal((await other.get(`/api/v1/clients/${anaId}/progress`)).status, 404);
  assert.equal((await ben.get(`/api/v1/clients/${anaId}/progress`)).status, 404);
  assert.equal((await other.get(`/api/v1/responses/${r.data.id}`)).status, 404);
  const forClin = await clin.get(`/api/v1/responses/${r.data.id}`);
  assert.equal(forClin.status, 200);
});

test("a double click saves one response", async () => {
  const form = await ana.get("/api/v1/measures/gad7");
  const body = { answers: [1, 1, 1, 1, 1, 1, 1], submission: form.data.submission };
  const [one, two] = await Promise.all([ana.api("POST", "/api/v1/measures/gad7", body), ana.api("POST", "/api/v1/measures/gad7", body)]);
  assert.deepEqual([one.status, two.status].sort(), [200, 201]);
  assert.equal(one.data.id, two.data.id);
  const prog = await ana.get("/api/v1/progress");
  assert.equal(prog.data.measures.find((m) => m.instrument === "gad7").points.length, 1);
});

test("wrong answers get a clear message and save nothing", async () => {
  const before = (await ana.get("/api/v1/measures")).data.recent.length;
  for (const answers of [[4, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], ["x"], [-1, 0, 0, 0, 0, 0, 0, 0, 0]]) {
    const r = await ana.api("POST", "/api/v1/measures/phq9", { answers });
    assert.equal(r.status, 400, JSON.stringify(answers));
    assert.ok(r.data.error.message.length > 20);
  }
  assert.equal((await ana.api("POST", "/api/v1/measures/nonsense", { answers: [] })).status, 404);
  assert.equal((await clin.api("POST", "/api/v1/measures/phq9", { answers: [0, 0, 0, 0, 0, 0, 0, 0, 0] })).status, 404, "clinicians do not answer for clients");
  const bad = await clin.api("POST", `/api/v1/clients/${anaId}/assignments`, { instrument: "phq9", schedule: "hourly" });
  assert.equal(bad.status, 400);
  assert.equal((await other.api("POST", `/api/v1/clients/${anaId}/assignments`, { instrument: "phq9", schedule: "weekly" })).status, 404);
  // The page keeps the answers that were chosen.
  const token = await ana.formToken("/measures/phq9");
  const f = await ana.post("/measures/phq9", { form: { csrf: token, item1: "2", item2: "1" } });
  assert.equal(f.status, 400);
  assert.match(f.text, /name="item1" value="2" checked/);
  assert.equal((await ana.get("/api/v1/measures")).data.recent.length, before);
});

test("skip logic: AUDIT-C questions 2 and 3 only when question 1 applies", async () => {
  const none = await ana.api("POST", "/api/v1/measures/auditc", { answers: [0, null, null] });
  assert.equal(none.status, 201, none.text);
  assert.equal(none.data.total, 0);
  const some = await ana.api("POST", "/api/v1/measures/auditc", { answers: [2, 1, 1] });
  assert.equal(some.data.total, 4);
  const missing = await ana.api("POST", "/api/v1/measures/auditc", { answers: [2, null, null] });
  assert.equal(missing.status, 400);
});

test("PHQ-9 item 9 above 0 raises the flag only for whom the client chose", async () => {
  const a = await ana.api("POST", "/api/v1/measures/phq9", { answers: [1, 1, 1, 1, 1, 1, 1, 1, 1] });
  assert.equal(a.data.at_risk, true);
  const page = await ana.get(`/responses/${a.data.id}`);
  assert.match(page.text, /have to hold this alone/);
  assert.match(page.text, /116 123/);
  const b = await ben.api("POST", "/api/v1/measures/phq9", { answers: [1, 1, 1, 1, 1, 1, 1, 1, 2] });
  assert.equal(b.data.at_risk, true);
  const load = await clin.get("/api/v1/clients");
  const by = Object.fromEntries(load.data.clients.map((c) => [c.name, c]));
  assert.equal(by.ana.risk_flag, true);
  assert.equal(by.ben.risk_flag, false);
  const events = await clin.get(`/api/v1/clients/${anaId}/risk`);
  assert.equal(events.data.events[0].source, "PHQ-9 answer");
  const forClin = await clin.get(`/api/v1/responses/${a.data.id}`);
  assert.ok(forClin.data.alerts.some((x) => x.item === 9), "the clinician sees the item alert");
});

test("a client can choose a measure for themselves", async () => {
  const r = await ben.api("POST", `/api/v1/clients/${benId}/assignments`, { instrument: "who5", schedule: "monthly" });
  assert.equal(r.status, 201);
  assert.ok((await ben.get("/api/v1/measures")).data.assigned.some((x) => x.instrument === "who5"));
  assert.equal((await ben.api("POST", `/api/v1/clients/${anaId}/assignments`, { instrument: "who5", schedule: "monthly" })).status, 404);
});
