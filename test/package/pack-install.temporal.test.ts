import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { repoRoot } from '../cli/run-cli.js';
import { installedWorkspace, type InstalledWorkspace, type RunningUp } from './installed.js';

/*
 * The package as a user installs it (docs/cli.md, "Install it in a folder of your own"): `npm pack`, the tarball installed into a
 * folder outside the repository, `sweeplab init` there, then `sweeplab up` started from that folder
 * (dev server, worker, API; its state under the folder's data/) and an optimization submitted,
 * followed and read back from the same folder through pipes; Ctrl-C ends it all quietly.
 */

let ws: InstalledWorkspace;

before(async () => {
  ws = await installedWorkspace();
});

after(() => ws?.remove());

test('the tarball ships compiled JavaScript, the workflow bundle and the examples, not the TypeScript sources', () => {
  const files = spawnSync('tar', ['tzf', ws.tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  assert.ok(files.includes('package/dist/src/cli/main.js'), 'compiled CLI');
  assert.ok(files.includes('package/dist/src/activities/backtest-thread.js'), 'compiled backtest thread');
  assert.ok(files.includes('package/dist/workflow-bundle.js'), 'prebuilt workflow bundle');
  assert.ok(files.includes('package/dist/src/api/page/index.html'), "the page's static files");
  assert.ok(files.includes('package/examples/optimization.yaml'));
  assert.ok(files.includes('package/scripts/setup.mjs'), 'the install step');
  // The example workspace's plugins are the user's TypeScript, bundled by sweeplab when a sweep loads them.
  const sweeplabTs = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('package/examples/'));
  assert.deepEqual(sweeplabTs, [], "none of sweeplab's own TypeScript to compile at run time");
  const pkg = JSON.parse(fs.readFileSync(path.join(ws.dir, 'node_modules', 'sweeplab', 'package.json'), 'utf8'));
  assert.equal(pkg.private, undefined);
});

test('npx sweeplab --help and --version run the installed package', async () => {
  const help = await ws.sweeplab(['--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const command of ['run-operation', 'optimize', 'variants', 'status', 'results', 'list', 'export', 'worker', 'api', 'up', 'init']) {
    assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  }
  const version = await ws.sweeplab(['--version']);
  assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
});

test('init wrote a workspace that depends on the tarball it was installed from', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ws.dir, 'package.json'), 'utf8'));
  assert.equal(pkg.dependencies.sweeplab, `file:${path.basename(ws.tarball)}`);
  const examples = fs.readdirSync(path.join(repoRoot, 'examples'), { recursive: true }).map(String);
  assert.ok(examples.some((f) => f.startsWith('plugins')), 'examples/ has plugins, and init copies them');
  for (const f of [...examples, 'README.md', '.gitignore']) {
    assert.ok(fs.existsSync(path.join(ws.dir, f)), f);
  }
});

test("sweeplab/plugin resolves in the workspace to the compiled entry point and its types", async () => {
  const run = await ws.sh(`node --input-type=module -e "const m = await import('sweeplab/plugin'); console.log(typeof m.definePlugin, typeof m.z.object)"`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'function function\n');
  const exported = JSON.parse(fs.readFileSync(path.join(ws.dir, 'node_modules', 'sweeplab', 'package.json'), 'utf8')).exports['./plugin'];
  assert.ok(fs.existsSync(path.join(ws.dir, 'node_modules', 'sweeplab', exported.types)), exported.types);
});

describe('sweeplab up in the workspace', () => {
  let up: RunningUp;
  let id: string;
  /** The worker's audit log of engine executions (worker.ts): one line per stored batch, its count. */
  let executionLog: string;
  const executions = () => (fs.existsSync(executionLog) ? fs.readFileSync(executionLog, 'utf8') : '').split('\n').filter(Boolean).reduce((sum, n) => sum + Number(n), 0);

  before(async () => {
    executionLog = path.join(ws.dir, 'executions.log');
    up = await ws.up({ SWEEPLAB_EXECUTION_LOG: executionLog });
  });

  after(async () => {
    await up?.interrupt();
  });

  test('optimize --wait runs every operation on the installed worker', async () => {
    const run = await ws.sweeplab(['optimize', 'optimization.yaml', '--wait', '--json'], { env: up.env });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual({ ...summary, id: undefined }, { id: undefined, status: 'completed', total: 480, completed: 480, failed: 0 });
    id = summary.id;
  });

  test('variants --wait and status --json run there too', async () => {
    const run = await ws.sweeplab(['variants', 'variant.yaml', '--wait', '--json'], { env: up.env });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.completed, 3);
    const status = await ws.sweeplab(['status', summary.id, '--json'], { env: up.env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).kind, 'variant_test');
  });

  test('results through a pipe: every row, ranked by the primary metric', async () => {
    const run = await ws.sh(`npx --no sweeplab results ${id} --format csv --limit 100000 | cat`, { env: up.env });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.length > 64 * 1024, `${run.stdout.length} bytes: more than a pipe's buffer`);
    const rows = parse(run.stdout, { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.length, 480);
    assert.ok(rows.every((r) => r.status === 'done'));
    const sharpe = rows.map((r) => (r.sharpe_ratio === '' ? -Infinity : Number(r.sharpe_ratio)));
    assert.deepEqual(sharpe, [...sharpe].sort((a, b) => b - a));
  });

  test('list --json shows the sweep completed, with its best', async () => {
    const run = await ws.sweeplab(['list', '--json'], { env: up.env });
    assert.equal(run.code, 0, run.stderr);
    const view = (JSON.parse(run.stdout) as Array<Record<string, any>>).find((v) => v.id === id);
    assert.equal(view?.status, 'completed');
    assert.equal(view?.done, 480);
    assert.equal(typeof view?.best?.value, 'number');
  });

  test('an exported operation replays to the stored metrics in the workspace', async () => {
    const exported = await ws.sweeplab(['export', id, '--ops', 'ops'], { env: up.env });
    assert.equal(exported.code, 0, exported.stderr);
    const [first] = fs.readdirSync(path.join(ws.dir, 'ops')).sort();
    const idx = Number(first!.slice(0, 6));
    const replay = await ws.sweeplab(['run-operation', `ops/${first}`, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    const stored = (JSON.parse((await ws.sweeplab(['results', id, '--format', 'json', '--sort', 'idx', '--order', 'asc', '--limit', '1'], { env: up.env })).stdout) as Array<{ idx: number; metrics: unknown }>)[0]!;
    assert.equal(stored.idx, idx);
    assert.deepEqual(JSON.parse(replay.stdout).metrics, stored.metrics);
  });

  test("a sweep over a param of the workspace's own plugin; after an edit of it, its operations run again and the rest is reused", async () => {
    // A race of its own (a file added, not an example edited): the example operation, built-ins only,
    // against the same with the workspace's roc_momentum swapped in.
    fs.writeFileSync(
      path.join(ws.dir, 'var-own-plugin.yaml'),
      'variant_config:\n  name: own plugin\n  base_operation: operation.yaml\n  variants:\n' +
        '    - { name: SMA, overrides: {} }\n' +
        '    - { name: ROC, overrides: { analysis_workers: { signal_generation: [ { plugin: roc_momentum, params: { period: 35 } } ] } } }\n',
    );
    const sweep = async (command: string, file: string, total: number): Promise<number> => {
      const before = executions();
      const run = await ws.sweeplab([command, file, '--wait', '--json'], { env: up.env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual({ ...JSON.parse(run.stdout), id: undefined }, { id: undefined, status: 'completed', total, completed: total, failed: 0 });
      return executions() - before;
    };
    assert.equal(await sweep('optimize', 'optimization_momentum.yaml', 20), 20, 'every combination of the plugin params ran');
    await sweep('variants', 'var-own-plugin.yaml', 2);
    assert.equal(await sweep('optimize', 'optimization_momentum.yaml', 20), 0, 'unchanged code: all reused');

    fs.appendFileSync(path.join(ws.dir, 'plugins', 'lib', 'rate-of-change.ts'), '\n// edited: a local import of roc_momentum\n');
    assert.equal(await sweep('optimize', 'optimization_momentum.yaml', 20), 20, 'changed code: every operation ran again');
    assert.equal(await sweep('variants', 'var-own-plugin.yaml', 2), 1, 'only the variant on the changed plugin ran again');
  });

  test("the page and its vendored chart library are served from the installed package", async () => {
    for (const file of ['/', '/vendor/uPlot.iife.min.js']) {
      const response = await fetch(`${up.apiUrl}${file}`);
      assert.equal(response.status, 200, file);
      assert.ok((await response.text()).length > 100, file);
    }
  });

  test('the state lives under the workspace: data/temporal.db and data/sweeplab.db', () => {
    for (const f of ['temporal.db', 'sweeplab.db']) assert.ok(fs.existsSync(path.join(ws.dir, 'data', f)), f);
  });

  test('Ctrl-C stops it in order and quietly: exit 0, no error, no Temporal warning', async () => {
    const run = await up.interrupt();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'stopping… (Ctrl-C again to stop at once)\n');
  });
});
