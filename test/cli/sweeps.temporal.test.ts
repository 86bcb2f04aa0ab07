import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { METRIC_NAMES } from '../../src/engine/result.js';
import type { ResultRow } from '../../src/store/types.js';
import { statisticsWorkflowId } from '../../src/workflows/types.js';
import { cliEnv, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { repoRoot, runCli } from './run-cli.js';

/*
 * The sweep commands of the CLI, spawned against the real stack: a Temporal dev server, a worker in
 * this process on a task queue of its own, and a SQLite store in a temp dir that the CLI opens too
 * (DATABASE_URL). The repository is the data root, so examples/ resolves as in the README.
 */

let stack: Stack;

before(async () => {
  stack = await startStack({ concurrency: 2 });
});

after(async () => {
  await stack?.stop();
});

function sweeplab(...args: string[]) {
  return sweeplabWith({}, ...args);
}

function sweeplabWith(env: Record<string, string>, ...args: string[]) {
  return runCli(args, {
    cwd: repoRoot,
    env: { ...cliEnv(stack), ...env },
    timeoutMs: 300_000,
  });
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const run = await sweeplab(...args);
  assert.equal(run.code, 0, `sweeplab ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Rows in the order the store promises: non-null values by the key, ties and nulls by idx. */
function expectedOrder(rows: ResultRow[], value: (r: ResultRow) => number | null, order: 'asc' | 'desc'): number[] {
  const sign = order === 'asc' ? 1 : -1;
  const present = rows.filter((r) => value(r) !== null).sort((a, b) => sign * (value(a)! - value(b)!) || a.idx - b.idx);
  const missing = rows.filter((r) => value(r) === null).sort((a, b) => a.idx - b.idx);
  return [...present, ...missing].map((r) => r.idx);
}

describe('optimize examples/optimization.yaml --wait --json', () => {
  const id = uniqueId('cli-opt');
  let run: Awaited<ReturnType<typeof sweeplab>>;
  let all: ResultRow[];
  /** Rows by grid index (indices run over all 600 combinations; the 120 with fast ≥ slow are absent). */
  let byIdx: Map<number, ResultRow>;

  before(async () => {
    run = await sweeplab('optimize', 'examples/optimization.yaml', '--wait', '--json', '--id', id);
    // The statistics follow completion in a workflow of their own.
    await stack.temporal.client.workflow.getHandle(statisticsWorkflowId(id)).result();
    all = (await stack.store.queryResults(id, { sort: 'idx', order: 'asc', limit: 10_000 })).rows;
    byIdx = new Map(all.map((r) => [r.idx, r]));
  });

  test('ends with one JSON line {id, status, total, completed, failed} and exit 0', () => {
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, `only the summary on stdout: ${run.stdout}`);
    const summary = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(summary), ['id', 'status', 'total', 'completed', 'failed']);
    // 10 fast × 4 slow × 3 multipliers × 5 ratios = 600; fast < slow leaves 480 (examples/optimization.yaml).
    assert.equal(summary.id, id);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.total, 480);
    assert.equal(summary.completed + summary.failed, 480);
    assert.equal(all.length, 480, 'every admissible combination is stored');
  });

  test('results --format json sorts by a metric, both ways, with --limit', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const rows = JSON.parse(await ok('results', id, '--format', 'json', '--sort', 'sharpe_ratio', '--order', order, '--limit', '25')) as ResultRow[];
      assert.deepEqual(
        rows.map((r) => r.idx),
        expectedOrder(all, (r) => r.metrics?.sharpe_ratio ?? null, order).slice(0, 25),
        order,
      );
      assert.deepEqual(rows, rows.map((r) => byIdx.get(r.idx)), 'rows as stored');
    }
  });

  test('results --format csv sorts by a parameter and has one column per parameter and metric', async () => {
    const csv = await ok('results', id, '--format', 'csv', '--sort', 'slow', '--order', 'desc', '--limit', '30', '--offset', '10');
    const records = parse(csv, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(records[0]!), ['idx', 'hash', 'fast', 'slow', 'atr_multiplier', 'risk_reward_ratio', 'status', 'error', ...METRIC_NAMES]);
    assert.deepEqual(
      records.map((r) => Number(r.idx)),
      expectedOrder(all, (r) => Number(r.params.slow), 'desc').slice(10, 40),
    );
    for (const rec of records) {
      const row = byIdx.get(Number(rec.idx))!;
      assert.equal(rec.hash, row.hash);
      for (const m of METRIC_NAMES) assert.equal(rec[m] === '' ? null : Number(rec[m]), row.metrics?.[m] ?? null, `${m} of row ${row.idx}`);
    }
  });

  test('results --format table prints the parameters and metrics of the top rows and a count', async () => {
    const [tableText, readings] = (await ok('results', id, '--sort', 'total_return', '--order', 'desc', '--limit', '5')).split('\n\n');
    const table = tableText!.trimEnd().split('\n');
    assert.match(readings ?? '', /^How far to trust the best row \(.*\):\n  PBO \d\.\d\d: /, 'the robustness readings follow the table');
    assert.match(table[0]!, /^\s*#\s+fast\s+slow\s+atr_multiplier\s+risk_reward_ratio\s+sharpe_ratio\s+total_return\s+cagr\s+max_drawdown\s+win_rate\s+profit_factor\s+total_trades\s+status$/);
    assert.equal(table.length, 2 + 5 + 1, 'header, rule, five rows, count');
    const top = expectedOrder(all, (r) => r.metrics?.total_return ?? null, 'desc').slice(0, 5);
    assert.deepEqual(
      table.slice(2, 7).map((line) => Number(line.trim().split(/\s+/)[0])),
      top,
    );
    assert.equal(table.at(-1), '5 of 480 rows');
  });

  test('status prints the finished progress', async () => {
    const out = await ok('status', id);
    assert.match(out, new RegExp(`^${id} completed 480/480 \\(100\\.0 %\\) failed 0 running 0 \\|`));
    assert.match(out, /\n  PBO \d\.\d\d: .*\n  DSR \d\.\d\d: .*\n  Neighbourhood: .*\n  Monte Carlo /);
  });

  test('statistics prints the stored figures; --json is the API document; --compute gives the same figures', async () => {
    const report = await ok('statistics', id);
    for (const heading of ['Deflated Sharpe Ratio', 'PBO by CSCV: ', 'logit histogram:', 'Neighbourhood stability', 'Monte Carlo of the best']) assert.ok(report.includes(heading), heading);
    const stored = JSON.parse(await ok('statistics', id, '--json'));
    assert.equal(stored.dsr.trials, 480);
    const again = JSON.parse(await ok('statistics', id, '--compute', '--json'));
    const figures = (x: Record<string, unknown>) => ({ ...x, computed_at: null, elapsed_ms: null });
    assert.deepEqual(figures(again), figures(stored));
  });

  test('export --ops writes every operation, and run-operation replays one to its stored metrics', async (t) => {
    // Inside the repository (the data root), which run-operation confines files to; data/ is not tracked.
    const dir = path.join(repoRoot, 'data', uniqueId('cli-export'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    assert.equal(await ok('export', id, '--ops', dir), `480 operations written to ${dir}\n`);
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 480);
    const best = byIdx.get(expectedOrder(all, (r) => r.metrics?.sharpe_ratio ?? null, 'desc')[0]!)!;
    for (const row of [all[0]!, best]) {
      const file = files.find((f) => f.startsWith(`${String(row.idx).padStart(6, '0')}-${row.hash.slice(0, 12)}`));
      assert.ok(file, `a file for operation ${row.idx}`);
      const replayed = JSON.parse(await ok('run-operation', path.relative(repoRoot, path.join(dir, file)), '--json'));
      assert.deepEqual(replayed.metrics, row.metrics, `operation ${row.idx}`);
    }
  });

  for (const action of ['pause', 'cancel'] as const) {
    test(`${action} of the finished sweep exits 2 saying it is completed`, async () => {
      const result = await sweeplab(action, id);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr, `error: sweep: ${id}: is completed; only a running sweep can ${action}\n`);
    });
  }
});

test('optimize without --wait prints the id and returns without waiting for the sweep', async (t) => {
  // On a task queue no worker polls, the sweep cannot even start: only a command that does not wait returns.
  const id = uniqueId('cli-nowait');
  const queue = uniqueId('nobody-polls');
  const run = await sweeplabWith({ SWEEPLAB_TASK_QUEUE: queue }, 'optimize', 'examples/optimization.yaml', '--id', id);
  const handle = stack.temporal.client.workflow.getHandle(id);
  t.after(() => handle.terminate('test over'));
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${id}\n`);
  assert.equal((await handle.describe()).status.name, 'RUNNING');

  // No worker is no error: status says where its figures come from instead.
  const status = await sweeplabWith({ SWEEPLAB_TASK_QUEUE: queue }, 'status', id);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(status.stdout.split('\n').filter((line) => /^\s*error:/.test(line)), [], 'no line begins with "error:"');
  assert.equal(
    status.stdout.split('\n')[1],
    `  live figures unavailable: no worker answered the progress query within 0.5 s (is one polling task queue "${queue}"?); counts from the results store`,
  );
});

test('variants examples/variant.yaml --wait prints the comparison of the three variants', async () => {
  const id = uniqueId('cli-var');
  const out = await ok('variants', 'examples/variant.yaml', '--wait', '--id', id);
  const [summary, blank, header, rule, ...rows] = out.trimEnd().split('\n');
  assert.equal(summary, `${id}: completed, 3 of 3 done, 0 failed`);
  assert.equal(blank, '');
  assert.match(header!, /^#\s+variant\s+sharpe_ratio\s+total_return\s+/);
  assert.match(rule!, /^─+/);
  assert.equal(rows.length, 3);
  const stored = (await stack.store.queryResults(id, { sort: 'sharpe_ratio', order: 'desc' })).rows;
  assert.deepEqual(
    rows.map((line) => / (Baseline|Hoge RR|Andere Exit) /.exec(line)?.[1]),
    stored.map((r) => r.params.variant),
    'ranked by sharpe_ratio, best first',
  );
  assert.deepEqual(new Set(stored.map((r) => r.params.variant)), new Set(['Baseline', 'Hoge RR', 'Andere Exit']));
});

test('an unknown sweep id exits 2 naming it', async () => {
  for (const command of ['status', 'results', 'pause', 'statistics']) {
    const run = await sweeplab(command, 'no-such-sweep');
    assert.equal(run.code, 2, `${command}: ${run.stderr}`);
    assert.match(run.stderr, /^error: sweep: no-such-sweep: /, command);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  }
});

describe('sweeplab walk-forward', () => {
  test('shows the windows at submission, follows to the end, and status and results work on its id', async () => {
    const run = await sweeplab('walk-forward', 'test/fixtures/walk-forward/walk_forward.yaml', '--wait', '--json');
    assert.equal(run.code, 0, run.stderr);
    const end = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { id: string; status: string; windows: number; completed: number; stitched: { windows: number } };
    assert.deepEqual([end.status, end.windows, end.completed, end.stitched.windows], ['completed', 8, 8, 8]);

    const status = JSON.parse(await ok('status', end.id, '--json')) as { kind: string; done: number; total: number };
    assert.deepEqual([status.kind, status.done, status.total], ['walk_forward', 8, 8]);
    const table = await ok('results', end.id);
    assert.match(table, /^w +in-sample +out-of-sample +fast +slow +IS sharpe_ratio/);
    assert.match(table, /stitched out of sample \(8 of 8 windows\)/);
    assert.match(table, /parameter stability:/);
    const report = JSON.parse(await ok('results', end.id, '--format', 'json')) as { windows: unknown[] };
    assert.equal(report.windows.length, 8);
  });

  test('prints the window plan before submitting', async () => {
    const run = await sweeplab('walk-forward', 'test/fixtures/walk-forward/walk_forward.yaml');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^8 windows: in-sample 2y, out-of-sample 1y, step 1y, rolling; out of sample from 2016-01-01 to 2023-12-29; warm-up 199 bars; 6 combinations per window$/m);
    assert.match(run.stdout.trim(), /^wf-/);
  });

  test('refuses a bad file with exit 2 and one line naming file, field and reason', async () => {
    const file = path.join(stack.dir, 'bad.yaml');
    fs.writeFileSync(file, 'walk_forward_config: { name: x, base_optimization: optimization.yaml, windows: { in_sample: 2y, out_of_sample: 6m, step: 3m } }\n');
    const inside = path.join(repoRoot, 'test/fixtures/walk-forward/bad-step.tmp.yaml');
    fs.copyFileSync(file, inside);
    try {
      const run = await sweeplab('walk-forward', 'test/fixtures/walk-forward/bad-step.tmp.yaml');
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^error: test\/fixtures\/walk-forward\/bad-step\.tmp\.yaml: walk_forward_config\.windows\.step: "3m" is shorter than out_of_sample "6m"/);
    } finally {
      fs.rmSync(inside);
    }
  });
});
