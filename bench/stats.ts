import { mulberry32, normalSource } from '../src/core/random.js';
import { statisticsWorkflowId } from '../src/workflows/types.js';
import { loadBenchGrid, startBenchStack } from './stack.js';
import { BlockMatrix, blocksSharpe, cscv, DEFAULT_BUDGET, deflatedSharpe, tradeMonteCarlo } from '../src/stats/index.js';

/*
 * The robustness statistics at scale (docs/metrics.md, "How it scales"): 100,000 operations of
 * synthetic block returns (S = 16 blocks of 125 daily returns, pure noise), the cost of PBO with the
 * default budget (a seeded sample of the 12,870 combinations) and of every combination at 2,000
 * operations (its evaluation rate gives the cost of a full CSCV at any N), the DSR over all trials and
 * a 1,000-path Monte Carlo of 500 trades. Memory: the block matrix's bytes and the process's peak RSS.
 * First, the example optimization as a user runs it (dev server, worker, store): its figures and the
 * time the statistics activity took.
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

async function exampleStatistics(): Promise<Record<string, number | string>> {
  const { spec } = loadBenchGrid('examples/optimization.yaml');
  const stack = await startBenchStack();
  try {
    const { id } = await stack.sweeps.submit(spec);
    await stack.sweeps.result(id);
    // Computed after the sweep completes, by a workflow of its own.
    await stack.client.workflow.getHandle(statisticsWorkflowId(id)).result();
    const s = await stack.store.getStatistics(id);
    if (!s || 'reason' in s.dsr || 'reason' in s.pbo || 'reason' in s.monte_carlo) throw new Error(`example statistics incomplete: ${JSON.stringify(s?.readings)}`);
    process.stderr.write(`example optimization:\n${s.readings.map((r) => `  ${r}`).join('\n')}\n`);
    const r3 = (x: number | null) => (x === null ? '—' : Math.round(x * 1000) / 1000);
    return {
      example_operations: s.dsr.trials,
      example_statistics_ms: s.elapsed_ms,
      example_blocks_recomputed: s.blocks_recomputed,
      example_pbo: r3(s.pbo.pbo),
      example_dsr: r3(s.dsr.probability),
      example_sharpe_per_bar: r3(s.dsr.sharpe),
      example_expected_max_sharpe: r3(s.dsr.expected_max_sharpe),
      example_neighbours_kept: r3(s.neighbourhood[0]?.retained ?? null),
      example_mc_drawdown_p5: r3(s.monte_carlo.shuffled.max_drawdown.p5),
    };
  } finally {
    await stack.stop();
  }
}

export async function benchStats(): Promise<Record<string, number | string>> {
  let start = performance.now();
  const matrix = syntheticMatrix(OPERATIONS);
  const buildMs = performance.now() - start;

  start = performance.now();
  const cpu = process.cpuUsage();
  const sampled = cscv(matrix);
  const pboMs = performance.now() - start;
  const pboCpuMs = process.cpuUsage(cpu).user / 1000;
  if ('reason' in sampled) throw new Error(sampled.reason);

  const small = syntheticMatrix(2_000);
  start = performance.now();
  const fullCpu = process.cpuUsage();
  const full = cscv(small, { budget: Infinity });
  const fullMs = performance.now() - start;
  const fullCpuMs = process.cpuUsage(fullCpu).user / 1000;
  if ('reason' in full) throw new Error(full.reason);
  // Per CPU second: on a shared machine the wall clock also counts other processes' turns.
  const perSecond = (2_000 * full.evaluated) / (fullCpuMs / 1000);

  start = performance.now();
  const sharpes: number[] = [];
  const row = { n: new Array<number>(BLOCKS), sum: new Array<number>(BLOCKS), sum_sq: new Array<number>(BLOCKS) };
  for (let i = 0; i < OPERATIONS; i++) {
    for (let b = 0; b < BLOCKS; b++) {
      row.n[b] = matrix.n[i * BLOCKS + b]!;
      row.sum[b] = matrix.sum[i * BLOCKS + b]!;
      row.sum_sq[b] = matrix.sumSq[i * BLOCKS + b]!;
    }
    const sharpe = blocksSharpe(row);
    if (sharpe !== null) sharpes.push(sharpe);
  }
  const z = normalSource(mulberry32(5));
  const returns = Array.from({ length: BLOCKS * PER_BLOCK }, () => 0.01 * z());
  const dsr = deflatedSharpe({ trials: OPERATIONS, trialSharpes: sharpes, returns });
  const dsrMs = performance.now() - start;
  if ('reason' in dsr) throw new Error(dsr.reason);

  start = performance.now();
  tradeMonteCarlo({ returns: Array.from({ length: 500 }, () => 0.02 * z()), initialCapital: 10_000 });
  const mcMs = performance.now() - start;

  // Before the example's stack starts (its worker threads would count in the process's peak).
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const example = await exampleStatistics();
  return {
    ...example,
    operations: OPERATIONS,
    blocks: BLOCKS,
    block_matrix_mb: Math.round(((matrix.n.byteLength + matrix.sum.byteLength + matrix.sumSq.byteLength) / 2 ** 20) * 10) / 10,
    build_matrix_ms: Math.round(buildMs),
    pbo_budget: DEFAULT_BUDGET,
    pbo_combinations_evaluated: sampled.evaluated,
    pbo_ms: Math.round(pboMs),
    pbo_cpu_ms: Math.round(pboCpuMs),
    pbo_noise: Math.round(sampled.pbo * 1000) / 1000,
    full_cscv_2000_ops_ms: Math.round(fullMs),
    full_cscv_2000_ops_cpu_ms: Math.round(fullCpuMs),
    evaluations_per_cpu_s: Math.round(perSecond),
    full_cscv_100k_estimate_cpu_s: Math.round((OPERATIONS * full.evaluated) / perSecond),
    dsr_ms: Math.round(dsrMs),
    dsr_noise: Math.round(dsr.probability * 1000) / 1000,
    monte_carlo_1000x500_ms: Math.round(mcMs),
    peak_rss_mb: peakRssMb,
  };
}
