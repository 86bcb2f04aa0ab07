import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_VERSION } from './engine/results-version.js';
import { packageInfo, packageRoot } from './package.js';

/*
 * The code version of this process: what every operation row it computes records (docs/store.md,
 * "Code versions") and the build its worker runs sweeps on (docs/deploy.md, "One build per sweep").
 */

export interface CodeVersion {
  /** src/engine/results-version.ts: equal numbers compute equal results. */
  results_version: number;
  /** sweeplab's package.json version. */
  package_version: string;
  /** The worker build (Temporal Worker Versioning): SWEEPLAB_BUILD_ID, else `<version>+r<results version>+<code hash>`. */
  build_id: string;
}

let memo: CodeVersion | undefined;

/** This process's code version (read once; SWEEPLAB_BUILD_ID is read at the first call). */
export function codeVersion(): CodeVersion {
  memo ??= {
    results_version: RESULTS_VERSION,
    package_version: packageInfo().version,
    build_id: process.env.SWEEPLAB_BUILD_ID || defaultBuildId(),
  };
  return memo;
}

/**
 * `<package version>+r<results version>+<code hash>`: equal for every process started from the same
 * code (the same checkout, or the same installed package), different when any of the code changed,
 * a change that alters no result included, since the workflow code may have changed with it. The
 * package version and the results version are spelled out for the people reading the Temporal UI;
 * the hash is what makes two builds differ. A build from the TypeScript sources and one from dist/
 * differ in their hash (different files), which is right: they are different code.
 */
function defaultBuildId(): string {
  return `${packageInfo().version}+r${RESULTS_VERSION}+${codeHash().slice(0, 12)}`;
}

/** The results version a default build id names (`…+r<N>+…`); null for a build id set by hand. */
export function resultsVersionOfBuild(buildId: string): number | null {
  const match = /\+r(\d+)\+/.exec(buildId);
  return match ? Number(match[1]) : null;
}

/** What counts as a code file. */
const CODE_FILE = /\.(?:ts|js|mjs|cjs)$/;

/**
 * sha256 over the relative path and content of every code file sweeplab runs: the folder this module
 * lives in, recursively, and the worker entry point beside it (`worker.ts`, or `dist/worker.js`).
 * Type declarations are left out (they change nothing that runs). ~200 small files, read once.
 */
export function codeHash(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (CODE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  walk(here);
  for (const worker of ['worker.ts', 'worker.js']) {
    const file = path.join(path.dirname(here), worker);
    if (fs.existsSync(file)) files.push(file);
  }
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    const relative = path.relative(packageRoot, file).split(path.sep).join('/');
    const content = fs.readFileSync(file);
    hash.update(`${relative}\u0000${content.length}\u0000`).update(content);
  }
  return hash.digest('hex');
}
