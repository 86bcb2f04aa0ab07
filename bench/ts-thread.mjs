// A worker thread that runs a TypeScript module of the benchmarks (workerData.module): tsx is
// registered inside the thread first, as src/activities/backtest-thread-source.mjs explains.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
