import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import type { Stack } from '../helpers/stack.js';
import { startRemoteStack, type RemoteStack } from './remote-stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from './workspace.js';

/*
 * A walk-forward whose chosen combination misbehaves only in its out-of-sample run (the plugin
 * reads its first bar: the run's warm-up starts in December, every in-sample run and every
 * submission check in January), on the real stack: the window's runs go to a contained thread with
 * the sweep's limits, and the walk-forward fails at once with the plugin's name and reason; the
 * activity is not retried. Limits are small (2 s, 64 MB) to keep the test quick.
 */

const LIMITS = 'max_operation_seconds: 2, max_operation_memory_mb: 64';

/** A plugin that runs `misbehave` when its bars start outside January, else momentum. */
const outOfSampleOnly = (name: string, misbehave: string) => signalPlugin(name, `if (new Date(bars.time[0]).getUTCMonth() !== 0) { ${misbehave} }\n    ${MOMENTUM}`);

const PLUGINS = {
  wfstring: "throw 'a string';",
  wfmemory: 'const hoard = []; for (;;) hoard.push(new Array(100_000).fill(1));',
  wfloop: 'for (;;) {}',
};

let stack: Stack;
let workspace: string;
let stop: RemoteStack['stop'] | undefined;
let app: ReturnType<typeof createApp>;

before(async () => {
  const files: Record<string, string> = {};
  for (const [name, misbehave] of Object.entries(PLUGINS)) {
    files[`plugins/${name}.ts`] = outOfSampleOnly(name, misbehave);
    Object.assign(files, sweepFiles(name, [5, 10], LIMITS));
    // The base operation's 2014–2016: one window, in sample 2014–2015, out of sample 2016.
    files[`wf-${name}.yaml`] = `walk_forward_config:
  name: ${name} walk-forward
  base_optimization: opt-${name}.yaml
  windows: { in_sample: 2y, out_of_sample: 1y }
`;
  }
  workspace = makeWorkspace(files, { plugins: false });
  ({ stack, app, stop } = await startRemoteStack(workspace));
});

after(async () => {
  await stop?.();
});

/** Runs wf-<name>.yaml to its end: the walk-forward's failure message, its stored status, and the attempts its window run took. */
async function failedWalkForward(name: string): Promise<{ message: string; status: string; attempts: number[] }> {
  const id = uniqueId('wf-contained');
  const res = await app.request(`/api/walk-forwards?id=${id}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: `wf-${name}.yaml` }) });
  assert.equal(res.status, 202, await res.clone().text());
  const handle = stack.temporal.client.workflow.getHandle(id);
  const error = await handle.result().then(
    () => assert.fail('the walk-forward completed'),
    (err: unknown) => err,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const { events } = await handle.fetchHistory();
  const windowRuns = new Set(events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runWindowOutOfSample').map((e) => Number(e.eventId)));
  const attempts = events!.flatMap((e) => (e.activityTaskStartedEventAttributes && windowRuns.has(Number(e.activityTaskStartedEventAttributes.scheduledEventId)) ? [e.activityTaskStartedEventAttributes.attempt!] : []));
  return { message: error.cause!.message, status: (await stack.sweeps.view(id)).status, attempts };
}

describe("a walk-forward whose chosen combination misbehaves out of sample", () => {
  test('a thrown string fails the walk-forward at once, naming the plugin', async () => {
    const { message, status, attempts } = await failedWalkForward('wfstring');
    assert.match(message, /^walk-forward \S+ failed after 0 of 1 windows: plugins\/wfstring\.ts: plugin "wfstring" threw "a string", which is not an Error \(throw new Error\(…\) to say where and why\)$/);
    assert.deepEqual([status, attempts], ['failed', [1]]);
  });

  test('an allocation loop fails the walk-forward at the memory ceiling, not retried', async () => {
    const { message, status, attempts } = await failedWalkForward('wfmemory');
    assert.match(message, /failed after 0 of 1 windows: plugins\/wfmemory\.ts: plugin "wfmemory" exceeded the memory ceiling of 64 MB \(parallel_config\.max_operation_memory_mb\) while window 1's out-of-sample run ran$/);
    assert.deepEqual([status, attempts], ['failed', [1]]);
  });

  test('an endless loop fails the walk-forward after max_operation_seconds, not retried', async () => {
    const { message, status, attempts } = await failedWalkForward('wfloop');
    assert.match(message, /failed after 0 of 1 windows: wf-wfloop\.yaml: parallel_config\.max_operation_seconds: plugin "wfloop" did not finish within 2 s while window 1's out-of-sample run ran \(a plugin that never returns\?\)$/);
    assert.deepEqual([status, attempts], ['failed', [1]]);
  });
});
