import { mulberry32, normalSource } from '../src/data/random.js';
import { BlockMatrix, cscv, DEFAULT_BUDGET, deflatedSharpe, sharpeFromSums, tradeMonteCarlo } from '../src/stats/index.js';

/*
 * The robustness statistics at scale (docs/metrics.md, "How it scales"): 100,000 operations of
 * synthetic block returns (S = 16 blocks of 125 daily returns, pure noise), the cost of PBO with the
 * default budget (a seeded sample of the 12,870 combinations) and of every combination at 2,000
 * operations (its evaluation rate gives the cost of a full CSCV at any N), the DSR over all trials and
 * a 1,000-path Monte Carlo of 500 trades. Memory: the block matrix's bytes and the process's peak RSS.
 */

const OPERATIONS = 100_000;
const BLOCKS = 16;
const PER_BLOCK = 125;

function syntheticMatrix(operations: number): BlockMatrix {
  const z = normalSource(mulberry32(2024));
  const m = new BlockMatrix(BLOCKS, operations);
  const row = { n: new Array(BLOCKS).fill(PER_BLOCK), sum: new Array(BLOCKS).fill(0), sum_sq: new Array(BLOCKS).fill(0) };
  const sd = 0.01;
  for (let i = 0; i < operations; i++) {
    for (let b = 0; b < BLOCKS; b++) {
      // Σr of 125 iid N(0, sd²) returns is N(0, 125 sd²); Σr² ≈ 125 sd² (chi-square with 125 degrees, scaled).
      row.sum[b] = sd * Math.sqrt(PER_BLOCK) * z();
      row.sum_sq[b] = sd * sd * (PER_BLOCK + Math.sqrt(2 * PER_BLOCK) * z());
    }
    m.add(row);
  }
  return m;
}

export async function benchStats(): Promise<Record<string, number | string>> {
  let start = performance.now();
  const matrix = syntheticMatrix(OPERATIONS);
  const buildMs = performance.now() - start;

  start = performance.now();
  const sampled = cscv(matrix);
  const pboMs = performance.now() - start;
  if ('reason' in sampled) throw new Error(sampled.reason);

  const small = syntheticMatrix(2_000);
  start = performance.now();
  const full = cscv(small, { budget: Infinity });
  const fullMs = performance.now() - start;
  if ('reason' in full) throw new Error(full.reason);
  const perSecond = (2_000 * full.evaluated) / (fullMs / 1000);

  start = performance.now();
  const sharpes = new Float64Array(OPERATIONS);
  for (let i = 0; i < OPERATIONS; i++) {
    let n = 0;
    let s = 0;
    let q = 0;
    for (let b = 0; b < BLOCKS; b++) {
      n += matrix.n[i * BLOCKS + b]!;
      s += matrix.sum[i * BLOCKS + b]!;
      q += matrix.sumSq[i * BLOCKS + b]!;
    }
    sharpes[i] = sharpeFromSums(n, s, q) ?? 0;
  }
  const z = normalSource(mulberry32(5));
  const returns = Array.from({ length: BLOCKS * PER_BLOCK }, () => 0.01 * z());
  const dsr = deflatedSharpe({ trials: OPERATIONS, trialSharpes: sharpes, returns });
  const dsrMs = performance.now() - start;
  if ('reason' in dsr) throw new Error(dsr.reason);

  start = performance.now();
  tradeMonteCarlo({ returns: Array.from({ length: 500 }, () => 0.02 * z()), initialCapital: 10_000 });
  const mcMs = performance.now() - start;

  return {
    operations: OPERATIONS,
    blocks: BLOCKS,
    block_matrix_mb: Math.round(((matrix.n.byteLength + matrix.sum.byteLength + matrix.sumSq.byteLength) / 2 ** 20) * 10) / 10,
    build_matrix_ms: Math.round(buildMs),
    pbo_budget: DEFAULT_BUDGET,
    pbo_combinations_evaluated: sampled.evaluated,
    pbo_ms: Math.round(pboMs),
    pbo_noise: Math.round(sampled.pbo * 1000) / 1000,
    full_cscv_2000_ops_ms: Math.round(fullMs),
    evaluations_per_s: Math.round(perSecond),
    full_cscv_100k_estimate_s: Math.round((OPERATIONS * full.evaluated) / perSecond),
    dsr_ms: Math.round(dsrMs),
    dsr_noise: Math.round(dsr.probability * 1000) / 1000,
    monte_carlo_1000x500_ms: Math.round(mcMs),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
