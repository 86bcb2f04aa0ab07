import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ema, priorHighest, priorLowest, rollingStd, sma, wilderAtr, wilderRsi } from '../../src/engine/indicators.js';

const f = (values: number[]) => Float64Array.from(values);
const round = (values: Float64Array, digits = 10) => Array.from(values, (v) => (Number.isNaN(v) ? NaN : Number(v.toFixed(digits))));

describe('indicators', () => {
  it('sma averages the last period values and is NaN during warm-up', () => {
    // (1+2+3)/3 = 2, (2+3+4)/3 = 3, (3+4+8)/3 = 5
    assert.deepEqual(Array.from(sma(f([1, 2, 3, 4, 8]), 3)), [NaN, NaN, 2, 3, 5]);
  });

  it('sma of a series shorter than its period is all NaN', () => {
    assert.deepEqual(Array.from(sma(f([1, 2]), 3)), [NaN, NaN]);
  });

  it('ema is seeded with the sma and then smooths with alpha 2/(n+1)', () => {
    // period 3: α = 0.5; seed (1+2+3)/3 = 2; then 2 + 0.5 × (4 − 2) = 3; 3 + 0.5 × (8 − 3) = 5.5
    assert.deepEqual(Array.from(ema(f([1, 2, 3, 4, 8]), 3)), [NaN, NaN, 2, 3, 5.5]);
  });

  it('wilderAtr averages the first true ranges, then smooths with (atr × (n−1) + tr) / n', () => {
    const high = f([11, 12, 15, 13]);
    const low = f([9, 10, 12, 10]);
    const close = f([10, 11, 14, 11]);
    // TR: 11−9 = 2; max(2, |12−10|, |10−10|) = 2; max(3, |15−11|, |12−11|) = 4; max(3, |13−14|, |10−14|) = 4
    // ATR(2): index 1 = (2+2)/2 = 2; index 2 = (2×1 + 4)/2 = 3; index 3 = (3×1 + 4)/2 = 3.5
    assert.deepEqual(Array.from(wilderAtr(high, low, close, 2)), [NaN, 2, 3, 3.5]);
  });

  it('wilderRsi uses Wilder averages of gains and losses', () => {
    // changes: +2, −1, +1, −2. period 2: index 2: gain (2+0)/2 = 1, loss (0+1)/2 = 0.5 → RS 2 → 100 − 100/3
    // index 3: gain (1×1 + 1)/2 = 1, loss (0.5×1 + 0)/2 = 0.25 → RS 4 → 80
    // index 4: gain (1 + 0)/2 = 0.5, loss (0.25 + 2)/2 = 1.125 → RS 4/9 → 100 − 100/(13/9) = 100 − 900/13
    assert.deepEqual(round(wilderRsi(f([10, 12, 11, 12, 10]), 2)), round(f([NaN, NaN, 100 - 100 / 3, 80, 100 - 900 / 13])));
  });

  it('wilderRsi is 100 without losses and 50 without any change', () => {
    assert.equal(wilderRsi(f([1, 2, 3]), 2)[2], 100);
    assert.equal(wilderRsi(f([5, 5, 5]), 2)[2], 50);
  });

  it('priorHighest and priorLowest look at the period bars before i, not bar i', () => {
    const values = f([3, 1, 4, 1, 5, 9, 2]);
    // index 2: max(3,1) = 3; 3: max(1,4) = 4; 4: max(4,1) = 4; 5: max(1,5) = 5; 6: max(5,9) = 9
    assert.deepEqual(Array.from(priorHighest(values, 2)), [NaN, NaN, 3, 4, 4, 5, 9]);
    assert.deepEqual(Array.from(priorLowest(values, 2)), [NaN, NaN, 1, 1, 1, 1, 5]);
  });

  it('rollingStd is the population standard deviation of the window', () => {
    const values = f([2, 4, 4, 4, 5, 5, 7, 9]);
    // the classic example: mean 5, population std 2 over all 8 values
    assert.equal(rollingStd(values, sma(values, 8), 8)[7], 2);
    // window [2, 4]: mean 3, deviations ±1 → std 1
    assert.equal(rollingStd(values, sma(values, 2), 2)[1], 1);
  });
});
