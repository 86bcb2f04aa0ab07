import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseStoreUrl, resolveStoreTarget, storeLocation } from '../../src/store/connect.js';

test('postgres and postgresql URLs select PostgreSQL with the URL unchanged', () => {
  for (const url of ['postgres://u@db:5432/x', 'postgresql://u:p@127.0.0.1/x?sslmode=disable']) {
    assert.deepEqual(parseStoreUrl(url, 'DATABASE_URL'), { dialect: 'postgres', url });
  }
});

test('sqlite: and file: URLs name a file, absolute or relative to the working directory', () => {
  assert.deepEqual(parseStoreUrl('sqlite:/abs/sweeps.db', 'x'), { dialect: 'sqlite', path: '/abs/sweeps.db' });
  assert.deepEqual(parseStoreUrl('sqlite:///abs/sweeps.db', 'x'), { dialect: 'sqlite', path: '/abs/sweeps.db' });
  assert.deepEqual(parseStoreUrl('file:///abs/my%20sweeps.db', 'x'), { dialect: 'sqlite', path: '/abs/my sweeps.db' });
  assert.deepEqual(parseStoreUrl('file:data/s.db', 'x'), { dialect: 'sqlite', path: path.resolve('data/s.db') });
});

test(':memory: selects an in-memory SQLite database', () => {
  assert.deepEqual(parseStoreUrl(':memory:', 'x'), { dialect: 'sqlite', path: ':memory:' });
});

test('an unsupported URL is a ConfigError naming where it came from', () => {
  assert.throws(() => parseStoreUrl('mysql://db/x', 'DATABASE_URL'), {
    name: 'ConfigError',
    message: 'DATABASE_URL: unsupported database URL "mysql://db/x"; use postgres://…, postgresql://…, sqlite:/path/to.db, file:/path/to.db or :memory:',
  });
  assert.throws(() => parseStoreUrl('sqlite:', 'DATABASE_URL'), { name: 'ConfigError', message: 'DATABASE_URL: database URL "sqlite:" names no file' });
});

test('the store URL comes from the option, else DATABASE_URL, else ./data/sweeplab.db', (t) => {
  const saved = process.env.DATABASE_URL;
  t.after(() => (saved === undefined ? delete process.env.DATABASE_URL : (process.env.DATABASE_URL = saved)));
  delete process.env.DATABASE_URL;
  assert.deepEqual(resolveStoreTarget(), { dialect: 'sqlite', path: path.resolve('data/sweeplab.db') });
  process.env.DATABASE_URL = 'postgres://env/x';
  assert.deepEqual(resolveStoreTarget(), { dialect: 'postgres', url: 'postgres://env/x' });
  assert.deepEqual(resolveStoreTarget('sqlite:/opt/s.db'), { dialect: 'sqlite', path: '/opt/s.db' });
});

test('a postgres URL that does not parse is refused naming DATABASE_URL, without echoing it', () => {
  assert.throws(() => parseStoreUrl('postgres://u:secret@[bad', 'DATABASE_URL'), (e: unknown) => e instanceof Error && e.message === 'DATABASE_URL: is not a valid postgres:// URL (postgres://user:password@host:5432/database)');
});

test('a bare path says to write sqlite:', () => {
  assert.throws(() => parseStoreUrl('data/x.db', 'DATABASE_URL'), { name: 'ConfigError', message: /for the SQLite file "data\/x\.db" write "sqlite:data\/x\.db"/ });
});

test("a store's location names the SQLite file, or PostgreSQL's host, port and database without user or password", () => {
  assert.equal(storeLocation(parseStoreUrl('sqlite:/abs/sweeps.db', 'x')), 'the SQLite file "/abs/sweeps.db"');
  assert.equal(storeLocation(parseStoreUrl(':memory:', 'x')), 'an in-memory SQLite database');
  assert.equal(storeLocation(parseStoreUrl('postgresql://sweeplab:s3cret@db.internal/research?sslmode=disable', 'x')), 'PostgreSQL at "db.internal:5432/research"');
  assert.equal(storeLocation(parseStoreUrl('postgres://u:p@127.0.0.1:6543/x', 'x')), 'PostgreSQL at "127.0.0.1:6543/x"');
});
