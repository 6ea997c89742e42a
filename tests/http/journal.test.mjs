// The journal and the risk pathway: entries always saved and sealed, a
// reflection unless turned off, the safety plan and crisis lines at once
// when an entry or a check-in note reads as at risk, and the clinician
// told only when the client chose it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, addUser, Client, assertSealed, setupClinic } from "./lib.mjs";

const PW = "journal password 1";
const RISKY = "Work was long again. I don't want to be here anymore, everyone would be better off without me. Then I made tea.";
let srv, clin, other, ana, ben, anaId, benId;

before(async () => {
  srv = await startServer();
  let clients;
  ({ clin, clients } = await setupClinic(srv, PW, ["ana", "ben"]));
  [ana, anaId] = clients.ana;
  [ben, benId] = clients.ben;
  addUser(srv.dir, "other", "clinician", PW, "Other Clinician");
  other = new Client(srv.base);
  await other.login("other", PW);
});
after(async () => { await srv.stop(); });

test("joining through the page leads to the choice of who is told", async () => {
  const inv = await clin.api("POST", "/api/v1/invitations", {});
  const c = new Client(srv.base);
  const token = await c.formToken(inv.data.path);
  const r = await c.post(inv.data.path, { form: { csrf: token, username: "cyd", display_name: "Cyd", password: PW } });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/settings?welcome=1");
  const page = await c.get("/settings?welcome=1");
  assert.match(page.text, /who should be told\?/);
  const prefs = await c.get("/api/v1/settings");
  assert.equal(prefs.data.notify, null, "nothing chosen for the client");
  assert.equal(prefs.data.replies, true);
});

test("choices are the client's own and checked", async () => {
  assert.equal((await ana.api("POST", "/api/v1/settings", { notify: "clinician" })).status, 200);
  assert.equal((await ben.api("POST", "/api/v1/settings", { notify: "nobody" })).status, 200);
  const bad = await ana.api("POST", "/api/v1/settings", { notify: "everyone" });
  assert.equal(bad.status, 400);
  assert.equal((await ana.get("/api/v1/settings")).data.notify, "clinician");
  assert.equal((await clin.get("/api/v1/settings")).status, 404, "a clinician has no client choices");
});

test("the choices page turns journal replies off and back on", async () => {
  // The form sends a hidden "off" and, when the box is ticked, "on" after it.
  const token = await ben.formToken("/settings");
  const off = await ben.post("/settings", { form: new URLSearchParams([["csrf", token], ["notify", "nobody"], ["replies", "off"]]) });
  assert.equal(off.status, 303);
  assert.equal((await ben.get("/api/v1/settings")).data.replies, false);
  const on = await ben.post("/settings", { form: new URLSearchParams([["csrf", token], ["notify", "nobody"], ["replies", "off"], ["replies", "on"]]) });
  assert.equal(on.status, 303);
  assert.equal((await ben.get("/api/v1/settings")).data.replies, true, "ticking the box turns replies back on");
  const odd = await ben.post("/settings", { form: new URLSearchParams([["csrf", token], ["replies", "maybe"]]) });
  assert.equal(odd.status, 400);
  assert.equal((await ben.get("/api/v1/settings")).data.replies, true);
});

test("an entry is saved, sealed and answered with a warm reflection", async () => {
  const r = await ana.api("POST", "/api/v1/journal", { text: "marker-j-51aa I feel so tired and lonely since the move." });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.risk.at_risk, false);
  assert.match(r.data.reply, /tired and lonely/);
  assert.equal((r.data.reply.match(/\?/g) || []).length, 1, "one open question");
  assert.doesNotMatch(r.data.reply, /at least|cheer up|you should/i);
  const again = await ana.get(`/api/v1/journal/${r.data.id}`);
  assert.equal(again.data.reply, r.data.reply, "the reply is kept with the entry");
  const page = await ana.get(`/journal/${r.data.id}`);
  assert.match(page.text, /kindred&#39;s reflection|kindred's reflection/);
  assert.doesNotMatch(page.text, /You don&#39;t have to hold this alone/);
});

test("an entry at risk is saved and answered with the safety plan and crisis lines at once", async () => {
  await ana.api("POST", "/api/v1/safety-plan", { reasons: ["My cat, Pesto"] });
  const r = await ana.api("POST", "/api/v1/journal", { text: RISKY });
  assert.equal(r.status, 201);
  assert.equal(r.data.risk.at_risk, true);
  assert.ok(r.data.crisis.lines.length > 0, "crisis lines in the answer");
  assert.ok(r.data.plan.steps.some((s) => s.items.includes("My cat, Pesto")), "the plan in the answer");
  const page = await ana.get(`/journal/${r.data.id}`);
  assert.match(page.text, /have to hold this alone/);
  assert.match(page.text, /116 123/);
  assert.match(page.text, /My cat, Pesto/);
  // The form path says the same on the page it redirects to.
  const token = await ana.formToken("/journal");
  const f = await ana.post("/journal", { form: { csrf: token, text: RISKY } });
  assert.equal(f.status, 303);
  const shown = await ana.get(f.headers.get("location"));
  assert.match(shown.text, /Samaritans/);
});

test("the clinician is told only when the client chose it, and can mark it seen", async () => {
  const r = await ben.api("POST", "/api/v1/journal", { text: RISKY });
  assert.equal(r.data.risk.at_risk, true, "ben sees his plan and the lines too");
  const load = await clin.get("/api/v1/clients");
  const by = Object.fromEntries(load.data.clients.map((c) => [c.name, c]));
  assert.equal(by.ana.risk_flag, true);
  assert.equal(by.ben.risk_flag, false, "ben chose nobody");
  const page = await clin.get("/clients");
  assert.match(page.text, /Possible risk/);
  const events = await clin.get(`/api/v1/clients/${anaId}/risk`);
  assert.equal(events.status, 200);
  assert.ok(events.data.events.length >= 2);
  assert.equal(events.data.events[0].source, "journal");
  assert.equal((await clin.get(`/api/v1/clients/${benId}/risk`)).data.events.length, 0);
  assert.equal((await other.get(`/api/v1/clients/${anaId}/risk`)).status, 404);
  assert.equal((await other.api("POST", `/api/v1/clients/${anaId}/risk/seen`, {})).status, 404);
  const seen = await clin.api("POST", `/api/v1/clients/${anaId}/risk/seen`, {});
  assert.equal(seen.status, 200);
  const after = await clin.get("/api/v1/clients");
  assert.equal(after.data.clients.find((c) => c.name === "ana").risk_flag, false);
  const audit = await ana.get("/api/v1/audit");
  assert.ok(audit.data.entries.some((e) => e.resource === "risk alerts" && /clinician was told/.test(e.reason)));
});

test("a check-in note at risk brings the plan and lines at once", async () => {
  const r = await ana.api("POST", "/api/v1/checkins", { mood: 1, note: "I want to die." });
  assert.equal(r.status, 201);
  assert.equal(r.data.at_risk, true);
  const token = await ana.formToken("/checkins");
  const f = await ana.post("/checkins", { form: { csrf: token, mood: "2", note: "honestly i wanna die" } });
  assert.match(f.headers.get("location"), /support=1/);
  const page = await ana.get(f.headers.get("location"));
  assert.match(page.text, /Thank you for checking in/);
  assert.match(page.text, /116 123/);
  const calm = await ana.api("POST", "/api/v1/checkins", { mood: 6, note: "This commute is killing me." });
  assert.equal(calm.data.at_risk, false, "an idiom is not an alarm");
});

test("replies can be turned off; the entry is still saved", async () => {
  await ben.api("POST", "/api/v1/settings", { replies: false });
  const r = await ben.api("POST", "/api/v1/journal", { text: "Just a note for myself." });
  assert.equal(r.status, 201);
  assert.equal(r.data.reply, null);
  const page = await ben.get(`/journal/${r.data.id}`);
  assert.doesNotMatch(page.text, /kindred&#39;s reflection/);
});

test("drafts are kept, sealed, and cleared by saving the entry", async () => {
  const put = await ana.api("POST", "/api/v1/journal/draft", { text: "marker-draft-77c0 half a thought" });
  assert.equal(put.status, 200);
  assert.equal((await ana.get("/api/v1/journal/draft")).data.text, "marker-draft-77c0 half a thought");
  const page = await ana.get("/journal");
  assert.match(page.text, /marker-draft-77c0 half a thought/);
  assertSealed(srv, ["marker-draft-77c0", "marker-j-51aa", "better off without me", "Pesto"], "Dr Clin");
  await ana.api("POST", "/api/v1/journal", { text: "marker-draft-77c0 half a thought, finished." });
  assert.equal((await ana.get("/api/v1/journal/draft")).data.text, "");
});

test("a journal is its writer's alone", async () => {
  const mine = (await ana.get("/api/v1/journal")).data.entries[0];
  assert.equal((await ben.get(`/api/v1/journal/${mine.id}`)).status, 404);
  assert.equal((await clin.get(`/api/v1/journal/${mine.id}`)).status, 404);
  assert.equal((await clin.get("/api/v1/journal")).status, 404);
  assert.equal((await new Client(srv.base).get("/api/v1/journal")).status, 401);
});

test("bad entries get clear messages and nothing is lost", async () => {
  const before = (await ana.get("/api/v1/journal")).data.entries.length;
  assert.equal((await ana.api("POST", "/api/v1/journal", { text: "   " })).status, 400);
  assert.equal((await ana.api("POST", "/api/v1/journal", {})).status, 400);
  const big = "word ".repeat(13000);
  const tooBig = await ana.api("POST", "/api/v1/journal", { text: big });
  assert.equal(tooBig.status, 413);
  const token = await ana.formToken("/journal");
  const form = await ana.post("/journal", { form: { csrf: token, text: big } });
  assert.equal(form.status, 413);
  assert.ok(form.text.includes("word word word"), "the words come back in the box");
  assert.match(form.text, /two entries/);
  assert.equal((await ana.get("/api/v1/journal")).data.entries.length, before);
});
