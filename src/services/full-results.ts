import { ConflictError, DataError, isUserError, NotFoundError } from '../config/errors.js';
import type { Combo } from '../config/grid.js';
import type { SweepSpec } from '../config/sweep.js';
import { dumpYaml } from '../intake/yaml.js';
import type { BacktestResult } from '../engine/result.js';
import type { Store } from '../store/types.js';
import { sweepCodeFromStore, type SweepCode } from './plugin-code.js';
import { recompute } from './recompute.js';

/*
 * Full results on demand (docs/store.md): the store keeps an operation's metrics and block returns,
 * not its curves, trades or YAML. Those are a pure function of the sweep's spec and the operation's
 * index (operationAt → runMaterializedOperation, a deterministic engine on content-addressed data),
 * so they are recomputed when the API, the page or the CLI asks (a sweep's plugin code in a
 * contained thread, src/services/recompute.ts), and kept in a bounded cache by operation hash. Operations stored before migration 3 still have their full result in the store,
 * which is served as it is.
 */

export interface FullResult {
  hash: string;
  idx: number;
  params: Combo;
  result: BacktestResult;
}

export interface FullResultsOptions {
  /** Results kept at most, and their approximate size at most (bytes). */
  entries?: number;
  bytes?: number;
}

export class FullResults {
  readonly #cache = new Map<string, { result: BacktestResult; bytes: number }>();
  #bytes = 0;
  readonly #entries: number;
  readonly #maxBytes: number;

  constructor(
    readonly store: Store,
    readonly dataRoot: string,
    opts: FullResultsOptions = {},
  ) {
    this.#entries = opts.entries ?? 256;
    this.#maxBytes = opts.bytes ?? 128 * 1024 * 1024;
  }

  /**
   * The full results of these operations of the sweep, by idx; hashes that are not operations of the
   * sweep are left out. Data that changed or went away since the sweep ran is a ConfigError saying so.
   */
  async of(sweepId: string, hashes: string[]): Promise<FullResult[]> {
    const rows = await this.store.operationsOf(sweepId, hashes);
    // Read before anything is added, which may evict.
    const cached = new Map(rows.flatMap((row) => (this.#cache.has(row.hash) ? [[row.hash, this.#hit(row.hash)] as const] : [])));
    const missing = rows.filter((row) => !cached.has(row.hash));
    const legacy = missing.length ? await this.store.legacyResults(missing.map((row) => row.hash)) : new Map<string, BacktestResult>();
    const toRun = missing.filter((row) => !legacy.has(row.hash));
    const computed = toRun.length ? await recomputeResults(await sweepWithCode(this.store, sweepId), sweepId, toRun.map((row) => row.idx), this.dataRoot) : [];
    const fresh = new Map([...legacy, ...toRun.map((row, i) => [row.hash, computed[i]!] as const)]);
    for (const [hash, result] of fresh) this.#keep(hash, result);
    return rows.map((row) => ({ ...row, result: cached.get(row.hash) ?? fresh.get(row.hash)! }));
  }

  /** The cached result, now the most recently used. */
  #hit(hash: string): BacktestResult {
    const hit = this.#cache.get(hash)!;
    this.#cache.delete(hash);
    this.#cache.set(hash, hit);
    return hit.result;
  }

  /** Keeps `result`, within the bounds. */
  #keep(hash: string, result: BacktestResult): void {
    const bytes = approximateBytes(result);
    this.#cache.set(hash, { result, bytes });
    this.#bytes += bytes;
    while (this.#cache.size > 1 && (this.#cache.size > this.#entries || this.#bytes > this.#maxBytes)) {
      const [oldest, entry] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }
}

/** A sweep's spec and the code its operations may name (its user code, fetched from the store). */
async function sweepWithCode(store: Store, sweepId: string): Promise<{ spec: SweepSpec; code: SweepCode }> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new NotFoundError('sweep', sweepId, 'is not in the results store');
  const { spec } = sweep;
  if (spec.kind === 'walk_forward') throw new ConflictError('sweep', sweepId, "is a walk-forward, whose operations belong to its windows' optimizations");
  return { spec, code: await sweepCodeFromStore(store, spec.plugin_bundle) };
}

async function recomputeResults({ spec, code }: { spec: SweepSpec; code: SweepCode }, sweepId: string, indices: number[], dataRoot: string): Promise<BacktestResult[]> {
  try {
    return await recompute({ kind: 'results', spec, indices }, code, dataRoot);
  } catch (err) {
    // Only the data can have changed since the sweep; any other user error is the operation's own.
    if (!isUserError(err) || !err.field.startsWith('data_sources')) throw err;
    const reason = err.reason.replace(/; materialize the operation again$/, '');
    throw new DataError(
      err.where,
      err.field,
      `${reason}: the curves and trades of sweep "${sweepId}" are recomputed from the data it ran on, so they cannot be shown; its stored metrics are unaffected (restore that file to see them)`,
    );
  }
}

/** Three curves of 8-byte numbers (the time list is shared, counted once) and about 200 bytes a trade. */
function approximateBytes(result: BacktestResult): number {
  return 24 * result.equity.v.length + 200 * result.trades.length + 1_000;
}

/**
 * An operation as YAML that `sweeplab run-operation` replays, derived from the first sweep that ran
 * it; null when no sweep in the store did.
 */
export async function operationYaml(store: Store, hash: string): Promise<string | null> {
  const found = await store.locateOperation(hash);
  if (!found) return null;
  const { spec, code } = await sweepWithCode(store, found.sweep_id);
  const [op] = await recompute({ kind: 'operations', spec, indices: [found.idx] }, code, '');
  return dumpYaml(op!);
}
