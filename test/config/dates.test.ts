import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DateSchema, EnvironmentSchema, parseUtc } from '../../src/config/schemas.js';
import { parseTimestamp } from '../../src/core/timestamp.js';

/* One strict date parser for YAML dates and CSV times (src/core/timestamp.ts). */

for (const date of ['2014-02-30', '2014-02-31', '2013-02-29', '2014-13-01', '2014-04-31', '2014-01-01T24:00', '2014-01-01T12:60:00Z']) {
  test(`"${date}" is refused as a YAML date, as the CSV reader refuses it`, () => {
    const parsed = DateSchema.safeParse(date);
    assert.equal(parsed.success, false);
    assert.match(parsed.error!.issues[0]!.message, new RegExp(`^"${date}" is not a (calendar date|time of day)$`));
    assert.equal(typeof parseTimestamp(date), 'string', 'the CSV parser refuses it too');
  });
}

test('an environment starting on 2014-02-30 names start', () => {
  const parsed = EnvironmentSchema.safeParse({ data_source: 'd', start: '2014-02-30' });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error!.issues[0]!.path, ['start']);
});

test('valid dates read as the CSV reader reads them', () => {
  for (const date of ['2012-02-29', '2014-01-02', '2014-01-02T15:30', '2014-01-02 15:30:00', '2014-01-02T15:30:00.250Z', '2014-01-02T15:30:00+02:00']) {
    assert.equal(DateSchema.safeParse(date).success, true, date);
    assert.equal(parseUtc(date), parseTimestamp(date), date);
  }
  assert.equal(parseUtc('2014-01-02T15:30:00+02:00'), Date.UTC(2014, 0, 2, 13, 30));
});
