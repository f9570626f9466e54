/**
 * `deno task docs:screenshot RUN_DIR OUT.png`: a picture of a run's `report.html` as a reader
 * first sees it (1280 × 900, headless Chromium), for the README.
 *
 * @module
 */

import { findChromium, launchChromium } from "../tests/_browser.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, out] = Deno.args;
if (!dir || !out) {
  console.error("usage: deno task docs:screenshot RUN_DIR OUT.png");
  Deno.exit(2);
}
const chromium = findChromium();
if (!chromium) {
  console.error("no Chromium found (set $CHROMIUM)");
  Deno.exit(2);
}
const browser = await launchChromium(chromium);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(pathToFileURL(resolve(dir, "report.html")).href);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
