import fs from 'node:fs';
import path from 'node:path';
import { resolveDataPath, rootRelative } from '../data/paths.js';
import { loadBars, sha256File } from '../data/load.js';
import { runBacktest } from '../engine/index.js';
import { validateWorkforce } from './blueprint.js';
import { ConfigError, isConfigError, joinPath, parseWith } from './errors.js';
import { buildGrid, type Grid } from './grid.js';
import { operationHash } from './hash.js';
import { materialize } from './materialize.js';
import { applyOverrides } from './overrides.js';
import type { ResolvedOperation } from './resolved.js';
import {
  BlueprintSchema,
  OperationSchema,
  OptimizationFileSchema,
  VariantFileSchema,
  WorkforceSchema,
  type Blueprint,
  type DataSource,
  type OptimizationConfig,
  type VariantConfig,
  type Workforce,
} from './schemas.js';
import { checkParameterSpace, countAdmissible } from './space.js';
import { parseYaml } from './yaml.js';

/*
 * Loading the user's files: read, parse, resolve every reference (blueprint, base operation, data
 * file) inside the data root, validate against the plugin registry, and return plain JSON ready for
 * a workflow. Every mistake is a ConfigError naming the file, the field and the reason.
 *
 * Files named by other files are labelled in messages by their path relative to the data root
 * (what the user wrote, without exposing the server's directory layout to API callers).
 */

export interface LoadOptions {
  dataRoot: string;
}

export interface ResolveOptions {
  /** Name of the document in messages (a path, or "request body"). */
  file: string;
  /** Directory that relative paths in the document start from; must lie inside dataRoot. */
  baseDir: string;
  dataRoot: string;
}

export interface LoadedOptimization {
  file: string;
  config: OptimizationConfig;
  base: ResolvedOperation;
  grid: Grid;
  /** Combinations that satisfy `constraints.where` (all of them without one). */
  admissible: number;
}

export interface LoadedVariantTest {
  file: string;
  config: VariantConfig;
  base: ResolvedOperation;
  /** In file order; each workforce validated and normalized. */
  variants: Array<{ name: string; workforce: Workforce }>;
}

export function loadOperationFile(file: string, opts: LoadOptions): ResolvedOperation {
  const { doc, options } = readTopFile(file, opts);
  return resolveOperation(doc, options);
}

/** For API bodies and embedded documents: `doc` is the operation itself. */
export function resolveOperation(doc: unknown, opts: ResolveOptions): ResolvedOperation {
  return resolveOperationAt(doc, opts, '');
}

export function loadOptimizationFile(file: string, opts: LoadOptions): LoadedOptimization {
  const { doc, options } = readTopFile(file, opts);
  return resolveOptimization(doc, options);
}

export function resolveOptimization(doc: unknown, opts: ResolveOptions): LoadedOptimization {
  const { file } = opts;
  const config = parseWith(OptimizationFileSchema, doc, file).optimization_config;
  const base = resolveBaseOperation(config.base_operation, opts, 'optimization_config.base_operation');
  checkParameterSpace(config, base, file);
  const grid = buildGrid(config.parameter_space);
  const admissible = countAdmissible(config, base, grid, file);
  return { file, config, base, grid, admissible };
}

export function loadVariantFile(file: string, opts: LoadOptions): LoadedVariantTest {
  const { doc, options } = readTopFile(file, opts);
  return resolveVariantTest(doc, options);
}

export function resolveVariantTest(doc: unknown, opts: ResolveOptions): LoadedVariantTest {
  const { file } = opts;
  const config = parseWith(VariantFileSchema, doc, file).variant_config;
  const base = resolveBaseOperation(config.base_operation, opts, 'variant_config.base_operation');
  const variants = config.variants.map((variant, i) => {
    const field = joinPath('variant_config', 'variants', i, 'overrides');
    const merged = applyOverrides(base.blueprint.workforce, variant.overrides, file, field);
    const workforce = validateWorkforce(parseWith(WorkforceSchema, merged, file, field), file, field);
    dryRun(base, workforce, opts.dataRoot, file, field);
    return { name: variant.name, workforce };
  });
  // Results are keyed by what an operation computes; two variants that compute the same would share
  // one row, so the race would silently show one runner fewer.
  const seen = new Map<string, string>();
  variants.forEach((variant, i) => {
    const hash = operationHash(materialize(base, variant.workforce, variant.name));
    const twin = seen.get(hash);
    if (twin !== undefined) {
      throw new ConfigError(file, joinPath('variant_config', 'variants', i, 'overrides'), `makes variant "${variant.name}" the same operation as "${twin}"; a race needs different runners`);
    }
    seen.set(hash, variant.name);
  });
  return { file, config, base, variants };
}

function resolveBaseOperation(base: unknown, opts: ResolveOptions, field: string): ResolvedOperation {
  if (typeof base !== 'string') return resolveOperationAt(base, opts, field);
  const { doc, options } = readReferencedFile(base, opts, field);
  return resolveOperationAt(doc, options, '');
}

/** The YAML file a document names at `field` (relative to the document), and how to resolve inside it. */
export function readReferencedFile(reference: string, opts: ResolveOptions, field: string): { doc: unknown; options: ResolveOptions } {
  const abs = resolveDataPath({ dataRoot: opts.dataRoot, baseDir: opts.baseDir, path: reference, file: opts.file, field });
  const label = rootRelative(opts.dataRoot, abs);
  return { doc: readYamlFile(abs, label), options: { file: label, baseDir: path.dirname(abs), dataRoot: opts.dataRoot } };
}

/** Resolves an operation document found at `prefix` inside `opts.file`. */
function resolveOperationAt(doc: unknown, opts: ResolveOptions, prefix: string): ResolvedOperation {
  const { file, baseDir, dataRoot } = opts;
  const op = parseWith(OperationSchema, doc, file, prefix);
  // The schema guarantees an active link; the first one runs (DESIGN §2: one link per operation).
  const linkIndex = op.strategy_links.findIndex((link) => link.is_active);
  const link = op.strategy_links[linkIndex];
  const linkField = joinPath(prefix, 'strategy_links', linkIndex, 'strategy_blueprint');

  let blueprint: Blueprint;
  if (typeof link.strategy_blueprint === 'string') {
    const abs = resolveDataPath({ dataRoot, baseDir, path: link.strategy_blueprint, file, field: linkField });
    const label = rootRelative(dataRoot, abs);
    const parsed = parseWith(BlueprintSchema, readYamlFile(abs, label), label);
    blueprint = { ...parsed, workforce: validateWorkforce(parsed.workforce, label, 'workforce') };
  } else {
    const inline = link.strategy_blueprint;
    blueprint = { ...inline, workforce: validateWorkforce(inline.workforce, file, joinPath(linkField, 'workforce')) };
  }

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
  dryRun(resolved, blueprint.workforce, opts.dataRoot, blueprintAt.file, blueprintAt.field);
  return resolved;
}

/**
 * Runs the operation once on its csv data, so what only a run can tell (too few bars for a plugin's
 * warm-up, say) is refused at load instead of failing every operation of a sweep. The bars are the
 * ones checkCsvBars just read (cached); synthetic data is left to the worker, as there.
 */
function dryRun(base: ResolvedOperation, workforce: Workforce, dataRoot: string, file: string, field: string): void {
  if (base.data_source.type !== 'csv_archive') return;
  const { environment } = base;
  const bars = loadBars(base.data_source, { dataRoot, file, field: 'data_source', start: environment.start, end: environment.end });
  try {
    runBacktest(bars, workforce, environment);
  } catch (error) {
    if (isConfigError(error)) throw new ConfigError(file, joinPath(field, error.field), error.reason);
    throw error;
  }
}

/**
 * A csv path is relative to the file naming it. A materialized operation (DESIGN §2) carries its
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
  try {
    loadBars(source, { dataRoot: opts.dataRoot, file: opts.file, field, start: environment.start, end: environment.end });
  } catch (error) {
    // The parser names the csv by its real path; the user knows it by its path in the workspace.
    const abs = path.join(fs.realpathSync(opts.dataRoot), source.path);
    if (isConfigError(error) && error.file === abs) throw new ConfigError(source.path, error.field, error.reason);
    throw error;
  }
}

/**
 * The file a command or request names is confined to the data root like everything it points at,
 * so a path from an API caller cannot read arbitrary files. Messages keep the path as given.
 */
export function readTopFile(file: string, opts: LoadOptions): { doc: unknown; options: ResolveOptions } {
  const abs = resolveDataPath({ dataRoot: opts.dataRoot, baseDir: process.cwd(), path: file, file, field: '' });
  return { doc: readYamlFile(abs, file), options: { file, baseDir: path.dirname(abs), dataRoot: opts.dataRoot } };
}

function readYamlFile(abs: string, label: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(label, '', `file not found ("${abs}")`);
    if (code === 'EISDIR') throw new ConfigError(label, '', 'is a directory, not a YAML file');
    if (code === 'EACCES') throw new ConfigError(label, '', 'is not readable (permission denied)');
    throw error;
  }
  return parseYaml(bytes, label);
}
