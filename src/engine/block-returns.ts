/**
 * The compact per-operation figure the robustness statistics need (docs/metrics.md, "Block
 * returns"): the bar-to-bar simple returns r_t = e_t / e_{t−1} − 1 of the equity curve (t = 1 … N−1)
 * split into `blocks` contiguous blocks of as equal a count as possible (the first N−1 mod S blocks
 * one longer), and per block the count n, Σr and Σr². That is enough to compute, for any union of
 * blocks, the exact mean and variance of its per-bar returns, hence its Sharpe ratio, which is what
 * CSCV (PBO) ranks by; 3 × S numbers whatever the curve's length.
 *
 * A curve with fewer than `blocks` returns gives empty blocks (n = 0) at the end.
 */
export interface BlockReturns {
  /** Returns per block. */
  n: number[];
  /** Σ r per block. */
  sum: number[];
  /** Σ r² per block. */
  sum_sq: number[];
}

export function blockReturns(equity: ArrayLike<number>, blocks: number): BlockReturns {
  if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError(`blocks must be a whole number ≥ 1, got ${blocks}`);
  const returns = Math.max(0, equity.length - 1);
  const out: BlockReturns = { n: new Array(blocks).fill(0), sum: new Array(blocks).fill(0), sum_sq: new Array(blocks).fill(0) };
  const base = Math.floor(returns / blocks);
  const longer = returns % blocks;
  let t = 1;
  for (let b = 0; b < blocks; b++) {
    const count = base + (b < longer ? 1 : 0);
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < count; k++, t++) {
      const prev = equity[t - 1]!;
      // A wiped-out account (equity 0) has no defined return afterwards; it counts as 0.
      const r = prev === 0 ? 0 : equity[t]! / prev - 1;
      s += r;
      s2 += r * r;
    }
    out.n[b] = count;
    out.sum[b] = s;
    out.sum_sq[b] = s2;
  }
  return out;
}
