import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { findTemporalCli } from '../../src/temporal/cli-path.js';

const saved = { TEMPORAL_CLI: process.env.TEMPORAL_CLI, PATH: process.env.PATH };
beforeEach(() => {
  process.env.PATH = saved.PATH;
  delete process.env.TEMPORAL_CLI;
});
after(() => {
  process.env.PATH = saved.PATH;
  if (saved.TEMPORAL_CLI === undefined) delete process.env.TEMPORAL_CLI;
  else process.env.TEMPORAL_CLI = saved.TEMPORAL_CLI;
});

/** A directory holding an executable file named `temporal` (never run, only found). */
function fakeCliDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeplab-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'temporal'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'temporal'), 0o755);
  return dir;
}

test('uses TEMPORAL_CLI before a temporal on PATH', () => {
  const onPath = fakeCliDir();
  const fromEnv = path.join(fakeCliDir(), 'temporal');
  process.env.PATH = onPath;
  process.env.TEMPORAL_CLI = fromEnv;
  assert.equal(findTemporalCli(), fromEnv);
});

test('uses the temporal on PATH when TEMPORAL_CLI is not set', () => {
  const dir = fakeCliDir();
  process.env.PATH = [path.join(dir, 'missing'), dir].join(path.delimiter);
  assert.equal(findTemporalCli(), path.join(dir, 'temporal'));
});

test('rejects a TEMPORAL_CLI that is not an executable file, saying how to fix it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeplab-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const notExecutable = path.join(dir, 'temporal');
  writeFileSync(notExecutable, '#!/bin/sh\n');
  process.env.TEMPORAL_CLI = notExecutable;
  assert.throws(() => findTemporalCli(), (error: Error) => {
    assert.match(error.message, new RegExp(`TEMPORAL_CLI="${notExecutable}": not an executable file`));
    assert.match(error.message, /node \S+\/scripts\/setup\.mjs/);
    return true;
  });
});
