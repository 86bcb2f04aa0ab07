import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './stack.js';

/*
 * Start time of the CLI as a user runs it: `sweeplab --help` of the compiled package, laid out as
 * npm installs it (bin/sweeplab.mjs beside dist/ and no src/, so the bin takes the compiled path),
 * next to a bare `node -e ''` and to the repository's own bin running the sources through tsx.
 * Median of RUNS wall times each, interleaved so a busy moment of the machine hits all three alike.
 * Target: ≤ 300 ms for the package.
 */

const RUNS = 15;

function wallMs(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCli(): Promise<Record<string, number | string>> {
  // The compiled code, as `npm pack` builds it (scripts/build.ts; the workflow bundle plays no part in --help).
  const build = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'build.ts')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('scripts/build.ts failed');
  const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-cli-'));
  try {
    fs.cpSync(path.join(repoRoot, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(path.join(repoRoot, 'dist'), path.join(pkg, 'dist'));
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'));
    const packed = [path.join(pkg, 'bin', 'sweeplab.mjs'), '--help'];
    const source = [path.join(repoRoot, 'bin', 'sweeplab.mjs'), '--help'];
    const times = { bare: [] as number[], packed: [] as number[], source: [] as number[] };
    wallMs(packed); // the first run reads the files from disk; a user's every later start does not
    for (let i = 0; i < RUNS; i++) {
      times.bare.push(wallMs(['-e', '']));
      times.packed.push(wallMs(packed));
      times.source.push(wallMs(source));
    }
    return {
      runs: RUNS,
      node_bare_ms: Math.round(median(times.bare)),
      help_packed_ms: Math.round(median(times.packed)),
      // On a busy machine every start is slower; what the CLI adds to Node's own start is this.
      help_packed_minus_bare_ms: Math.round(median(times.packed.map((t, i) => t - times.bare[i]!))),
      help_source_tsx_ms: Math.round(median(times.source)),
      target_ms: 300,
    };
  } finally {
    fs.rmSync(pkg, { recursive: true, force: true });
  }
}
