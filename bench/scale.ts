import { pathToFileURL } from 'node:url';
import { loadBenchGrid, startBenchStack } from './stack.js';
import { round } from './sweep.js';

/*
 * 100,000 cheap operations through one sweep on this machine: it must complete, keep every workflow
 * run's history bounded (continue-as-new), keep the worker's memory under 1 GB, and run at a rate
 * close to the 3,500-operation sweep's (compare with `sweep.sweep_ops_per_s`).
 */

export async function benchScale(): Promise<Record<string, number | string>> {
  const { spec, admissible } = loadBenchGrid('bench/optimization-100k.yaml');
  const stack = await startBenchStack();
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 500);
  try {
    const started = performance.now();
    const { id } = await stack.sweeps.submit(spec);
    const view = await stack.sweeps.result(id);
    const seconds = (performance.now() - started) / 1000;
    if (view.status !== 'completed' || view.done + view.failed !== admissible) throw new Error(`scale sweep ended ${view.status} with ${view.done}/${admissible}`);
    const runs: number[] = [];
    for await (const run of stack.sweeps.client.workflow.list({ query: `WorkflowId = "${id}"` })) runs.push(run.historyLength);
    const { total: stored } = await stack.store.queryResults(id, { limit: 1 });
    return {
      operations: admissible,
      stored_rows: stored,
      seconds: round(seconds),
      ops_per_s: round(admissible / seconds),
      workflow_runs: runs.length,
      max_history_events: Math.max(...runs),
      max_rss_mb: round(maxRss / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
    await stack.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchScale());
}
