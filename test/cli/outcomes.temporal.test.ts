import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import type { WalkForwardSpec } from '../../src/config/walk-forward-spec.js';
import { cliEnv, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from '../user-plugins/workspace.js';
import { runCli } from './run-cli.js';

/*
 * What the CLI and the API say when a sweep ends badly or is raced (issue 19 item 5): the exit code
 * of a sweep none of whose operations succeeded, pause/resume/cancel reaching a sweep that closed
 * meanwhile, the reserved ids of a walk-forward's windows, and what cancel and resume print. The
 * stack's data root is a workspace (a copy of examples/) with a plugin that throws for every period
 * but its default, so a sweep over other periods fails every operation.
 */

const BROKEN = signalPlugin('broken', `if (p.period !== 20) throw new Error('broken on purpose');\n    ${MOMENTUM}`);
/** Checked at submission with the blueprint's period (20), run over periods that all throw. */
const OPT_BROKEN = sweepFiles('broken', [20])['opt-broken.yaml']!.replace('values: [20]', 'values: [10, 30]');

/** A small walk-forward (4 windows on 3 years) that is cancelled as soon as it is submitted. */
const WF_BROKEN = `walk_forward_config:
  name: broken walk-forward
  base_optimization: opt-broken.yaml
  windows: { in_sample: 1y, out_of_sample: 6m }
`;

let stack: Stack;
let workspace: string;
let app: ReturnType<typeof createApp>;

before(async () => {
  workspace = makeWorkspace({ 'plugins/broken.ts': BROKEN, ...sweepFiles('broken', [20]), 'opt-broken.yaml': OPT_BROKEN, 'wf-broken.yaml': WF_BROKEN });
  stack = await startStack({ concurrency: 2, dataRoot: workspace });
  app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: workspace, namespace: stack.temporal.namespace });
});

after(async () => {
  await stack?.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

function sweeplab(...args: string[]) {
  return runCli(args, { cwd: workspace, env: cliEnv(stack), timeoutMs: 300_000 });
}

function post(url: string, body?: unknown) {
  return app.request(url, { method: 'POST', ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
}

/** Rows stored for a sweep, done and failed. */
async function storedRows(id: string): Promise<number> {
  return (await stack.store.queryResults(id, { limit: 1 })).total;
}

describe('a sweep none of whose operations succeeded', () => {
  const id = uniqueId('all-failed');
  let run: Awaited<ReturnType<typeof sweeplab>>;

  before(async () => {
    run = await sweeplab('optimize', 'opt-broken.yaml', '--wait', '--json', '--id', id);
  });

  test('is completed with each failure counted, and optimize --wait exits 1 saying none succeeded', () => {
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { id, status: 'completed', total: 2, completed: 0, failed: 2 });
    assert.match(run.stderr, new RegExp(`^no operation of ${id} succeeded: all 2 failed \\(sweeplab results ${id} shows each one's error\\)$`, 'm'));
  });

  test('pause, resume and cancel that reach it after it closed are 409 in the API, not 500', async () => {
    // The race: the sweep was running when the call looked (a stale description), and completed
    // before the signal or cancellation reached Temporal, which answers "workflow not found".
    const running = await runningDescription();
    for (const action of ['pause', 'resume', 'cancel'] as const) {
      const racing = new Sweeps(stack.temporal.client, stack.store, stack.sweeps.taskQueue);
      const describe = racing['describe'].bind(racing);
      let looks = 0;
      Object.defineProperty(racing, 'describe', { value: (sweepId: string) => (looks++ === 0 ? Promise.resolve(running) : describe(sweepId)) });
      const raced = createApp({ sweeps: racing, store: stack.store, dataRoot: workspace, namespace: stack.temporal.namespace });
      const res = await raced.request(`/api/sweeps/${id}/${action}`, { method: 'POST' });
      assert.equal(res.status, 409, `${action}: ${await res.clone().text()}`);
      const { error } = (await res.json()) as { error: { reason: string } };
      assert.equal(error.reason, `is completed; only a running sweep can ${action}`);
    }
  });
});

test('twelve alternating pause and resume calls racing a small sweep to its end are each answered 200 or 409', async () => {
  const id = uniqueId('race');
  const submitted = await post(`/api/optimizations?id=${id}`, { path: 'opt-broken.yaml' });
  assert.equal(submitted.status, 202, await submitted.clone().text());
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await post(`/api/sweeps/${id}/${i % 2 === 0 ? 'pause' : 'resume'}`)).status);
  assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 409), [], `answers: ${statuses.join(' ')}`);
  assert.equal((await stack.sweeps.result(id)).status, 'completed');
});

/** The description of a sweep while it runs (a walk-forward, cancelled right after). */
async function runningDescription(): Promise<WorkflowExecutionDescription> {
  const id = uniqueId('running');
  const submitted = await sweeplab('walk-forward', 'wf-broken.yaml', '--id', id);
  assert.equal(submitted.code, 0, submitted.stderr);
  const description = await stack.temporal.client.workflow.getHandle(id).describe();
  await stack.sweeps.cancel(id);
  assert.equal(description.status.name, 'RUNNING');
  return description;
}

describe("a walk-forward's window ids are reserved at submission", () => {
  test('a walk-forward whose window 1 id is taken by an optimization is refused: CLI exit 2, API 409', async () => {
    const id = uniqueId('wfcoll');
    const taken = await sweeplab('optimize', 'opt-broken.yaml', '--id', `${id}-w1`);
    assert.equal(taken.code, 0, taken.stderr);
    const run = await sweeplab('walk-forward', 'wf-broken.yaml', '--id', id);
    assert.equal(run.code, 2, run.stderr);
    const [error] = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
    assert.equal(
      error!.replace(/, (running|completed)\)/, ', <status>)'),
      `error: id: "${id}" cannot be this walk-forward's id: its window 1 would run as sweep "${id}-w1", which is already the id of a sweep (optimization "broken grid", <status>); choose another id`,
    );
    const res = await post(`/api/walk-forwards?id=${id}`, { path: 'wf-broken.yaml' });
    assert.equal(res.status, 409, await res.clone().text());
    assert.equal(await stack.store.getSweep(id), null, 'nothing was submitted');
  });

  test("an optimization under the id of a submitted walk-forward's last window is refused: CLI exit 2, API 409", async () => {
    const id = uniqueId('wf');
    const submitted = await sweeplab('walk-forward', 'wf-broken.yaml', '--id', id);
    assert.equal(submitted.code, 0, submitted.stderr);
    await stack.sweeps.cancel(id);
    const windows = ((await stack.store.getSweep(id))!.spec as WalkForwardSpec).windows.length;
    const last = `${id}-w${windows}`;
    const run = await sweeplab('optimize', 'opt-broken.yaml', '--id', last);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `error: id: "${last}" is reserved: it is the id of window ${windows} of walk-forward "${id}" ("broken walk-forward"); a new sweep needs an id of its own\n`);
    const res = await post(`/api/optimizations?id=${last}`, { path: 'opt-broken.yaml' });
    assert.equal(res.status, 409, await res.clone().text());
    assert.equal(await stack.store.getSweep(last), null, 'nothing was submitted');
    // A window number the walk-forward does not have is an ordinary id.
    const beyond = await sweeplab('optimize', 'opt-broken.yaml', '--id', `${id}-w${windows + 1}`);
    assert.equal(beyond.code, 0, beyond.stderr);
  });

  test('export of a walk-forward id is refused, naming its windows, and writes nothing', async () => {
    const id = uniqueId('wf-export');
    assert.equal((await sweeplab('walk-forward', 'wf-broken.yaml', '--id', id)).code, 0);
    await stack.sweeps.cancel(id);
    const windows = ((await stack.store.getSweep(id))!.spec as WalkForwardSpec).windows.length;
    const run = await sweeplab('export', id, '--ops', 'wf-ops');
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `error: sweep: ${id}: is a walk-forward, whose operations belong to its windows' optimizations; export those: sweeplab export ${id}-w1 … ${id}-w${windows}\n`);
    assert.deepEqual(fs.readdirSync(path.join(workspace, 'wf-ops')), []);
  });
});

describe('cancel and resume print the sweep as the action left it', () => {
  test('cancel prints it cancelled with its stored count; resume prints at least what is stored', async () => {
    const id = uniqueId('cancel-print');
    const spec = optimizationSpec(loadOptimizationFile(path.join(workspace, 'optimization.yaml'), { dataRoot: workspace }));
    spec.parallel = { ...spec.parallel, max_in_flight: 1, operations_per_activity: 1 };
    await stack.sweeps.submit(spec, { id });
    while ((await storedRows(id)) < 10) await new Promise((r) => setTimeout(r, 100));

    const cancel = await sweeplab('cancel', id);
    assert.equal(cancel.code, 0, cancel.stderr);
    const stored = await storedRows(id);
    assert.ok(stored < 480, 'cancelled before the end');
    assert.match(cancel.stdout, new RegExp(`^cancel: ${id} cancelled ${stored}/480 `), 'the state after the cancel took effect, with what is stored');

    const resume = await sweeplab('resume', id);
    assert.equal(resume.code, 0, resume.stderr);
    const shown = Number(new RegExp(`^resume: ${id} running (\\d+)/480 .*\\(new run; stored operations are reused\\)$`).exec(resume.stdout.trim())?.[1]);
    assert.ok(shown >= stored, `resume shows ${shown} of the ${stored} stored: ${resume.stdout}`);
    await stack.sweeps.cancel(id);
  });
});
