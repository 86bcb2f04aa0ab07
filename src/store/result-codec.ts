import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { drawdownCurve } from '../engine/metrics.js';
import type { BacktestResult } from '../engine/result.js';

/*
 * A BacktestResult stored as one compressed blob, written by the pool threads so the activity's
 * thread only moves bytes. Layout before raw deflate (level 1):
 *   u32 LE   length of the header
 *   header   UTF-8 JSON of everything but the curves (metrics, trades, open trade, range)
 *   f64[n]   bar times: the first, then differences (regular bars repeat one value: they compress away)
 *   f64[n]   equity
 * The drawdown curve is not stored: it is a pure function of equity (engine/metrics.ts), recomputed
 * on read with the same arithmetic, so it comes back bit for bit. A ten-year daily result is ~4 KB.
 */

export function encodeResult(result: BacktestResult): Uint8Array {
  const { equity, drawdown: _derived, ...rest } = result;
  const header = Buffer.from(JSON.stringify(rest), 'utf8');
  const n = equity.t.length;
  const body = Buffer.alloc(4 + header.length + 16 * n);
  body.writeUInt32LE(header.length, 0);
  header.copy(body, 4);
  const numbers = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) numbers[i] = i === 0 ? equity.t[0]! : equity.t[i]! - equity.t[i - 1]!;
  numbers.set(equity.v, n);
  Buffer.from(numbers.buffer).copy(body, 4 + header.length);
  return deflateRawSync(body, { level: 1 });
}

/** libsql returns blobs as ArrayBuffer, pg as Buffer. */
export function decodeResult(blob: Uint8Array | ArrayBuffer): BacktestResult {
  const body = inflateRawSync(blob instanceof Uint8Array ? blob : new Uint8Array(blob));
  const headerLength = body.readUInt32LE(0);
  // Written by encodeResult from a validated result, so trusted rather than re-validated.
  const rest = JSON.parse(body.toString('utf8', 4, 4 + headerLength)) as Omit<BacktestResult, 'equity' | 'drawdown'>;
  const offset = 4 + headerLength;
  const n = (body.length - offset) / 16;
  // Copy: the numbers' offset in the inflated buffer need not be 8-byte aligned.
  const numbers = new Float64Array(new Uint8Array(body.subarray(offset)).buffer);
  const t = new Array<number>(n);
  for (let i = 0; i < n; i++) t[i] = i === 0 ? numbers[0]! : t[i - 1]! + numbers[i]!;
  const v = Array.from(numbers.subarray(n));
  return { ...rest, equity: { t, v }, drawdown: { t, v: drawdownCurve(v) } } as BacktestResult;
}
