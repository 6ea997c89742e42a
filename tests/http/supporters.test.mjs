// Supporters: a client invites family or friends, chooses what each may
// see, changes it or ends it; a supporter sees only that, and is told of
// risk only when the client chose it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, setupClinic } from "./lib.mjs";

const PW = "supporters password 1";
let srv, clin, ana, ben, sam, anaId, samId;

before(async () => {
  srv = await startServer();
  let clients;
  ({ clin, clients } = await setupClinic(srv, PW, ["ana", "ben"]));
  [ana, anaId] = clients.ana;
  [ben] = clients.ben;
});
after(async () => { await srv.stop(); });

test("a client invites a supporter who sees only what was chosen", async () => {
  const inv = await ana.api("POST", "/api/v1/supporters", { scopes: ["checkins", "alerts"] });
  assert.equal(inv.status, 201, inv.text);
  const path = inv.data.invitation.path;
  sam = new Client(srv.base);
  const page = await sam.get(path);
  assert.match(page.text, /invited you to support them/);
  const j = await sam.post("/api/v1" + path, { json: { username: "sam", display_name: "Sam", password: PW } });
  assert.equal(j.status, 201, j.text);
  assert.equal(j.data.role, "supporter");
  sam.csrf = j.data.csrf;
  samId = j.data.id;
  await ana.api("POST", "/api/v1/checkins", { mood: 5, note: "shared note" });
  const people = await sam.get("/api/v1/people");
  assert.deepEqual(people.data.people.map((p) => [p.name, p.checkins, p.safety_plan, p.alerts]), [["ana", true, false, true]]);
  const person = await sam.get(`/api/v1/people/${anaId}`);
  assert.equal(person.status, 200);
  assert.equal(person.data.checkin_list[0].note, "shared note");
  assert.equal(person.data.plan, undefined);
  assert.equal((await sam.get(`/api/v1/clients/${anaId}/safety-plan`)).status, 404);
  assert.equal((await sam.get("/api/v1/journal")).status, 404);
  assert.equal((await sam.get(`/api/v1/clients/${anaId}/progress`)).status, 404);
  assert.equal((await sam.get("/api/v1/clients")).status, 403);
  const mine = await ana.get("/api/v1/supporters");
  assert.deepEqual(mine.data.supporters.map((x) => [x.name, x.checkins, x.safety_plan]), [["Sam", true, false]]);
});

test("the client changes what a supporter sees, and can end it", async () => {
  assert.equal((await ana.api("POST", `/api/v1/supporters/${samId}`, { scopes: ["safety_plan"] })).status, 200);
  await ana.api("POST", "/api/v1/safety-plan", { reasons: ["The dog"] });
  const person = await sam.get(`/api/v1/people/${anaId}`);
  assert.ok(person.data.plan.steps.some((s) => s.items.includes("The dog")));
  assert.equal(person.data.checkin_list, undefined);
  assert.equal((await sam.get(`/api/v1/clients/${anaId}/checkins`)).status, 404);
  const bad = await ana.api("POST", `/api/v1/supporters/${samId}`, { scopes: ["journal"] });
  assert.equal(bad.status, 400);
  assert.equal((await ben.api("POST", `/api/v1/supporters/${samId}`, { scopes: ["checkins"] })).status, 404, "not ben's supporter");
  assert.equal((await sam.api("POST", "/api/v1/supporters", { scopes: [] })).status, 403, "supporters do not invite");
});

test("a supporter is told of risk only when the client chose it, with the alerts scope", async () => {
  await ana.api("POST", `/api/v1/supporters/${samId}`, { scopes: ["alerts"] });
  await ana.api("POST", "/api/v1/settings", { notify: "clinician" });
  await ana.api("POST", "/api/v1/journal", { text: "I want to die." });
  assert.equal((await sam.get("/api/v1/people")).data.people[0].recent_alerts, 0, "the clinician was chosen, not supporters");
  await ana.api("POST", "/api/v1/settings", { notify: "supporters" });
  await ana.api("POST", "/api/v1/journal", { text: "I want to die." });
  assert.equal((await sam.get("/api/v1/people")).data.people[0].recent_alerts, 1);
  const page = await sam.get(`/people/${anaId}`);
  assert.match(page.text, /may be going through a hard time/);
  assert.match(page.text, /116 123/);
  const load = await clin.get("/api/v1/clients");
  assert.equal(load.data.clients.find((c) => c.name === "ana").risk_unseen, 1, "only the first event went to the clinician");
  await ana.api("POST", `/api/v1/supporters/${samId}`, { scopes: [] });
  assert.equal((await sam.get("/api/v1/people")).data.people[0].recent_alerts, 0, "no alerts without the scope");
});

test("ending it removes everything the supporter saw", async () => {
  assert.equal((await ana.api("POST", `/api/v1/supporters/${samId}/remove`, {})).status, 200);
  assert.deepEqual((await sam.get("/api/v1/people")).data.people, []);
  assert.equal((await sam.get(`/api/v1/people/${anaId}`)).status, 404);
  assert.equal((await ana.api("POST", `/api/v1/supporters/${samId}/remove`, {})).status, 404);
  const audit = await ana.get("/api/v1/audit");
  assert.ok(audit.data.entries.some((e) => e.who === "Sam" && e.resource === "safety plan" && e.allowed));
});
