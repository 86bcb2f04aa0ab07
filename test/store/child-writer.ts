/*
 * A separate process writing operation rows, for the cross-process concurrency test:
 *   node --import tsx test/store/child-writer.ts <url> <sweepId> <from> <to> <failedFrom> <failedTo> <startAt>
 * It migrates first (so two children also race on migration), waits for the epoch-ms `startAt` so
 * that both children write at the same time, then records idx in [from, to) in batches of 10 (failed
 * inside [failedFrom, failedTo), done elsewhere), refreshing the sweep's counts after each batch.
 */
import { openStore } from '../../src/store/index.js';
import { done, failed } from './fixtures.js';

const [url, sweepId, ...bounds] = process.argv.slice(2);
const [from, to, failedFrom, failedTo, startAt] = bounds.map(Number);
const store = await openStore({ url });
await store.migrate();
await new Promise((resolve) => setTimeout(resolve, startAt! - Date.now()));
for (let start = from!; start < to!; start += 10) {
  const rows = [];
  for (let idx = start; idx < Math.min(start + 10, to!); idx++) {
    rows.push(idx >= failedFrom! && idx < failedTo! ? failed(sweepId!, idx, { n: idx }) : done(sweepId!, idx, { n: idx }, { sharpe_ratio: idx / 100 }));
  }
  await store.recordOperations(rows);
  // Reads, then writes, in one transaction: the case that needs BEGIN IMMEDIATE under contention.
  await store.refreshSweepCounts(sweepId!);
}
await store.close();
