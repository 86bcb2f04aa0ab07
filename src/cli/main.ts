import { Command, CommanderError, Option } from 'commander';
import { ConfigError, isUserError, type UserErrorKind } from '../config/errors.js';
import { packageInfo } from '../package.js';
import { exitWhenOutputCloses, flushOutput } from './output.js';

/*
 * `sweeplab`: exit 0 when all went well, 1 when a sweep failed or was cancelled (or on an internal
 * error, or Temporal away), 2 for a user error of any kind (EXIT_CODE) — a message naming where,
 * field and reason, never a stack trace.
 * Each command's module is imported when the command runs, so `--help` and a mistyped flag load
 * commander alone, not Temporal, the store and the API (bench/cli.ts measures the start).
 */

/**
 * A user error's exit code by kind (docs/cli.md, "Exit codes"): all 2, so that scripts test one
 * code for "the input or the state it refers to is not right"; the message tells which. Temporal
 * being away, like a failed sweep or a bug, is 1.
 */
const EXIT_CODE = { invalid: 2, request: 2, not_found: 2, conflict: 2, data: 2 } as const satisfies Record<UserErrorKind, number>;

const program = new Command('sweeplab')
  .description('Durable backtest research on Temporal: one backtest, a grid optimization or a variant race.')
  .version(packageInfo().version)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

let exitCode = 0;
const run = (fn: (...args: any[]) => number | void | Promise<number | void>) =>
  async (...args: unknown[]) => {
    exitCode = (await fn(...args)) ?? 0;
  };

program
  .command('run-operation')
  .description('run ONE operation (operation.yaml or an exported materialized operation) and print its result; no Temporal')
  .argument('<operation.yaml>')
  .option('--json', 'print the BacktestResult as JSON on stdout')
  .option('--max-operation-seconds <s>', "how long the workspace's plugin code may run per step (default 60, as parallel_config.max_operation_seconds)")
  .option('--max-operation-memory-mb <mb>', "the heap ceiling of the thread the workspace's plugin code runs in (default 512, as parallel_config.max_operation_memory_mb)")
  .action(run(async (file: string, opts) => (await import('./run-operation.js')).runOperationCommand(file, opts)));

for (const [name, kind, what] of [
  ['optimize', 'optimization', 'an optimization (grid search) from optimization.yaml'],
  ['variants', 'variant_test', 'a variant test (head-to-head race) from variant.yaml'],
] as const) {
  program
    .command(name)
    .description(`submit ${what}`)
    .argument('<file.yaml>')
    .option('--wait', 'follow it to the end with a progress bar, then print the ranking')
    .option('--json', 'with --wait: end with one JSON line {id, status, total, completed, failed}; without: print {id}')
    .option('--id <id>', 'sweep id (default: generated)')
    .option('--top <n>', 'rows of the final ranking to print')
    .action(run(async (file: string, opts) => (await import('./sweep-commands.js')).submitCommand(kind, file, opts)));
}

program
  .command('walk-forward')
  .description('submit a walk-forward optimization from walk_forward.yaml: optimize in sample, trade the winner out of sample, roll on')
  .argument('<file.yaml>')
  .option('--wait', 'follow it to the end with a progress bar (windows), then print the windows and the stitched result')
  .option('--json', 'with --wait: end with one JSON line {id, status, windows, completed, stitched}; without: print {id, windows}')
  .option('--id <id>', 'walk-forward id (default: generated)')
  .action(run(async (file: string, opts) => (await import('./walk-forward-commands.js')).walkForwardCommand(file, opts)));

program
  .command('status')
  .description('progress of a sweep: done/failed/total, rate, ETA, best so far')
  .argument('<id>')
  .option('--watch', 'follow it until it ends')
  .option('--json', 'print the status as JSON')
  .action(run(async (id: string, opts) => (await import('./sweep-commands.js')).statusCommand(id, opts)));

program
  .command('results')
  .description("a sweep's results table")
  .argument('<id>')
  .option('--sort <field>', 'a metric, a parameter, idx or status (default: the primary metric)')
  .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']))
  .option('--limit <n>', 'rows', '20')
  .option('--offset <n>', 'rows to skip', '0')
  .option('--filter <conditions>', 'e.g. "sharpe_ratio>1,fast=10"')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .action(run(async (id: string, opts) => (await import('./sweep-commands.js')).resultsCommand(id, opts)));

program
  .command('list')
  .description('the sweeps in the results store, newest first: id, kind, name, status, progress, best')
  .option('--limit <n>', 'sweeps', '50')
  .option('--json', 'print them as JSON')
  .action(run(async (opts) => (await import('./list.js')).listCommand(opts)));

for (const action of ['pause', 'resume', 'cancel'] as const) {
  const what = {
    pause: 'stop dispatching new operations (running ones finish)',
    resume: 'continue a paused sweep, or restart a cancelled/failed/terminated one reusing every stored result',
    cancel: 'cancel a running sweep (stored results stay)',
  }[action];
  program
    .command(action)
    .description(what)
    .argument('<id>')
    .action(run(async (id: string) => (await import('./sweep-commands.js')).controlCommand(action, id)));
}

program
  .command('statistics')
  .description('how far to trust the best row of an optimization: DSR, PBO, neighbourhood stability, Monte Carlo of trades')
  .argument('<id>')
  .option('--compute', 'compute them now (also for a running optimization) and store them')
  .option('--json', 'print them as JSON')
  .action(run(async (id: string, opts) => (await import('./statistics.js')).statisticsCommand(id, opts)));

program
  .command('export')
  .description("write each of a sweep's materialized operations as a YAML file that run-operation replays")
  .argument('<id>')
  .requiredOption('--ops <dir>', 'directory to write to')
  .action(run(async (id: string, opts) => (await import('./sweep-commands.js')).exportCommand(id, opts)));

program
  .command('worker')
  .description('run a worker: N backtest slots polling the task queue')
  .option('--concurrency <n>', 'backtest slots (default: the number of cores)')
  .action(
    run(async (opts: { concurrency?: string }) => {
      const { runWorker } = await import('../../worker.js');
      await runWorker({ concurrency: opts.concurrency ? slots(opts.concurrency) : undefined });
    }),
  );

program
  .command('api')
  .description('serve the HTTP API and the page only (Temporal and workers run elsewhere)')
  .option('--port <port>', 'port (default: SWEEPLAB_API_PORT, else 8787)')
  .action(
    run(async (opts: { port?: string }) => {
      const fromEnv = opts.port === undefined && process.env.SWEEPLAB_API_PORT !== undefined;
      const port = opts.port ?? process.env.SWEEPLAB_API_PORT ?? '8787';
      portNumber(port, fromEnv ? 'SWEEPLAB_API_PORT' : '--port');
      return (await import('./up.js')).apiCommand({ port });
    }),
  );

program
  .command('up')
  .description('embedded default: Temporal dev server (state in ./data), a worker and the API, on one machine')
  .option('--example', 'also submit the example optimization, variant test and walk-forward')
  .option('--port <port>', 'API and page port', '8787')
  .option('--temporal-port <port>', "the dev server's gRPC port (its UI gets this + 1000)", '7233')
  .option('--concurrency <n>', 'backtest slots of the worker (default: cores)')
  .action(
    // Flags are checked before anything starts: a dev server is not started only to fail afterwards.
    run(async (opts: { example?: boolean; port: string; temporalPort: string; concurrency?: string }) => {
      portNumber(opts.port, '--port');
      if (opts.concurrency !== undefined) slots(opts.concurrency);
      return (await import('./up.js')).upCommand(opts);
    }),
  );

program
  .command('init')
  .description('scaffold a research workspace: package.json, the example YAML files, data and plugins, a README')
  .argument('[dir]', 'an empty or new folder', '.')
  .action(run(async (dir: string) => (await import('./init.js')).initCommand(dir)));

function slots(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 1024) throw new ConfigError('--concurrency', 'concurrency', `"${text}" is not a whole number from 1 to 1024`);
  return n;
}

/** A TCP port to listen on; 0 asks the system for a free one. */
function portNumber(text: string, setting: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65_535) throw new ConfigError(setting, 'port', `"${text}" is not a port number from 0 to 65535`);
  return n;
}

exitWhenOutputCloses();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  exitCode = reportError(err);
}
// Exit now rather than when the event loop drains: the Temporal client can leave a retry timer
// behind a closed connection (an unreachable server), which would throw after our clean shutdown.
// But only once stdout and stderr are written out: into a pipe, output beyond the pipe's buffer
// (64 KiB) is still queued, and exiting would cut it silently.
await flushOutput();
process.exit(exitCode);

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2;
  }
  if (isUserError(err)) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_CODE[err.kind];
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.SWEEPLAB_DEBUG) console.error(err);
  return 1;
}
