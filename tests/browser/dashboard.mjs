// The dashboard in Debian's headless Chromium against a real `tubefeed serve` with videos
// ingested from the simulator (scripts/browser-test.sh prepares all of it). Each test is named;
// the runner prints one line per test and exits non-zero when any failed.
//
// Usage: node dashboard.mjs BASE_URL
// Environment: SIM_URL (the simulator), TUBEFEED_BIN + the fetch environment (to ingest videos
// mid-test), SCREENSHOTS (directory), CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const base = process.argv[2].replace(/\/$/, "");
const simUrl = process.env.SIM_URL;
const shots = process.env.SCREENSHOTS || "target/screenshots";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(shots, { recursive: true });

// ---------------------------------------------------------------- runner
const tests = [];
// Tests run a few at a time; `serial` ones (they change the data or need the machine) run after.
const test = (name, fn, serial = false) => tests.push({ name, fn, serial });
class Failure extends Error {}
function check(cond, msg) { if (!cond) throw new Failure(msg); }
function eq(a, b, msg) { if (JSON.stringify(a) !== JSON.stringify(b)) throw new Failure(`${msg}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`); }

// ---------------------------------------------------------------- the browser
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const consoleErrors = [];
const api = async (path) => (await fetch(base + path)).json();
const broken = (await api("/videos?q=thumbnail%20cannot%20load")).items[0];
if (!broken) throw new Error("seed data lacks the video whose thumbnail fails");

// Thumbnails live on i.ytimg.com, which this machine cannot reach: serve a generated picture for
// each, except the one video whose thumbnail must fail.
function thumbnail(url) {
  let h = 0;
  for (const c of url) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><defs><linearGradient id="g" x2="1" y2="1">` +
    `<stop offset="0" stop-color="hsl(${h},55%,50%)"/><stop offset="1" stop-color="hsl(${(h + 50) % 360},60%,28%)"/></linearGradient></defs>` +
    `<rect width="320" height="180" fill="url(#g)"/><circle cx="160" cy="90" r="30" fill="rgba(0,0,0,.35)"/>` +
    `<path d="M150 74 L176 90 L150 106Z" fill="#fff"/></svg>`;
}
async function newContext(opts = {}) {
  const ctx = await browser.newContext({ timezoneId: "UTC", locale: "en-US", viewport: { width: 1280, height: 900 }, ...opts });
  await ctx.route("https://i.ytimg.com/**", (route) => {
    const url = route.request().url();
    if (url.includes(broken.id)) return route.fulfill({ status: 404, body: "" });
    return route.fulfill({ status: 200, contentType: "image/svg+xml", body: thumbnail(url) });
  });
  return ctx;
}
const desktop = await newContext();
const phone = await newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });

// Opens the dashboard (path relative to BASE_URL) and waits for the first page of cards.
async function open(ctx, path = "/", { wait = true, netErrorsExpected = false, setup } = {}) {
  const page = await ctx.newPage();
  if (setup) await setup(page);
  page.on("pageerror", (e) => consoleErrors.push(`${path}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const where = (m.location() && m.location().url) || "";
    // Failures the test caused on purpose: the broken thumbnail, mocked errors, offline.
    if (/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(m.text()) && (where.includes(broken.id) || netErrorsExpected)) return;
    consoleErrors.push(`${path}: ${m.text()} ${where}`);
  });
  await page.goto(base + path);
  if (wait) await settled(page);
  return page;
}
// The list is settled: no request in flight, no skeleton.
async function settled(page) {
  await page.waitForFunction(() => document.getElementById("grid").getAttribute("aria-busy") === "false"
    && !document.querySelector("#grid .sk"), null, { timeout: 15000 });
}
const ids = (page) => page.$$eval("#grid li.card", (ls) => ls.map((l) => l.dataset.id));
const titles = (page) => page.$$eval("#grid li.card h2", (hs) => hs.map((h) => h.textContent));
const urlParams = (page) => Object.fromEntries(new URL(page.url()).searchParams);
async function cardCount(page, n) {
  try {
    await page.waitForFunction((n) => document.querySelectorAll("#grid li.card:not(.sk)").length === n
      && document.getElementById("grid").getAttribute("aria-busy") === "false", n, { timeout: 15000 });
  } catch (e) {
    const t = await titles(page);
    throw new Failure(`want ${n} cards, have ${t.length} at ${page.url()}: ${t.slice(0, 5).join(" | ")}`);
  }
}
function day(offsetDays) {
  return new Date(Date.now() - offsetDays * 86400000).toISOString().slice(0, 10);
}
async function axe(page, label) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(!bad.length, `${label}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`).join("; "));
}
async function noHorizontalScroll(page, label) {
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, bw: document.body.scrollWidth, w: innerWidth }));
  check(m.sw <= m.w && m.bw <= m.w, `${label}: scrollWidth ${m.sw}/${m.bw} > innerWidth ${m.w}`);
}
async function picturesLoaded(page) {
  await page.waitForFunction(() => [...document.querySelectorAll("#grid img")].every((i) => {
    const r = i.getBoundingClientRect();
    return r.top > innerHeight || (i.complete && i.naturalWidth > 0);
  }), null, { timeout: 15000 });
}

// ---------------------------------------------------------------- tests
test("first screen shows at least 10 cards", async () => {
  const page = await open(desktop);
  const n = (await ids(page)).length;
  check(n >= 10, `only ${n} cards`);
  eq(n, 24, "first page size");
  const first = await page.$eval("#grid li.card", (li) => ({
    href: li.querySelector("a").href, title: li.querySelector("h2").textContent,
    time: li.querySelector("time").textContent, abs: li.querySelector("time").title, dt: li.querySelector("time").dateTime,
  }));
  check(first.href.startsWith("https://www.youtube.com/watch?v="), "card links to the video: " + first.href);
  check(first.title.length > 0, "card has a title");
  await page.close();
});

test("status line shows the last fetch per topic, and nothing an operator alone should see", async () => {
  const page = await open(desktop);
  await page.waitForFunction(() => /chess: fetched/.test(document.getElementById("status").textContent));
  const s = await page.locator("#status").innerText();
  check(/cricket: fetched (just now|\d+ min ago)/.test(s) && /chess: fetched/.test(s), "per-topic fetch: " + s);
  check(!/keys/.test(s), "no key counts in public: " + s);
  check(!/stale/.test(s), "nothing is stale yet: " + s);
  await page.close();
});

test("titles are decoded text and markup in a title never runs", async () => {
  let injected = false;
  const page = await open(desktop, "/", { setup: (p) => p.exposeFunction("pwned", () => { injected = true; }) });
  const t = await titles(page);
  check(t.includes(`<img src=x onerror=pwned()> & "quotes" 'n' cricket`), "markup-like title shown as text, decoded once: " + t.filter((x) => x.includes("img")));
  check(!injected && (await page.$$("#grid h2 img")).length === 0, "markup in a title became markup");
  await page.close();
});

test("cards show thumbnail, channel, relative time with the absolute time on hover", async () => {
  const page = await open(desktop);
  await picturesLoaded(page);
  const c = await page.$eval("#grid li.card", (li) => ({
    src: li.querySelector("img") && li.querySelector("img").src, nat: li.querySelector("img") && li.querySelector("img").naturalWidth,
    ch: li.querySelector(".meta a.ch").textContent, time: li.querySelector("time").textContent, abs: li.querySelector("time").title,
  }));
  check(/\/mqdefault(_live)?\.jpg$/.test(c.src || ""), "medium thumbnail: " + c.src);
  check(c.nat > 0, "thumbnail drawn");
  check(c.ch.length > 0, "channel shown");
  check(/^(just now|\d+ (min|h|d) ago)$/.test(c.time), "relative time: " + c.time);
  check(/20\d\d/.test(c.abs), "absolute time on hover: " + c.abs);
  await page.close();
});

test("live and upcoming videos carry a badge", async () => {
  const page = await open(desktop);
  const badges = await page.$$eval("#grid li.card", (ls) => ls.map((l) => [l.querySelector("h2").textContent, l.querySelector(".badge")?.textContent || ""]).filter((x) => x[1]));
  const m = Object.fromEntries(badges);
  eq(m["LIVE: India vs England, day 2"], "Live", "live badge");
  check(/^Upcoming · (Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d{1,2}:\d\d (AM|PM)$/.test(m["Upcoming: final preview show"] || ""),
    "the upcoming badge says when it starts: " + m["Upcoming: final preview show"]);
  eq(m["Slip catch in slow motion #shorts"], "Short", "a Short is marked");
  await page.close();
});

test("cards show the length on the thumbnail and compact views", async () => {
  const page = await open(desktop);
  const c = await page.$$eval("#grid li.card", (ls) => Object.fromEntries(ls.map((l) => [l.querySelector("h2").textContent,
    { dur: l.querySelector(".dur")?.textContent || "", views: l.querySelector(".views")?.textContent || "", title: l.querySelector(".views")?.title || "" }])));
  eq(c["How to make tea?"].dur, "12:34", "754 s as YouTube writes it");
  eq(c["Slip catch in slow motion #shorts"].dur, "0:42", "a Short's length");
  eq(c["भारत बनाम ऑस्ट्रेलिया: मैच की मुख्य बातें"].dur, "25:00", "1500 s");
  eq(c["LIVE: India vs England, day 2"].dur, "", "a live broadcast has no length yet");
  const views = Object.values(c).map((x) => x.views).filter(Boolean);
  check(views.length >= 10 && views.every((v) => /^\d+(\.\d)?[KMB]? views?$/.test(v)), "compact views: " + views.slice(0, 5).join(" | "));
  check(Object.values(c).some((x) => /^[\d,]+ views when last checked$/.test(x.title)), "the exact count on hover");
  await page.close();
});

test("Hide Shorts hides every Short, is in the URL, and back brings them back", async () => {
  const page = await open(desktop);
  const shortsBefore = await page.locator("#grid .badge.short").count();
  check(shortsBefore >= 2, "the first page has Shorts to hide: " + shortsBefore);
  await page.locator("#noshorts").check();
  await page.waitForURL(/shorts=exclude/);
  await settled(page);
  eq(await page.locator("#grid .badge.short").count(), 0, "no Short left");
  const t = await titles(page);
  check(t.length >= 12 && !t.includes("Slip catch in slow motion #shorts"), "the list without Shorts: " + t.length);
  eq(await page.locator("#fsum").innerText(), "Filters (1)", "counted as a filter");
  await page.goBack();
  await settled(page);
  check(!(await page.locator("#noshorts").isChecked()), "switch off again");
  check((await page.locator("#grid .badge.short").count()) === shortsBefore, "Shorts back");
  await page.close();
});

test("length and language choices filter the list and live in the URL", async () => {
  const page = await open(desktop);
  await page.selectOption("#duration", "medium");
  await page.waitForURL(/duration=medium/);
  await settled(page);
  const durs = await page.$$eval("#grid .dur", (ds) => ds.map((d) => d.textContent));
  const secs = durs.map((d) => d.split(":").reduce((a, x) => a * 60 + +x, 0));
  check(secs.length >= 5 && secs.every((x) => x >= 240 && x <= 1200), "every length within 4 to 20 minutes: " + durs.join(" "));
  eq((await ids(page)).length, durs.length, "every card has a length");
  check((await titles(page)).includes("How to make tea?"), "12:34 is medium");
  await page.selectOption("#duration", "");
  await page.selectOption("#lang", "hi");
  await page.waitForURL(/lang=hi/);
  await settled(page);
  const t = await titles(page);
  check(t.includes("भारत बनाम ऑस्ट्रेलिया: मैच की मुख्य बातें") && !t.includes("How to make tea?"), "Hindi only: " + t.slice(0, 4).join(" | "));
  eq(await page.locator("#lang option:checked").innerText(), "Hindi", "named in the reader's language");
  await page.reload();
  await settled(page);
  eq(await page.inputValue("#lang"), "hi", "language restored from the URL");
  await page.goto(base + "/?duration=long&lang=xx1&shorts=maybe");
  await settled(page);
  eq([await page.inputValue("#duration"), await page.inputValue("#lang"), await page.locator("#noshorts").isChecked()], ["long", "", false], "bad URL values fall back");
  await page.close();
});

test("Subscribe links give the Atom and JSON feeds of the view on screen", async () => {
  const page = await open(desktop, "/?shorts=exclude&duration=medium&order=oldest&limit=12");
  const atom = await page.getAttribute("#sub-atom", "href");
  const json = await page.getAttribute("#sub-json", "href");
  const want = { order: "asc", shorts: "exclude", duration: "medium" };
  for (const href of [atom, json]) {
    const p = Object.fromEntries(new URL(href).searchParams);
    eq(p, want, "the view's filters, at the feeds' own page size");
  }
  eq(await page.getAttribute("link#alt-atom", "href"), atom, "a reader's subscribe button finds the Atom feed");
  const feed = await (await fetch(json)).json();
  eq(feed.items.slice(0, 12).map((i) => i.id.replace("yt:video:", "")), await ids(page), "the feed lists the cards on screen");
  const xml = await (await fetch(atom)).text();
  check(xml.startsWith("<?xml") && xml.includes("<yt:videoId>" + (await ids(page))[0] + "</yt:videoId>"), "Atom with the first card");
  await page.fill("#q", "tea");
  await page.waitForURL(/q=tea/);
  await settled(page);
  check(new URL(await page.getAttribute("#sub-atom", "href")).searchParams.get("q") === "tea", "a search changes the links");
  await page.close();
});

test("typing `tea ho` shows “How to make tea?” (debounced prefix search)", async () => {
  const page = await open(desktop);
  const searches = [];
  page.on("request", (r) => { const u = new URL(r.url()); if (u.pathname.endsWith("/videos") && u.searchParams.get("q")) searches.push(u.searchParams.get("q")); });
  await page.locator("#q").pressSequentially("tea ho", { delay: 30 });
  await cardCount(page, 1);
  eq(await titles(page), ["How to make tea?"], "search result");
  check(searches.length <= 3, "typing is debounced, requests: " + JSON.stringify(searches));
  eq(urlParams(page).q, "tea ho", "search in the URL");
  await page.close();
});

test("Esc clears the search and / focuses it", async () => {
  const page = await open(desktop, "/?q=tea");
  eq(await page.inputValue("#q"), "tea", "search box filled from the URL");
  await page.click("h1");
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement.id === "q"), "/ focuses the search box");
  await page.keyboard.press("Escape");
  await cardCount(page, 24);
  eq(await page.inputValue("#q"), "", "search box cleared");
  check(!("q" in urlParams(page)), "q left the URL: " + page.url());
  await page.close();
});

test("topic filter changes the list and the URL", async () => {
  const page = await open(desktop);
  await page.waitForFunction(() => document.querySelectorAll("#topic option").length === 2);
  await page.selectOption("#topic", "chess");
  await cardCount(page, 3);
  eq(await titles(page), ["Carlsen wins the blitz final", "Opening traps every beginner should know", "Endgame study: king and pawn"], "chess list");
  eq(urlParams(page).topic, "chess", "topic in the URL");
  await page.close();
});

test("date range changes the list and the URL", async () => {
  const page = await open(desktop);
  await page.fill("#to", day(2));
  await cardCount(page, 3);
  eq(await titles(page), ["Archive: the 1983 final", "Archive: spin bowling masterclass", "Archive: the oldest video here"], "to = two days ago");
  await page.fill("#from", day(4));
  await cardCount(page, 2);
  eq(await titles(page), ["Archive: the 1983 final", "Archive: spin bowling masterclass"], "from four days ago");
  eq([urlParams(page).from, urlParams(page).to], [day(4), day(2)], "dates in the URL");
  await page.close();
});

test("a channel click filters by that channel and × clears it", async () => {
  const page = await open(desktop);
  await page.locator("#grid li.card .meta a.ch", { hasText: "الرياضة اليوم" }).first().click();
  await page.waitForURL(/channel=/);
  await settled(page);
  // The simulator's own channels include this name too; every card must be from it.
  const chans = await page.$$eval("#grid li.card .meta bdi", (bs) => bs.map((b) => b.textContent));
  check(chans.length >= 2 && chans.length < 24 && chans.every((c) => c === "الرياضة اليوم"), "channel list: " + chans.join(" | "));
  const t = await titles(page);
  check(t.includes("ملخص مباراة الكريكيت اليوم") && t.includes("تحليل الأداء بعد المباراة"), "both seeded videos of the channel");
  check(urlParams(page).channel, "channel in the URL");
  eq(await page.locator("#chipname").innerText(), "الرياضة اليوم", "chip names the channel");
  await page.click("#chipx");
  await cardCount(page, 24);
  check(!("channel" in urlParams(page)), "channel left the URL");
  check(await page.locator("#chip").isHidden(), "chip hidden");
  await page.close();
});

test("newest/oldest order changes the list and the URL", async () => {
  const page = await open(desktop);
  const newest = (await titles(page))[0];
  await page.selectOption("#order", "oldest");
  await page.waitForFunction(() => document.querySelector("#grid li.card h2")?.textContent === "Archive: the oldest video here"
    && document.getElementById("grid").getAttribute("aria-busy") === "false");
  check(newest !== "Archive: the oldest video here", "newest first before");
  eq(urlParams(page).order, "oldest", "order in the URL");
  await page.close();
});

test("page size changes the list and the URL", async () => {
  const page = await open(desktop);
  await page.selectOption("#limit", "12");
  await cardCount(page, 12);
  eq(urlParams(page).limit, "12", "limit in the URL");
  await page.close();
});

test("reload restores the view", async () => {
  const page = await open(desktop);
  await page.selectOption("#order", "oldest");
  await settled(page);
  await page.selectOption("#limit", "12");
  await cardCount(page, 12);
  await page.fill("#q", "archive");
  await cardCount(page, 3);
  const before = await ids(page);
  await page.reload();
  await settled(page);
  eq(await ids(page), before, "same cards after reload");
  eq([await page.inputValue("#q"), await page.inputValue("#order"), await page.inputValue("#limit")], ["archive", "oldest", "12"], "controls after reload");
  await page.close();
});

test("back and forward restore the view", async () => {
  const page = await open(desktop);
  const first = await ids(page);
  await page.selectOption("#order", "oldest");
  await page.waitForFunction(() => document.querySelector("#grid li.card h2")?.textContent === "Archive: the oldest video here");
  await settled(page);
  const oldest = await ids(page);
  await page.waitForFunction(() => document.querySelectorAll("#topic option").length === 2);
  await page.selectOption("#topic", "chess");
  await cardCount(page, 3);
  await page.goBack();
  await settled(page);
  eq(await ids(page), oldest, "back: oldest first");
  eq(await page.inputValue("#order"), "oldest", "back: order control");
  eq(await page.inputValue("#topic"), "cricket", "back: topic control");
  await page.goBack();
  await settled(page);
  eq(await ids(page), first, "back again: the first view");
  await page.goForward();
  await settled(page);
  eq(await ids(page), oldest, "forward: oldest first");
  await page.close();
});

test("load more appends without duplicates", async () => {
  const page = await open(desktop);
  const first = await ids(page);
  await page.click("#more");
  // Clicking scrolls the button into view, so infinite scroll may append a page more.
  await page.waitForFunction(() => document.querySelectorAll("#grid li.card").length >= 48, null, { timeout: 15000 });
  await settled(page);
  const all = await ids(page);
  eq(all.slice(0, 24), first, "first page kept");
  eq(new Set(all).size, all.length, "no duplicate card");
  await page.close();
});

test("scrolling appends to the end without duplicates", async () => {
  const page = await open(desktop);
  for (let i = 0; i < 20 && !(await page.locator("#end").isVisible()); i++) {
    const n = (await ids(page)).length;
    await page.mouse.wheel(0, 4000);
    // Each scroll to the bottom appends the next page (or shows the end).
    await page.waitForFunction((n) => document.querySelectorAll("#grid li.card").length > n
      || !document.getElementById("end").hidden, n, { timeout: 15000 });
    await settled(page);
  }
  check(await page.locator("#end").isVisible(), "reached the end");
  const all = await ids(page);
  eq(all.length, 74, "every cricket video");
  eq(new Set(all).size, all.length, "no duplicate card");
  check(await page.locator("#more").isHidden(), "no load more at the end");
  await page.close();
});

test("a failing thumbnail shows the placeholder", async () => {
  const page = await open(desktop);
  const card = page.locator(`#grid li[data-id="${broken.id}"]`);
  await card.scrollIntoViewIfNeeded();
  await card.locator(".thumb.noimg").waitFor({ timeout: 10000 });
  eq(await card.locator("img").count(), 0, "no broken image left");
  await picturesLoaded(page);
  const drawn = await page.$$eval("#grid img", (is) => is.filter((i) => i.complete && i.naturalWidth === 0).length);
  eq(drawn, 0, "no other image broken");
  await card.screenshot({ path: `${shots}/card-thumbnail-failed.png` });
  await page.close();
});

test("an RTL channel name leaves the time readable", async () => {
  const page = await open(desktop);
  const m = await page.$eval("#grid li.card", () => {
    const li = [...document.querySelectorAll("#grid li.card")].find((l) => l.querySelector("h2").textContent === "ملخص مباراة الكريكيت اليوم");
    const ch = li.querySelector(".meta bdi").getBoundingClientRect(), t = li.querySelector("time").getBoundingClientRect();
    return { time: li.querySelector("time").textContent, chRight: ch.right, tLeft: t.left, sameLine: Math.abs(ch.top - t.top) < 4, dir: getComputedStyle(li.querySelector("h2")).direction };
  });
  check(/^(just now|\d+ (min|h|d) ago)$/.test(m.time), "time text: " + m.time);
  check(!m.sameLine || m.tLeft >= m.chRight, `time laid out after the channel (channel right ${m.chRight}, time left ${m.tLeft})`);
  eq(m.dir, "rtl", "Arabic title runs right to left");
  await page.locator("#grid li.card", { hasText: "الرياضة اليوم" }).first().screenshot({ path: `${shots}/card-rtl.png` });
  await page.close();
});

test("Hindi, Japanese and Arabic titles are shown as sent", async () => {
  const page = await open(desktop);
  const t = await titles(page);
  for (const want of ["भारत बनाम ऑस्ट्रेलिया: मैच की मुख्य बातें", "東京の夜 クリケット観戦ガイド", "ملخص مباراة الكريكيت اليوم"]) check(t.includes(want), "missing " + want);
  await page.close();
});

test("empty state names the active filters and resets", async () => {
  const page = await open(desktop, "/?q=zebra&order=oldest");
  await page.locator("#empty").waitFor({ state: "visible" });
  const msg = await page.locator("#empty").innerText();
  check(msg.includes("“zebra”") && /Reset/.test(msg), "empty message: " + msg);
  await page.click("#reset");
  await cardCount(page, 24);
  eq(new URL(page.url()).search, "", "reset clears the URL");
  await page.close();
});

test("problem+json errors are shown with their detail; Retry recovers", async () => {
  const ctx = await newContext();
  const detail = "DynamoDB is unavailable; try again in a few seconds";
  await ctx.route(/\/videos\?/, (r) => r.fulfill({ status: 503, contentType: "application/problem+json", headers: { "retry-after": "5" },
    body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, detail }) }));
  const page = await open(ctx, "/", { wait: false, netErrorsExpected: true });
  await page.locator("#error").waitFor({ state: "visible" });
  check((await page.locator("#errmsg").innerText()).includes(detail), "detail shown");
  await ctx.unroute(/\/videos\?/);
  await page.click("#retry");
  await cardCount(page, 24);
  check(await page.locator("#error").isHidden(), "error gone");
  await ctx.close();
});

test("offline shows a notice and reloads when back online", async () => {
  const ctx = await newContext();
  const page = await open(ctx, "/", { netErrorsExpected: true });
  await ctx.setOffline(true);
  await page.selectOption("#order", "oldest");
  await page.locator("#error").waitFor({ state: "visible" });
  check(/offline|could not be reached/.test(await page.locator("#errmsg").innerText()), "offline notice");
  await ctx.setOffline(false);
  await page.waitForFunction(() => document.querySelector("#grid li.card h2")?.textContent === "Archive: the oldest video here", null, { timeout: 15000 });
  check(await page.locator("#error").isHidden(), "notice gone");
  await ctx.close();
});

test("loading skeletons show while the first page loads", async () => {
  const ctx = await newContext();
  let release;
  const gate = new Promise((r) => { release = r; });
  await ctx.route(/\/videos\?/, async (r) => { await gate; await r.continue(); });
  const page = await open(ctx, "/", { wait: false });
  await page.locator("#grid li.sk").first().waitFor();
  eq(await page.getAttribute("#grid", "aria-busy"), "true", "list marked busy");
  release();
  await cardCount(page, 24);
  await ctx.close();
});

test("relative URLs: works under a stage path prefix", async () => {
  const ctx = await newContext();
  const seen = [];
  await ctx.route(/\/lambda-url\/videos-api/, async (r) => {
    const u = new URL(r.request().url());
    seen.push(u.pathname);
    u.pathname = u.pathname.replace(/^\/lambda-url\/videos-api/, "") || "/";
    const resp = await r.fetch({ url: u.toString() });
    await r.fulfill({ response: resp });
  });
  const page = await open(ctx, "/lambda-url/videos-api");
  eq((await ids(page)).length, 24, "cards under the prefix");
  check(seen.includes("/lambda-url/videos-api/videos") && seen.includes("/lambda-url/videos-api/health"), "API called under the prefix: " + seen.join(" "));
  await ctx.close();
});

test("keyboard: skip link, focus order and visible focus", async () => {
  const page = await open(desktop);
  const order = [];
  for (let i = 0; i < 28 && order.length < 14; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      const e = document.activeElement;
      return e.id || e.className || e.tagName;
    });
    if (order[order.length - 1] !== id) order.push(id); // a date input takes one Tab per field
  }
  eq(order, ["skip", "q", "BUTTON", "topic", "order", "limit", "from", "to", "duration", "lang", "noshorts", "sub-atom", "sub-json", "A"], "tab order");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline !== "none", "focus is visible");
  await page.close();
});

test("fits a 390-px phone with no horizontal scroll", async () => {
  const page = await open(phone);
  check((await titles(page)).includes("Wicketkeeping".repeat(8)), "the long unbreakable title is on the first page");
  await noHorizontalScroll(page, "first page, with a long unbreakable title");
  const btn = await page.$eval("#search button", (b) => b.getBoundingClientRect().right);
  check(btn <= 390, "Search button inside the screen: " + btn);
  check(await page.locator("#order").isHidden(), "filters folded on a phone");
  await page.click("#fsum");
  check(await page.locator("#order").isVisible(), "filters unfold");
  await noHorizontalScroll(page, "filters open");
  await page.screenshot({ path: `${shots}/phone-filters-open.png` });
  await page.locator("#grid li.card .meta a.ch", { hasText: "الرياضة اليوم" }).first().click();
  await page.waitForURL(/channel=/);
  await settled(page);
  await noHorizontalScroll(page, "channel filter");
  await page.goto(base + "/?q=zebra&from=" + day(9) + "&to=" + day(1));
  await page.locator("#empty").waitFor({ state: "visible" });
  await noHorizontalScroll(page, "empty");
  await page.close();
});

for (const [label, ctxName, path] of [["desktop, with results", "desktop", "/"], ["desktop, empty", "desktop", "/?q=zebra"],
  ["phone, with results", "phone", "/"], ["phone, empty", "phone", "/?q=zebra"]]) {
  test(`axe-core: no serious or critical violation (${label})`, async () => {
    const page = await open(ctxName === "phone" ? phone : desktop, path);
    if (path.includes("zebra")) await page.locator("#empty").waitFor({ state: "visible" });
    await axe(page, label);
    await page.close();
  });
}

test("axe-core: no serious or critical violation (dark scheme)", async () => {
  const ctx = await newContext({ colorScheme: "dark" });
  const page = await open(ctx);
  await axe(page, "dark");
  await ctx.close();
});

test("the page with its script and styles is under 30 KB gzip", async () => {
  const html = Buffer.from(await (await fetch(base + "/")).arrayBuffer());
  const gz = gzipSync(html, { level: 9 }).length;
  console.log(`     page: ${html.length} bytes, ${gz} bytes gzip`);
  check(gz < 30 * 1024, `gzip size ${gz}`);
  // The one <link> is the Atom feed's autodiscovery (rel="alternate"), fetched by no browser.
  check(!/<script[^>]+src=|<link(?![^>]+rel="alternate")[^>]+href=/.test(html.toString()), "no external script or stylesheet");
});

test("“N new videos” appears after a fetch and inserting keeps the reader’s place", async () => {
  const page = await desktop.newPage();
  page.on("pageerror", (e) => consoleErrors.push("new videos: " + e.message));
  await page.clock.install();
  await page.goto(base + "/");
  await settled(page);
  const before = await ids(page);
  const anchor = page.locator("#grid li.card").nth(9);
  await anchor.scrollIntoViewIfNeeded();
  await page.evaluate(() => scrollBy(0, 100));
  const anchorId = await anchor.getAttribute("data-id");
  const top0 = (await anchor.boundingBox()).y;
  for (const title of ["Fresh off the press: toss report", "Fresh off the press: team news"]) {
    const r = await fetch(simUrl + "/_sim/videos", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ topic: "cricket", title }) });
    check(r.ok, "simulator took the video");
  }
  const out = execFileSync(process.env.TUBEFEED_BIN, ["fetch"], { encoding: "utf8" });
  check(/"topic":"cricket"[^}]*"new":2/.test(out), "fetch stored the two videos: " + out);
  // Let the page's poll come round (the API may keep a first page for a few seconds).
  for (let i = 0; i < 15 && !(await page.locator("#new").isVisible()); i++) {
    await page.clock.fastForward(30000);
    await page.locator("#new").waitFor({ state: "visible", timeout: 1000 }).catch(() => {});
  }
  eq(await page.locator("#new").innerText(), "↑ 2 new videos", "banner");
  await page.screenshot({ path: `${shots}/desktop-new-videos.png` });
  eq(await ids(page), before, "nothing replaced under the reader");
  eq(Math.round((await anchor.boundingBox()).y), Math.round(top0), "banner did not move the list");
  await page.click("#new");
  const after = await ids(page);
  eq(after.length, 26, "two cards inserted");
  eq(after.slice(2), before, "inserted at the top");
  eq(new Set(after).size, after.length, "no duplicate card");
  const a2 = page.locator(`#grid li[data-id="${anchorId}"]`);
  check(Math.abs((await a2.boundingBox()).y - top0) <= 1, `reader's card stayed put (${top0} → ${(await a2.boundingBox()).y})`);
  check(await page.locator("#new").isHidden(), "banner gone");
  await page.close();
}, true);

test("screenshots: desktop and phone, light and dark", async () => {
  for (const [name, opts] of [["desktop-light", {}], ["desktop-dark", { colorScheme: "dark" }],
    ["phone-light", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
    ["phone-dark", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: "dark" }]]) {
    const ctx = await newContext(opts);
    const page = await open(ctx);
    await picturesLoaded(page);
    await page.screenshot({ path: `${shots}/${name}.png` });
    if (name.startsWith("phone")) {
      await page.locator("#grid li.card", { hasText: "भारत बनाम" }).first().scrollIntoViewIfNeeded();
      await page.evaluate(() => scrollBy(0, -200));
      await picturesLoaded(page);
      await page.screenshot({ path: `${shots}/${name}-scripts.png` });
    }
    await ctx.close();
  }
  const ctx = await newContext();
  const page = await open(ctx, "/?q=zebra&from=" + day(9));
  await page.locator("#empty").waitFor({ state: "visible" });
  await page.screenshot({ path: `${shots}/desktop-empty.png` });
  await ctx.close();
}, true);

test("no console errors", async () => {
  check(!consoleErrors.length, consoleErrors.join(" | "));
}, true);

// ---------------------------------------------------------------- run
let failed = 0;
const t0 = Date.now();
async function runOne(t) {
  const s = Date.now();
  try {
    await t.fn();
    console.log(`ok   ${t.name} (${Date.now() - s} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${t.name} (${Date.now() - s} ms)\n     ${(e instanceof Failure ? e.message : e.stack || e).toString().split("\n").join("\n     ")}`);
  }
}
const queue = tests.filter((t) => !t.serial);
await Promise.all(Array.from({ length: 3 }, async () => { while (queue.length) await runOne(queue.shift()); }));
for (const t of tests.filter((t) => t.serial)) await runOne(t);
await browser.close();
console.log(`${tests.length - failed} passed, ${failed} failed, ${tests.length} tests in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
