import { BUILTIN_PLUGINS } from '../engine/plugins/registry.js';
import { bundleText, type BundledFile } from '../user-plugins/bundle.js';
import { pluginsWho, runContainedJob, threadEntry, type Stage } from '../user-plugins/containment.js';
import { bundleWorkspacePlugins, pluginSetFromBundle, type PluginBundle, type WorkspacePlugins } from '../user-plugins/index.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { ConfigError } from '../config/errors.js';
import { isPlainObject } from '../core/json.js';
import { readTopFile, resolveOperation, resolveOptimization, resolveVariantTest, type LoadOptions, type ResolveOptions } from './load.js';
import { DEFAULT_OPERATION_MEMORY_MB, DEFAULT_OPERATION_SECONDS, ParallelConfigSchema } from '../config/schemas.js';
import { resolveWalkForward } from './walk-forward.js';

/*
 * A submission runs the workspace's plugin code for the first time (loading the files, the dry runs
 * and the contract checks of src/intake/load.ts), and the CLI or API that submits must survive
 * whatever that code does. So, when the workspace has plugins, the submission is first loaded in a
 * thread of its own (src/intake/probe-thread.ts) with the sweep's memory ceiling, no environment and
 * its max_operation_seconds; only when that succeeds is it loaded here, with the plugins evaluated
 * in this process for validation and the checks not run again (docs/plugins.md, "How plugin code
 * is contained").
 */

export type SubmissionKind = 'operation' | 'optimization' | 'variant_test' | 'walk_forward';

export interface ProbeJob {
  kind: SubmissionKind;
  doc: unknown;
  opts: Omit<ResolveOptions, 'plugins'>;
  bundle: PluginBundle;
  seconds: number;
}

/** Loads a submission of `kind` (what both the thread and the caller do). */
export function resolveSubmission(kind: SubmissionKind, doc: unknown, opts: ResolveOptions): unknown {
  switch (kind) {
    case 'operation':
      return resolveOperation(doc, opts);
    case 'optimization':
      return resolveOptimization(doc, opts);
    case 'variant_test':
      return resolveVariantTest(doc, opts);
    case 'walk_forward':
      return resolveWalkForward(doc, opts);
  }
}

/**
 * The bundle's plugins, each file first loaded on its own within `seconds`, so that a file whose top
 * level never returns is named (run in a contained thread: src/intake/probe-thread.ts,
 * src/cli/run-operation-thread.ts). `stage` hears each step; the last one names the plugins and,
 * when there is one file, it (else `file`, the document).
 */
export function loadPluginsStepwise(bundle: PluginBundle, seconds: number, stage: (stage: Stage) => void, file: string): WorkspacePlugins & { stage: Stage } {
  const { files } = JSON.parse(bundle.text) as { files: BundledFile[] };
  for (const one of files) {
    stage({ file: one.file, who: 'its code', doing: 'it was loaded' });
    if (!withinSeconds(seconds, () => pluginSetFromBundle(bundleText([one])))) {
      throw new ConfigError(one.file, '', `did not finish loading within ${seconds} s (parallel_config.max_operation_seconds); does code at its top level never return?`);
    }
  }
  const set = pluginSetFromBundle(bundle);
  const names = [...set.byName.values()].filter((d) => !BUILTIN_PLUGINS.byName.has(d.name)).map((d) => d.name);
  return { set, bundle, stage: { file: files.length === 1 ? files[0]!.file : file, who: pluginsWho(names), doing: 'it ran' } };
}

/**
 * `opts` with the workspace's plugins, once the submission `doc` loaded in a contained thread; a
 * ConfigError when it did not (naming the plugin file, or the plugins and what they were doing).
 * `limits` overrides the document's parallel_config (run-operation's flags).
 */
export async function probedOptions(kind: SubmissionKind, doc: unknown, opts: ResolveOptions, limits: Partial<Limits> = {}): Promise<ResolveOptions> {
  if (opts.plugins) return opts;
  const bundle = bundleWorkspacePlugins(opts.dataRoot);
  if (!bundle) return { ...opts, plugins: { set: BUILTIN_PLUGINS, bundle: null } };
  const { seconds, memoryMb } = { ...limitsOf(kind, doc), ...limits };
  const job: ProbeJob = { kind, doc, opts: { file: opts.file, baseDir: opts.baseDir, dataRoot: opts.dataRoot }, bundle, seconds };
  await runContainedJob(threadEntry(import.meta.url, 'probe-thread'), job, {
    memoryMb,
    limitMs: jobLimitMs(bundle, seconds),
    stage: { file: opts.file, who: 'plugin code', doing: 'its thread started' },
  });
  return { ...opts, plugins: { set: pluginSetFromBundle(bundle), bundle }, pluginsChecked: true };
}

/** probedOptions for a file named on the command line: LoadOptions for the file's own loader. */
export async function probedFile(kind: SubmissionKind, file: string, dataRoot: string, limits: Partial<Limits> = {}): Promise<LoadOptions> {
  const { doc, options } = readTopFile(file, { dataRoot });
  const { plugins, pluginsChecked } = await probedOptions(kind, doc, options, limits);
  return { dataRoot, plugins, pluginsChecked };
}

export interface Limits {
  seconds: number;
  memoryMb: number;
}

/**
 * The time and memory bounds a document sets in its parallel_config (defaults when it sets none or
 * sets them wrong: the thread's load then says what is wrong). A walk-forward's come from its
 * inline base optimization; an operation has none.
 */
function limitsOf(kind: SubmissionKind, doc: unknown): Limits {
  const top = (kind === 'walk_forward' ? field(field(doc, 'walk_forward_config'), 'base_optimization') : field(doc, `${kind === 'variant_test' ? 'variant' : kind}_config`)) ?? {};
  const parsed = ParallelConfigSchema.safeParse(field(top, 'parallel_config') ?? {});
  return parsed.success
    ? { seconds: parsed.data.max_operation_seconds, memoryMb: parsed.data.max_operation_memory_mb }
    : { seconds: DEFAULT_OPERATION_SECONDS, memoryMb: DEFAULT_OPERATION_MEMORY_MB };
}

function field(doc: unknown, key: string): unknown {
  return isPlainObject(doc) ? doc[key] : undefined;
}

/**
 * Every step of a contained job that runs plugin code is bounded by `seconds` inside its thread;
 * this bounds the thread as a whole (its start, each file's load, the runs), generously.
 */
export function jobLimitMs(bundle: PluginBundle, seconds: number): number {
  return (seconds * (3 + (JSON.parse(bundle.text) as { files: unknown[] }).files.length) + 10) * 1000;
}
