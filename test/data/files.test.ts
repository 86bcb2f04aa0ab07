import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { ensureDirectory, pathTextProblem, quotePath, readFileLimited } from '../../src/data/files.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-files-'));
}

const isError = (file: string, field: string, reason: RegExp) => (e: unknown) => e instanceof ConfigError && e.file === file && e.field === field && reason.test(e.reason);

test('a path with a NUL byte or an over-long name is refused before the file system sees it', () => {
  assert.equal(pathTextProblem('data/x.csv'), null);
  assert.match(pathTextProblem('data/x\0.csv')!, /NUL byte/);
  assert.match(pathTextProblem(`data/${'x'.repeat(256)}.csv`)!, /^has a name of 260 bytes/);
  assert.match(pathTextProblem('a/'.repeat(2_100))!, /longer than 4,096 bytes/);
  assert.equal(quotePath('a\0b\nc'), '"a\\u0000b\\u000ac"');
});

test('ensureDirectory under /proc fails at once instead of looping (mkdir -p spins there)', () => {
  assert.throws(() => ensureDirectory('/proc/nope/deeper', '/proc/nope/deeper', '--ops', 'ops'), isError('--ops', 'ops', /^"\/proc\/nope\/deeper" cannot be created/));
});

test('ensureDirectory makes missing levels and refuses a file in the way', () => {
  const dir = tempDir();
  try {
    ensureDirectory(path.join(dir, 'a', 'b', 'c'), 'a/b/c', '--ops', 'ops');
    assert.ok(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
    ensureDirectory(path.join(dir, 'a', 'b', 'c'), 'a/b/c', '--ops', 'ops');
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    assert.throws(() => ensureDirectory(path.join(dir, 'file'), 'file', '--ops', 'ops'), isError('--ops', 'ops', /^"file" cannot be a directory: it is a file/));
    assert.throws(() => ensureDirectory(path.join(dir, 'file', 'x'), 'file/x', '--ops', 'ops'), isError('--ops', 'ops', /^"file\/x" goes through something that is not a directory$/));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('readFileLimited refuses a 3 GiB file by its size, naming it as the user wrote it', () => {
  const dir = tempDir();
  try {
    const huge = path.join(dir, 'huge.yaml');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 3 * 1024 ** 3);
    assert.throws(() => readFileLimited(huge, 16 * 1024 * 1024, 'big/huge.yaml', 'big/huge.yaml', ''), isError('big/huge.yaml', '', /^"big\/huge\.yaml" is 3\.0 GiB, more than the 16\.0 MiB a file may have here$/));
    assert.throws(() => readFileLimited(path.join(dir, 'none.yaml'), 100, 'none.yaml', 'op.yaml', 'path'), isError('op.yaml', 'path', /^"none\.yaml" does not exist$/));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
