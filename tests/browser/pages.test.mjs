// Every page a person can reach passes axe-core: the ones the other
// browser tests do not walk through (supporters, people, my data,
// settings, questionnaires, the clinician's views), at phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, setupClinic } from "../http/lib.mjs";
import { launch, axe, SHOTS } from "./lib.mjs";

const PW = "a meadow after rain";
let srv, browser, anaId, samId;

before(async () => {
  srv = await startServer();
  const { clients } = await setupClinic(srv, PW, ["ana"]);
  let ana;
  [ana, anaId] = clients.ana;
  await ana.api("POST", "/api/v1/checkins", { mood: 6, note: "a walk" });
  await ana.api("POST", "/api/v1/journal", { text: "I want to die." });
  await ana.api("POST", "/api/v1/settings", { notify: "both" });
  await ana.api("POST", "/api/v1/journal", { text: "I want to die." });
  const inv = await ana.api("POST", "/api/v1/supporters", { scopes: ["checkins", "safety_plan", "alerts"] });
  const sam = new Client(srv.base);
  const j = await sam.post("/api/v1" + inv.data.invitation.path, { json: { username: "sam", display_name: "Sam", password: PW } });
  samId = j.data.id;
  await ana.api("POST", "/api/v1/journal", { text: "I want to die." });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function visit(user, paths) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(srv.base + "/login");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
  for (const path of paths) {
    const r = await page.goto(srv.base + path);
    assert.ok(r.status() < 400, `${path}: ${r.status()}`);
    await axe(page, `${user} ${path}`);
  }
  await context.close();
}

test("a client's other pages", async () => {
  await visit("ana", ["/supporters", "/my-data", "/settings", "/measures", "/measures/who5", "/journal", "/audit"]);
});

test("a supporter's pages", async () => {
  await visit("sam", ["/people", `/people/${anaId}`]);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(srv.base + "/login");
  await page.getByLabel("Username").fill("sam");
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto(srv.base + `/people/${anaId}`);
  assert.match(await page.locator("main").innerText(), /may be going through a hard time/);
  await page.screenshot({ path: `${SHOTS}/supporter-person-phone.png`, fullPage: true });
  await context.close();
  assert.ok(samId > 0);
});

test("the clinician's pages", async () => {
  await visit("clin", ["/clients", `/clients/${anaId}/checkins`, `/clients/${anaId}/measures`,
    `/clients/${anaId}/progress`, `/clients/${anaId}/safety-plan`, "/invitations/new"]);
});
