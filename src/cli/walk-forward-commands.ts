import fs from 'node:fs';
import { checkSweepId } from '../client/sweep-id.js';
import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import type { LoadOptions } from '../intake/load.js';
import { probedFile } from '../intake/probe.js';
import { loadWalkForwardFile, type LoadedWalkForward } from '../intake/walk-forward.js';
import { dataRootFromEnv, rootRelative } from '../data/paths.js';
import { outcomeCode, summaryLine, watch, withSweeps } from './sweep-commands.js';
import { day, reportText, storedReport } from './walk-forward-report.js';

/*
 * `sweeplab walk-forward file.yaml [--wait] [--json]`; its report for `results` is in src/cli/walk-forward-report.ts.
 * `status`, `pause`, `resume` and `cancel` work on a walk-forward's id as on any sweep's.
 */

/** The walk-forward a file describes, named by its path in the workspace (never the server's), and its plugin bundle. */
export function loadWalkForwardCommandFile(file: string, load: LoadOptions = { dataRoot: dataRootFromEnv() }): LoadedWalkForward {
  const { dataRoot } = load;
  const loaded = loadWalkForwardFile(file, load);
  return { ...loaded, spec: { ...loaded.spec, file: rootRelative(dataRoot, fs.realpathSync(file)) } };
}

export async function walkForwardCommand(file: string, opts: { wait?: boolean; json?: boolean; id?: string }): Promise<number> {
  if (opts.id !== undefined) checkSweepId(opts.id, '--id');
  // The workspace's plugin code runs first in a contained thread (src/intake/probe.ts), not here.
  const { spec, bundle } = loadWalkForwardCommandFile(file, await probedFile('walk_forward', file, dataRootFromEnv()));
  if (!opts.json) process.stderr.write(`${planLine(spec)}\n`);
  return withSweeps(async (sweeps, store) => {
    const { id } = await sweeps.submit(spec, { id: opts.id, bundle });
    if (!opts.wait) {
      process.stdout.write(opts.json ? `${JSON.stringify({ id, windows: spec.windows.length })}\n` : `${id}\n`);
      return 0;
    }
    if (!opts.json) process.stderr.write(`submitted walk-forward "${spec.name}" as ${id}\n`);
    const view = await watch(sweeps, id, { quiet: opts.json });
    const report = await storedReport(store, id);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ id, status: view.status, windows: spec.windows.length, completed: view.done, stitched: report.stitched })}\n`);
    } else {
      process.stdout.write(`${summaryLine(view)}\n\n${reportText(report)}\n`);
    }
    return outcomeCode(view);
  });
}

/** "16 windows: in-sample 2y, out-of-sample 6m, step 6m, rolling; …": what the file amounts to. */
export function planLine(spec: WalkForwardSpec): string {
  const first = spec.windows[0]!;
  const last = spec.windows[spec.windows.length - 1]!;
  const { plan } = spec;
  return (
    `${spec.windows.length} window${spec.windows.length === 1 ? '' : 's'}: in-sample ${plan.in_sample}, out-of-sample ${plan.out_of_sample}, step ${plan.step}, ${plan.mode}; ` +
    `out of sample from ${day(first.oos_start)} to ${day(last.oos_end)}; warm-up ${spec.warmup_bars} bars; ${spec.optimization.admissible} combinations per window`
  );
}
