import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataRootFromEnv, resolveDataPath } from '../../src/data/paths.js';

/** A temp dir holding `root/` (the data root, with data/bars.csv) and `outside/secret.csv` beside it. */
function layout(): { base: string; root: string } {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-paths-')));
  const root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.mkdirSync(path.join(base, 'outside'));
  fs.writeFileSync(path.join(root, 'data', 'bars.csv'), 'x');
  fs.writeFileSync(path.join(base, 'outside', 'secret.csv'), 'x');
  return { base, root };
}

function resolve(root: string, baseDir: string, p: string): string {
  return resolveDataPath({ dataRoot: root, baseDir, path: p, file: 'op.yaml', field: 'data_sources.d.path' });
}

test('resolves a path relative to the base directory to its absolute real path', () => {
  const { root } = layout();
  assert.equal(resolve(root, root, 'data/bars.csv'), path.join(root, 'data', 'bars.csv'));
  assert.equal(resolve(root, path.join(root, 'data'), './bars.csv'), path.join(root, 'data', 'bars.csv'));
});

test('accepts an absolute path inside the root', () => {
  const { root } = layout();
  assert.equal(resolve(root, '/nowhere', path.join(root, 'data', 'bars.csv')), path.join(root, 'data', 'bars.csv'));
});

test('rejects ../ leading out of the root and names the path', () => {
  const { root } = layout();
  assert.throws(() => resolve(root, root, '../outside/secret.csv'), {
    name: 'ConfigError',
    file: 'op.yaml',
    field: 'data_sources.d.path',
    reason: /^"\.\.\/outside\/secret\.csv" lies outside the data root \(the workspace\); every file a sweep reads must be inside it$/,
  });
});

test('rejects an absolute path outside the root', () => {
  const { base, root } = layout();
  assert.throws(() => resolve(root, root, path.join(base, 'outside', 'secret.csv')), { name: 'ConfigError', reason: /outside the data root/ });
});

test('rejects a missing path outside the root as outside, not as missing', () => {
  const { root } = layout();
  assert.throws(() => resolve(root, root, '../nothing.csv'), { name: 'ConfigError', reason: /outside the data root/ });
});

test('rejects a symlink inside the root that points outside', () => {
  const { base, root } = layout();
  fs.symlinkSync(path.join(base, 'outside', 'secret.csv'), path.join(root, 'data', 'link.csv'));
  assert.throws(() => resolve(root, root, 'data/link.csv'), {
    name: 'ConfigError',
    reason: /^"data\/link\.csv" lies outside the data root \(the workspace\); every file a sweep reads must be inside it$/,
  });
});

test('rejects a symlinked directory inside the root that points outside', () => {
  const { base, root } = layout();
  fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'elsewhere'));
  assert.throws(() => resolve(root, root, 'elsewhere/secret.csv'), { name: 'ConfigError', reason: /outside the data root/ });
});

test('follows a symlink that stays inside the root to its target', () => {
  const { root } = layout();
  fs.symlinkSync(path.join(root, 'data', 'bars.csv'), path.join(root, 'latest.csv'));
  assert.equal(resolve(root, root, 'latest.csv'), path.join(root, 'data', 'bars.csv'));
});

test('accepts a data root that is itself a symlink', () => {
  const { base, root } = layout();
  fs.symlinkSync(root, path.join(base, 'root-link'));
  assert.equal(resolve(path.join(base, 'root-link'), path.join(base, 'root-link'), 'data/bars.csv'), path.join(root, 'data', 'bars.csv'));
});

test('rejects a missing file inside the root', () => {
  const { root } = layout();
  assert.throws(() => resolve(root, root, 'data/none.csv'), { name: 'ConfigError', reason: /^"data\/none\.csv" does not exist/ });
});

test('rejects a directory', () => {
  const { root } = layout();
  assert.throws(() => resolve(root, root, 'data'), { name: 'ConfigError', reason: /^"data" is not a file/ });
});

test('rejects a data root that does not exist', () => {
  const { base } = layout();
  assert.throws(() => resolve(path.join(base, 'missing'), base, 'x.csv'), { name: 'ConfigError', reason: /the data root ".*missing" is not an existing directory/ });
});

test('takes the data root from SWEEPLAB_DATA_ROOT, else the working directory', (t) => {
  const { base, root } = layout();
  fs.symlinkSync(root, path.join(base, 'root-link'));
  const saved = process.env.SWEEPLAB_DATA_ROOT;
  t.after(() => {
    if (saved === undefined) delete process.env.SWEEPLAB_DATA_ROOT;
    else process.env.SWEEPLAB_DATA_ROOT = saved;
  });
  process.env.SWEEPLAB_DATA_ROOT = path.join(base, 'root-link');
  assert.equal(dataRootFromEnv(), root, 'realpath of the configured root');
  process.env.SWEEPLAB_DATA_ROOT = path.join(base, 'missing');
  assert.throws(() => dataRootFromEnv(), { name: 'ConfigError', file: 'SWEEPLAB_DATA_ROOT' });
  delete process.env.SWEEPLAB_DATA_ROOT;
  assert.equal(dataRootFromEnv(), fs.realpathSync(process.cwd()));
});
