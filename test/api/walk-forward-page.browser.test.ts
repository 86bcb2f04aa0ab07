import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serveApi } from '../../src/api/server.js';
import { walkForwardReport } from '../../src/client/walk-forwards.js';
import { repoRoot, startStack, type Stack } from '../helpers/stack.js';

/*
 * The walk-forward view of the page in Chromium against the real stack: submitted through the form,
 * followed to the end, its timeline, chart, figures and per-window table drawn from the API.
 * A screenshot lands in test/artifacts/walk-forward.png.
 */

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const artifacts = path.join(repoRoot, 'test/artifacts');

let stack: Stack;
let server: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
let profile: string;

describe('the walk-forward page', { skip }, () => {
  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    stack = await startStack({ concurrency: 2 });
    server = await serveApi({ sweeps: stack.sweeps, store: stack.store, port: 0, dataRoot: stack.dataRoot, token: null });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      viewport: { width: 1400, height: 1000 },
    });
    page = await context.newPage();
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  });

  after(async () => {
    await context?.close();
    await server?.close();
    await stack?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test('shows the windows on a timeline, the stitched equity against the in-sample curves and the per-window table', async () => {
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('submit-kind').selectOption('walk-forwards');
    await page.getByTestId('submit-path').fill('test/fixtures/walk-forward/walk_forward.yaml');
    await page.getByTestId('submit-button').click();
    await page.waitForURL(/#\/sweeps\/wf-/);
    await page.waitForSelector('[data-testid=sweep-header] [data-testid=sweep-status]:text("completed")', { timeout: 180_000 });
    await page.waitForSelector('[data-testid=wf-row-8] [data-field=efficiency]');
    const id = decodeURIComponent(new URL(page.url()).hash.replace('#/sweeps/', ''));

    assert.equal(await page.locator('[data-testid=wf-timeline] .wf-row[data-status=done]').count(), 8, 'eight finished windows on the timeline');
    assert.equal(await page.locator('[data-testid=wf-window-table] tbody tr').count(), 8);
    const report = await walkForwardReport(stack.store, id);
    assert.ok(report?.stitched);
    const shown = await page.getAttribute('[data-testid=wf-stitched] [data-field=total_return]', 'data-value');
    assert.equal(Number(shown), report.stitched.metrics.total_return, 'the stitched total return the page shows is the report\'s');
    const chosen = report.windows.filter((w) => w.params).length;
    await page.waitForSelector('[data-testid=wf-equity-chart] canvas');
    assert.equal(await page.getAttribute('[data-testid=wf-equity-chart]', 'data-series'), String(1 + chosen), 'the stitched curve and one in-sample curve per window that chose');
    assert.equal(await page.locator('[data-testid=wf-stability] tbody tr').count(), 2, 'stability of fast and slow');
    await page.screenshot({ path: path.join(artifacts, 'walk-forward.png'), fullPage: true });
  });
});
