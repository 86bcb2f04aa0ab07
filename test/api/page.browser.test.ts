import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { serveApi } from '../../src/api/server.js';
import { walkForwardReport } from '../../src/client/walk-forwards.js';
import { artifacts, browserSkip as skip, launchBrowser, type Browser } from '../helpers/browser.js';
import { repoRoot, startStack, type Stack } from '../helpers/stack.js';

/*
 * The page in a real browser (Debian's Chromium driven by playwright-core) against the real stack.
 * Screenshots land in test/artifacts/ (git-ignored) for a human to look at.
 */

let stack: Stack;
let server: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

/** Submits through the form and waits until the sweep's page shows it completed at 100 %. */
async function submitAndFinish(fill: () => Promise<void>): Promise<void> {
  await page.goto(`${server.url}/#/`);
  await fill();
  await page.getByTestId('submit-button').click();
  await page.waitForURL(/#\/sweeps\//);
  await page.waitForSelector('[data-testid=sweep-header] [data-testid=progress-bar][data-pct="100"]', { timeout: 180_000 });
  await page.waitForSelector('[data-testid=sweep-header] [data-testid=sweep-status]:text("completed")', { timeout: 30_000 });
}

/** The numbers of a metric column as shown, top to bottom (null for "—"). */
async function columnValues(field: string): Promise<Array<number | null>> {
  return page.$$eval(`[data-testid=results-table] td[data-field="${field}"]`, (cells) =>
    cells.map((c) => {
      const value = c.getAttribute('data-value');
      return value === null || value === '' ? null : Number(value);
    }),
  );
}

describe('the results page', { skip }, () => {
  before(async () => {
    stack = await startStack({ concurrency: 4 });
    server = await serveApi({ sweeps: stack.sweeps, store: stack.store, port: 0, temporalUiUrl: 'http://127.0.0.1:8233', dataRoot: stack.dataRoot, token: null });
    browser = await launchBrowser({ width: 1400, height: 1000 });
    page = browser.page;
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await stack?.stop();
  });

  test('an optimization submitted through the form reaches 100 % and its table sorts by Sharpe on click', async () => {
    await submitAndFinish(async () => {
      await page.getByTestId('submit-kind').selectOption('optimizations');
      await page.getByTestId('submit-path').fill('examples/optimization.yaml');
    });
    await page.waitForSelector('[data-testid=results-table] tbody tr');
    await page.waitForSelector('[data-testid=heatmap-canvas][data-cells]');
    // Beside the best row: the four readings, the logit histogram and the Monte Carlo table.
    const reading = await page.getByTestId('reading-pbo').textContent();
    assert.match(reading ?? '', /^PBO \d\.\d\d: the in-sample winner/);
    assert.match((await page.getByTestId('reading-dsr').textContent()) ?? '', /^DSR \d\.\d\d: /);
    await page.waitForSelector('[data-testid=logit-histogram] .hist-bar');
    await page.waitForSelector('[data-testid=monte-carlo] tbody tr');
    await shot('optimization');
    // "Recompute now" posts, and the card is drawn again from the answer with the same figures.
    await page.getByTestId('btn-statistics').click();
    await page.waitForSelector('[data-testid=btn-statistics]:text("Recompute now"):not([disabled])');
    assert.equal(await page.getByTestId('reading-pbo').textContent(), reading);

    // The table opens sorted by the primary metric, best first; a click turns it ascending, another back.
    const header = page.getByTestId('th-sharpe_ratio');
    assert.equal(await header.getAttribute('data-order'), 'desc');
    await header.click();
    await page.waitForSelector('[data-testid=th-sharpe_ratio][data-order=asc]');
    const asc = await columnValues('sharpe_ratio');
    assert.equal(asc.length, 50, 'one page of 50 rows');
    const ascNumbers = asc.filter((v): v is number => v !== null);
    assert.deepEqual(ascNumbers, [...ascNumbers].sort((a, b) => a - b), 'ascending');
    assert.match((await header.textContent()) ?? '', /▲/);
    await shot('optimization-sharpe-asc');

    await header.click();
    await page.waitForSelector('[data-testid=th-sharpe_ratio][data-order=desc]');
    const desc = (await columnValues('sharpe_ratio')).filter((v): v is number => v !== null);
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a), 'descending');
    assert.ok(desc[0]! >= ascNumbers[ascNumbers.length - 1]!, 'the best row leads when descending');
  });

  test('a variant test pasted as YAML draws its three curves', async () => {
    const yaml = fs.readFileSync(path.join(repoRoot, 'examples/variant.yaml'), 'utf8').replace('base_operation: operation.yaml', 'base_operation: examples/operation.yaml');
    await submitAndFinish(async () => {
      await page.getByTestId('submit-kind').selectOption('variant-tests');
      await page.getByTestId('submit-yaml').fill(yaml);
    });
    await page.waitForSelector('[data-testid=equity-chart][data-series="3"] .uplot');
    // uPlot's legend lists the x series first, then one entry per curve.
    const legend = await page.$$eval('[data-testid=equity-chart] .u-legend .u-series .u-label', (els) => els.map((e) => e.textContent));
    assert.deepEqual(legend.slice(1), ['Baseline', 'Hoge RR', 'Andere Exit']);
    await shot('variant-test');
  });

  test('a bad document shows the API message verbatim', async () => {
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('submit-kind').selectOption('optimizations');
    await page.getByTestId('submit-yaml').fill('optimization_config:\n  name: [broken\n');
    await page.getByTestId('submit-button').click();
    const error = page.getByTestId('submit-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /^request body: line \d+, column \d+: /);
    await shot('submit-error');
  });

  test('a walk-forward shows its windows on a timeline, the stitched equity against the in-sample curves and the per-window table', async () => {
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('submit-kind').selectOption('walk-forwards');
    await page.getByTestId('submit-yaml').fill('');
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
    assert.equal(Number(shown), report.stitched.metrics.total_return, "the stitched total return the page shows is the report's");
    const chosen = report.windows.filter((w) => w.params).length;
    await page.waitForSelector('[data-testid=wf-equity-chart] canvas');
    assert.equal(await page.getAttribute('[data-testid=wf-equity-chart]', 'data-series'), String(1 + chosen), 'the stitched curve and one in-sample curve per window that chose');
    assert.equal(await page.locator('[data-testid=wf-stability] tbody tr').count(), 2, 'stability of fast and slow');
    await shot('walk-forward');
  });
});
