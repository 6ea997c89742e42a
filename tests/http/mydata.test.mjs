// A client's data is theirs: they export all of it, and they delete it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, assertSealed, setupClinic, keysOf } from "./lib.mjs";

const PW = "my data password 1";
let srv, clin, ana, anaId, sam;

before(async () => {
  srv = await startServer();
  let clients;
  ({ clin, clients } = await setupClinic(srv, PW, ["ana"]));
  [ana, anaId] = clients.ana;
  await ana.api("POST", "/api/v1/checkins", { mood: 4, note: "marker-export-c1 a slow morning" });
  await ana.api("POST", "/api/v1/journal", { text: "marker-export-j1 wrote by the window" });
  await ana.api("POST", "/api/v1/safety-plan", { reasons: ["marker-export-p1"] });
  await ana.api("POST", "/api/v1/measures/phq9", { answers: [1, 1, 0, 0, 0, 0, 0, 0, 0] });
  const inv = await ana.api("POST", "/api/v1/supporters", { scopes: ["checkins"] });
  sam = new Client(srv.base);
  const j = await sam.post("/api/v1" + inv.data.invitation.path, { json: { username: "sam", display_name: "Sam", password: PW } });
  sam.csrf = j.data.csrf;
  await clin.get(`/api/v1/clients/${anaId}/checkins`);
});
after(async () => { await srv.stop(); });

test("the export holds everything, opened", async () => {
  const r = await ana.get("/api/v1/my-data/export");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-disposition"), /attachment; filename="my-kindred-data.json"/);
  const d = r.data;
  assert.equal(d.account.username, "ana");
  assert.equal(d.checkins[0].note, "marker-export-c1 a slow morning");
  assert.equal(d.journal[0].text, "marker-export-j1 wrote by the window");
  assert.ok(d.journal[0].reply.length > 50);
  assert.ok(d.safety_plan.steps.some((s) => s.items.includes("marker-export-p1")));
  assert.equal(d.measures[0].instrument, "phq9");
  assert.equal(d.supporters[0].name, "Sam");
  assert.ok(d.audit.some((e) => e.who === "Dr Clin"));
  assert.equal((await clin.get("/api/v1/my-data/export")).status, 404);
  assert.equal((await new Client(srv.base).get("/api/v1/my-data/export")).status, 401);
});

test("deleting needs the password; then the account and its data are gone", async () => {
  assert.equal(keysOf(srv, anaId), 1, "her data key is in the key store");
  const wrong = await ana.api("POST", "/api/v1/my-data/delete", { password: "not it at all" });
  assert.equal(wrong.status, 403);
  assert.equal((await ana.get("/api/v1/checkins")).status, 200, "nothing deleted");
  const token = await ana.formToken("/my-data");
  const r = await ana.post("/my-data/delete", { form: { csrf: token, password: PW } });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/?deleted=1");
  assert.equal((await ana.get("/api/v1/checkins")).status, 401, "the session ended");
  const again = new Client(srv.base);
  const login = await again.post("/api/v1/login", { json: { username: "ana", password: PW } });
  assert.equal(login.status, 401);
  const load = await clin.get("/api/v1/clients");
  assert.deepEqual(load.data.clients, []);
  assert.equal((await clin.get(`/api/v1/clients/${anaId}/checkins`)).status, 404);
  assert.deepEqual((await sam.get("/api/v1/people")).data.people, []);
  assert.equal(keysOf(srv, anaId), 0, "her data key is gone from the key store");
  // Nothing of hers is left to open: her words are sealed (never in the
  // clear), and the rows and key that could open them are gone.
  assertSealed(srv, ["marker-export-c1", "marker-export-j1", "marker-export-p1"], "Dr Clin");
  const page = await again.get("/?deleted=1");
  assert.match(page.text, /have been deleted/);
});
