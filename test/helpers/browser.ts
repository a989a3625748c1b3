import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium: playwright-core drives it as it is, no browser download. */
export const CHROMIUM_PATH = process.env.MAINSPRING_CHROMIUM ?? '/usr/bin/chromium';

export class ChromiumMissingError extends Error {
  readonly code = 'CHROMIUM_MISSING';
}

/**
 * Headless chromium for the UI test and the report screenshot. No sandbox (containers run us as root), no
 * background networking (no update checks or phoning home from CI), /tmp instead of a small /dev/shm.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new ChromiumMissingError(`chromium not found at ${CHROMIUM_PATH}: apt-get install chromium (or set MAINSPRING_CHROMIUM to its path)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Saves a full-page screenshot as test-artifacts/e2e/<name>.png (gitignored) and returns its path. */
export async function screenshot(page: Page, name: string, dir = join(process.cwd(), 'test-artifacts', 'e2e')): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
