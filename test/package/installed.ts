import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli-path.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { printed, repoRoot, startProcess, type CliRun } from '../cli/run-cli.js';

/*
 * sweeplab as a user gets it: `npm pack` of this repository (its prepack builds dist/), the tarball
 * installed with npm into a folder outside the repository, and `sweeplab init` run there. Packing
 * and installing take most of a minute, so a test file makes one workspace in `before` and shares
 * it; a test that changes the workspace (a plugin of its own, say) adds files rather than edits
 * the examples others read.
 */

export interface InstalledWorkspace {
  /** The workspace: the tarball, node_modules/sweeplab installed from it, and what `init` wrote. */
  dir: string;
  /** The packed tarball, inside `dir`. */
  tarball: string;
  /** The environment of a user there: no settings of the repository's tests, the Temporal CLI known. */
  env: Record<string, string>;
  /** `npx sweeplab <args>` in the workspace, its output read through pipes. */
  sweeplab(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CliRun>;
  /** A shell command line in the workspace (for `… | cat` and the like). */
  sh(line: string, opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CliRun>;
  /** `sweeplab up` on free ports, started from the workspace with `extraEnv`; resolves once it says it is up. */
  up(extraEnv?: Record<string, string>): Promise<RunningUp>;
  remove(): void;
}

export interface RunningUp {
  child: ChildProcess;
  /** What a client of this `up` sets: its Temporal address. */
  env: Record<string, string>;
  apiUrl: string;
  /** Ctrl-C as a terminal sends it (SIGINT to the process group); resolves with how it ended. */
  interrupt(): Promise<CliRun>;
}

/** Settings of the developer's shell or of other tests that would point a command away from the workspace. */
const CLEARED = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'SWEEPLAB_TASK_QUEUE', 'DATABASE_URL', 'SWEEPLAB_DATA_ROOT', 'SWEEPLAB_WORKFLOW_BUNDLE', 'TEMPORAL_UI_URL', 'SWEEPLAB_API_PORT'];

function run(file: string, args: string[], cwd: string, env: Record<string, string>): string {
  const result = spawnSync(file, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} in ${cwd}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export async function installedWorkspace(): Promise<InstalledWorkspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-installed-'));
  // The dev server binary the repository's own setup installed, so no test downloads one.
  const env: Record<string, string> = { ...Object.fromEntries(CLEARED.map((k) => [k, ''])), TEMPORAL_CLI: findTemporalCli() };
  // Its stdout has the prepack build's lines too: the tarball is the one file in the fresh folder.
  run('npm', ['pack', '--pack-destination', dir], repoRoot, {});
  const [filename] = fs.readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  const tarball = path.join(dir, filename!);
  // npm 11 runs a dependency's install script only when the project allows it (docs/cli.md, "Install it in a folder of your own").
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ allowScripts: { sweeplab: true } })}\n`);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${filename}`], dir, env);
  const sweeplab: InstalledWorkspace['sweeplab'] = (args, opts = {}) =>
    startProcess('npx', ['--no', '--', 'sweeplab', ...args], { cwd: dir, env: { ...env, ...opts.env }, timeoutMs: opts.timeoutMs ?? 300_000 }).result;
  const init = await sweeplab(['init']);
  if (init.code !== 0) throw new Error(`sweeplab init: ${init.stderr}`);
  return {
    dir,
    tarball,
    env,
    sweeplab,
    sh: (line, opts = {}) => startProcess('sh', ['-c', line], { cwd: dir, env: { ...env, ...opts.env }, timeoutMs: opts.timeoutMs ?? 300_000 }).result,
    up: (extraEnv = {}) => startUp(dir, { ...env, ...extraEnv }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function startUp(dir: string, env: Record<string, string>): Promise<RunningUp> {
  const apiPort = await freePort();
  // The dev server's UI takes the frontend's port + 1000 (`up --temporal-port`).
  let temporalPort = await freePort();
  while (!(await isFree(temporalPort + 1000))) temporalPort = await freePort();
  // The installed bin itself, as npx runs it: npm in between would add its own handling of Ctrl-C.
  const bin = path.join(dir, 'node_modules', '.bin', 'sweeplab');
  const { child, result } = startProcess(bin, ['up', '--port', String(apiPort), '--temporal-port', String(temporalPort), '--concurrency', '2'], {
    cwd: dir,
    env,
    timeoutMs: 900_000,
    group: true,
  });
  await printed(child, 'sweeplab is up', result);
  return {
    child,
    env: { TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}` },
    apiUrl: `http://127.0.0.1:${apiPort}`,
    interrupt: () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      return result;
    },
  };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
