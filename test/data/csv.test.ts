import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsvBars, readCsvBars } from '../../src/data/csv.js';
import { mulberry32 } from '../../src/core/random.js';

// Epoch ms of the days used below: 2014-01-01T00:00Z = 1,388,534,400 s; each day adds 86,400,000 ms.
const JAN2 = 1_388_620_800_000;
const JAN3 = JAN2 + 86_400_000;
const HEADER = 'timestamp,open,high,low,close,volume';

function rejects(text: string, field: string, reason: RegExp): void {
  assert.throws(() => parseCsvBars(text, 'bars.csv'), { name: 'ConfigError', file: 'bars.csv', field, reason });
}

test('parses the standard columns into columnar arrays', () => {
  const { bars } = parseCsvBars(`${HEADER}\n2014-01-02,10,11,9,10.5,1000\n2014-01-03,10.5,12,10,11.25,2000\n`, 'bars.csv');
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
  const { bars } = parseCsvBars(text, 'bars.csv');
  assert.deepEqual(Array.from(bars.volume), values.map(Number));
});

test('takes Close and ignores Adj Close in the Yahoo layout', () => {
  const { bars } = parseCsvBars('Date,Open,High,Low,Close,Adj Close,Volume\n2014-01-02,10,11,9,10.5,5.25,1000\n', 'bars.csv');
  assert.deepEqual(Array.from(bars.close), [10.5]);
  assert.deepEqual(Array.from(bars.time), [JAN2]);
});

test('accepts Datetime, Time and TIMESTAMP as the time column, case-insensitively', () => {
  for (const name of ['Datetime', 'Time', 'time', 'TIMESTAMP', 'DateTime']) {
    const { bars } = parseCsvBars(`${name},OPEN,High,low,Close\n2014-01-02T00:00:00Z,1,2,1,2\n`, 'bars.csv');
    assert.deepEqual(Array.from(bars.time), [JAN2], name);
  }
});

test('joins separate Date and Time columns into one time', () => {
  const { bars } = parseCsvBars('Date,Time,Open,High,Low,Close\n2014-01-02,15:30:00,1,2,1,2\n', 'bars.csv');
  // 15 h 30 min = 55,800,000 ms after midnight.
  assert.deepEqual(Array.from(bars.time), [JAN2 + 55_800_000]);
});

test('sets volume to 0 when the column is absent', () => {
  const { bars } = parseCsvBars('timestamp,open,high,low,close\n2014-01-02,1,2,1,2\n', 'bars.csv');
  assert.deepEqual(Array.from(bars.volume), [0]);
});

test('reads epoch seconds and epoch milliseconds as the same time', () => {
  const { bars: seconds } = parseCsvBars(`${HEADER}\n1388620800,1,2,1,2,0\n1388707200,1,2,1,2,0\n`, 'bars.csv');
  const { bars: millis } = parseCsvBars(`${HEADER}\n1388620800000,1,2,1,2,0\n1388707200000,1,2,1,2,0\n`, 'bars.csv');
  assert.deepEqual(Array.from(seconds.time), [JAN2, JAN3]);
  assert.deepEqual(Array.from(millis.time), [JAN2, JAN3]);
});

test('reads ISO datetimes as UTC unless an offset is given', () => {
  const { bars } = parseCsvBars(
    `${HEADER}\n2014-01-02T10:00:00,1,2,1,2,0\n2014-01-02 12:00:00+01:00,1,2,1,2,0\n2014-01-02T12:30:00.5Z,1,2,1,2,0\n`,
    'bars.csv',
  );
  // 10:00 UTC; 12:00+01:00 = 11:00 UTC; 12:30:00.5 UTC.
  assert.deepEqual(Array.from(bars.time), [JAN2 + 36_000_000, JAN2 + 39_600_000, JAN2 + 45_000_500]);
});

test('tolerates a BOM, CRLF line endings and blank lines', () => {
  const { bars } = parseCsvBars(`\ufeff${HEADER}\r\n\r\n2014-01-02,1,2,1,2,3\r\n   \r\n2014-01-03,1,2,1,2,3\r\n`, 'bars.csv');
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
});

test('reads semicolon-separated files and quoted fields', () => {
  const { bars } = parseCsvBars('"Date";"Open";"High";"Low";"Close"\n"2014-01-02";"1";"2";"1";"1.5"\n', 'bars.csv');
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
  assert.deepEqual(Array.from(readCsvBars(file, 'data/bars.csv').bars.time), [JAN2]);
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

test('reads lines ending in a lone CR, as some spreadsheets export them', () => {
  // The header once read as one line with every row in it: `column "127.8125" appears twice in the header`.
  const { bars } = parseCsvBars(`${HEADER}\r2014-01-02,1,2,1,1.5,0\r2014-01-03,1,2,1,1.75,0\r`, 'bars.csv');
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
  assert.deepEqual(Array.from(bars.close), [1.5, 1.75]);
});

test('reads CRLF, LF and lone CR line ends mixed in one file, counting each as one line', () => {
  const text = `${HEADER}\r\n2014-01-02,1,2,1,2,0\n2014-01-03,1,2,1,2,0\r2014-01-06,1,2,1,2,0\r\n\r2014-01-07,1,2,1,-2,0\r`;
  // Line 5 is the blank one between the CRLF and the lone CR.
  rejects(text, 'line 6', /^close "-2" must be greater than 0/);
  const { bars } = parseCsvBars(text.replace(',-2,', ',2,'), 'bars.csv');
  assert.equal(bars.length, 4);
  assert.equal(bars.time.length, 4, 'a CRLF is counted once when sizing the arrays');
});

test('reads a CRLF file whose last line ends in a lone CR', () => {
  const { bars } = parseCsvBars(`${HEADER}\r\n2014-01-02,1,2,1,2,0\r\n2014-01-03,1,2,1,2,0\r`, 'bars.csv');
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
});

test('refuses Excel serial dates by name instead of reading them as 1970', () => {
  // 41640 and 41641 are 2014-01-01 and 2014-01-02 as Excel counts days; as epoch seconds both are 1970-01-01.
  rejects(`Date,Open,High,Low,Close\n41640,1,2,1,2\n41641,1,2,1,2\n`, 'line 2', /^time "41640" looks like an Excel serial date \(41640 days from 1899-12-30 is 2014-01-01\), not an epoch time; export the dates as ISO dates/);
});

test('reads epoch microseconds and nanoseconds as such, not as the year 45970', () => {
  for (const scale of [1_000, 1_000_000]) {
    const { bars, times } = parseCsvBars(`${HEADER}\n${JAN2 * scale},1,2,1,2,0\n${JAN3 * scale},1,2,1,2,0\n`, 'bars.csv', { timeframe: '1d' });
    assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
    assert.equal(times, scale === 1_000 ? 'epoch microseconds (inferred)' : 'epoch nanoseconds (inferred)');
  }
});

test('says how the times were read', () => {
  assert.equal(parseCsvBars(`${HEADER}\n2014-01-02,1,2,1,2,0\n`, 'bars.csv').times, 'ISO dates/times');
  assert.equal(parseCsvBars(`${HEADER}\n1388620800,1,2,1,2,0\n`, 'bars.csv').times, 'epoch seconds (inferred)');
  assert.equal(parseCsvBars(`${HEADER}\n1388620800000,1,2,1,2,0\n`, 'bars.csv', { timestamp_unit: 'ms' }).times, 'epoch milliseconds (timestamp_unit)');
});

test('reads epoch times in the given timestamp_unit', () => {
  const { bars } = parseCsvBars(`${HEADER}\n1388620800000000,1,2,1,2,0\n1388707200000000,1,2,1,2,0\n`, 'bars.csv', { timestamp_unit: 'us' });
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3]);
  assert.throws(() => parseCsvBars(`${HEADER}\n1388620800000000,1,2,1,2,0\n`, 'bars.csv', { timestamp_unit: 'ms' }), {
    field: 'line 2',
    reason: /^time "1388620800000000" read as epoch milliseconds \(timestamp_unit\) is the year 45973, outside the years 1900 to 2200 sweeplab reads \(docs\/formats\.md\); check timestamp_unit$/,
  });
});

test('refuses a first row in the year 0 before rows of 2014', () => {
  rejects(`${HEADER}\n0000-01-01,1,2,1,2,0\n2014-01-02,1,2,1,2,0\n`, 'line 2', /^time "0000-01-01" is in the year 0, outside the years 1900 to 2200/);
});

test('refuses a file that switches epoch unit or mixes ISO and epoch times', () => {
  rejects(`${HEADER}\n1388620800,1,2,1,2,0\n1388707200000,1,2,1,2,0\n`, 'line 3', /^time "1388707200000" read as epoch seconds \(the unit inferred from the first time of the file, "1388620800"\) is the year 45976/);
  rejects(`${HEADER}\n2014-01-02,1,2,1,2,0\n1388707200,1,2,1,2,0\n`, 'line 3', /^time "1388707200" is an epoch number, but the first time of the file is an ISO date/);
  rejects(`${HEADER}\n1388620800,1,2,1,2,0\n2014-01-03,1,2,1,2,0\n`, 'line 3', /^time "2014-01-03" is an ISO date, but the first time of the file \("1388620800"\) is an epoch number/);
});

test('reads ISO times with Z, with offsets and without, mixed, as the same instants', () => {
  const { bars } = parseCsvBars(`${HEADER}\n2014-01-02T00:00:00Z,1,2,1,2,0\n2014-01-03T01:00:00+01:00,1,2,1,2,0\n2014-01-06T00:00:00,1,2,1,2,0\n2014-01-06T19:00:00-05:00,1,2,1,2,0\n`, 'bars.csv');
  assert.deepEqual(Array.from(bars.time), [JAN2, JAN3, JAN2 + 4 * 86_400_000, JAN2 + 5 * 86_400_000]);
});

test('refuses two bars on one calendar day of a 1d timeframe, with the way the times were read', () => {
  // Excel serials read as seconds once gave 2,608 daily bars all on 1970-01-01; as an explicit unit they still cannot pass as daily bars.
  assert.throws(() => parseCsvBars(`Date,Open,High,Low,Close\n41640,1,2,1,2\n41641,1,2,1,2\n`, 'bars.csv', { timeframe: '1d', timestamp_unit: 's' }), {
    field: 'line 3',
    reason:
      'time "41641" (1970-01-01T11:34:01.000Z) is in the same calendar day (UTC) as line 2 (1970-01-01T11:34:00.000Z), but the data source\'s timeframe is 1d; ' +
      'times were read as epoch seconds (timestamp_unit): check the timeframe, or the unit of the times (timestamp_unit)',
  });
  assert.throws(() => parseCsvBars(`${HEADER}\n2014-01-02T09:30:00Z,1,2,1,2,0\n2014-01-02T16:00:00Z,1,2,1,2,0\n`, 'bars.csv', { timeframe: '1d' }), {
    field: 'line 3',
    reason: /^time "2014-01-02T16:00:00Z" \(2014-01-02T16:00:00\.000Z\) is in the same calendar day \(UTC\) as line 2/,
  });
});

test('holds every timeframe to one bar per period, and leaves bars closer than it but in two periods alone', () => {
  const hourly = `${HEADER}\n2014-01-02T09:30:00Z,1,2,1,2,0\n2014-01-02T10:00:00Z,1,2,1,2,0\n2014-01-02T11:00:00Z,1,2,1,2,0\n`;
  assert.equal(parseCsvBars(hourly, 'bars.csv', { timeframe: '1h' }).bars.length, 3, "a session's half-hour first bar");
  assert.throws(() => parseCsvBars(hourly, 'bars.csv', { timeframe: '4h' }), { field: 'line 3', reason: /is in the same 4h period \(UTC\) as line 2/ });
  // 2014-01-06 is a Monday: Friday Jan 3 and Monday Jan 6 are two weeks; Monday Jan 6 and Sunday Jan 12 are one.
  const weekly = `${HEADER}\n2014-01-03,1,2,1,2,0\n2014-01-06,1,2,1,2,0\n2014-01-12,1,2,1,2,0\n`;
  assert.throws(() => parseCsvBars(weekly, 'bars.csv', { timeframe: '1w' }), { field: 'line 4', reason: /is in the same 1w period \(UTC\) as line 3/ });
  assert.equal(parseCsvBars(weekly, 'bars.csv', { timeframe: '1d' }).bars.length, 3);
  // Daily closes stamped at 16:00 New York: 21:00Z in winter, 20:00Z after the clocks change, 23 hours apart.
  const dst = `${HEADER}\n2014-03-07T16:00:00-05:00,1,2,1,2,0\n2014-03-10T16:00:00-04:00,1,2,1,2,0\n2014-03-11T16:00:00-04:00,1,2,1,2,0\n`;
  assert.equal(parseCsvBars(dst, 'bars.csv', { timeframe: '1d' }).bars.length, 3);
});
