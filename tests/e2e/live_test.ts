/**
 * The live view (`--dashboard`) in headless Chromium: during a run, the page names the test in
 * progress and its charts grow second by second; it requests nothing but its own origin; the
 * page closes with the run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { findChromium, launchChromium, watchedPage } from "../_browser.ts";
import { decodePng, inkStats } from "../_png.ts";
import { spawnProgram } from "./_run.ts";

const chromium = findChromium();

const POINTS = `[...document.querySelectorAll("svg polyline.series")]
  .map((p) => (p.getAttribute("points") || "").split(" ").filter(Boolean).length)
  .reduce((a, b) => a + b, 0)`;

Deno.test({
  name: "--dashboard: the live page shows the run in progress and its charts update" +
    (chromium ? "" : " (skipped: Chromium not installed)"),
  ignore: !chromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    let browser: Browser | null = null;
    // A workload that runs for several seconds on the embedded server.
    const p = spawnProgram([
      "--isl",
      "64",
      "--osl",
      "64",
      "--requests",
      "600",
      "--concurrency",
      "16",
      "--dashboard",
      "0",
      "-o",
      join(dir, "run"),
    ]);
    try {
      const url = (await p.waitForStderr(/live view: (http:\/\/127\.0\.0\.1:\d+\/)/))[1];
      await p.waitForStderr(/\[1\/1\]/);
      browser = await launchChromium(chromium!);
      const v = await watchedPage(browser, 1280, 900);
      await v.page.goto(url);
      await v.page.waitForFunction(`${POINTS} > 24`, undefined, { timeout: 30_000 });
      const status: string = await v.page.evaluate(`document.getElementById("status").textContent`);
      assert.match(status, /running test 1 of 1: Workload: chat isl=64 osl=64/);
      const first: number = await v.page.evaluate(POINTS);
      const png = await v.page.screenshot();
      await Deno.writeFile(join(dir, "live.png"), png);
      const keep = Deno.env.get("BROWSER_TEST_KEEP");
      if (keep) await Deno.copyFile(join(dir, "live.png"), join(keep, "live.png"));
      const ink = inkStats(decodePng(png));
      assert.ok(ink.ink > 0.005 && ink.colours >= 5, `a blank page? ${JSON.stringify(ink)}`);
      // A second later the charts have more points: they update while the test runs.
      await v.page.waitForFunction(`${POINTS} > ${first}`, undefined, { timeout: 10_000 });
      const origin = new URL(url).origin;
      assert.deepEqual(v.requests.filter((r) => !r.startsWith(origin)), [], "only its own origin");
      assert.deepEqual(v.errors, []);
      const r = await p.result;
      assert.equal(r.code, 0, r.stderr);
      // The view closed with the run.
      await assert.rejects(fetch(url));
    } finally {
      await browser?.close();
      try {
        p.signal("SIGKILL");
      } catch {
        // ended
      }
      await p.result;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
