import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

/*
 * File-system mistakes as user errors. Every path sweeplab touches comes from a user (a YAML field,
 * a flag, an environment variable), so a failing call is reported as one ConfigError naming that
 * source and the path as the user wrote it, with the reason in words: never Node's raw message,
 * which carries the server's absolute path, and never a RangeError for a file too large to read.
 */

/** Linux limits (PATH_MAX, NAME_MAX), checked before any call so the kernel never sees such a path. */
const MAX_PATH_BYTES = 4_096;
const MAX_NAME_BYTES = 255;

/** A path in quotes for a message, control characters (a NUL, a newline) escaped as \uXXXX. */
export function quotePath(text: string): string {
  return `"${text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** Why `text` cannot be a path at all, or null. */
export function pathTextProblem(text: string): string | null {
  if (text.includes('\0')) return 'contains a NUL byte, which no path may hold';
  if (Buffer.byteLength(text) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES.toLocaleString('en-US')} bytes, more than a path may be`;
  const long = text.split(/[/\\]/).find((name) => Buffer.byteLength(name) > MAX_NAME_BYTES);
  if (long !== undefined) return `has a name of ${Buffer.byteLength(long)} bytes ("${long.slice(0, 20)}…"); a file name may have at most ${MAX_NAME_BYTES}`;
  return null;
}

/** The reason a file-system call failed, in words (no path: the caller names it as the user wrote it). */
export function fsReason(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'goes through something that is not a directory';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'is not accessible (permission denied)';
    case 'ELOOP':
      return 'is a symlink loop';
    case 'ENAMETOOLONG':
      return 'is too long for the file system';
    case 'EROFS':
      return 'is on a read-only file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'cannot be written: the disk is full';
    case 'EEXIST':
      return 'already exists and is not a directory';
    case 'EMFILE':
    case 'ENFILE':
      return 'cannot be opened: too many open files';
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_INVALID_ARG_TYPE':
      return 'is not a valid path';
    case 'ERR_FS_FILE_TOO_LARGE':
      return 'is larger than 2 GiB, more than one file may have';
    default:
      return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? `cannot be used (${code})` : null;
  }
}

/** A ConfigError for a failed file-system call, or the error itself when it is not one (a bug). */
export function fsError(error: unknown, shown: string, file: string, field: string): unknown {
  const reason = fsReason(error);
  return reason === null ? error : new ConfigError(file, field, `"${shown}" ${reason}`);
}

/**
 * Reads a whole file, refusing one over `maxBytes` before reading it (Node cannot read a file over
 * 2 GiB into one buffer at all, and would say so without naming it).
 */
export function readFileLimited(abs: string, maxBytes: number, shown: string, file: string, field: string): Buffer {
  try {
    const fd = fs.openSync(abs, 'r');
    try {
      const { size } = fs.fstatSync(fd);
      if (size > maxBytes) {
        throw new ConfigError(file, field, `"${shown}" is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} a file may have here`);
      }
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw fsError(error, shown, file, field);
  }
}

/**
 * Makes `dir` and its missing parents, one level at a time. Not `mkdirSync(…, { recursive: true })`:
 * on paths under /proc it loops forever at full CPU (ENOENT from a parent that stat says exists).
 */
export function ensureDirectory(dir: string, shown: string, file: string, field: string): void {
  const problem = pathTextProblem(dir);
  if (problem) throw new ConfigError(file, field, `${quotePath(shown)} ${problem}`);
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(error, shown, file, field);
    }
    if (stat) {
      if (!stat.isDirectory()) {
        // Only `dir` itself can be the file: below a file, stat fails with ENOTDIR first.
        throw new ConfigError(file, field, `${quotePath(shown)} cannot be a directory: it is a file`);
      }
      break;
    }
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(level).isDirectory()) continue;
      const reason = fsReason(error);
      if (reason === null) throw error;
      throw new ConfigError(file, field, `"${shown}" cannot be created: ${reason === 'does not exist' ? 'its parent directory does not accept new entries' : reason.replace(/^is /, 'it is ')}`);
    }
  }
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes.toLocaleString('en-US')} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
