import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The repository root: bin/sweeplab.mjs and examples/ live here. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(repoRoot, 'bin', 'sweeplab.mjs');

export interface CliRun {
  /** Exit code; null when the process was killed (by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /** A process group of its own, so a signal to `-child.pid` reaches it as a terminal's Ctrl-C would. */
  group?: boolean;
}

/**
 * Runs `sweeplab <args>` as a user would (a new Node process through bin/sweeplab.mjs) and collects
 * its output. Killed after `timeoutMs`, so a hang shows as code null instead of a stuck test.
 */
export function runCli(args: string[], opts: RunOptions): Promise<CliRun> {
  return startProcess(process.execPath, [BIN, ...args], opts).result;
}

/** `sweeplab <args>` from the repository's bin, left running: the caller signals `child` to stop it. */
export function startCli(args: string[], opts: RunOptions): { child: ChildProcess; result: Promise<CliRun> } {
  return startProcess(process.execPath, [BIN, ...args], opts);
}

/**
 * Any command, its stdout and stderr read through pipes (as `| cat` would: output that a process
 * cuts at exit shows up cut here too).
 */
export function startProcess(file: string, args: string[], opts: RunOptions): { child: ChildProcess; result: Promise<CliRun> } {
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: { ...process.env, SWEEPLAB_DEBUG: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    detached: opts.group ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
  return { child, result };
}

/** Resolves once the running process has printed `text` on stdout; rejects if it exits first. */
export function printed(child: ChildProcess, text: string, result: Promise<CliRun>): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes(text)) resolve();
    });
    void result.then((run) => reject(new Error(`exited (${run.code}) before printing "${text}":\n${run.stdout}\n${run.stderr}`)));
  });
}
