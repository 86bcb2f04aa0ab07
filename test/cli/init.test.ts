import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { repoRoot, runCli } from './run-cli.js';

/*
 * `sweeplab init` into folders that are not plain new ones: a symlink to a folder, a folder it may
 * not write. (The refusals that need no folder of their own are in test/bad-input/corpus.test.ts.)
 */

const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-init-')));
after(() => fs.rmSync(outside, { recursive: true, force: true }));

test('init into a symlink to an empty folder makes the workspace in that folder', async () => {
  fs.mkdirSync(path.join(outside, 'real'));
  fs.symlinkSync(path.join(outside, 'real'), path.join(outside, 'link'));
  const run = await runCli(['init', 'link'], { cwd: outside, env: {} });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(fs.lstatSync(path.join(outside, 'link')).isSymbolicLink(), 'the symlink stays a symlink');
  assert.deepEqual(fs.readFileSync(path.join(outside, 'real', 'optimization.yaml')), fs.readFileSync(path.join(repoRoot, 'examples', 'optimization.yaml')));
  const pkg = JSON.parse(fs.readFileSync(path.join(outside, 'real', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(pkg.dependencies.sweeplab, `file:${path.relative(path.join(outside, 'real'), repoRoot)}`);
});

test('init into a folder it may not write exits 2 naming the folder and the reason', { skip: process.getuid?.() === 0 ? 'root writes into a read-only folder' : false }, async () => {
  const dir = path.join(outside, 'read-only');
  fs.mkdirSync(dir, { mode: 0o555 });
  const run = await runCli(['init', 'read-only'], { cwd: outside, env: {} });
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stderr, 'error: read-only: "read-only" is not accessible (permission denied)\n');
});
