import { DataError, isUserError, NotFoundError } from '../config/errors.js';
import type { Combo } from '../config/grid.js';
import { operationAt } from '../config/operation-at.js';
import type { SweepSpec } from '../config/sweep.js';
import { dumpYaml } from '../config/yaml.js';
import type { BacktestResult } from '../engine/result.js';
import type { Store } from '../store/types.js';
import type { PluginSet } from '../engine/plugins/registry.js';
import { sweepCodeFromStore } from './plugin-code.js';
import { runMaterializedOperation } from './run-operation.js';

/*
 * Full results on demand (docs/store.md): the store keeps an operation's metrics and block returns,
 * not its curves, trades or YAML. Those are a pure function of the sweep's spec and the operation's
 * index (operationAt → runMaterializedOperation, a deterministic engine on content-addressed data),
 * so they are recomputed when the API, the page or the CLI asks, and kept in a bounded cache by
 * operation hash. Operations stored before migration 3 still have their full result in the store,
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
    const missing = rows.filter((row) => !this.#cache.has(row.hash)).map((row) => row.hash);
    const legacy = missing.length ? await this.store.legacyResults(missing) : new Map<string, BacktestResult>();
    const sweep = rows.some((row) => !this.#cache.has(row.hash) && !legacy.has(row.hash)) ? await sweepWithCode(this.store, sweepId) : null;
    return rows.map((row) => ({ ...row, result: this.#remember(row.hash, () => legacy.get(row.hash) ?? recompute(sweep!, sweepId, row.idx, this.dataRoot)) }));
  }

  /** The cached result (now the most recently used), or `compute`'s, kept within the bounds. */
  #remember(hash: string, compute: () => BacktestResult): BacktestResult {
    const hit = this.#cache.get(hash);
    if (hit) {
      this.#cache.delete(hash);
      this.#cache.set(hash, hit);
      return hit.result;
    }
    const result = compute();
    const bytes = approximateBytes(result);
    this.#cache.set(hash, { result, bytes });
    this.#bytes += bytes;
    while (this.#cache.size > 1 && (this.#cache.size > this.#entries || this.#bytes > this.#maxBytes)) {
      const [oldest, entry] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return result;
  }
}

/** A sweep's spec and the plugins its operations may name (its user code, fetched from the store). */
async function sweepWithCode(store: Store, sweepId: string): Promise<{ spec: SweepSpec; plugins: PluginSet }> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new NotFoundError('sweep', sweepId, 'is not in the results store');
  const spec = sweep.spec as SweepSpec;
  return { spec, plugins: (await sweepCodeFromStore(store, spec.plugin_bundle)).set };
}

function recompute({ spec, plugins }: { spec: SweepSpec; plugins: PluginSet }, sweepId: string, idx: number, dataRoot: string): BacktestResult {
  try {
    return runMaterializedOperation(operationAt(spec, idx, plugins).op, { dataRoot, file: spec.file, plugins });
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
  const { spec, plugins } = await sweepWithCode(store, found.sweep_id);
  return dumpYaml(operationAt(spec, found.idx, plugins).op);
}
