// Browser tests of the client's care loop: a PHQ-9 answered with the
// keyboard only, a journal entry and kindred's reflection, progress
// charts; axe-core on every page; screenshots at phone and desktop widths.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "../http/lib.mjs";
import { launch, axe, SHOTS } from "./lib.mjs";

const PW = "a quiet harbour at noon";
let srv, browser;

before(async () => {
  srv = await startServer();
  const admin = new Client(srv.base);
  const r = await admin.post("/api/v1/setup", { json: { username: "lee", display_name: "Lee Clinician", password: PW } });
  admin.csrf = r.data.csrf;
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  const c = new Client(srv.base);
  const j = await c.post("/api/v1" + inv.data.path, { json: { username: "rio", display_name: "Rio", password: PW } });
  c.csrf = j.data.csrf;
  await admin.api("POST", `/api/v1/clients/${j.data.id}/assignments`, { instrument: "phq9", schedule: "weekly" });
  await c.api("POST", "/api/v1/measures/phq9", { answers: [2, 2, 2, 1, 1, 1, 1, 1, 0] });
  await c.api("POST", "/api/v1/checkins", { mood: 3 });
  await c.api("POST", "/api/v1/checkins", { mood: 5 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function signIn(page) {
  await page.goto(srv.base + "/login");
  await page.getByLabel("Username").fill("rio");
  await page.getByLabel("Password").fill(PW);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/(checkins|settings)/);
}

test("a PHQ-9 answered with the keyboard only", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  await page.goto(srv.base + "/measures/phq9");
  await axe(page, "PHQ-9 form");
  // Tab into the first question, then for each question choose the second
  // answer with the arrow key and Tab on to the next group.
  await page.locator("input[name=item1]").first().focus();
  for (let q = 1; q <= 10; q++) {
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Tab");
  }
  await page.screenshot({ path: `${SHOTS}/phq9-phone.png`, fullPage: true });
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/responses\/\d+$/);
  const text = await page.locator("main").innerText();
  assert.match(text, /Score: 9 out of 27/);
  assert.match(text, /What this does not mean/);
  assert.match(text, /have to hold this alone/, "item 9 answered above 0: support shown at once");
  await axe(page, "PHQ-9 result");
  await page.screenshot({ path: `${SHOTS}/phq9-result-phone.png`, fullPage: true });
  await context.close();
});

test("a journal entry and kindred's reflection", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page);
  await page.goto(srv.base + "/journal");
  await axe(page, "journal");
  await page.getByLabel("What's on your mind?").fill("I've felt so anxious and tired this week, and a bit lonely since the move.");
  await page.getByRole("button", { name: "Save entry" }).click();
  await page.waitForURL(/\/journal\/\d+$/);
  const reply = await page.locator("section.reply").innerText();
  assert.match(reply, /anxious, tired and lonely|anxious/);
  assert.equal((reply.match(/\?/g) || []).length, 1);
  await axe(page, "journal entry");
  await page.screenshot({ path: `${SHOTS}/journal-desktop.png`, fullPage: true });
  await context.close();
});

test("progress charts at phone and desktop widths", async () => {
  for (const [w, h, name] of [[390, 844, "phone"], [1280, 900, "desktop"]]) {
    const context = await browser.newContext({ viewport: { width: w, height: h } });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(srv.base + "/progress");
    assert.equal(await page.locator("svg[role=img]").count(), 2);
    await axe(page, `progress (${name})`);
    await page.screenshot({ path: `${SHOTS}/progress-${name}.png`, fullPage: true });
    await context.close();
  }
});
