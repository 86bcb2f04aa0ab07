import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp, TimeReader } from '../../src/core/timestamp.js';

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

test('infers the unit of an epoch number from its size: seconds, milliseconds, microseconds, nanoseconds', () => {
  assert.equal(parseTimestamp('1388620800'), JAN2);
  assert.equal(parseTimestamp('1388620800.25'), JAN2 + 250);
  assert.equal(parseTimestamp('1388620800000'), JAN2);
  assert.equal(parseTimestamp('1388620800000000'), JAN2, 'microseconds, once read as milliseconds: the year 45970');
  assert.equal(parseTimestamp('1388620800123456789'), JAN2 + 123, 'nanoseconds, kept to the millisecond');
  assert.equal(parseTimestamp('100000000'), 100_000_000_000, '1e8 seconds: 1973-03-03, where inference starts');
  assert.equal(parseTimestamp('100000000000'), 100_000_000_000, '1e11 itself: milliseconds (1973-03-03)');
  assert.equal(parseTimestamp('-1388620800'), -JAN2, 'a negative epoch is before 1970 (1925-12-31), in the same bands');
  assert.equal(parseTimestamp('-1388620800000'), -JAN2);
});

test('reads an epoch number in the unit it is given', () => {
  for (const [text, unit] of [['1388620800', 's'], ['1388620800000', 'ms'], ['1388620800000000', 'us'], ['1388620800000000000', 'ns']] as const) {
    assert.equal(new TimeReader(unit).read(text), JAN2, `${text} in ${unit}`);
  }
  assert.equal(new TimeReader('s').read('41640'), 41_640_000, 'a given unit reads even small numbers (1970-01-01T11:34:00Z)');
  assert.equal(
    new TimeReader('s').read('1388620800000'),
    'read as epoch seconds (timestamp_unit) is the year 45973, outside the years 1900 to 2200 sweeplab reads (docs/formats.md); check timestamp_unit',
  );
});

test('refuses an epoch number too small to tell its unit, naming Excel serial dates', () => {
  assert.equal(
    parseTimestamp('41640'),
    'looks like an Excel serial date (41640 days from 1899-12-30 is 2014-01-01), not an epoch time; export the dates as ISO dates (like "2014-01-02"), or, if these are epoch times, set timestamp_unit (s, ms, us or ns) on the data source',
  );
  assert.match(parseTimestamp('41640.5') as string, /^looks like an Excel serial date \(41640\.5 days from 1899-12-30 is 2014-01-01\)/, 'a serial with a time of day');
  assert.equal(
    parseTimestamp('5'),
    'is too small to tell its unit (as epoch seconds it is 1970-01-01T00:00:05.000Z); write ISO dates, or set timestamp_unit (s, ms, us or ns) on the data source',
  );
  assert.match(parseTimestamp('-41640') as string, /^is too small to tell its unit/, 'no Excel serial is negative');
});

test('refuses times outside the years 1900 to 2200, in every spelling', () => {
  assert.equal(parseTimestamp('0000-01-01'), 'is in the year 0, outside the years 1900 to 2200 sweeplab reads (docs/formats.md)');
  assert.equal(parseTimestamp('1899-12-31T23:59:59Z'), 'is in the year 1899, outside the years 1900 to 2200 sweeplab reads (docs/formats.md)');
  assert.equal(parseTimestamp('2201-01-01'), 'is in the year 2201, outside the years 1900 to 2200 sweeplab reads (docs/formats.md)');
  assert.equal(parseTimestamp('1900-01-01'), Date.UTC(1900, 0, 1));
  assert.equal(parseTimestamp('2200-12-31T23:59:59Z'), Date.UTC(2200, 11, 31, 23, 59, 59));
  assert.equal(parseTimestamp('1900-01-01T00:30:00+01:00'), 'is outside the years 1900 to 2200 sweeplab reads (docs/formats.md)', 'the offset takes it back into 1899');
  assert.equal(
    parseTimestamp('99999999999'),
    'read as epoch seconds (inferred from its size) is 5138-11-16T09:46:39.000Z, outside the years 1900 to 2200 sweeplab reads (docs/formats.md); if "99999999999" is in another unit, set timestamp_unit (s, ms, us or ns) on the data source',
  );
  assert.match(parseTimestamp('-99999999999999999999') as string, /^read as epoch nanoseconds \(inferred from its size\) is the year -1199,/);
});

test('holds a file to the unit of its first time and to one way of writing times', () => {
  const reader = new TimeReader();
  assert.equal(reader.read('1388620800'), JAN2);
  assert.equal(reader.describe(), 'epoch seconds (inferred)');
  assert.equal(
    reader.read('1388707200000'),
    'read as epoch seconds (the unit inferred from the first time of the file, "1388620800") is the year 45976, outside the years 1900 to 2200 sweeplab reads (docs/formats.md); if "1388707200000" is in another unit, set timestamp_unit (s, ms, us or ns) on the data source',
  );
  assert.equal(reader.read('2014-01-03'), 'is an ISO date, but the first time of the file ("1388620800") is an epoch number; write every time of a file the same way');
  const iso = new TimeReader();
  assert.equal(iso.read('2014-01-02'), JAN2);
  assert.equal(iso.describe(), 'ISO dates/times');
  assert.equal(iso.read('1388707200'), 'is an epoch number, but the first time of the file is an ISO date; write every time of a file the same way');
  assert.equal(new TimeReader('ms').describe(), null, 'nothing read yet');
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

test('explains text that is not a time', () => {
  assert.match(parseTimestamp('01/02/2014') as string, /^is not an ISO date\/datetime/);
  assert.match(parseTimestamp('') as string, /^is not an ISO date/);
  assert.equal(parseTimestamp('2014-01-02T10:00:00+25:00'), 'has an invalid UTC offset');
});
