import assert from "node:assert/strict";
import { join } from "node:path";
import { runInProcess } from "./_run.ts";
import type { Browser } from "playwright-core";
import { findChromium, launchChromium, type WatchedPage, watchedPage } from "../_browser.ts";
import { decodePng, inkStats } from "../_png.ts";

const chromium = findChromium();

/** Words of table cells whose glyphs sit on more than one line (a word broken mid-way). */
const BROKEN_WORDS = `(() => {
  const broken = [];
  for (const cell of document.querySelectorAll("th, td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      // Lines may break at spaces and after hyphens or slashes, never inside a word or number.
      const re = /[^\\s\\-\\/–—]+/g;
      let m;
      while ((m = re.exec(n.textContent))) {
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0)
          .map((x) => Math.round(x.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken.slice(0, 10);
})()`;
if (!chromium) {
  console.warn(
    "browser test skipped: Chromium is not installed (.ci/run installs it with apt-get; " +
      "set CHROMIUM=/path/to/chrome to use another build)",
  );
}

Deno.test({
  name: "report.html of a quick run in headless Chromium: headline numbers, charts, no errors" +
    (chromium ? "" : " (skipped: Chromium not installed)"),
  ignore: !chromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    let browser: Browser | null = null;
    try {
      // The default embedded server: the engine profile, whose metrics are sampled.
      const code = await runInProcess(["--quick", "--suite", "throughput", "--output-dir", dir]);
      assert.equal(code, 0);
      browser = await launchChromium(chromium!);
      const url = `file://${join(dir, "report.html")}`;
      const desk = await watchedPage(browser, 1280, 1600);
      await desk.page.goto(url);
      const page: {
        h1: string;
        tiles: number;
        marks: number;
        rps: string;
        charts: number;
        chartSeries: number;
        sections: string[];
      } = await desk.page.evaluate(`({
        h1: document.querySelector("h1").textContent,
        tiles: document.querySelectorAll("#headline .tile").length,
        marks: document.querySelectorAll("#headline .tile .mark").length,
        rps: [...document.querySelectorAll("#headline .tile")]
          .find((t) => t.textContent.includes("throughput.rps")).querySelector(".value").textContent,
        charts: document.querySelectorAll("#charts figure svg.chart").length,
        chartSeries: document.querySelectorAll("#charts svg path.series, #charts svg rect.bar").length,
        sections: [...document.querySelectorAll("h2")].map((h) => h.textContent),
      })`);
      assert.match(page.h1, /Benchmark Report/);
      assert.ok(page.tiles >= 8, `${page.tiles} headline tiles`);
      assert.ok(page.marks >= 2, "RPS and P99 carry marks");
      assert.match(page.rps, /^\d+\.\d\d req\/s/);
      // Quick throughput: 2 latency CDFs, TTFT and ITL histograms of the streaming test, and
      // the server's queue over each of the 2 tests.
      assert.equal(page.charts, 6);
      assert.ok(page.chartSeries >= 4, "charts have drawn data");
      assert.deepEqual(page.sections, ["Headline numbers", "Charts", "Reports"]);
      const png = await desk.page.screenshot();
      await Deno.writeFile(join(dir, "screenshot.png"), png);
      const keep = Deno.env.get("BROWSER_TEST_KEEP");
      if (keep) await Deno.copyFile(join(dir, "screenshot.png"), join(keep, "report-desktop.png"));
      const img = decodePng(png);
      assert.equal(img.width, 1280);
      const ink = inkStats(img);
      assert.ok(ink.ink > 0.03, `screenshot nearly blank: ${(ink.ink * 100).toFixed(2)}% ink`);
      assert.ok(ink.colours >= 6, `only ${ink.colours} colours`);
      // Table headers and numbers never break inside a word: a wide table scrolls instead.
      const views: WatchedPage[] = [desk];
      for (const [w, h, mobile] of [[1400, 1000, false], [390, 844, true]] as const) {
        const v = await watchedPage(browser, w, h, mobile);
        views.push(v);
        await v.page.goto(url);
        const broken: string[] = await v.page.evaluate(BROKEN_WORDS);
        assert.deepEqual(broken, [], `words broken across lines at ${w} px`);
        if (!mobile) continue;
        // Phone: nothing wider than the screen.
        const overflow: number = await v.page.evaluate(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        assert.ok(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
        if (keep) await Deno.writeFile(join(keep, "report-phone.png"), await v.page.screenshot());
      }
      const pdf = await desk.page.pdf();
      assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
      for (const v of views) {
        assert.deepEqual(v.errors, []);
        const external = v.requests.filter((u) => !/^(file|data|about):/.test(u));
        assert.deepEqual(external, [], "the report loads nothing from the network");
      }
    } finally {
      await browser?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
