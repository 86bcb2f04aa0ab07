import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsvBars, readCsvBars } from '../../src/data/csv.js';
import { mulberry32 } from '../../src/data/random.js';

// Epoch ms of the days used below: 2014-01-01T00:00Z = 1,388,534,400 s; each day adds 86,400,000 ms.
const JAN2 = 1_388_620_800_000;
const JAN3 = JAN2 + 86_400_000;
const HEADER = 'timestamp,open,high,low,close,volume';

function rejects(text: string, field: string, reason: RegExp): void {
  assert.throws(() => parseCsvBars(text, 'bars.csv'), { name: 'ConfigError', file: 'bars.csv', field, reason });
}

test('parses the standard columns into columnar arrays', () => {
  const bars = parseCsvBars(`${HEADER}\n2014-01-02,10,11,9,10.5,1000\n2014-01-03,10.5,12,10,11.25,2000\n`, 'bars.csv');
  assert.equal(bars.length, 2);
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
  assert.deepEqual(Array.from(bars.open), [10, 10.5]);
  assert.deepEqual(Array.from(bars.high), [11, 12]);
  assert.deepEqual(Array.from(bars.low), [9, 10]);
  assert.deepEqual(Array.from(bars.close), [10.5, 11.25]);
  assert.deepEqual(Array.from(bars.volume), [1000, 2000]);
  assert.equal(bars.time.length, 2, 'arrays carry no spare capacity');
});

test('reads decimals exactly as Number does', () => {
  const random = mulberry32(3);
  const values = ['0.1', '123.4567', '99999999.9999999', '1.00000000000000001', '2.5e3', '.5', '7.', '+3.25'];
  for (let i = 0; i < 2000; i++) values.push((random() * 10 ** (i % 9)).toFixed(i % 7));
  const text = `${HEADER}\n${values.map((v, i) => `${1_388_620_800 + i * 60},1,1,1,1,${v}`).join('\n')}`;
  const bars = parseCsvBars(text, 'bars.csv');
  assert.deepEqual(Array.from(bars.volume), values.map(Number));
});

test('takes Close and ignores Adj Close in the Yahoo layout', () => {
  const bars = parseCsvBars('Date,Open,High,Low,Close,Adj Close,Volume\n2014-01-02,10,11,9,10.5,5.25,1000\n', 'bars.csv');
  assert.deepEqual(Array.from(bars.close), [10.5]);
  assert.deepEqual(Array.from(bars.time), [JAN2]);
});

test('accepts Datetime, Time and TIMESTAMP as the time column, case-insensitively', () => {
  for (const name of ['Datetime', 'Time', 'time', 'TIMESTAMP', 'DateTime']) {
    const bars = parseCsvBars(`${name},OPEN,High,low,Close\n2014-01-02T00:00:00Z,1,2,1,2\n`, 'bars.csv');
    assert.deepEqual(Array.from(bars.time), [JAN2], name);
  }
});

test('joins separate Date and Time columns into one time', () => {
  const bars = parseCsvBars('Date,Time,Open,High,Low,Close\n2014-01-02,15:30:00,1,2,1,2\n', 'bars.csv');
  // 15 h 30 min = 55,800,000 ms after midnight.
  assert.deepEqual(Array.from(bars.time), [JAN2 + 55_800_000]);
});

test('sets volume to 0 when the column is absent', () => {
  const bars = parseCsvBars('timestamp,open,high,low,close\n2014-01-02,1,2,1,2\n', 'bars.csv');
  assert.deepEqual(Array.from(bars.volume), [0]);
});

test('reads epoch seconds and epoch milliseconds as the same time', () => {
  const seconds = parseCsvBars(`${HEADER}\n1388620800,1,2,1,2,0\n1388707200,1,2,1,2,0\n`, 'bars.csv');
  const millis = parseCsvBars(`${HEADER}\n1388620800000,1,2,1,2,0\n1388707200000,1,2,1,2,0\n`, 'bars.csv');
  assert.deepEqual(Array.from(seconds.time), [JAN2, JAN3]);
  assert.deepEqual(Array.from(millis.time), [JAN2, JAN3]);
});

test('reads ISO datetimes as UTC unless an offset is given', () => {
  const bars = parseCsvBars(
    `${HEADER}\n2014-01-02T10:00:00,1,2,1,2,0\n2014-01-02 12:00:00+01:00,1,2,1,2,0\n2014-01-02T12:30:00.5Z,1,2,1,2,0\n`,
    'bars.csv',
  );
  // 10:00 UTC; 12:00+01:00 = 11:00 UTC; 12:30:00.5 UTC.
  assert.deepEqual(Array.from(bars.time), [JAN2 + 36_000_000, JAN2 + 39_600_000, JAN2 + 45_000_500]);
});

test('tolerates a BOM, CRLF line endings and blank lines', () => {
  const bars = parseCsvBars(`\ufeff${HEADER}\r\n\r\n2014-01-02,1,2,1,2,3\r\n   \r\n2014-01-03,1,2,1,2,3\r\n`, 'bars.csv');
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
});

test('reads semicolon-separated files and quoted fields', () => {
  const bars = parseCsvBars('"Date";"Open";"High";"Low";"Close"\n"2014-01-02";"1";"2";"1";"1.5"\n', 'bars.csv');
  assert.deepEqual(Array.from(bars.close), [1.5]);
});

test('rejects an empty file', () => {
  rejects('', 'line 1', /empty/);
  rejects('\n\n', 'line 1', /empty/);
});

test('rejects a header without bars', () => {
  rejects(`${HEADER}\n\n`, 'line 1', /header but no bars/);
});

test('rejects missing columns and names them', () => {
  rejects('timestamp,open,close\n2014-01-02,1,2\n', 'line 1', /missing columns "high", "low"; the header has "timestamp", "open", "close"/);
  rejects('when,open,high,low,close\n2014-01-02,1,2,1,2\n', 'line 1', /missing column "timestamp"/);
});

test('rejects a column named twice', () => {
  rejects('timestamp,open,high,low,close,Close\n2014-01-02,1,2,1,2,2\n', 'line 1', /column "Close" appears twice/);
});

test('rejects rows out of time order with the line number', () => {
  rejects(`${HEADER}\n2014-01-03,1,2,1,2,0\n2014-01-02,1,2,1,2,0\n`, 'line 3', /time "2014-01-02" is earlier than line 2/);
});

test('rejects duplicate timestamps with both line numbers', () => {
  // Line 3 is blank, so the duplicate is on physical line 4.
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,0\n\n2014-01-02,1,2,1,2,0\n`, 'line 4', /time "2014-01-02" duplicates line 2/);
});

test('rejects non-finite prices', () => {
  rejects(`${HEADER}\n2014-01-02,NaN,2,1,2,0\n`, 'line 2', /open "NaN" is not a finite number/);
  rejects(`${HEADER}\n2014-01-02,1,Infinity,1,2,0\n`, 'line 2', /high "Infinity" is not a finite number/);
  rejects(`${HEADER}\n2014-01-02,1,1e999,1,2,0\n`, 'line 2', /high "1e999" is not a finite number/);
});

test('rejects zero and negative prices', () => {
  rejects(`${HEADER}\n2014-01-02,1,2,0,2,0\n`, 'line 2', /low "0" must be greater than 0/);
  rejects(`${HEADER}\n2014-01-02,1,2,1,-2,0\n`, 'line 2', /close "-2" must be greater than 0/);
});

test('rejects high below low', () => {
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,0\n2014-01-03,1,1,2,1.5,0\n`, 'line 3', /high "1" is below low "2"/);
});

test('rejects unparsable numbers, including empty cells', () => {
  rejects(`${HEADER}\n2014-01-02,1,2,1,abc,0\n`, 'line 2', /close "abc" is not a number/);
  rejects(`${HEADER}\n2014-01-02,1,2,,2,0\n`, 'line 2', /low "" is not a number/);
  rejects(`${HEADER}\n2014-01-02,0x10,2,1,2,0\n`, 'line 2', /open "0x10" is not a number/);
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,many\n`, 'line 2', /volume "many" is not a number/);
});

test('rejects a negative volume', () => {
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,-5\n`, 'line 2', /volume "-5" is negative/);
});

test('rejects unparsable and impossible times', () => {
  rejects(`${HEADER}\n01/02/2014,1,2,1,2,0\n`, 'line 2', /time "01\/02\/2014" is not an ISO date/);
  rejects(`${HEADER}\n2014-02-30,1,2,1,2,0\n`, 'line 2', /time "2014-02-30" is not a calendar date/);
  rejects(`${HEADER}\n2014-01-02T25:00:00Z,1,2,1,2,0\n`, 'line 2', /is not a time of day/);
});

test('rejects a row with the wrong number of fields', () => {
  rejects(`${HEADER}\n2014-01-02,1,2,1,2\n`, 'line 2', /has 5 fields, the header \(line 1\) has 6/);
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,0,9\n`, 'line 2', /has 7 fields/);
});

test('rejects a quoted field left open', () => {
  rejects(`${HEADER}\n"2014-01-02,1,2,1,2,0\n`, 'line 2', /quoted field that is not closed/);
});

test('reads a file from disk and names it in errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-csv-'));
  const file = path.join(dir, 'bars.csv');
  fs.writeFileSync(file, `${HEADER}\n2014-01-02,1,2,1,2,0\n`);
  assert.deepEqual(Array.from(readCsvBars(file, 'data/bars.csv').time), [JAN2]);
  fs.writeFileSync(file, `${HEADER}\n2014-01-02,1,2,3,2,0\n`);
  assert.throws(() => readCsvBars(file, 'data/bars.csv'), { name: 'ConfigError', file: 'data/bars.csv', field: 'line 2' });
});

test('rejects bytes that are not UTF-8 with the line they are on', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-csv-'));
  const file = path.join(dir, 'latin1.csv');
  // 0xE9 is "é" in Latin-1 and an invalid lone byte in UTF-8; it sits on line 3.
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`${HEADER}\n2014-01-02,1,2,1,2,0\n2014-01-03,1,2,1,2,0 `), Buffer.from([0xe9]), Buffer.from('\n')]));
  assert.throws(() => readCsvBars(file, 'latin1.csv'), { name: 'ConfigError', field: 'line 3', reason: /not UTF-8/ });
});

test('rejects a missing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-csv-'));
  assert.throws(() => readCsvBars(path.join(dir, 'nope.csv'), 'nope.csv'), { name: 'ConfigError', file: 'nope.csv', reason: /does not exist/ });
});
