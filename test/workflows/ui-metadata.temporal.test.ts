import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadSweepFile } from '../../src/cli/sweep-commands.js';
import { sweepPageUrl, sweepStaticMetadata } from '../../src/workflows/details.js';
import { repoRoot, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';

/*
 * What the Temporal UI shows of a sweep (docs/cli.md, "Watching sweeps in the Temporal UI"), read
 * back from a real dev server after a real optimization that continues as new: the static summary
 * and details (describe), the current details (the SDK's `__temporal_workflow_metadata` query), a
 * summary on every scheduled activity, and no server path anywhere in the histories.
 */

const CONTINUE_AS_NEW_AFTER = 200;
const PUBLIC_URL = 'http://sweeplab.example:9000';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let stack: Stack;
let sweeps: Sweeps;
let id: string;
let runs: HistoryEvent[][];
const savedRoot = process.env.SWEEPLAB_DATA_ROOT;

/** Every run of the sweep's chain, first to last, as history events. */
async function chainHistories(workflowId: string, firstRunId: string): Promise<HistoryEvent[][]> {
  const out: HistoryEvent[][] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history = await stack.temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    out.push(events);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return out;
}

/**
 * Every string in the history, payload bytes decoded (protobuf's own toJSON would show them as
 * base64), so a path inside an input, a result or a summary shows.
 */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}: ${historyText(v)}`).join('\n');
  return String(value);
}

before(async () => {
  process.env.SWEEPLAB_DATA_ROOT = repoRoot;
  stack = await startStack({ server: { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_AFTER } } });
  sweeps = new Sweeps(stack.temporal.client, stack.store, stack.sweeps.taskQueue, PUBLIC_URL);
  // As the CLI does: the file by its absolute path, which must not travel with the sweep.
  const spec = loadSweepFile('optimization', path.join(repoRoot, 'examples/optimization.yaml')).spec;
  spec.parallel = { ...spec.parallel, operations_per_activity: 8, max_in_flight: 4 };
  id = uniqueId('ui-opt');
  const { runId } = await sweeps.submit(spec, { id });
  const view = await sweeps.result(id);
  assert.equal(view.status, 'completed');
  runs = await chainHistories(id, runId);
});

after(async () => {
  await stack?.stop();
  if (savedRoot === undefined) delete process.env.SWEEPLAB_DATA_ROOT;
  else process.env.SWEEPLAB_DATA_ROOT = savedRoot;
});

describe('a sweep in the Temporal UI', { timeout: 600_000 }, () => {
  test('the sweep continued as new, so every check below spans several runs', () => {
    assert.ok(runs.length >= 2, `expected continue-as-new with ${CONTINUE_AS_NEW_AFTER} events, got ${runs.length} run(s)`);
  });

  test("the sweep's first run carries the static summary and details set at submission", async () => {
    const spec = loadSweepFile('optimization', path.join(repoRoot, 'examples/optimization.yaml')).spec;
    const expected = sweepStaticMetadata(spec, sweepPageUrl(PUBLIC_URL, id));
    assert.equal(expected.staticSummary, 'optimization · sma grid · 480 operations · sharpe_ratio');
    const first = await stack.temporal.client.workflow.getHandle(id, runs[0]![0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId!).describe();
    assert.equal(await first.staticSummary(), expected.staticSummary);
    assert.equal(await first.staticDetails(), expected.staticDetails);
    assert.match((await first.staticDetails())!, new RegExp(`\\[Results page\\]\\(${PUBLIC_URL}/#/sweeps/${id}\\)`));
    // Temporal's continue-as-new command has no user metadata, so later runs have none of their own;
    // their current details open with the same summary line (next test).
  });

  test("the metadata query answers the workflow's current details: completed, all done, its generation", async () => {
    const metadata = await stack.temporal.client.workflow.getHandle(id).query(workflowMetadataQuery);
    const details = metadata.currentDetails ?? '';
    const [summary, phase, counts, rate, best, generation, paused] = details.split('\n');
    assert.equal(summary, '- optimization · sma grid · 480 operations · sharpe_ratio', 'the last run names the sweep too');
    assert.equal(phase, '- **completed**');
    assert.equal(counts, '- done 480 · failed 0 · total 480 (100.0 %) · in flight 0');
    assert.match(rate!, /^- rate \d+\.\d ops\/s · ETA 0s$/);
    assert.match(best!, /^- best so far: sharpe_ratio -?\d+\.\d{3} at #\d+: fast=\d+ slow=\d+ atr_multiplier=[\d.]+ risk_reward_ratio=[\d.]+ \(\d+ trades\)$/);
    assert.equal(generation, `- generation ${runs.length - 1} (continue-as-new count)`);
    assert.equal(paused, '- paused: no');
    const stored = (await sweeps.view(id)).best!;
    assert.ok(best!.includes(`at #${stored.idx}:`), `the best so far is the stored best (#${stored.idx})`);
  });

  test('current details are not history events: they stay out of every run', () => {
    for (const events of runs) assert.ok(!historyText(events).includes('best so far'));
  });

  test('every scheduled activity has a summary; each pack names its index range and count', () => {
    let packs = 0;
    let operations = 0;
    for (const events of runs) {
      for (const event of events.filter((e) => e.activityTaskScheduledEventAttributes)) {
        const type = event.activityTaskScheduledEventAttributes!.activityType!.name;
        const summary = event.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(event.userMetadata.summary) : undefined;
        assert.ok(summary, `activity ${type} (event ${event.eventId}) has no summary`);
        if (type !== 'runOperations') continue;
        const match = /^#(\d+)–#(\d+) · (\d+) operations$/.exec(summary);
        assert.ok(match, `pack summary "${summary}"`);
        const [, from, to, count] = match.map(Number);
        assert.ok(from! < to! && count! <= to! - from! + 1, `"${summary}" is a range holding its count`);
        packs++;
        operations += count!;
      }
    }
    assert.equal(operations, 480, `the ${packs} packs together ran every admissible operation once`);
  });

  test("the README's list filters find the sweep by its search attributes", async () => {
    const filters = [
      'SweepKind = "optimization" AND SweepStatus = "completed"',
      'SweepName = "sma grid"',
      'SweepStatus IN ("failed", "completed")',
      'SweepKind = "optimization" AND SweepTotal > 100',
    ];
    for (const filter of filters) {
      const query = `WorkflowId = "${id}" AND ExecutionStatus = "Completed" AND ${filter}`;
      const deadline = Date.now() + 30_000;
      let found = 0;
      // Visibility is eventually consistent: the last run's final attributes show up a moment later.
      while (found === 0 && Date.now() < deadline) {
        found = 0;
        for await (const _ of stack.temporal.client.workflow.list({ query })) found++;
        if (found === 0) await sleep(250);
      }
      assert.equal(found, 1, `"${filter}" lists the completed run`);
    }
  });

  test('a cancelled sweep restarted by resume carries the static summary and details again', async () => {
    const spec = loadSweepFile('variant_test', path.join(repoRoot, 'examples/variant.yaml')).spec;
    const restartedId = uniqueId('ui-resume');
    await sweeps.submit(spec, { id: restartedId });
    await sweeps.cancel(restartedId);
    await stack.temporal.client.workflow.getHandle(restartedId).result().catch(() => undefined);
    assert.equal((await sweeps.resume(restartedId)).restarted, true);
    const expected = sweepStaticMetadata(spec, sweepPageUrl(PUBLIC_URL, restartedId));
    const description = await stack.temporal.client.workflow.getHandle(restartedId).describe();
    assert.equal(await description.staticSummary(), expected.staticSummary);
    assert.equal(await description.staticDetails(), expected.staticDetails);
    assert.equal((await sweeps.result(restartedId)).status, 'completed');
  });

  test('no server path appears anywhere in the histories (inputs, memo, metadata, results)', () => {
    const forbidden = [repoRoot, fs.realpathSync(repoRoot), `${os.tmpdir()}/`, fs.realpathSync(os.tmpdir()) + '/', stack.dir];
    for (const [i, events] of runs.entries()) {
      const text = historyText(events);
      for (const p of forbidden) assert.ok(!text.includes(p), `run ${i} of the history names "${p}"`);
    }
    assert.ok(historyText(runs[0]!).includes('"file":"examples/optimization.yaml"'), 'the input names the file relative to the data root');
  });
});
