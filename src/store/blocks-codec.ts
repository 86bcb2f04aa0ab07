import type { StoredSpec } from '../config/stored-spec.js';
import type { BlockReturns } from '../engine/block-returns.js';

/*
 * An operation's block returns (src/engine/block-returns.ts) as the store keeps them: 8-byte floats,
 * little-endian, [R, Σr of block 0 … S−1, Σr² of block 0 … S−1], where R is the number of returns.
 * The per-block counts are not stored: blockReturns splits R returns into S blocks by a fixed rule
 * (the first R mod S blocks one longer), so they follow from R and S. 16 blocks take 264 bytes.
 */

export function encodeBlocks(blocks: BlockReturns): Uint8Array {
  const s = blocks.n.length;
  const numbers = new Float64Array(1 + 2 * s);
  numbers[0] = blocks.n.reduce((a, b) => a + b, 0);
  numbers.set(blocks.sum, 1);
  numbers.set(blocks.sum_sq, 1 + s);
  return new Uint8Array(numbers.buffer);
}

/** libsql returns blobs as ArrayBuffer, pg as Buffer. */
export function decodeBlocks(blob: Uint8Array | ArrayBuffer): BlockReturns {
  const bytes = blob instanceof Uint8Array ? blob : new Uint8Array(blob);
  // Copy: a Buffer's offset in its pool need not be 8-byte aligned.
  const numbers = new Float64Array(new Uint8Array(bytes).buffer);
  const s = (numbers.length - 1) / 2;
  const returns = numbers[0]!;
  const base = Math.floor(returns / s);
  const longer = returns % s;
  return {
    n: Array.from({ length: s }, (_, b) => base + (b < longer ? 1 : 0)),
    sum: Array.from(numbers.subarray(1, 1 + s)),
    sum_sq: Array.from(numbers.subarray(1 + s)),
  };
}

/** Blocks per operation when the spec names none (docs/metrics.md, "Block returns"). */
export const DEFAULT_BLOCKS = 16;

/** S of a sweep: an optimization's `blocks` (the robustness settings), else DEFAULT_BLOCKS. */
export function specBlocks(spec: StoredSpec | undefined): number {
  return spec?.kind === 'optimization' ? spec.blocks : DEFAULT_BLOCKS;
}
