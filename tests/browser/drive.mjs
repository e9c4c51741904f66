// Drives Debian's chromium, headless, for qmilter-web's tests (puppeteer-core, no browser
// download). Prints one JSON document on stdout; the pytest side asserts on it.
//
//   node drive.mjs inspect URLS_FILE [SCREENSHOT_DIR]
//       opens each URL (one per line) and reports, per page: HTTP status, the h1, every
//       request the page made besides its own document, dialogs (alert/confirm/prompt),
//       console messages (a CSP violation shows there), and what of the DOM could run
//       script: <script>, on* attributes, javascript: URLs, <iframe>/<object>/<embed>.
//   node drive.mjs release URL SCREENSHOT
//       opens the page, saves a screenshot, clicks "Release", reports the same for the
//       page and for the confirmation page it lands on.
//   node drive.mjs render FILES_LIST SCREENSHOT_DIR
//       opens each local HTML file (one path per line) as a mail client would show it and
//       saves SCREENSHOT_DIR/<file name>.png; reports per file every request made besides
//       the file itself, dialogs, console messages and what of the DOM could run script.
//   node drive.mjs release-all URL SCREENSHOT
//       opens a recipient's page, clicks "Release all", then the confirmation's button, and
//       reports each of the three pages (the list, the confirmation, the outcome).
import fs from "node:fs";
import path from "node:path";
import puppeteer from "puppeteer-core";

const chromiumFlags = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage",
];

async function launch() {
  const userDataDir = fs.mkdtempSync("/tmp/qmilter-chromium-");
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [...chromiumFlags, `--user-data-dir=${userDataDir}`],
    headless: true,
  });
  return { browser, userDataDir };
}

// Everything a page does, recorded from before its navigation starts.
function watch(page) {
  const seen = { requests: [], dialogs: [], console: [] };
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("dialog", async (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on("console", (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => seen.console.push(`pageerror: ${e.message}`));
  return seen;
}

async function activeContent(page) {
  return page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      if (["script", "iframe", "object", "embed", "frame", "applet", "base", "meta"].includes(tag) &&
          !(tag === "meta" && !el.getAttribute("http-equiv"))) {
        found.push(`<${tag}>`);
      }
      for (const attr of el.attributes) {
        const value = attr.value.trim().toLowerCase();
        if (attr.name.startsWith("on")) found.push(`${tag}[${attr.name}]`);
        if (/^(javascript|vbscript|data):/.test(value.replace(/[\s\u0000-\u001f]/g, ""))) {
          found.push(`${tag}[${attr.name}=${attr.value.slice(0, 40)}]`);
        }
      }
    }
    return found;
  });
}

async function visit(page, url) {
  const seen = watch(page);
  const response = await page.goto(url, { waitUntil: "load", timeout: 30000 });
  // Give anything scheduled (timers, meta refresh, lazy loads) a moment to show itself.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const h1 = await page.$eval("h1", (e) => e.textContent).catch(() => null);
  return {
    url,
    status: response ? response.status() : 0,
    h1,
    other_requests: seen.requests.filter((r) => r !== url),
    dialogs: seen.dialogs,
    console: seen.console,
    active_content: await activeContent(page),
  };
}

async function inspect(urlsFile, screenshotDir) {
  const urls = fs.readFileSync(urlsFile, "utf8").split("\n").filter(Boolean);
  const { browser } = await launch();
  const pages = [];
  try {
    for (const [i, url] of urls.entries()) {
      const page = await browser.newPage();
      pages.push(await visit(page, url));
      if (screenshotDir && i === 0) await page.screenshot({ path: path.join(screenshotDir, "xss-first.png"), fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { pages };
}

async function render(filesList, screenshotDir) {
  const files = fs.readFileSync(filesList, "utf8").split("\n").filter(Boolean);
  const { browser } = await launch();
  const pages = [];
  try {
    for (const file of files) {
      const page = await browser.newPage();
      const seen = await visit(page, `file://${file}`);
      const screenshot = path.join(screenshotDir, path.basename(file).replace(/\.html$/, "") + ".png");
      await page.screenshot({ path: screenshot, fullPage: true });
      pages.push({ ...seen, screenshot, text: await page.$eval("body", (e) => e.innerText) });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { pages };
}

async function release(url, screenshot) {
  const { browser } = await launch();
  try {
    const page = await browser.newPage();
    const before = await visit(page, url);
    await page.screenshot({ path: screenshot, fullPage: true });
    const seen = watch(page);
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load", timeout: 60000 }),
      page.click('button[name="action"][value="release"]'),
    ]);
    const after = {
      status: 0,
      h1: await page.$eval("h1", (e) => e.textContent).catch(() => null),
      text: await page.$eval("body", (e) => e.innerText),
      requests: seen.requests,
      dialogs: seen.dialogs,
      console: seen.console,
    };
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-done.png"), fullPage: true });
    return { before, after };
  } finally {
    await browser.close();
  }
}

async function pageSummary(page, seen) {
  return {
    h1: await page.$eval("h1", (e) => e.textContent).catch(() => null),
    text: await page.$eval("body", (e) => e.innerText),
    rows: await page.$$eval("table.held tr", (rows) => rows.length - 1).catch(() => 0),
    dialogs: seen.dialogs,
    console: seen.console,
    active_content: await activeContent(page),
  };
}

async function releaseAll(url, screenshot) {
  const { browser } = await launch();
  try {
    const page = await browser.newPage();
    const list = await visit(page, url);
    list.rows = await page.$$eval("table.held tr", (rows) => rows.length - 1);
    await page.screenshot({ path: screenshot, fullPage: true });
    let seen = watch(page);
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load", timeout: 60000 }),
      page.click('button[name="action"][value="release_all"]'),
    ]);
    const confirm = await pageSummary(page, seen);
    seen = watch(page);
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load", timeout: 60000 }),
      page.click('button[name="action"][value="release_all"]'),
    ]);
    const done = await pageSummary(page, seen);
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-done.png"), fullPage: true });
    return { list, confirm, done };
  } finally {
    await browser.close();
  }
}

const [command, ...args] = process.argv.slice(2);
let result;
if (command === "inspect") result = await inspect(args[0], args[1]);
else if (command === "render") result = await render(args[0], args[1]);
else if (command === "release") result = await release(args[0], args[1]);
else if (command === "release-all") result = await releaseAll(args[0], args[1]);
else {
  console.error("usage: node drive.mjs inspect URLS_FILE [SCREENSHOT_DIR] | render FILES_LIST SCREENSHOT_DIR | " +
                "release URL SCREENSHOT | release-all URL SCREENSHOT");
  process.exit(2);
}
process.stdout.write(JSON.stringify(result, null, 1) + "\n");
