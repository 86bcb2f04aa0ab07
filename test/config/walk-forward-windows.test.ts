import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonths, parseWindowLength, planWindows, type WindowPlan } from '../../src/config/walk-forward-windows.js';

const DAY_MS = 86_400_000;
const daily = (from: string, n: number) => Array.from({ length: n }, (_, i) => Date.parse(from) + i * DAY_MS);
const bars = (n: number) => ({ bars: n });
const ranges = (plan: WindowPlan, times: number[]) => planWindows(times, plan, 100).map((w) => [w.is.from, w.is.to, w.oos.from, w.oos.to]);

describe('parseWindowLength', () => {
  it('reads calendar durations as months plus milliseconds and counts as bars', () => {
    assert.deepEqual(parseWindowLength('2y'), { months: 24, ms: 0 });
    assert.deepEqual(parseWindowLength('6m'), { months: 6, ms: 0 });
    assert.deepEqual(parseWindowLength('2w'), { months: 0, ms: 14 * DAY_MS });
    assert.deepEqual(parseWindowLength('90d'), { months: 0, ms: 90 * DAY_MS });
    assert.deepEqual(parseWindowLength('12h'), { months: 0, ms: 12 * 3_600_000 });
    assert.deepEqual(parseWindowLength('500 bars'), { bars: 500 });
    assert.deepEqual(parseWindowLength('1 bar'), { bars: 1 });
    assert.deepEqual(parseWindowLength(500), { bars: 500 });
  });

  it('refuses zero, fractions, negatives and unknown units', () => {
    for (const bad of ['0d', '1.5y', '-2m', '2 years', '', 'y', 0, 2.5, -1]) assert.equal(parseWindowLength(bad), null, `"${bad}"`);
  });
});

describe('addMonths', () => {
  it('clamps the day to the length of the target month and keeps the time of day', () => {
    assert.equal(new Date(addMonths(Date.parse('2020-01-31T09:30:00Z'), 1)).toISOString(), '2020-02-29T09:30:00.000Z');
    assert.equal(new Date(addMonths(Date.parse('2020-01-31T00:00:00Z'), 13)).toISOString(), '2021-02-28T00:00:00.000Z');
    assert.equal(new Date(addMonths(Date.parse('2019-11-15T00:00:00Z'), 3)).toISOString(), '2020-02-15T00:00:00.000Z');
  });
});

describe('planWindows', () => {
  it('rolls bar-count windows by step, the last out-of-sample piece ending with the data', () => {
    // 10 bars, IS 4, OOS 2, step 2: OOS pieces start at 4, 6, 8; the next would start at 10 = n.
    const times = daily('2020-01-01', 10);
    const rolling: WindowPlan = { in_sample: bars(4), out_of_sample: bars(2), step: bars(2), mode: 'rolling' };
    assert.deepEqual(ranges(rolling, times), [
      [0, 4, 4, 6],
      [2, 6, 6, 8],
      [4, 8, 8, 10],
    ]);
  });

  it('anchors every in-sample piece at the first bar in anchored mode', () => {
    const times = daily('2020-01-01', 10);
    assert.deepEqual(ranges({ in_sample: bars(4), out_of_sample: bars(2), step: bars(2), mode: 'anchored' }, times), [
      [0, 4, 4, 6],
      [0, 6, 6, 8],
      [0, 8, 8, 10],
    ]);
  });

  it('cuts the last out-of-sample piece short at the end of the data', () => {
    // 11 bars: a fourth piece starts at bar 10 and holds that one bar (the loader refuses it).
    assert.deepEqual(ranges({ in_sample: bars(4), out_of_sample: bars(2), step: bars(2), mode: 'rolling' }, daily('2020-01-01', 11)).at(-1), [6, 10, 10, 11]);
  });

  it('leaves gaps between out-of-sample pieces when step is longer', () => {
    assert.deepEqual(ranges({ in_sample: bars(3), out_of_sample: bars(2), step: bars(4), mode: 'rolling' }, daily('2020-01-01', 12)), [
      [0, 3, 3, 5],
      [4, 7, 7, 9],
      [8, 11, 11, 12],
    ]);
  });

  it('puts calendar boundaries at calendar months from the first bar', () => {
    // Daily bars through leap year 2020 (366). IS 3 months, OOS 1 month: OOS pieces start on the 1st
    // of April (bar 31 + 29 + 31 = 91), May (121), June (152) … December (335); the next, 2021-01-01, is past the data.
    const times = daily('2020-01-01', 366);
    const plan: WindowPlan = { in_sample: { months: 3, ms: 0 }, out_of_sample: { months: 1, ms: 0 }, step: { months: 1, ms: 0 }, mode: 'rolling' };
    const windows = ranges(plan, times);
    assert.equal(windows.length, 9);
    assert.deepEqual(windows[0], [0, 91, 91, 121]);
    assert.deepEqual(windows[1], [31, 121, 121, 152], 'the second in-sample piece starts on February 1st (bar 31)');
    assert.deepEqual(windows[8], [244, 335, 335, 366], 'September 1st (bar 244) to December 31st');
  });

  it('takes the bars whose open lies in each calendar piece, across gaps in the data', () => {
    // Weekdays only: 2024-01-01 is a Monday. IS 2 weeks, OOS 1 week: each piece is 10 and 5 bars.
    const times = daily('2024-01-01', 35).filter((t) => ![0, 6].includes(new Date(t).getUTCDay()));
    const plan: WindowPlan = { in_sample: { months: 0, ms: 14 * DAY_MS }, out_of_sample: { months: 0, ms: 7 * DAY_MS }, step: { months: 0, ms: 7 * DAY_MS }, mode: 'rolling' };
    assert.deepEqual(ranges(plan, times), [
      [0, 10, 10, 15],
      [5, 15, 15, 20],
      [10, 20, 20, 25],
    ]);
  });

  it('says so when there would be more windows than allowed', () => {
    assert.throws(() => planWindows(daily('2020-01-01', 100), { in_sample: bars(2), out_of_sample: bars(1), step: bars(1), mode: 'rolling' }, 10), RangeError);
  });
});
