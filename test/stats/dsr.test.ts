import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorFunction } from 'simple-statistics';
import { mulberry32, normalSource } from '../../src/core/random.js';
import { deflatedSharpe, expectedMaxSharpe, normalCdf, normalQuantile, psrStatistic } from '../../src/stats/index.js';

/** Φ⁻¹ by bisection on erf: independent of the rational approximation under test. */
function quantileByBisection(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (1 + errorFunction(mid / Math.SQRT2)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const noise = (seed: number, n: number, mean: number, sd: number): number[] => {
  const z = normalSource(mulberry32(seed));
  return Array.from({ length: n }, () => mean + sd * z());
};

describe('normal distribution', () => {
  test('Φ⁻¹ matches published quantiles to 1e-8', () => {
    // Values from Python's statistics.NormalDist().inv_cdf: 1.959963984540054, 3.090232306167813, -4.753424308822899.
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.999) - 3.090232306167813) < 1e-8);
    assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424308822899) < 1e-7);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), -Infinity);
  });

  test('Φ matches the exact CDF to 1e-7', () => {
    // (1 + erf(z/√2))/2 with Python's math.erf: 0.9003940281983993 at 1.2838, 0.02275013194817921 at −2.
    assert.ok(Math.abs(normalCdf(1.2838) - 0.9003940281983993) < 1e-7);
    assert.ok(Math.abs(normalCdf(-2) - 0.02275013194817921) < 1e-7);
  });
});

describe('Deflated Sharpe Ratio', () => {
  test("the paper's numerical example: 100 trials, V = 1/2 annualised, SR 2.5, T = 1250, γ3 = −3, γ4 = 10 gives DSR ≈ 0.90", () => {
    // Bailey & López de Prado (2014), section "A numerical example": daily data, 250 days a year.
    const daily = (annual: number) => annual / Math.sqrt(250);
    const variance = 0.5 / 250;
    const g = 0.5772156649015329;
    // Step by step: E[max SR] = √V·((1 − γ)Φ⁻¹(1 − 1/N) + γΦ⁻¹(1 − 1/(N e))).
    const sr0 = Math.sqrt(variance) * ((1 - g) * quantileByBisection(1 - 1 / 100) + g * quantileByBisection(1 - 1 / (100 * Math.E)));
    assert.ok(Math.abs(sr0 - 0.1132) < 1e-4, `SR0 ${sr0} (annualised ${sr0 * Math.sqrt(250)})`);
    const sr = daily(2.5);
    const z = ((sr - sr0) * Math.sqrt(1250 - 1)) / Math.sqrt(1 - -3 * sr + ((10 - 1) / 4) * sr * sr);
    const dsr = 0.5 * (1 + errorFunction(z / Math.SQRT2));

    assert.ok(Math.abs(expectedMaxSharpe(100, variance) - sr0) < 1e-8);
    const zImpl = psrStatistic(sr, expectedMaxSharpe(100, variance), 1250, -3, 10);
    assert.ok(zImpl !== null && Math.abs(zImpl - z) < 1e-6, `z ${zImpl} vs ${z}`);
    assert.ok(Math.abs(normalCdf(zImpl) - dsr) < 1e-6);
    assert.ok(Math.abs(dsr - 0.9004) < 5e-4, `the paper reports DSR 0.9004, got ${dsr}`);
  });

  test('one trial has no selection bias: E[max SR] = 0', () => {
    assert.equal(expectedMaxSharpe(1, 0.3), 0);
  });

  test('from raw returns: skewness, raw kurtosis, T and the trial variance follow the textbook estimators', () => {
    const returns = [0.01, -0.02, 0.015, 0.03, -0.01, 0.005, -0.004, 0.02, 0.0, -0.012, 0.008, 0.011];
    const trialSharpes = [0.05, -0.1, 0.2, 0.12, 0.01];
    const out = deflatedSharpe({ trials: 7, trialSharpes, returns });
    assert.ok(!('reason' in out));

    const n = returns.length;
    const m = returns.reduce((s, r) => s + r, 0) / n;
    const m2 = returns.reduce((s, r) => s + (r - m) ** 2, 0) / n;
    const m3 = returns.reduce((s, r) => s + (r - m) ** 3, 0) / n;
    const m4 = returns.reduce((s, r) => s + (r - m) ** 4, 0) / n;
    // Adjusted Fisher–Pearson G1 and the unbiased excess kurtosis G2 (Joanes & Gill 1998), + 3 for raw.
    const G1 = (Math.sqrt(n * (n - 1)) / (n - 2)) * (m3 / m2 ** 1.5);
    const G2 = ((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * (m4 / (m2 * m2) - 3) + 6);
    const sd = Math.sqrt((m2 * n) / (n - 1));
    const sr = m / sd;
    const tm = trialSharpes.reduce((s, x) => s + x, 0) / trialSharpes.length;
    const v = trialSharpes.reduce((s, x) => s + (x - tm) ** 2, 0) / (trialSharpes.length - 1);
    const g = 0.5772156649015329;
    const sr0 = Math.sqrt(v) * ((1 - g) * quantileByBisection(1 - 1 / 7) + g * quantileByBisection(1 - 1 / (7 * Math.E)));
    const z = ((sr - sr0) * Math.sqrt(n - 1)) / Math.sqrt(1 - G1 * sr + ((G2 + 3 - 1) / 4) * sr * sr);

    assert.equal(out.returns, 12);
    assert.equal(out.trials, 7, 'failed trials count in N');
    assert.equal(out.trials_with_sharpe, 5);
    assert.ok(Math.abs(out.skewness - G1) < 1e-12);
    assert.ok(Math.abs(out.kurtosis - (G2 + 3)) < 1e-12, 'kurtosis is raw (normal = 3)');
    assert.ok(Math.abs(out.sharpe - sr) < 1e-12);
    assert.ok(Math.abs(out.sharpe_variance - v) < 1e-15);
    assert.ok(Math.abs(out.expected_max_sharpe - sr0) < 1e-8);
    assert.ok(Math.abs(out.z - z) < 1e-6);
    assert.ok(Math.abs(out.probability - normalCdf(z)) < 1e-6);
  });

  test('the best of 200 pure-noise strategies is not called significant', () => {
    const strategies = Array.from({ length: 200 }, (_, i) => noise(100 + i, 1000, 0, 0.01));
    const sharpe = (r: number[]) => {
      const m = r.reduce((s, x) => s + x, 0) / r.length;
      return m / Math.sqrt(r.reduce((s, x) => s + (x - m) ** 2, 0) / (r.length - 1));
    };
    const sharpes = strategies.map(sharpe);
    const best = sharpes.indexOf(Math.max(...sharpes));
    const out = deflatedSharpe({ trials: 200, trialSharpes: sharpes, returns: strategies[best]! });
    assert.ok(!('reason' in out));
    assert.ok(out.probability < 0.95, `DSR ${out.probability}: the noise winner's SR ${out.sharpe} vs E[max] ${out.expected_max_sharpe}`);
    // Its undeflated PSR against 0 would look convincing: that is the selection bias DSR removes.
    assert.ok(normalCdf(psrStatistic(out.sharpe, 0, out.returns, out.skewness, out.kurtosis)!) > 0.95);
  });

  test('a planted real edge stays significant after deflation', () => {
    const sharpe = (r: number[]) => {
      const m = r.reduce((s, x) => s + x, 0) / r.length;
      return m / Math.sqrt(r.reduce((s, x) => s + (x - m) ** 2, 0) / (r.length - 1));
    };
    // 200 noise strategies and one with a per-bar Sharpe ratio near 0.3 (≈ 4.8 annualised on daily bars).
    const edge = noise(7, 1000, 0.003, 0.01);
    const sharpes = Array.from({ length: 200 }, (_, i) => sharpe(noise(100 + i, 1000, 0, 0.01))).concat([sharpe(edge)]);
    const out = deflatedSharpe({ trials: 201, trialSharpes: sharpes, returns: edge });
    assert.ok(!('reason' in out));
    assert.ok(out.probability > 0.99, `DSR ${out.probability}: SR ${out.sharpe} vs E[max] ${out.expected_max_sharpe}`);
  });

  test('too few returns is a reason, not a number', () => {
    const out = deflatedSharpe({ trials: 3, trialSharpes: [0.1, 0.2], returns: [0.01, 0.02, -0.01] });
    assert.ok('reason' in out && /4/.test(out.reason));
  });
});
