import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Page } from 'playwright-core';
import { loadSweepFile } from '../../src/cli/sweep-commands.js';
import { sweepStaticMetadata } from '../../src/workflows/details.js';
import { artifacts, browserSkip as skip, launchBrowser, type Browser } from '../helpers/browser.js';
import { repoRoot, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';

/*
 * The Temporal UI the dev server serves, in a real browser, on the page of a sweep that just ran:
 * its packs on the timeline, its summary, details and current details, as a user would see them.
 */

let stack: Stack;
let browser: Browser;
let page: Page;
const savedRoot = process.env.SWEEPLAB_DATA_ROOT;

/** The summaries of the sweep's runOperations activities, as its history holds them. */
async function packSummaries(id: string): Promise<string[]> {
  const history = await stack.temporal.client.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).flatMap((event) =>
    event.activityTaskScheduledEventAttributes?.activityType?.name === 'runOperations' && event.userMetadata?.summary
      ? [defaultPayloadConverter.fromPayload<string>(event.userMetadata.summary)]
      : [],
  );
}

describe('a sweep on its Temporal UI page', { skip, timeout: 600_000 }, () => {
  before(async () => {
    process.env.SWEEPLAB_DATA_ROOT = repoRoot;
    stack = await startStack({ server: { headless: false } });
    browser = await launchBrowser({ width: 1400, height: 1200 });
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (savedRoot === undefined) delete process.env.SWEEPLAB_DATA_ROOT;
    else process.env.SWEEPLAB_DATA_ROOT = savedRoot;
  });

  test("shows the pack summaries on the timeline and the summary and details under User Metadata", async () => {
    const spec = loadSweepFile('variant_test', path.join(repoRoot, 'examples/variant.yaml')).spec;
    const id = uniqueId('ui-var');
    await stack.sweeps.submit(spec, { id });
    assert.equal((await stack.sweeps.result(id)).status, 'completed');
    const { staticSummary } = sweepStaticMetadata(spec, 'unused');

    const ui = stack.temporal.server.uiUrl!;
    try {
      await page.goto(`${ui}/namespaces/${stack.temporal.namespace}/workflows/${encodeURIComponent(id)}`);
      // However packing split the variants (by their measured cost), each pack's summary is on the timeline.
      const packs = await packSummaries(id);
      assert.deepEqual(packs.flatMap((p) => p.replace(/^variants? /, '').split(', ')).sort(), spec.kind === 'variant_test' ? spec.variants.map((v) => v.name).sort() : []);
      for (const pack of packs) await page.getByText(`runOperations • ${pack}`).first().waitFor({ timeout: 60_000 });
      await page.screenshot({ path: path.join(artifacts, 'temporal-ui-timeline.png'), fullPage: true });
      await page.getByText('User Metadata', { exact: true }).first().click();
      // The UI renders each Markdown text in an iframe of its own.
      await page.frameLocator('#user-metadata-summary').getByText(staticSummary).waitFor({ timeout: 60_000 });
      await page.frameLocator('#user-metadata-details').getByText('Results page').waitFor({ timeout: 60_000 });
      const current = page.frameLocator('#user-metadata-current-details');
      await current.getByText('done 3 · failed 0 · total 3 (100.0 %) · in flight 0').waitFor({ timeout: 60_000 });
      await current.getByText('completed', { exact: true }).waitFor({ timeout: 60_000 });
    } finally {
      await page.screenshot({ path: path.join(artifacts, 'temporal-ui-user-metadata.png'), fullPage: true });
    }
  });
});
