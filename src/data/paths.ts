import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';

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
  const root = realRoot(opts.dataRoot, file, field);
  const wanted = path.resolve(opts.baseDir, opts.path);
  const outside = () =>
    new ConfigError(file, field, `"${opts.path}" resolves to "${wanted}", outside the data root "${root}"`);

  let real: string;
  try {
    real = fs.realpathSync(wanted);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Say "outside" before "missing": where a path points is the bigger mistake.
    if (!isInside(root, wanted) && !isInside(path.resolve(opts.dataRoot), wanted)) throw outside();
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ConfigError(file, field, `"${opts.path}" does not exist (looked for "${wanted}")`);
    if (code === 'ELOOP') throw new ConfigError(file, field, `"${opts.path}" is a symlink loop`);
    if (code === 'EACCES') throw new ConfigError(file, field, `"${opts.path}" is not readable (permission denied)`);
    throw error;
  }
  if (!isInside(root, real)) {
    throw new ConfigError(file, field, `"${opts.path}" resolves to "${real}", outside the data root "${root}"`);
  }
  if (!fs.statSync(real).isFile()) throw new ConfigError(file, field, `"${opts.path}" is not a file (resolved "${real}")`);
  return real;
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
