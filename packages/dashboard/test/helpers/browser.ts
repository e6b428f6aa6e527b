// A real headless Chromium for the page tests: Debian's `chromium` (found or installed by the
// vitest globalSetup, testing/chromium-setup.mjs) driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** Where tests keep screenshots (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env['CHROMIUM_PATH'];
  if (executablePath === undefined || executablePath === '')
    throw new Error(
      'CHROMIUM_PATH is not set: run these tests through vitest (its globalSetup, testing/chromium-setup.mjs, finds or installs Chromium)',
    );
  return await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/** Opens the dashboard and waits until its event stream is live. Page errors fail the test. */
export async function openDashboard(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(url);
  await page.waitForSelector('#status[data-status="live"]', { timeout: 30_000 });
  return page;
}

export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}${name}`;
}
