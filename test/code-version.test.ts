import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { codeHash, codeVersion, resultsVersionOfBuild } from '../src/code-version.js';
import { RESULTS_VERSION } from '../src/engine/results-version.js';
import { packageInfo } from '../src/package.js';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** codeVersion() as another process started from this checkout sees it, with `env` added. */
function codeVersionOfProcess(env: Record<string, string> = {}): unknown {
  const script = "import('./src/code-version.ts').then((m) => process.stdout.write(JSON.stringify(m.codeVersion())))";
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, env: { ...process.env, SWEEPLAB_BUILD_ID: '', ...env }, encoding: 'utf8' }));
}

test('the build id is the package version, the results version and a hash of the code', () => {
  assert.match(codeHash(), /^[0-9a-f]{64}$/);
  const expected = process.env.SWEEPLAB_BUILD_ID || `${packageInfo().version}+r${RESULTS_VERSION}+${codeHash().slice(0, 12)}`;
  assert.deepEqual(codeVersion(), { results_version: RESULTS_VERSION, package_version: packageInfo().version, build_id: expected });
});

test('every process started from the same code has the same build id', () => {
  assert.deepEqual(codeVersionOfProcess(), { results_version: RESULTS_VERSION, package_version: packageInfo().version, build_id: `${packageInfo().version}+r${RESULTS_VERSION}+${codeHash().slice(0, 12)}` });
});

test('SWEEPLAB_BUILD_ID names the build, and the results version still comes from the code', () => {
  assert.deepEqual(codeVersionOfProcess({ SWEEPLAB_BUILD_ID: 'ci-4711' }), { results_version: RESULTS_VERSION, package_version: packageInfo().version, build_id: 'ci-4711' });
});

test('a default build id names its results version; one set by hand does not', () => {
  assert.equal(resultsVersionOfBuild('0.1.0+r12+2eade45d7570'), 12);
  assert.equal(resultsVersionOfBuild('ci-4711'), null);
});
