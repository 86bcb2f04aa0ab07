import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from '../../src/config/schemas.js';
import { loadBars, sha256File, timesReadAs } from '../../src/data/load.js';
import { generateBars } from '../../src/data/synthetic.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2014-01-01T00:00:00Z = 1,388,534,400,000 ms (a Wednesday).
const JAN1 = 1_388_534_400_000;
const HEADER = 'timestamp,open,high,low,close,volume';

/** A data root with `name` holding one bar per entry of `times` (epoch ms), close = 10 + index. */
function dataRoot(name: string, times: number[]): { root: string; file: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-load-')));
  const file = path.join(root, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${HEADER}\n${times.map((t, i) => `${new Date(t).toISOString()},10,20,5,${10 + i},1`).join('\n')}\n`);
  return { root, file };
}

function csv(p: string, sha256?: string): Extract<DataSource, { type: 'csv_archive' }> {
  return { type: 'csv_archive', path: p, asset_pair: 'X/USD', timeframe: '1d', ...(sha256 ? { sha256 } : {}) };
}

const opts = (root: string, range: { start?: string; end?: string } = {}) => ({ dataRoot: root, file: 'op.yaml', field: 'data_sources.d', ...range });

// Business days 2014-01-01 (Wed) .. 2014-01-10 (Fri): Jan 1, 2, 3, 6, 7, 8, 9, 10.
const BUSINESS_DAYS = [0, 1, 2, 5, 6, 7, 8, 9].map((d) => JAN1 + d * DAY);

test('loads a whole csv file when no range is given', () => {
  const { root } = dataRoot('data/d.csv', BUSINESS_DAYS);
  const bars = loadBars(csv('data/d.csv'), opts(root));
  assert.deepEqual(Array.from(bars.time), BUSINESS_DAYS);
  assert.deepEqual(Array.from(bars.close), [10, 11, 12, 13, 14, 15, 16, 17]);
});

test('slices to [start, end] with both ends inclusive', () => {
  const { root } = dataRoot('d.csv', BUSINESS_DAYS);
  const bars = loadBars(csv('d.csv'), opts(root, { start: '2014-01-03', end: '2014-01-07' }));
  // Jan 3 (Fri), Jan 6 (Mon), Jan 7 (Tue); the weekend has no bars.
  assert.deepEqual(Array.from(bars.time), [JAN1 + 2 * DAY, JAN1 + 5 * DAY, JAN1 + 6 * DAY]);
  assert.deepEqual(Array.from(bars.close), [12, 13, 14]);
});

test('starts at the first bar on or after a start that falls between bars', () => {
  const { root } = dataRoot('d.csv', BUSINESS_DAYS);
  const bars = loadBars(csv('d.csv'), opts(root, { start: '2014-01-04' }));
  assert.equal(bars.time[0], JAN1 + 5 * DAY, 'Saturday start → Monday Jan 6');
  assert.equal(bars.length, 5);
});

test('reads a date-only end as the whole day and a datetime end as that instant', () => {
  // Hourly bars from 2014-01-01T00:00Z through 2014-01-02T23:00Z (48 bars).
  const { root } = dataRoot('h.csv', Array.from({ length: 48 }, (_, i) => JAN1 + i * HOUR));
  const hourly: DataSource = { ...csv('h.csv'), timeframe: '1h' };
  const day = loadBars(hourly, opts(root, { end: '2014-01-01' }));
  assert.equal(day.length, 24);
  assert.equal(day.time[23], JAN1 + 23 * HOUR);
  const instant = loadBars(hourly, opts(root, { start: '2014-01-01T02:00:00Z', end: '2014-01-01T05:00:00Z' }));
  // 02:00, 03:00, 04:00, 05:00.
  assert.deepEqual(Array.from(instant.time), [2, 3, 4, 5].map((h) => JAN1 + h * HOUR));
});

test('rejects a range with no bars, naming the range and the data’s first and last date', () => {
  const { root } = dataRoot('d.csv', BUSINESS_DAYS);
  assert.throws(() => loadBars(csv('d.csv'), opts(root, { start: '2015-01-01', end: '2015-12-31' })), {
    name: 'ConfigError',
    file: 'op.yaml',
    field: 'data_sources.d',
    reason: 'has no bars from "2015-01-01" to "2015-12-31"; the data runs from "2014-01-01" to "2014-01-10"',
  });
  assert.throws(() => loadBars(csv('d.csv'), opts(root, { start: '2014-01-04', end: '2014-01-05' })), { name: 'ConfigError', reason: /has no bars from "2014-01-04" to "2014-01-05"/ });
});

test('returns the same object for an unchanged file and range', () => {
  const { root } = dataRoot('d.csv', BUSINESS_DAYS);
  assert.equal(loadBars(csv('d.csv'), opts(root)), loadBars(csv('d.csv'), opts(root)));
  const range = { start: '2014-01-03', end: '2014-01-08' };
  assert.equal(loadBars(csv('d.csv'), opts(root, range)), loadBars(csv('d.csv'), opts(root, range)));
});

test('parses the file again after it changes', () => {
  const { root, file } = dataRoot('d.csv', BUSINESS_DAYS);
  const before = loadBars(csv('d.csv'), opts(root));
  fs.appendFileSync(file, `${new Date(JAN1 + 12 * DAY).toISOString()},10,20,5,99,1\n`);
  const after = loadBars(csv('d.csv'), opts(root));
  assert.notEqual(after, before);
  assert.equal(after.length, 9);
  assert.equal(after.close[8], 99);
});

test('parses the file again when only its mtime changes', () => {
  const { root, file } = dataRoot('d.csv', BUSINESS_DAYS);
  const before = loadBars(csv('d.csv'), opts(root));
  // Same size, different content: close 17 → 18 on the last line, then a later mtime.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/,17,1\n$/, ',18,1\n'));
  const later = new Date(fs.statSync(file).mtimeMs + 5_000);
  fs.utimesSync(file, later, later);
  const after = loadBars(csv('d.csv'), opts(root));
  assert.notEqual(after, before);
  assert.equal(after.close[7], 18);
});

test('accepts a matching sha256 and rejects a file changed since materialization', () => {
  const { root, file } = dataRoot('d.csv', BUSINESS_DAYS);
  const hash = sha256File(file);
  assert.equal(loadBars(csv('d.csv', hash), opts(root)).length, 8);
  fs.appendFileSync(file, `${new Date(JAN1 + 12 * DAY).toISOString()},10,20,5,99,1\n`);
  assert.throws(() => loadBars(csv('d.csv', hash), opts(root)), {
    name: 'DataError',
    where: 'op.yaml',
    field: 'data_sources.d.sha256',
    reason: new RegExp(`^"d\\.csv" changed since the operation was materialized \\(sha256 is "${sha256File(file)}", expected "${hash}"\\)`),
  });
});

test('confines the csv path to the data root again', () => {
  const { root } = dataRoot('d.csv', BUSINESS_DAYS);
  fs.writeFileSync(path.join(path.dirname(root), 'outside.csv'), `${HEADER}\n2014-01-01,1,2,1,2,0\n`);
  assert.throws(() => loadBars(csv('../outside.csv'), opts(root)), { name: 'ConfigError', field: 'data_sources.d.path', reason: /outside the data root/ });
});

test('names the csv file and line in parse errors', () => {
  const { root, file } = dataRoot('d.csv', BUSINESS_DAYS);
  fs.appendFileSync(file, '2014-01-13,10,20,30,15,1\n');
  assert.ok(file.endsWith('/d.csv'));
  // By its path in the data root, as the operation names it: never the server's absolute layout.
  assert.throws(() => loadBars(csv('d.csv'), opts(root)), { name: 'ConfigError', file: 'd.csv', field: 'line 10', reason: /high "20" is below low "30"/ });
});

test('loads synthetic data from the generator and caches it', () => {
  const source: DataSource = { type: 'synthetic', seed: 9, bars: 50, start: '2014-01-01', asset_pair: 'S/USD', timeframe: '1d', start_price: 100 };
  const bars = loadBars(source, opts('/'));
  assert.deepEqual(bars.close, generateBars(source).close);
  assert.equal(loadBars({ ...source }, opts('/')), bars);
  assert.notEqual(loadBars({ ...source, seed: 10 }, opts('/')), bars);
});

test('hashes a file with sha256', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-load-'));
  fs.writeFileSync(path.join(root, 'abc'), 'abc');
  // FIPS 180-2 test vector for "abc".
  assert.equal(sha256File(path.join(root, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('forgets the least recently used source when a 17th arrives', () => {
  const source = (seed: number): DataSource => ({ type: 'synthetic', seed: 1000 + seed, bars: 10, start: '2014-01-01', asset_pair: 'S/USD', timeframe: '1d', start_price: 100 });
  const loaded = Array.from({ length: 16 }, (_, i) => loadBars(source(i), opts('/')));
  // Touching seed 0 makes seed 1 the least recently used of the 16; the 17th source pushes it out.
  assert.equal(loadBars(source(0), opts('/')), loaded[0]);
  loadBars(source(16), opts('/'));
  assert.equal(loadBars(source(0), opts('/')), loaded[0], 'recently used: kept');
  assert.notEqual(loadBars(source(1), opts('/')), loaded[1], 'least recently used: parsed again');
});

test("reads a csv data source's epoch times in its timestamp_unit, caching each unit apart", () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-load-')));
  // 2014-01-01 and 2014-01-02 in microseconds; read as milliseconds, the year 45970.
  fs.writeFileSync(path.join(root, 'us.csv'), `${HEADER}\n${JAN1 * 1000},10,20,5,10,1\n${(JAN1 + DAY) * 1000},10,20,5,11,1\n`);
  const inUs: DataSource = { ...csv('us.csv'), timestamp_unit: 'us' };
  assert.deepEqual(Array.from(loadBars(inUs, opts(root)).time), [JAN1, JAN1 + DAY]);
  assert.equal(timesReadAs(inUs, opts(root)), 'epoch microseconds (timestamp_unit)');
  assert.equal(timesReadAs(csv('us.csv'), opts(root)), 'epoch microseconds (inferred)');
  assert.throws(() => loadBars({ ...csv('us.csv'), timestamp_unit: 'ms' }, opts(root)), {
    name: 'ConfigError',
    file: 'us.csv',
    field: 'line 2',
    reason: /^time "1388534400000000" read as epoch milliseconds \(timestamp_unit\) is the year 45970/,
  });
});

test("refuses a csv whose bars are closer than the data source's timeframe allows", () => {
  const { root } = dataRoot('h.csv', [JAN1, JAN1 + HOUR]);
  assert.throws(() => loadBars(csv('h.csv'), opts(root)), { name: 'ConfigError', file: 'h.csv', field: 'line 3', reason: /is in the same calendar day \(UTC\) as line 2/ });
  assert.equal(loadBars({ ...csv('h.csv'), timeframe: '1h' }, opts(root)).length, 2, 'the same file as hourly bars');
});
