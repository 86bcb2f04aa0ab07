import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { fsReason, pathTextProblem, quotePath } from './files.js';

/**
 * Resolves `path` (relative to baseDir, or absolute) and confines it to dataRoot, following
 * symlinks (realpath): a path or a link leading outside the root, or a missing file, is a
 * ConfigError(file, field, reason) naming the offending path in quotes. Returns the absolute real path.
 *
 * Confinement is judged on the real path, so `../` tricks and symlinks pointing out are both caught,
 * while a symlink inside the root that stays inside is fine. Only regular files are accepted.
 */
export function resolveDataPath(opts: { dataRoot: string; baseDir: string; path: string; file: string; field: string }): string {
  const { file, field } = opts;
  const fail = (reason: string) => new ConfigError(file, field, `${quotePath(opts.path)} ${reason}`);
  const problem = pathTextProblem(opts.path);
  if (problem) throw fail(problem);
  const root = realRoot(opts.dataRoot, file, field);
  const wanted = path.resolve(opts.baseDir, opts.path);
  // Messages show paths relative to the data root only: an API caller must not learn the server's layout.
  const outside = () => fail('lies outside the data root (the workspace); every file a sweep reads must be inside it');

  let real: string;
  try {
    real = fs.realpathSync(wanted);
  } catch (error) {
    // Say "outside" before "missing": where a path points is the bigger mistake.
    if (!isInside(root, wanted) && !isInside(path.resolve(opts.dataRoot), wanted)) throw outside();
    const reason = fsReason(error);
    if (reason === null) throw error;
    const relative = insideRelative(root, wanted) ?? insideRelative(path.resolve(opts.dataRoot), wanted);
    throw fail(relative !== null && relative !== opts.path ? `${reason} (looked for "${relative}" in the data root)` : reason);
  }
  if (!isInside(root, real)) throw outside();
  if (!fs.statSync(real).isFile()) throw fail('is not a file');
  return real;
}

/** `target` relative to `root` with `/` separators, or null when it is not inside. */
function insideRelative(root: string, target: string): string | null {
  return isInside(root, target) ? path.relative(root, target).split(path.sep).join('/') : null;
}

/**
 * `abs` (a real path inside the data root) relative to the real data root, with `/` separators: how
 * files are named wherever the server's layout must not show (messages, workflow inputs, the UI).
 */
export function rootRelative(dataRoot: string, abs: string): string {
  return path.relative(fs.realpathSync(dataRoot), abs).split(path.sep).join('/');
}

/** The data root: SWEEPLAB_DATA_ROOT, or the working directory, as a real path. */
export function dataRootFromEnv(): string {
  const configured = process.env.SWEEPLAB_DATA_ROOT;
  if (!configured) return fs.realpathSync(process.cwd());
  return realRoot(configured, 'SWEEPLAB_DATA_ROOT', '');
}

function realRoot(dataRoot: string, file: string, field: string): string {
  try {
    const real = fs.realpathSync(dataRoot);
    if (fs.statSync(real).isDirectory()) return real;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP' && code !== 'EACCES') throw error;
  }
  throw new ConfigError(file, field, `the data root "${dataRoot}" is not an existing directory`);
}

/** True when `target` is `root` itself or below it (both absolute, normalised). */
function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}
