/**
 * @module The console's Chromium tests' shared parts: the system Chromium (driven by
 * playwright-core), whether it is installed, and screenshots at desktop and phone widths.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium, which CI installs. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where screenshots go (gitignored). */
export const SHOTS = new URL("../.picloud/screenshots/", import.meta.url);

/** Whether Chromium is installed; CI always runs the browser tests (they fail without it). */
export const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Starts the system Chromium headless. */
export async function launchChromium(): Promise<Browser> {
  await Deno.mkdir(SHOTS, { recursive: true });
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: 30_000,
  });
}

/**
 * A function that saves the page at 1280 and 375 px (full height) as `<prefix><name>-<width>.png`;
 * with `noOverflow`, a page wider than the viewport fails the test.
 */
export function shooter(
  prefix = "",
  opts: { noOverflow?: boolean } = {},
): (page: Page, name: string) => Promise<void> {
  return async (page, name) => {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({
        path: new URL(`${prefix}${name}-${width}.png`, SHOTS).pathname,
        fullPage: true,
      });
      if (opts.noOverflow) {
        const wide = await page.evaluate("document.documentElement.scrollWidth") as number;
        assert.ok(wide <= width, `${prefix}${name} is ${wide} px wide at ${width} px`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  };
}
