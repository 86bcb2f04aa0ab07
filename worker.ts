import { appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from './src/activities/index.js';
import { createBacktestPool, defaultSlots } from './src/activities/pool.js';
import { dataRootFromEnv } from './src/data/paths.js';
import { openStore } from './src/store/index.js';
import { retryWhileUnreachable, taskQueue, temporalAddress, temporalNamespace } from './src/temporal/connection.js';
import { workerDeploymentPlugin } from './src/temporal/worker-deployment.js';

/*
 * One worker process: N backtest slots (threads), the sweep workflows, and the activities wired to
 * the store and the pool. Several processes or hosts on one task queue share the work; SIGINT and
 * SIGTERM stop polling, let running activities finish (within the grace time) and close cleanly.
 */

export interface WorkerOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** Backtest threads; defaults to the machine's cores. */
  concurrency?: number;
  databaseUrl?: string;
  dataRoot?: string;
  /**
   * A prebuilt workflow bundle; by default the one SWEEPLAB_WORKFLOW_BUNDLE names (production images
   * build it with `npm run build:workflows`), else the installed package's dist/workflow-bundle.js,
   * else the workflow sources are bundled at start-up.
   */
  workflowBundle?: WorkflowBundleOption | null;
  onExecuted?: (count: number) => void;
  /**
   * A connection made already (connectUnlessStopped); closed with the worker. Without one,
   * createWorker makes it, waiting while Temporal is unreachable.
   */
  connection?: NativeConnection;
}

export async function createWorker(opts: WorkerOptions = {}): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const slots = opts.concurrency ?? defaultSlots();
  const connection = opts.connection ?? (await connectWhenReachable(opts.address ?? temporalAddress()));
  const store = await openStore({ url: opts.databaseUrl });
  await store.migrate();
  const pool = createBacktestPool(slots);
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? temporalNamespace(),
    taskQueue: opts.taskQueue ?? taskQueue(),
    // A version of the task queue's worker deployment that pins its sweeps (docs/deploy.md, "One build per sweep").
    plugins: [workerDeploymentPlugin({ connection, namespace: opts.namespace ?? temporalNamespace(), taskQueue: opts.taskQueue ?? taskQueue() })],
    workflowBundle: opts.workflowBundle ?? (await defaultWorkflowBundle()),
    // Every worker keeps the audit log when asked, `up`'s as well as `sweeplab worker`'s.
    activities: createActivities({ store, pool, dataRoot: opts.dataRoot ?? dataRootFromEnv(), onExecuted: withExecutionLog(opts.onExecuted) }),
    // One activity more than slots per slot keeps threads busy while another activity writes results.
    // More (16 were tried) keeps tasks from waiting ~40 ms after a few sweeps (bench/dispatch-latency.ts;
    // README, "Proven figures"), but then one worker takes a small sweep's every pack, eagerly
    // dispatched to it, and a second worker gets none.
    maxConcurrentActivityTaskExecutions: slots * 2,
    shutdownGraceTime: '20 seconds',
    // Heartbeats reach Temporal at least once a second (not 0.8 × the heartbeat timeout), and a
    // cancellation comes back with one: a paused sweep's packs stop within about a second.
    maxHeartbeatThrottleInterval: '1 second',
  });
  return {
    worker,
    close: async () => {
      await pool.destroy();
      await store.close();
      await connection.close();
    },
  };
}

/** Running from TypeScript (the repository, through tsx) rather than from the package's dist/. */
const fromSource = import.meta.url.endsWith('.ts');

async function defaultWorkflowBundle(): Promise<WorkflowBundleOption> {
  const prebuilt = process.env.SWEEPLAB_WORKFLOW_BUNDLE ?? packagedWorkflowBundle();
  if (prebuilt) return { codePath: prebuilt };
  return bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundlerLogger });
}

/**
 * The bundle `npm pack` builds beside the compiled worker (scripts/build.ts), so an installed
 * package starts its workers without webpack. Sources never use one: it could be older than they are.
 */
function packagedWorkflowBundle(): string | undefined {
  if (fromSource) return undefined;
  const file = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

/** The workflows' entry module, TypeScript or compiled, whichever this process runs. */
export function workflowsPath(): string {
  return fileURLToPath(new URL(`./src/workflows/index.${fromSource ? 'ts' : 'js'}`, import.meta.url));
}

const quietBundlerLogger = new DefaultLogger('WARN');

/**
 * Audit log of engine executions: when SWEEPLAB_EXECUTION_LOG names a file, each time an activity
 * stores results it appends one line holding the number of backtests behind them (reused results
 * count 0). Several processes may share the file; each line is one small O_APPEND write, so lines do
 * not interleave, and it is written synchronously, so a line survives a SIGKILL right after. Crash
 * drills sum the lines to bound duplicate work.
 */
function withExecutionLog(onExecuted: WorkerOptions['onExecuted'], file = process.env.SWEEPLAB_EXECUTION_LOG): WorkerOptions['onExecuted'] {
  if (!file) return onExecuted;
  return (count) => {
    appendFileSync(file, `${count}\n`);
    onExecuted?.(count);
  };
}

/**
 * The worker's connection. A worker may start before Temporal does (a host booting, a server
 * restarting): it waits, saying so on one line per attempt, until `signal` aborts.
 */
function connectWhenReachable(address: string, signal?: AbortSignal): Promise<NativeConnection> {
  return retryWhileUnreachable(address, () => NativeConnection.connect({ address }), { signal, log: (line) => console.error(`sweeplab worker: ${line}`) });
}

/**
 * connectWhenReachable for a process of its own: SIGINT or SIGTERM during the wait ends it, and then
 * it resolves to null (nothing was started, nothing needs stopping). Its handlers are gone once
 * connected: the SDK's own (or the caller's) stop a running worker.
 */
export async function connectUnlessStopped(address: string): Promise<NativeConnection | null> {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`stopped by ${signal}`));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await connectWhenReachable(address, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return null;
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export async function runWorker(opts: WorkerOptions = {}): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await connectUnlessStopped(opts.address ?? temporalAddress());
  if (!connection) {
    console.log('sweeplab worker: stopped before Temporal was reachable');
    return;
  }
  const { worker, close } = await createWorker({ ...opts, connection });
  console.log(`sweeplab worker: ${opts.concurrency ?? defaultSlots()} backtest slots on task queue "${worker.options.taskQueue}"`);
  try {
    await worker.run();
  } finally {
    await close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runWorker().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
