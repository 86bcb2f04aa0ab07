import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './stack.js';

/*
 * Debian's Chromium driven by playwright-core (which never downloads a browser here), for the
 * `*.browser.test.ts` files. Screenshots go to test/artifacts/ (git-ignored) for a human to look at.
 */

export const CHROMIUM = '/usr/bin/chromium';
/** For `describe(…, { skip })`: false, or why the browser tests cannot run. */
export const browserSkip = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
export const artifacts = path.join(repoRoot, 'test/artifacts');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile and one page open. */
export async function launchBrowser(viewport: { width: number; height: number }): Promise<Browser> {
  fs.mkdirSync(artifacts, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport,
  });
  return {
    context,
    page: await context.newPage(),
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
