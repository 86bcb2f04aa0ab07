import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32, normalSource } from '../../src/core/random.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { BlockMatrix, Cscv, binomial, combinationMasks, cscv } from '../../src/stats/index.js';

/** An equity curve whose bar returns are exactly `returns` (starting at 100). */
const equityOf = (returns: number[]): number[] => returns.reduce((e, r) => (e.push(e[e.length - 1]! * (1 + r)), e), [100]);

const matrixOf = (strategies: number[][], S: number): BlockMatrix => {
  const m = new BlockMatrix(S, 2);
  for (const r of strategies) m.add(blockReturns(equityOf(r), S));
  return m;
};

const noise = (seed: number, n: number, mean: number, sd: number): number[] => {
  const z = normalSource(mulberry32(seed));
  return Array.from({ length: n }, () => mean + sd * z());
};

/** Sharpe ratio straight from a list of returns (mean / sd with divisor n − 1), 0 without variance. */
const sharpe = (r: number[]): number => {
  const m = r.reduce((s, x) => s + x, 0) / r.length;
  const v = r.reduce((s, x) => s + (x - m) ** 2, 0) / (r.length - 1);
  return v > 0 ? m / Math.sqrt(v) : 0;
};

describe('combinations', () => {
  test('C(16, 8) = 12,870 and the masks of 4 blocks taken 2 are the six pairs', () => {
    assert.equal(binomial(16, 8), 12_870);
    assert.equal(combinationMasks(16, 8).length, 12_870);
    assert.deepEqual(Array.from(combinationMasks(4, 2)), [0b0011, 0b0101, 0b0110, 0b1001, 0b1010, 0b1100]);
  });
});

describe('PBO by CSCV', () => {
  test('a worked example of 4 strategies over 4 blocks follows the paper step by step', () => {
    // 4 strategies × 12 returns, S = 4 blocks of 3 returns. The paper's steps, on the raw returns:
    // for each of the C(4,2) = 6 in-sample halves J, the IS winner n* = argmax SR(J), its OOS rank
    // among the 4 OOS Sharpe ratios, ω̄ = rank/(N + 1), λ = ln(ω̄ / (1 − ω̄)); PBO = #(λ ≤ 0) / 6.
    const R = [
      [0.01, 0.02, -0.01, 0.015, 0.01, 0.0, -0.02, -0.01, 0.005, -0.01, -0.015, 0.0],
      [-0.01, 0.0, 0.005, 0.02, -0.01, 0.01, 0.01, 0.015, -0.005, 0.01, 0.0, 0.02],
      [0.005, -0.005, 0.0, -0.01, 0.02, 0.01, 0.0, 0.01, 0.02, -0.02, 0.005, 0.01],
      [0.002, 0.001, 0.003, -0.004, 0.002, 0.0, 0.001, -0.002, 0.0, 0.003, 0.001, -0.001],
    ];
    const blocksOf = (r: number[], set: number[]) => set.flatMap((b) => r.slice(3 * b, 3 * b + 3));
    const halves = [[0, 1], [0, 2], [1, 2], [0, 3], [1, 3], [2, 3]];
    const logits: number[] = [];
    const pairs: Array<[number, number]> = [];
    for (const J of halves) {
      const Jc = [0, 1, 2, 3].filter((b) => !J.includes(b));
      const is = R.map((r) => sharpe(blocksOf(r, J)));
      const oos = R.map((r) => sharpe(blocksOf(r, Jc)));
      const winner = is.indexOf(Math.max(...is));
      const rank = oos.filter((v) => v < oos[winner]!).length + (oos.filter((v) => v === oos[winner]).length + 1) / 2;
      const omega = rank / (R.length + 1);
      logits.push(Math.log(omega / (1 - omega)));
      pairs.push([is[winner]!, oos[winner]!]);
    }
    const expectedPbo = logits.filter((l) => l <= 0).length / 6;
    const out = cscv(matrixOf(R, 4));
    assert.ok(!('reason' in out));
    assert.equal(out.combinations, 6);
    assert.equal(out.evaluated, 6);
    assert.equal(out.sampled, false);
    assert.equal(out.pbo, expectedPbo);
    assert.ok(Math.abs(out.logit_mean - logits.reduce((s, l) => s + l, 0) / 6) < 1e-9);
    assert.equal(out.logit_histogram.reduce((s, b) => s + b.count, 0), 6);
    const loss = pairs.filter(([, o]) => o < 0).length / 6;
    assert.equal(out.degradation.probability_of_loss, loss);
    const mx = pairs.reduce((s, [x]) => s + x, 0) / 6;
    const my = pairs.reduce((s, [, y]) => s + y, 0) / 6;
    const slope = pairs.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / pairs.reduce((s, [x]) => s + (x - mx) ** 2, 0);
    assert.ok(Math.abs(out.degradation.slope! - slope) < 1e-9, `slope ${out.degradation.slope} vs ${slope}`);
    assert.ok(Math.abs(out.degradation.intercept! - (my - slope * mx)) < 1e-9);
    // By hand from the table of Sharpe ratios (IS | OOS per strategy A B C D):
    //   J={0,1}: A wins IS (0.692), OOS −0.895 is the lowest of 4: rank 1, ω̄ 1/5, λ = ln(1/4)
    //   J={0,2}: C wins (0.559), OOS 0.170 beats 0.000 and 0.067: rank 3, ω̄ 3/5, λ = ln(3/2)
    //   J={1,2}: C wins (0.713), OOS −0.078 lowest: λ = ln(1/4);  J={0,3}: D wins (0.989), OOS −0.231 lowest: λ = ln(1/4)
    //   J={1,3}: B wins (0.713), OOS 0.267 beats −0.056 only: rank 2, λ = ln(2/3)
    //   J={2,3}: B wins (0.895), OOS 0.213 lowest: λ = ln(1/4)
    const byHand = [Math.log(1 / 4), Math.log(3 / 2), Math.log(1 / 4), Math.log(1 / 4), Math.log(2 / 3), Math.log(1 / 4)];
    logits.forEach((l, i) => assert.ok(Math.abs(l - byHand[i]!) < 1e-12, `combination ${i}: ${l} vs ${byHand[i]}`));
    assert.equal(out.pbo, 5 / 6);
  });

  test('pure-noise strategies give a PBO near 0.5 or above', () => {
    const strategies = Array.from({ length: 60 }, (_, i) => noise(1_000 + i, 1_600, 0, 0.01));
    const out = cscv(matrixOf(strategies, 16));
    assert.ok(!('reason' in out));
    assert.equal(out.evaluated, 12_870);
    assert.ok(out.pbo > 0.35, `PBO ${out.pbo}`);
    assert.ok(out.degradation.oos_sharpe_mean < out.degradation.is_sharpe_mean, 'the IS winner degrades out of sample');
  });

  test('a planted real edge gives a low PBO', () => {
    const strategies = Array.from({ length: 59 }, (_, i) => noise(1_000 + i, 1_600, 0, 0.01));
    strategies.push(noise(5, 1_600, 0.002, 0.01));
    const out = cscv(matrixOf(strategies, 16));
    assert.ok(!('reason' in out));
    assert.ok(out.pbo < 0.05, `PBO ${out.pbo}`);
    assert.ok(out.degradation.probability_of_loss < 0.05);
  });

  test('above the budget a seeded sample of combinations is evaluated, the same on every run', () => {
    const strategies = Array.from({ length: 40 }, (_, i) => noise(2_000 + i, 800, 0, 0.01));
    const m = matrixOf(strategies, 16);
    const a = cscv(m, { budget: 40 * 500, seed: 3 });
    const b = cscv(m, { budget: 40 * 500, seed: 3 });
    const full = cscv(m);
    assert.ok(!('reason' in a) && !('reason' in full));
    assert.deepEqual(a, b);
    assert.equal(a.sampled, true);
    assert.equal(a.evaluated, 500);
    assert.equal(a.seed, 3);
    assert.ok(Math.abs(a.pbo - full.pbo) < 0.08, `sampled ${a.pbo} vs full ${full.pbo}`);
  });

  test('evaluating in slices gives the same result as in one go', () => {
    const m = matrixOf(Array.from({ length: 12 }, (_, i) => noise(3_000 + i, 400, 0, 0.01)), 8);
    const run = new Cscv(m);
    let slices = 0;
    while (!run.step(7)) slices++;
    assert.equal(slices, Math.ceil(70 / 7) - 1, 'C(8, 4) = 70 combinations, 7 at a time');
    assert.deepEqual(run.result(), cscv(m));
  });

  test('one operation or an odd block count is a reason', () => {
    assert.ok('reason' in cscv(matrixOf([noise(1, 100, 0, 0.01)], 4)));
    assert.ok('reason' in cscv(matrixOf([noise(1, 100, 0, 0.01), noise(2, 100, 0, 0.01)], 5)));
  });
});
