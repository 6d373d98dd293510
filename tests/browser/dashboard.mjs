// The dashboard in headless Chromium against a real `tubefeed serve` with ingested videos.
// Usage: node dashboard.mjs BASE_URL SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [base, shot] = process.argv.slice(2);
const fail = (msg) => { console.error("dashboard test: " + msg); process.exitCode = 1; };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // Thumbnails live on i.ytimg.com, which this machine cannot reach.
    if (m.type() === "error" && !/Failed to load resource|ERR_/.test(m.text())) errors.push(m.text());
  });
  let injected = false;
  await page.exposeFunction("pwned", () => { injected = true; });

  await page.goto(base + "/");
  const cards = page.locator("#grid li");
  await cards.nth(23).waitFor({ timeout: 15000 });
  if ((await cards.count()) !== 24) fail("first page should show 24 videos, got " + (await cards.count()));
  const status = await page.locator("#status").innerText();
  if (!/last fetch/.test(status)) fail("status line: " + status);
  if ((await page.locator("#topic option").count()) < 1) fail("no topics offered");

  // A title that looks like markup is shown as text and never runs.
  const grid = await page.locator("#grid").innerText();
  if (!grid.includes("<img src=x onerror=pwned()> cricket")) fail("the markup-like title is not shown as text");

  await page.click("#more");
  await cards.nth(24).waitFor({ timeout: 15000 });

  await page.fill("#q", "tea HOW");
  await page.click("#search button");
  await page.waitForFunction(() => document.querySelectorAll("#grid li").length === 1, null, { timeout: 15000 });
  const title = await page.locator("#grid li .title").innerText();
  if (title !== "How to make tea? cricket") fail("search result: " + title);

  await page.fill("#q", "zebra");
  await page.click("#search button");
  await page.locator("#empty").waitFor({ state: "visible", timeout: 15000 });

  await page.fill("#q", "");
  await page.click("#search button");
  await cards.nth(23).waitFor({ timeout: 15000 });
  await page.screenshot({ path: shot, fullPage: false });

  if (injected) fail("markup in a title was executed");
  if (errors.length) fail("page errors: " + errors.join(" | "));
} finally {
  await browser.close();
}
if (!process.exitCode) console.error("dashboard test: ok");
