import path from 'node:path';
import { loadOperationFile } from '../config/load.js';
import { materialize } from '../config/materialize.js';
import { operationHash } from '../config/hash.js';
import { timesReadAs } from '../data/load.js';
import { dataRootFromEnv } from '../data/paths.js';
import { runMaterializedOperation } from '../activities/run-operation.js';
import { loadWorkspacePlugins } from '../user-plugins/index.js';
import { metricsTable } from './format.js';

/**
 * `sweeplab run-operation op.yaml [--json]`: one backtest in this process, no Temporal inside. User
 * plugins come from the workspace's plugins folder; an operation that names the code it ran with
 * (plugin_code) is refused when that code changed.
 */
export function runOperationCommand(file: string, opts: { json?: boolean }): void {
  const dataRoot = dataRootFromEnv();
  const plugins = loadWorkspacePlugins(dataRoot);
  const base = loadOperationFile(file, { dataRoot, plugins });
  const op = materialize(base, base.blueprint.workforce, base.display_name, plugins.set);
  const shownFile = path.relative(process.cwd(), file) || file;
  const result = runMaterializedOperation(op, { dataRoot, file: shownFile, plugins: plugins.set });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  // An epoch file's unit was inferred or given: said, so a misread unit cannot pass unseen.
  const times = timesReadAs(base.data_source, { dataRoot, file: shownFile, field: `data_sources.${base.data_source_id}` });
  const lines = [
    `${base.display_name}`,
    `  blueprint ${base.blueprint.name} · ${base.environment_id} · ${result.bars} bars ${result.start.slice(0, 10)} → ${result.end.slice(0, 10)}${times?.startsWith('epoch') ? ` · times read as ${times}` : ''}`,
    `  operation ${operationHash(op, plugins.set).slice(0, 16)}`,
    '',
    metricsTable(result.metrics),
  ];
  if (result.open_trade) lines.push('', `  open ${result.open_trade.direction} trade since ${result.open_trade.entry_time.slice(0, 10)} (not in the trade metrics; close_at_end is false)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
