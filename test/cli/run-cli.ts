import { spawn } from 'node:child_process';
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

/**
 * Runs `sweeplab <args>` as a user would (a new Node process through bin/sweeplab.mjs) and collects
 * its output. Killed after `timeoutMs`, so a hang shows as code null instead of a stuck test.
 */
export function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, SWEEPLAB_DEBUG: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}
