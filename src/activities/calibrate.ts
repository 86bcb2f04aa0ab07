import type { SweepSpec } from '../config/sweep.js';
import type { PluginBundle } from '../user-plugins/index.js';
import type { BacktestPool } from './pool.js';

/*
 * What one operation of a sweep costs, measured on the worker before the sweep's first pack, so that
 * automatic packing sizes every pack from the start (src/workflows/packing.ts, nextPack) instead of
 * after a first wave of small measuring packs: that wave's round trip was an eighth of a sweep of a
 * third of a second. The operation runs in a backtest slot and is not stored.
 */

/** A first run that takes longer is stopped: such operations make any pack long, and the first packs measure them. */
const FIRST_RUN_MS = 1_000;
/**
 * A first run faster than this is run twice more, warm, and the fastest counts: the first pays for
 * the JIT and, for plugin code, for sharing the CPU with its pool's threads as they start (they start
 * on demand, src/activities/pool.ts).
 */
const RERUN_BELOW_MS = 100;

/**
 * Milliseconds of an activity's wall time per operation of this kind when its pack is spread over
 * all the pool's threads (what the workflow's packing measures), or null when the operation failed
 * or ran out of time.
 */
export async function operationCost(pool: BacktestPool, task: { spec: SweepSpec; idx: number; dataRoot: string; plugins: PluginBundle | null }, signal?: AbortSignal): Promise<number | null> {
  const run = async (times: number): Promise<number[] | null> => {
    const outcome = await pool.runOperations(
      { spec: task.spec, indices: new Array<number>(times).fill(task.idx), dataRoot: task.dataRoot, plugins: task.plugins },
      { signal, timeoutMs: FIRST_RUN_MS * times },
    );
    if (!outcome.ok) return null;
    const ms = outcome.operations.flatMap((op) => (op.ok ? [op.ms] : []));
    return ms.length === times ? ms : null;
  };
  const first = await run(1);
  if (!first) return null;
  const fastest = first[0]! < RERUN_BELOW_MS ? Math.min(first[0]!, ...((await run(2)) ?? [])) : first[0]!;
  return fastest / pool.threads;
}
