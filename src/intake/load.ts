import fs from 'node:fs';
import path from 'node:path';
import { checkCsvSize } from '../data/csv.js';
import { readFileLimited } from '../data/files.js';
import { resolveDataPath, rootRelative } from '../data/paths.js';
import { loadBars, sha256File } from '../data/load.js';
import { runBacktest } from '../engine/index.js';
import { userPluginsIn } from '../engine/plugins/registry.js';
import { checkUserPlugins } from '../user-plugins/checks.js';
import { loadWorkspacePlugins, type WorkspacePlugins } from '../user-plugins/index.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { validateWorkforce } from '../config/blueprint.js';
import { ConfigError, isConfigError, joinPath, parseWith } from '../config/errors.js';
import { buildGrid, type Grid } from '../config/grid.js';
import { operationHash } from '../config/hash.js';
import { materialize } from '../config/materialize.js';
import { applyOverrides } from '../config/overrides.js';
import type { ResolvedOperation } from '../config/resolved.js';
import {
  BlueprintSchema,
  DEFAULT_OPERATION_SECONDS,
  OperationSchema,
  OptimizationFileSchema,
  VariantFileSchema,
  WorkforceSchema,
  type Blueprint,
  type DataSource,
  type OptimizationConfig,
  type VariantConfig,
  type Workforce,
} from '../config/schemas.js';
import { checkParameterSpace, countAdmissible } from '../config/space.js';
import { MAX_YAML_BYTES, parseYaml } from './yaml.js';

/*
 * Loading the user's files: read, parse, resolve every reference (blueprint, base operation, data
 * file) inside the data root, validate against the plugins (the built-ins and the workspace's own
 * `plugins/` folder, bundled and checked here), and return plain JSON ready for a workflow. Every
 * mistake is a ConfigError naming the file, the field and the reason.
 *
 * Files named by other files are labelled in messages by their path relative to the data root
 * (what the user wrote, without exposing the server's directory layout to API callers).
 */

export interface LoadOptions {
  dataRoot: string;
  /** The workspace's plugins, when the caller loaded them already; else they are loaded from dataRoot. */
  plugins?: WorkspacePlugins;
  /** The submission already loaded with these plugins in a contained thread (src/intake/probe.ts): their checks are not run again here. */
  pluginsChecked?: boolean;
  /** How long user plugin code may run while a standalone operation is checked (run-operation's flag); a sweep's parallel_config sets it for sweeps. */
  operationSeconds?: number;
}

export interface ResolveOptions {
  /** Name of the document in messages (a path, or "request body"). */
  file: string;
  /** Directory that relative paths in the document start from; must lie inside dataRoot. */
  baseDir: string;
  dataRoot: string;
  plugins?: WorkspacePlugins;
  pluginsChecked?: boolean;
  operationSeconds?: number;
}

/**
 * ResolveOptions with the workspace's plugins loaded, and how long user plugin code may run while an
 * operation is checked (the sweep's parallel_config.max_operation_seconds).
 */
type Resolving = ResolveOptions & { plugins: WorkspacePlugins; operationSeconds: number };

function withPlugins(opts: ResolveOptions, operationSeconds = DEFAULT_OPERATION_SECONDS): Resolving {
  return { ...opts, plugins: opts.plugins ?? loadWorkspacePlugins(opts.dataRoot), operationSeconds };
}

export interface LoadedOptimization {
  file: string;
  config: OptimizationConfig;
  base: ResolvedOperation;
  grid: Grid;
  /** Combinations that satisfy `constraints.where` (all of them without one). */
  admissible: number;
  plugins: WorkspacePlugins;
  /** The hash of the workspace's plugin bundle when the sweep uses a user plugin, else null. */
  plugin_bundle: string | null;
}

export interface LoadedVariantTest {
  file: string;
  config: VariantConfig;
  base: ResolvedOperation;
  /** In file order; each workforce validated and normalized. */
  variants: Array<{ name: string; workforce: Workforce }>;
  plugins: WorkspacePlugins;
  plugin_bundle: string | null;
}

export function loadOperationFile(file: string, opts: LoadOptions): ResolvedOperation {
  const { doc, options } = readTopFile(file, opts);
  return resolveOperation(doc, options);
}

/** For API bodies and embedded documents: `doc` is the operation itself. */
export function resolveOperation(doc: unknown, opts: ResolveOptions): ResolvedOperation {
  return resolveOperationAt(doc, withPlugins(opts, opts.operationSeconds), '');
}

export function loadOptimizationFile(file: string, opts: LoadOptions): LoadedOptimization {
  const { doc, options } = readTopFile(file, opts);
  return resolveOptimization(doc, options);
}

export function resolveOptimization(doc: unknown, options: ResolveOptions): LoadedOptimization {
  const config = parseWith(OptimizationFileSchema, doc, options.file).optimization_config;
  const opts = withPlugins(options, config.parallel_config.max_operation_seconds);
  const { file, plugins } = opts;
  const base = resolveBaseOperation(config.base_operation, opts, 'optimization_config.base_operation');
  checkParameterSpace(config, base, file, plugins.set);
  const grid = buildGrid(config.parameter_space);
  const admissible = countAdmissible(config, base, grid, file, plugins.set);
  return { file, config, base, grid, admissible, plugins, plugin_bundle: bundleUsedBy([base.blueprint.workforce], plugins) };
}

export function loadVariantFile(file: string, opts: LoadOptions): LoadedVariantTest {
  const { doc, options } = readTopFile(file, opts);
  return resolveVariantTest(doc, options);
}

export function resolveVariantTest(doc: unknown, options: ResolveOptions): LoadedVariantTest {
  const config = parseWith(VariantFileSchema, doc, options.file).variant_config;
  const opts = withPlugins(options, config.parallel_config.max_operation_seconds);
  const { file, plugins } = opts;
  const base = resolveBaseOperation(config.base_operation, opts, 'variant_config.base_operation');
  const variants = config.variants.map((variant, i) => {
    const field = joinPath('variant_config', 'variants', i, 'overrides');
    const merged = applyOverrides(base.blueprint.workforce, variant.overrides, file, field);
    const workforce = validateWorkforce(parseWith(WorkforceSchema, merged, file, field), file, field, plugins.set);
    dryRun(base, workforce, opts, file, field);
    return { name: variant.name, workforce };
  });
  // Results are keyed by what an operation computes; two variants that compute the same would share
  // one row, so the race would silently show one runner fewer.
  const seen = new Map<string, string>();
  variants.forEach((variant, i) => {
    const hash = operationHash(materialize(base, variant.workforce, variant.name, plugins.set), plugins.set);
    const twin = seen.get(hash);
    if (twin !== undefined) {
      throw new ConfigError(file, joinPath('variant_config', 'variants', i, 'overrides'), `makes variant "${variant.name}" the same operation as "${twin}"; a race needs different runners`);
    }
    seen.set(hash, variant.name);
  });
  return { file, config, base, variants, plugins, plugin_bundle: bundleUsedBy(variants.map((v) => v.workforce), plugins) };
}

/** A sweep carries the bundle only when it runs user code, so built-in sweeps need no fetch. */
function bundleUsedBy(workforces: Workforce[], plugins: WorkspacePlugins): string | null {
  return workforces.some((w) => userPluginsIn(w, plugins.set).length > 0) ? plugins.bundle!.hash : null;
}

function resolveBaseOperation(base: unknown, opts: Resolving, field: string): ResolvedOperation {
  if (typeof base !== 'string') return resolveOperationAt(base, opts, field);
  const { doc, options } = readReferencedFile(base, opts, field);
  return resolveOperationAt(doc, options, '');
}

/** The YAML file a document names at `field` (relative to the document), and how to resolve inside it. */
export function readReferencedFile<O extends ResolveOptions>(reference: string, opts: O, field: string): { doc: unknown; options: O } {
  const abs = resolveDataPath({ dataRoot: opts.dataRoot, baseDir: opts.baseDir, path: reference, file: opts.file, field });
  const label = rootRelative(opts.dataRoot, abs);
  return { doc: readYamlFile(abs, label), options: { ...opts, file: label, baseDir: path.dirname(abs) } };
}

/** Resolves an operation document found at `prefix` inside `opts.file`. */
function resolveOperationAt(doc: unknown, opts: Resolving, prefix: string): ResolvedOperation {
  const { file, baseDir, dataRoot, plugins } = opts;
  const op = parseWith(OperationSchema, doc, file, prefix);
  // The schema guarantees an active link; the first one runs (one link per operation: docs/formats.md).
  const linkIndex = op.strategy_links.findIndex((link) => link.is_active);
  const link = op.strategy_links[linkIndex];
  const linkField = joinPath(prefix, 'strategy_links', linkIndex, 'strategy_blueprint');

  let blueprint: Blueprint;
  if (typeof link.strategy_blueprint === 'string') {
    const abs = resolveDataPath({ dataRoot, baseDir, path: link.strategy_blueprint, file, field: linkField });
    const label = rootRelative(dataRoot, abs);
    const parsed = parseWith(BlueprintSchema, readYamlFile(abs, label), label);
    blueprint = { ...parsed, workforce: validateWorkforce(parsed.workforce, label, 'workforce', plugins.set) };
  } else {
    const inline = link.strategy_blueprint;
    blueprint = { ...inline, workforce: validateWorkforce(inline.workforce, file, joinPath(linkField, 'workforce'), plugins.set) };
  }
  if (op.plugin_code) checkPluginCode(op.plugin_code, blueprint.workforce, plugins, file, joinPath(prefix, 'plugin_code'));

  const environment = op.environments[link.execution_environment];
  const dataSourceId = environment.data_source;
  const dataSourceField = joinPath(prefix, 'data_sources', dataSourceId);
  const dataSource = resolveDataSource(op.data_sources[dataSourceId], opts, dataSourceField);
  checkCsvBars(dataSource, environment, opts, dataSourceField);
  const resolved = {
    display_name: op.display_name,
    blueprint,
    environment_id: link.execution_environment,
    environment,
    data_source_id: dataSourceId,
    data_source: dataSource,
  };
  const blueprintAt = typeof link.strategy_blueprint === 'string'
    ? { file: rootRelative(dataRoot, resolveDataPath({ dataRoot, baseDir, path: link.strategy_blueprint, file, field: linkField })), field: '' }
    : { file, field: linkField };
  dryRun(resolved, blueprint.workforce, opts, blueprintAt.file, blueprintAt.field);
  return resolved;
}

/**
 * An operation that names the plugin code it ran with (an exported or served one) replays only
 * with that very code: a file that changed or went missing since is named.
 */
function checkPluginCode(named: Record<string, string>, workforce: Workforce, plugins: WorkspacePlugins, file: string, field: string): void {
  const current = Object.fromEntries(userPluginsIn(workforce, plugins.set).map((d) => [d.source!.file, d.source!.code_hash]));
  for (const [pluginFile, hash] of Object.entries(named)) {
    const now = current[pluginFile];
    if (now === undefined) {
      throw new ConfigError(file, joinPath(field, pluginFile), `the operation ran with code from ${pluginFile}, but no plugin it names comes from that file in this workspace's plugins folder`);
    }
    if (now !== hash) {
      throw new ConfigError(
        file,
        joinPath(field, pluginFile),
        `${pluginFile} changed since this operation ran (its code hash was "${hash}", it is now "${now}"); restore that version of the file, or run the operation again to get a result for the new code`,
      );
    }
  }
  const unnamed = Object.keys(current).find((f) => !(f in named));
  if (unnamed) throw new ConfigError(file, field, `does not name ${unnamed}, whose plugin the blueprint uses; it is not the code this operation ran with`);
}

/**
 * Runs the operation once on its csv data, so what only a run can tell (too few bars for a plugin's
 * warm-up, say) is refused at load instead of failing every operation of a sweep. The bars are the
 * ones checkCsvBars just read (cached); synthetic data is left to the worker, as there, except when
 * the workforce uses a user plugin: it is held to the plugin contract (checkUserPlugins) on the
 * operation's own data, the whole series, within the sweep's
 * max_operation_seconds, so a plugin that never returns is refused instead of hanging the submission.
 * A submission whose plugins passed all this in a contained thread (src/intake/probe.ts) skips it.
 */
function dryRun(base: ResolvedOperation, workforce: Workforce, opts: Resolving, file: string, field: string): void {
  const { set } = opts.plugins;
  const userCode = userPluginsIn(workforce, set).length > 0;
  if ((base.data_source.type !== 'csv_archive' && !userCode) || (userCode && opts.pluginsChecked)) return;
  const { environment } = base;
  const bars = loadBars(base.data_source, { dataRoot: opts.dataRoot, file, field: 'data_source', start: environment.start, end: environment.end });
  try {
    if (!userCode) {
      runBacktest(bars, workforce, environment, set);
      return;
    }
    const checked = withinSeconds(opts.operationSeconds, () => {
      runBacktest(bars, workforce, environment, set);
      checkUserPlugins(bars, workforce, environment, set);
    });
    if (!checked) {
      const names = userPluginsIn(workforce, set).map((d) => `"${d.name}" (${d.source!.file})`).join(', ');
      throw new ConfigError(
        null,
        'workforce',
        `the operation did not finish within ${opts.operationSeconds} s (parallel_config.max_operation_seconds) while its user plugins ${names} were checked; does one of them never return?`,
      );
    }
  } catch (error) {
    // The engine's errors name no file (it knows the workforce, not where it was written): this one is
    // the blueprint's. A plugin's own error already names its file and line.
    if (isConfigError(error) && error.file === null) throw error.within(file, field);
    throw set.faultOf?.(error) ?? error;
  }
}

/**
 * A csv path is relative to the file naming it. A materialized operation (docs/formats.md) carries its
 * path relative to the data root instead, with the file's sha256; so when the path is not found
 * next to the file and a sha256 pins the content, the data root is tried too — the hash check
 * makes sure it is the very same data either way.
 */
function resolveDataSource(source: DataSource, opts: ResolveOptions, field: string): DataSource {
  if (source.type !== 'csv_archive') return source;
  const pathField = joinPath(field, 'path');
  const find = (baseDir: string) => resolveDataPath({ dataRoot: opts.dataRoot, baseDir, path: source.path, file: opts.file, field: pathField });
  let abs: string;
  try {
    abs = find(opts.baseDir);
  } catch (error) {
    if (!isConfigError(error) || !source.sha256) throw error;
    try {
      abs = find(opts.dataRoot);
    } catch {
      throw error;
    }
  }
  checkCsvSize(fs.statSync(abs).size, rootRelative(opts.dataRoot, abs));
  const sha256 = sha256File(abs);
  if (source.sha256 && source.sha256 !== sha256) {
    throw new ConfigError(opts.file, joinPath(field, 'sha256'), `"${source.sha256}" does not match "${source.path}" (sha256 "${sha256}"): the file changed since this was written`);
  }
  return { ...source, path: rootRelative(opts.dataRoot, abs), sha256 };
}

/**
 * A csv file's bars are read here, at the edge, not first in a worker: otherwise a file that is
 * empty, unsorted or has no bars in the environment's range would be accepted and then fail every
 * operation of a sweep. The parse is cached, so running the operation afterwards reads nothing again.
 * Synthetic data is left to the worker (generating up to 50M bars is not for an API request).
 */
function checkCsvBars(source: DataSource, environment: { start?: string; end?: string }, opts: ResolveOptions, field: string): void {
  if (source.type !== 'csv_archive') return;
  loadBars(source, { dataRoot: opts.dataRoot, file: opts.file, field, start: environment.start, end: environment.end });
}

/**
 * The file a command or request names is confined to the data root like everything it points at,
 * so a path from an API caller cannot read arbitrary files. Messages keep the path as given.
 */
export function readTopFile(file: string, opts: LoadOptions): { doc: unknown; options: ResolveOptions } {
  const abs = resolveDataPath({ dataRoot: opts.dataRoot, baseDir: process.cwd(), path: file, file, field: '' });
  return { doc: readYamlFile(abs, file), options: { file, baseDir: path.dirname(abs), dataRoot: opts.dataRoot, plugins: opts.plugins, pluginsChecked: opts.pluginsChecked, operationSeconds: opts.operationSeconds } };
}

export function readYamlFile(abs: string, label: string): unknown {
  return parseYaml(readFileLimited(abs, MAX_YAML_BYTES, label, label, ''), label);
}
