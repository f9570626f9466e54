/**
 * Headless Chromium for browser tests, driven by playwright-core with the system's Chromium
 * (no browser download): pages that collect console errors, exceptions and network requests.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";

/** Where Chromium may be installed. */
export const CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/** The Chromium executable (`$CHROMIUM` first), or null when none is installed. */
export function findChromium(): string | null {
  const env = Deno.env.get("CHROMIUM");
  for (const p of env ? [env, ...CHROMIUM_PATHS] : CHROMIUM_PATHS) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Start headless Chromium with the flags a closed network needs. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page and what it did: console errors and exceptions, and every URL it requested. */
export interface WatchedPage {
  /** The page. */
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL requested. */
  requests: string[];
}

/** A new page of `width` × `height` (a phone's when `mobile`) that records what it does. */
export async function watchedPage(
  browser: Browser,
  width: number,
  height: number,
  mobile = false,
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width, height },
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const out: WatchedPage = { page, errors: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") out.errors.push(m.text());
  });
  page.on("pageerror", (e) => out.errors.push(e.message));
  page.on("request", (r) => out.requests.push(r.url()));
  return out;
}
