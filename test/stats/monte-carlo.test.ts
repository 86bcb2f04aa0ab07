import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compound, tradeMonteCarlo } from '../../src/stats/index.js';

describe('Monte Carlo of trades', () => {
  test('compounding: +10 %, −20 %, +5 % on 1,000 ends at 924 with a 20 % drawdown', () => {
    // 1000 → 1100 (peak) → 880 (−20 %) → 924.
    const out = compound([0.1, -0.2, 0.05], 1_000);
    assert.ok(Math.abs(out.final - 924) < 1e-9);
    assert.ok(Math.abs(out.maxDrawdown - -0.2) < 1e-12);
  });

  test('reshuffling keeps the final equity and spans the drawdowns of every order', () => {
    // Two losses of −10 % and one gain of +20 %. The orders and their max drawdowns:
    // L L G: 0.9·0.9 = 0.81 → −19 %;  L G L: −10 %, then 1.08 → 0.972, peak 1.08: −10 %;  G L L: 1.2 → 0.972, −19 %.
    const out = tradeMonteCarlo({ returns: [-0.1, -0.1, 0.2], initialCapital: 100, paths: 2_000, seed: 1 });
    assert.ok(!('reason' in out));
    assert.ok(Math.abs(out.actual.final_equity - 97.2) < 1e-9);
    assert.ok(Math.abs(out.shuffled.max_drawdown.p5 - -0.19) < 1e-12, 'the worst orders lose 19 %');
    assert.ok(Math.abs(out.shuffled.max_drawdown.p95 - -0.1) < 1e-12, 'the best order loses 10 %');
    // Two of three orders (by position of the gain) give −19 %, so the median does too.
    assert.ok(Math.abs(out.shuffled.max_drawdown.p50 - -0.19) < 1e-12);
  });

  test('the bootstrap varies the final equity; its percentiles are ordered and the same for the same seed', () => {
    const returns = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? -0.02 : 0.015));
    const a = tradeMonteCarlo({ returns, initialCapital: 10_000, paths: 500, seed: 9 });
    const b = tradeMonteCarlo({ returns, initialCapital: 10_000, paths: 500, seed: 9 });
    assert.deepEqual(a, b);
    assert.ok(!('reason' in a));
    const f = a.bootstrap.final_equity;
    assert.ok(f.p5 < f.p25 && f.p25 < f.p50 && f.p50 < f.p75 && f.p75 < f.p95, JSON.stringify(f));
    // Each draw is −2 % w.p. 17/50, else +1.5 %: a log growth of ≈ 0.148 ± 0.117 over 50 trades, so P(loss) ≈ 0.1.
    assert.ok(a.bootstrap.probability_of_loss > 0 && a.bootstrap.probability_of_loss < 0.5);
  });

  test('fewer than two trades is a reason', () => {
    assert.ok('reason' in tradeMonteCarlo({ returns: [0.1], initialCapital: 100 }));
  });
});
