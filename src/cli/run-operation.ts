import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { loadOperationFile, type LoadOptions } from '../intake/load.js';
import { materialize } from '../config/materialize.js';
import { operationHash } from '../config/hash.js';
import { timesReadAs } from '../data/load.js';
import { jobLimitMs } from '../intake/probe.js';
import { DEFAULT_OPERATION_MEMORY_MB, DEFAULT_OPERATION_SECONDS, ParallelConfigSchema } from '../config/schemas.js';
import { dataRootFromEnv } from '../data/paths.js';
import { runMaterializedOperation } from '../services/run-operation.js';
import { BUILTIN_PLUGINS, userPluginsIn } from '../engine/plugins/registry.js';
import type { BacktestResult } from '../engine/result.js';
import { runContainedJob, threadEntry } from '../user-plugins/containment.js';
import { bundleWorkspacePlugins, type PluginBundle } from '../user-plugins/index.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { metricsTable } from './format.js';

/**
 * `sweeplab run-operation op.yaml [--json]`: one backtest in this process, no Temporal inside. User
 * plugins come from the workspace's plugins folder; an operation that names the code it ran with
 * (plugin_code) is refused when that code changed. When the workspace has plugin code, the
 * operation is loaded and run in a contained thread (src/cli/run-operation-thread.ts; docs/plugins.md,
 * "How plugin code is contained"), so a plugin that never returns, floods memory or ends its thread
 * makes a message and exit code 2, not a hang, a crash or a silent exit 0.
 */
export async function runOperationCommand(file: string, opts: { json?: boolean; maxOperationSeconds?: string; maxOperationMemoryMb?: string }): Promise<void> {
  const dataRoot = dataRootFromEnv();
  const seconds = flag(opts.maxOperationSeconds, '--max-operation-seconds', 'max_operation_seconds') ?? DEFAULT_OPERATION_SECONDS;
  const memoryMb = flag(opts.maxOperationMemoryMb, '--max-operation-memory-mb', 'max_operation_memory_mb') ?? DEFAULT_OPERATION_MEMORY_MB;
  const bundle = bundleWorkspacePlugins(dataRoot);
  const computed = bundle
    ? await runContainedJob<Computed>(threadEntry(import.meta.url, 'run-operation-thread'), { file, dataRoot, bundle, seconds } satisfies OperationJob, {
        memoryMb,
        limitMs: jobLimitMs(bundle, seconds),
        stage: { file, who: 'plugin code', doing: 'its thread started' },
      })
    : computeOperation(file, { dataRoot, plugins: { set: BUILTIN_PLUGINS, bundle: null } });
  const { result } = computed;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `${computed.display_name}`,
    `  blueprint ${computed.blueprint} · ${computed.environment_id} · ${result.bars} bars ${result.start.slice(0, 10)} → ${result.end.slice(0, 10)}${computed.times?.startsWith('epoch') ? ` · times read as ${computed.times}` : ''}`,
    `  operation ${computed.hash.slice(0, 16)}`,
    '',
    metricsTable(result.metrics),
  ];
  if (result.open_trade) lines.push('', `  open ${result.open_trade.direction} trade since ${result.open_trade.entry_time.slice(0, 10)} (not in the trade metrics; close_at_end is false)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export interface OperationJob {
  file: string;
  dataRoot: string;
  bundle: PluginBundle;
  seconds: number;
}

interface Computed {
  display_name: string;
  blueprint: string;
  environment_id: string;
  hash: string;
  /** How the data's times were read (an epoch file's unit is said, so a misread unit cannot pass unseen). */
  times: string | null;
  result: BacktestResult;
}

/** Loads, checks and runs the operation in `file` (in this thread, or in run-operation's contained one). */
export function computeOperation(file: string, load: LoadOptions & { plugins: NonNullable<LoadOptions['plugins']> }): Computed {
  const { dataRoot, plugins } = load;
  const base = loadOperationFile(file, load);
  const op = materialize(base, base.blueprint.workforce, base.display_name, plugins.set);
  const shownFile = path.relative(process.cwd(), file) || file;
  const run = () => runMaterializedOperation(op, { dataRoot, file: shownFile, plugins: plugins.set });
  const user = userPluginsIn(base.blueprint.workforce, plugins.set);
  const seconds = load.operationSeconds;
  const ran = user.length > 0 && seconds !== undefined ? withinSeconds(seconds, run) : { value: run() };
  if (!ran) {
    const names = user.map((d) => `"${d.name}" (${d.source!.file})`).join(', ');
    throw new ConfigError(file, '', `did not finish within ${seconds} s (--max-operation-seconds) while its user plugins ${names} ran; does one of them never return?`);
  }
  return { display_name: base.display_name, blueprint: base.blueprint.name, environment_id: base.environment_id, hash: operationHash(op, plugins.set), times: timesReadAs(base.data_source, { dataRoot, file: shownFile, field: `data_sources.${base.data_source_id}` }), result: ran.value };
}

/** A limit given on the command line, within the bounds parallel_config sets for it. */
function flag(value: string | undefined, name: string, setting: 'max_operation_seconds' | 'max_operation_memory_mb'): number | undefined {
  if (value === undefined) return undefined;
  const parsed = ParallelConfigSchema.shape[setting].safeParse(Number(value));
  if (!parsed.success || value.trim() === '') throw new ConfigError(name, '', `"${value}" is not a valid ${setting} (see parallel_config in docs/formats.md)`);
  return parsed.data;
}
