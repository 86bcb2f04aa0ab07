import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { bundleWorkspacePlugins } from '../../src/user-plugins/index.js';
import { makeWorkspace, MOMENTUM, signalPlugin, writeFile } from './workspace.js';

/*
 * Bundling takes in only what a plugin may read (docs/plugins.md, "What a plugin can and cannot
 * do"): "sweeplab/plugin" and files of the plugins folder. Any other import is refused before esbuild
 * reads it, with the importing file, its line and the import.
 */

const cleanup: string[] = [];
after(() => cleanup.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function workspace(files: Record<string, string>): string {
  const root = makeWorkspace(files, { plugins: false });
  cleanup.push(root);
  return root;
}

/** A plugin whose file starts with `imports` (and uses what they import, so nothing is dropped). */
const importing = (imports: string) => signalPlugin('importer', `void [${/import \{? ?(\w+)/.exec(imports)![1]}];\n    ${MOMENTUM}`, imports);

function refusal(root: string): ConfigError {
  try {
    bundleWorkspacePlugins(root);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('the plugins bundled, but an import should have been refused');
}

const RULE = 'a plugin imports only "sweeplab/plugin" and files of the plugins folder (it computes from bars and params alone)';

describe('an import that leaves the plugins folder', () => {
  test('of a file elsewhere on the host is refused, naming file, line and import', () => {
    const source = importing("import host from '/etc/hostname';");
    const error = refusal(workspace({ 'plugins/importer.ts': source }));
    assert.equal(error.message, `plugins/importer.ts:2:18: imports "/etc/hostname", which is outside the plugins folder; ${RULE}`);
  });

  test('of a file of the data root outside plugins/ is refused', () => {
    const root = workspace({ 'secret.json': '{ "token": "s3cret" }', 'plugins/importer.ts': importing("import secret from '../secret.json';") });
    assert.equal(refusal(root).message, `plugins/importer.ts:2:20: imports "../secret.json", which is outside the plugins folder; ${RULE}`);
  });

  test('of the process environment as text is refused, and the environment appears nowhere', () => {
    const error = refusal(workspace({ 'plugins/importer.ts': importing("import env from '/proc/self/environ' with { type: 'text' };") }));
    assert.equal(error.message, `plugins/importer.ts:2:17: imports "/proc/self/environ", which is outside the plugins folder; ${RULE}`);
  });

  test('of /dev/zero is refused at once instead of read forever', () => {
    const started = performance.now();
    assert.match(refusal(workspace({ 'plugins/importer.ts': importing("import zero from '/dev/zero' with { type: 'text' };") })).message, /imports "\/dev\/zero", which is outside the plugins folder/);
    assert.ok(performance.now() - started < 30_000);
  });

  test('of a Node built-in (fs, child_process) is refused', () => {
    for (const builtin of ['fs', 'child_process', 'node:os']) {
      const error = refusal(workspace({ 'plugins/importer.ts': importing(`import mod from '${builtin}';`) }));
      assert.equal(error.message, `plugins/importer.ts:2:17: imports "${builtin}", which is a Node built-in or an external module; ${RULE}`);
    }
  });
});

describe('a symlink in the plugins folder', () => {
  test('to a folder outside the data root is refused', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-outside-'));
    cleanup.push(outside);
    fs.writeFileSync(path.join(outside, 'helper.ts'), 'export const helper = 1;\n');
    const root = workspace({ 'plugins/importer.ts': importing("import { helper } from './linked/helper';") });
    fs.symlinkSync(outside, path.join(root, 'plugins', 'linked'));
    assert.equal(refusal(root).message, `plugins/importer.ts:2:24: imports "./linked/helper", which is a symlink to ${fs.realpathSync(outside)}/helper.ts, outside the data root; ${RULE}`);
  });

  test('as a plugin file, pointing outside the data root, is refused', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-outside-'));
    cleanup.push(outside);
    fs.writeFileSync(path.join(outside, 'stray.ts'), signalPlugin('stray', MOMENTUM));
    const root = workspace({});
    fs.mkdirSync(path.join(root, 'plugins'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'stray.ts'), path.join(root, 'plugins', 'stray.ts'));
    assert.equal(refusal(root).message, `plugins/stray.ts: is a symlink to ${fs.realpathSync(outside)}/stray.ts, outside the data root; ${RULE}`);
  });

  test('to a folder of the data root is followed', () => {
    const root = workspace({ 'shared/helper.ts': 'export const helper = 1;\n', 'plugins/importer.ts': importing("import { helper } from './shared/helper';") });
    fs.symlinkSync(path.join(root, 'shared'), path.join(root, 'plugins', 'shared'));
    // esbuild follows the link: the helper is bundled under its real place in the workspace.
    assert.match(bundleWorkspacePlugins(root)!.text, /\/\/ shared\/helper\.ts/);
  });
});

test('a local import of the plugins folder is bundled', () => {
  const root = workspace({ 'plugins/importer.ts': importing("import { helper } from './lib/helper';") });
  writeFile(root, 'plugins/lib/helper.ts', 'export const helper = 2;\n');
  assert.match(bundleWorkspacePlugins(root)!.text, /plugins\/lib\/helper\.ts/);
});
