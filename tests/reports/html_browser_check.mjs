// The HTML report's sweep section as a person sees it: a real headless browser
// (Chromium from Debian, chromium-headless-shell, driven by puppeteer-core from npm,
// both installed by scripts/setup) opens the report.html of a real sweep and must
// find no script error and no failed load, the sweep section with its failed-check
// table, one distribution chart per metric row laid out at a visible size with one
// mark per seed, the failing seeds with their replay and shrink commands, and a
// screenshot of the section that is not blank. The screenshot is kept next to the
// report (sweep.png) for a person to look at.
//
//   node tests/reports/html_browser_check.mjs BPSIM_BINARY [--out DIR] [--timeout SECONDS]

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { npmModule } from "../npm_module.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const bpsim = args[0];
if (!bpsim || bpsim.startsWith("--")) {
  console.error("usage: node tests/reports/html_browser_check.mjs BPSIM_BINARY [--out DIR] [--timeout SECONDS]");
  process.exit(2);
}
const timeoutMs = Number(option("--timeout", "90")) * 1000;
setTimeout(() => {
  console.error(`html_browser_check: not finished within ${timeoutMs / 1000} s`);
  process.exit(1);
}, timeoutMs).unref();

// puppeteer-core is installed globally by scripts/setup (npm install -g).
const puppeteer = (await import(pathToFileURL(npmModule("puppeteer-core")).href)).default;

function chromium() {
  for (const name of ["chromium-headless-shell", "chromium"]) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0) return found.stdout.trim();
  }
  console.error("html_browser_check: chromium-headless-shell is not installed: run scripts/setup");
  process.exit(1);
}

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

// A sweep with failing seeds: the library's ignores-revocation defect without its
// expectations (so its violation fails each seed) over six seeds: exit 1.
const out = option("--out", "") || fs.mkdtempSync(path.join(os.tmpdir(), "bpsim-html-browser-"));
fs.mkdirSync(out, { recursive: true });
const library = fs.readFileSync(path.join(root, "scenarios/consent/defect-ignores-revocation.yaml"), "utf8");
const scenario = path.join(out, "unexpected-violation.yaml");
fs.writeFileSync(scenario, library.slice(0, library.indexOf("\nexpect:") + 1));
const sweep = spawnSync(bpsim, ["sweep", scenario, "--seeds", "1..6", "--jobs", "1", "--out", out],
                        { encoding: "utf8" });
if (sweep.status !== 1) {
  console.error(`bpsim sweep exited ${sweep.status}, expected 1 (failing seeds):\n${sweep.stdout}${sweep.stderr}`);
  process.exit(1);
}
const report = path.join(out, "report.html");

const browser = await puppeteer.launch({
  executablePath: chromium(),
  headless: "shell",
  // CI runs as root, where Chromium's sandbox cannot start.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`failed to load ${r.url()}: ${r.failure()?.errorText}`));
  await page.goto(pathToFileURL(report).href, { waitUntil: "load" });

  const seen = await page.evaluate(() => {
    const heading = [...document.querySelectorAll("h2.section")].find((h) => h.textContent === "Sweep");
    const section = document.querySelector(".card.sweep");
    const rows = [...document.querySelectorAll(".card.sweep table.spread tbody tr")];
    // What a person sees without scrolling the table sideways.
    const wrap = document.querySelector(".card.sweep table.spread")?.closest(".table-wrap");
    const view = wrap ? wrap.getBoundingClientRect() : { left: 0, right: 0 };
    const charts = rows.map((tr) => {
      const svg = tr.querySelector("td.dist svg");
      if (!svg) return null;
      const box = svg.getBoundingClientRect();
      const inView = box.left >= view.left && box.right <= view.right;
      const marks = [...svg.querySelectorAll("circle")].filter((c) => {
        const b = c.getBoundingClientRect();
        return b.width > 0 && b.height > 0;
      });
      return { metric: tr.querySelector("code")?.textContent, width: box.width, height: box.height,
               inView, marks: marks.length, median: svg.querySelectorAll("line.median").length };
    });
    const failed = [...document.querySelectorAll(".card.sweep table.failed-checks tbody tr")]
      .map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent)]);
    const repros = [...document.querySelectorAll(".card.sweep .repro-box code")].map((c) => c.textContent);
    return { heading: !!heading, section: !!section, visible: !!section && section.offsetHeight > 0,
             summary: section?.querySelector("p")?.textContent ?? "", charts, failed, repros };
  });

  check(problems.length === 0, `the page had problems:\n  ${problems.join("\n  ")}`);
  check(seen.heading && seen.section && seen.visible, "no visible Sweep section");
  check(seen.summary.includes("seeds 1..6: 6 runs, 0 passed, 6 failed."),
        `sweep summary line: '${seen.summary}'`);
  check(seen.failed.some(([name, seeds]) => name === "revocation-honoured" && seeds === 6),
        `failed checks table: ${JSON.stringify(seen.failed)}`);
  check(seen.charts.length >= 5, `${seen.charts.length} metric rows, expected at least 5`);
  for (const c of seen.charts) {
    check(c !== null, "a metric row without its distribution chart");
    if (c === null) continue;
    check(c.width >= 200 && c.height >= 30, `chart of ${c.metric} laid out at ${c.width}x${c.height}`);
    check(c.inView, `chart of ${c.metric} is outside the table's visible width (scrolled off)`);
    check(c.marks === 6, `chart of ${c.metric} shows ${c.marks} seeds, expected 6`);
    check(c.median === 1, `chart of ${c.metric} has no median mark`);
  }
  check(seen.repros.length === 6, `${seen.repros.length} failing seeds listed, expected 6`);
  check(seen.repros.every((t) => t.includes("bpsim replay") && t.includes("bpsim shrink")),
        "a failing seed without its replay and shrink commands");

  // The screenshot of the section, and whether it shows anything: the number of
  // distinct colours, counted by the browser itself from the PNG.
  const section = await page.$(".card.sweep");
  const png = path.join(out, "sweep.png");
  await section.screenshot({ path: png });
  const colours = await page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < px.length; i += 4) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return { width: img.width, height: img.height, distinct: seen.size };
  }, fs.readFileSync(png).toString("base64"));
  check(colours.width >= 600 && colours.height >= 200,
        `screenshot of the section is ${colours.width}x${colours.height}`);
  check(colours.distinct >= 16, `screenshot of the section has ${colours.distinct} colours: blank?`);
  console.log(`sweep section: ${seen.charts.length} distribution charts, ${seen.repros.length} failing ` +
              `seeds; screenshot ${colours.width}x${colours.height} (${colours.distinct} colours): ${png}`);
} finally {
  await browser.close();
}
if (failures.length > 0) {
  console.error(`html_browser_check: ${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
