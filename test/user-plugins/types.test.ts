import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { examplesDir } from './workspace.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

test('the example plugins type-check, strict, against the types sweeplab/plugin exports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-types-'));
  try {
    // What a user's editor does in a workspace: sweeplab/plugin resolved to the public entry point.
    const config = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        skipLibCheck: true,
        paths: { 'sweeplab/plugin': [path.join(repoRoot, 'src/plugin/index.ts')] },
        types: ['node'],
        typeRoots: [path.join(repoRoot, 'node_modules/@types')],
      },
      files: fs.readdirSync(path.join(examplesDir, 'plugins')).filter((f) => f.endsWith('.ts')).map((f) => path.join(examplesDir, 'plugins', f)),
    };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
