import { pathToFileURL } from 'node:url';
import type { temporal } from '@temporalio/proto';
import { loadBenchGrid, startBenchStack, unshared, type BenchStack } from './stack.js';

/*
 * The reproduction of the unexplained per-task latency (docs/benchmarks.md, "Tasks that wait on the
 * server"): the hourly grid swept again and again on one worker, and per sweep its wall
 * time and how long its tasks waited between scheduled and started on the server, from its history.
 * `npx tsx bench/dispatch-latency.ts [sweeps]`; on this machine the wait goes from ~3 to ~40 ms after
 * about seven sweeps.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ms = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);

/** Mean milliseconds from a task's scheduled event to its started event (workflow and activity tasks). */
function meanWait(events: HistoryEvent[]): number {
  const scheduled = new Map<string, number>();
  const waits: number[] = [];
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes || e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), ms(e));
    const from = e.workflowTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskStartedEventAttributes?.scheduledEventId;
    if (from !== undefined && from !== null) waits.push(ms(e) - scheduled.get(String(from))!);
  }
  return waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length);
}

async function sweepOnce(stack: BenchStack, nudge: number): Promise<{ wallMs: number; waitMs: number }> {
  const { spec } = loadBenchGrid('bench/grids/optimization-hourly.yaml');
  const started = performance.now();
  const { id } = await stack.sweeps.submit(unshared(spec, nudge), { options: { statistics: false } });
  await stack.sweeps.result(id);
  const wallMs = performance.now() - started;
  const history = await stack.client.workflow.getHandle(id).fetchHistory();
  return { wallMs, waitMs: meanWait(history.events ?? []) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sweeps = Number(process.argv[2] ?? 12);
  const stack = await startBenchStack({ concurrency: 2 });
  try {
    for (let k = 1; k <= sweeps; k++) {
      const { wallMs, waitMs } = await sweepOnce(stack, k * 1e-6);
      console.log(`sweep ${String(k).padStart(2)}: ${Math.round(wallMs)} ms, tasks waited ${waitMs.toFixed(1)} ms on average`);
    }
  } finally {
    await stack.stop();
  }
  process.exit(0);
}
