// Browser test: a client signs in, records a check-in and sees it in the
// history, in Debian's chromium driven by playwright-core.  axe-core
// checks every page visited; screenshots go to tests/browser/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "../http/lib.mjs";
import { launch, axe, SHOTS } from "./lib.mjs";

const PW = "a calm river at dawn";
let srv, browser;

before(async () => {
  srv = await startServer();
  const admin = new Client(srv.base);
  const r = await admin.post("/api/v1/setup", { json: { username: "nia", display_name: "Nia Okafor", password: PW } });
  assert.equal(r.status, 201, r.text);
  admin.csrf = r.data.csrf;
  const inv = await admin.api("POST", "/api/v1/invitations", {});
  const joiner = new Client(srv.base);
  const j = await joiner.post("/api/v1" + inv.data.path, { json: { username: "sam", display_name: "Sam", password: PW } });
  assert.equal(j.status, 201, j.text);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test("a client signs in with the keyboard, checks in, and sees it in the history", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(srv.base + "/login");
  await axe(page, "login");
  await page.screenshot({ path: `${SHOTS}/login-phone.png`, fullPage: true });

  await page.getByLabel("Username").fill("sam");
  await page.getByLabel("Password").fill(PW);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkins/);
  await axe(page, "checkins (empty)");

  await page.getByLabel("7", { exact: true }).check();
  await page.getByLabel("Hopeful").check();
  await page.getByLabel("Tired").check();
  await page.getByLabel(/Anything you would like to add/).fill("Talked to my sister today.");
  await page.getByRole("button", { name: "Save check-in" }).click();
  await page.waitForURL(/thanks=/);
  await assert.doesNotReject(page.getByText("Thank you for checking in").waitFor());
  const history = page.locator("ol.history li").first();
  assert.match(await history.innerText(), /Mood 7 of 10/);
  assert.match(await history.innerText(), /Talked to my sister today\./);
  assert.match(await history.innerText(), /Hopeful/);
  await axe(page, "checkins (after saving)");
  await page.screenshot({ path: `${SHOTS}/checkins-phone.png`, fullPage: true });

  // "Help now" is one click away and needs nothing more.
  await page.getByRole("link", { name: "Help now" }).first().click();
  await page.waitForURL(/\/help$/);
  await axe(page, "help");
  assert.match(await page.locator("main").innerText(), /Samaritans/);
  await context.close();
});

test("the clinician sees the client's check-in on a desktop screen", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(srv.base + "/login");
  await page.getByLabel("Username").fill("nia");
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/clients$/);
  await axe(page, "caseload");
  await page.getByRole("link", { name: "Sam" }).click();
  await page.waitForURL(/\/clients\/\d+\/checkins$/);
  assert.match(await page.locator("main").innerText(), /Talked to my sister today\./);
  await axe(page, "client check-ins");
  await page.screenshot({ path: `${SHOTS}/client-desktop.png`, fullPage: true });
  await context.close();
});

test("Help now opens from three different pages, and the safety plan page is accessible", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(srv.base + "/login");
  await page.getByLabel("Username").fill("sam");
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/checkins/);

  await page.goto(srv.base + "/safety-plan");
  await axe(page, "safety plan (empty)");
  await page.getByLabel("My reasons for living").fill("My dog, Biscuit\nThe sea in summer");
  await page.getByLabel("Things I can do on my own").fill("Walk round the park");
  await page.getByRole("button", { name: "Save the plan" }).click();
  await page.waitForURL(/saved=1/);
  assert.match(await page.locator("main").innerText(), /My dog, Biscuit/);
  await axe(page, "safety plan (saved)");
  await page.screenshot({ path: `${SHOTS}/safety-plan-phone.png`, fullPage: true });

  for (const from of ["/checkins", "/safety-plan", "/audit"]) {
    await page.goto(srv.base + from);
    await page.getByRole("link", { name: "Help now" }).first().click();
    await page.waitForURL(/\/help$/);
    const text = await page.locator("main").innerText();
    assert.match(text, /Samaritans/, `help from ${from}`);
    assert.match(text, /My dog, Biscuit/, `own plan on help from ${from}`);
  }
  await axe(page, "help with plan");
  await context.close();
});
