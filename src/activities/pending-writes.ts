import { heartbeat } from '@temporalio/activity';
import type { MetricName } from '../engine/result.js';
import type { CopiedOperation, OperationRecord, Store } from '../store/types.js';
import type { BatchFold } from './batch-fold.js';

/**
 * An activity's finished operations on their way to the store: collected, written in one
 * transaction per flush, and folded for the workflow. Engine executions are reported to
 * `onExecuted` with the flush that stores them, just before the write: a process killed between the
 * store's commit and the report would otherwise have stored rows whose executions nobody counted.
 */
export class PendingWrites {
  #records: OperationRecord[] = [];
  #executedUnreported = 0;
  #lastFlush = performance.now();
  /** Rows written so far (what heartbeats report). */
  stored = 0;
  executed = 0;

  constructor(
    readonly store: Store,
    readonly fold: BatchFold,
    readonly primaryMetric: MetricName,
    readonly onExecuted?: (count: number) => void,
  ) {}

  get size(): number {
    return this.#records.length;
  }

  /** Milliseconds since the last flush. */
  get age(): number {
    return performance.now() - this.#lastFlush;
  }

  /** Operations the store copied from another sweep's rows (Store.copyDone): stored already, only folded. */
  reused(copied: CopiedOperation[]): void {
    for (const c of copied) this.fold.add({ idx: c.idx, hash: c.hash, status: 'done', value: c.value, total_trades: c.total_trades, reused: true, error: null });
    this.stored += copied.length;
  }

  /** An operation the engine ran (done or failed), to be written with the next flush. */
  add(record: OperationRecord): void {
    this.#records.push(record);
    this.executed++;
    this.#executedUnreported++;
    const ok = record.status === 'done';
    this.fold.add({
      idx: record.idx,
      hash: record.hash,
      status: record.status,
      value: ok ? (record.metrics?.[this.primaryMetric] ?? null) : null,
      total_trades: ok ? (record.metrics?.total_trades ?? null) : null,
      reused: false,
      error: record.error,
    });
  }

  async flush(): Promise<void> {
    const [records, executed] = [this.#records, this.#executedUnreported];
    this.#records = [];
    this.#executedUnreported = 0;
    this.#lastFlush = performance.now();
    if (executed) this.onExecuted?.(executed);
    if (records.length) await this.store.recordOperations(records);
    this.stored += records.length;
    heartbeat({ stored: this.stored });
  }
}
