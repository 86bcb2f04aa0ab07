import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../../src/data/timestamp.js';

// 2014-01-02T00:00:00Z = 1,388,620,800 s since the epoch (16,071 days × 86,400 s).
const JAN2 = 1_388_620_800_000;

test('reads a date as midnight UTC', () => {
  assert.equal(parseTimestamp('2014-01-02'), JAN2);
});

test('reads datetimes with T or a space, seconds and fractions optional', () => {
  assert.equal(parseTimestamp('2014-01-02T15:30'), JAN2 + 55_800_000);
  assert.equal(parseTimestamp('2014-01-02 15:30:00'), JAN2 + 55_800_000);
  assert.equal(parseTimestamp('2014-01-02T15:30:00Z'), JAN2 + 55_800_000);
  assert.equal(parseTimestamp('2014-01-02T15:30:00.123456Z'), JAN2 + 55_800_123, 'fractions are kept to the millisecond');
});

test('applies a UTC offset in every spelling', () => {
  // 02:00 at +02:00 is midnight UTC; 00:00 at -05:30 is 05:30 UTC.
  for (const text of ['2014-01-02T02:00:00+02:00', '2014-01-02T02:00:00+0200', '2014-01-02T02:00+02']) assert.equal(parseTimestamp(text), JAN2, text);
  assert.equal(parseTimestamp('2014-01-02T00:00:00-05:30'), JAN2 + 19_800_000);
});

test('reads numbers below 1e11 as epoch seconds and larger ones as milliseconds', () => {
  assert.equal(parseTimestamp('1388620800'), JAN2);
  assert.equal(parseTimestamp('1388620800.25'), JAN2 + 250);
  assert.equal(parseTimestamp('1388620800000'), JAN2);
  assert.equal(parseTimestamp('99999999999'), 99_999_999_999_000, 'just below 1e11: seconds (year 5138)');
  assert.equal(parseTimestamp('100000000000'), 100_000_000_000, '1e11 itself: milliseconds (1973-03-03)');
});

test('reads the range it is given inside a longer string', () => {
  const row = 'x,2014-01-02,1388620800,y';
  assert.equal(parseTimestamp(row, 2, 12), JAN2);
  assert.equal(parseTimestamp(row, 13, 23), JAN2);
});

test('checks the calendar instead of rolling over', () => {
  assert.equal(parseTimestamp('2014-02-30'), 'is not a calendar date');
  assert.equal(parseTimestamp('2015-02-29'), 'is not a calendar date');
  assert.equal(parseTimestamp('2016-02-29'), Date.UTC(2016, 1, 29));
  assert.equal(parseTimestamp('2000-02-29'), Date.UTC(2000, 1, 29), '2000 is a leap year (divisible by 400)');
  assert.equal(parseTimestamp('1900-02-29'), 'is not a calendar date', '1900 is not (divisible by 100)');
  assert.equal(parseTimestamp('2014-13-01'), 'is not a calendar date');
  assert.equal(parseTimestamp('2014-01-02T24:00:00'), 'is not a time of day');
});

test('keeps years below 100 as written', () => {
  // Date.UTC(50, 0, 1) reads 50 as 1950; setUTCFullYear takes the year as written.
  const expected = new Date(0);
  expected.setUTCFullYear(50, 0, 1);
  assert.equal(parseTimestamp('0050-01-01'), expected.getTime());
});

test('explains text that is not a time', () => {
  assert.match(parseTimestamp('01/02/2014') as string, /^is not an ISO date\/datetime/);
  assert.match(parseTimestamp('') as string, /^is not an ISO date/);
  assert.equal(parseTimestamp('2014-01-02T10:00:00+25:00'), 'has an invalid UTC offset');
});
