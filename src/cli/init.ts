import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { ensureDirectory, fsError, pathTextProblem } from '../data/files.js';
import { packageInfo, packageRoot } from '../package.js';

/*
 * `sweeplab init [dir]`: a research workspace of the user's own (README "A workspace of your own").
 * It is the data root and the state folder of every command run in it: the example YAML files,
 * their data and plugins are copied from the package's examples/, the state goes to data/.
 */

/** What `npm install <sweeplab>` leaves in a folder: a workspace may be made there, around it. */
const NPM_LEFTOVERS = new Set(['node_modules', 'package.json', 'package-lock.json']);
const isNpmLeftover = (name: string) => NPM_LEFTOVERS.has(name) || name.endsWith('.tgz');

export function initCommand(dir: string): number {
  const target = folder(dir);
  refuseUnlessEmpty(dir, target);
  ensureDirectory(target, dir, dir, '');
  const existing = readPackageJson(dir, target);
  try {
    fs.cpSync(path.join(packageRoot, 'examples'), target, { recursive: true });
    writePackageJson(target, existing);
    fs.writeFileSync(path.join(target, '.gitignore'), GITIGNORE);
    fs.writeFileSync(path.join(target, 'README.md'), workspaceReadme(path.basename(target)));
  } catch (error) {
    throw fsError(error, dir, dir, '');
  }
  const shown = path.relative(process.cwd(), target) || '.';
  const install = fs.existsSync(path.join(target, 'node_modules', 'sweeplab')) ? '' : `  cd ${shown} && npm install\n`;
  process.stdout.write(
    `sweeplab workspace in ${target}\n` +
      `next:\n${install}` +
      `  npx sweeplab run-operation operation.yaml      # one backtest, no Temporal\n` +
      `  npx sweeplab up                                # Temporal dev server, a worker and the page\n` +
      `  npx sweeplab optimize optimization.yaml --wait # in another terminal\n`,
  );
  return 0;
}

/**
 * The folder `dir` names, through a symlink to a folder (files are copied into what it points at).
 * A symlink to nothing is refused rather than followed: where it points may not be where the user thinks.
 */
function folder(dir: string): string {
  const problem = pathTextProblem(dir);
  if (problem) throw new ConfigError(dir, '', problem);
  const target = path.resolve(dir);
  const link = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!link?.isSymbolicLink()) return target;
  try {
    return fs.realpathSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(dir, '', 'is a symlink to something that does not exist; make the folder it names first, or give sweeplab init a folder');
    throw fsError(error, dir, dir, '');
  }
}

function refuseUnlessEmpty(dir: string, target: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new ConfigError(dir, '', `is a file, not a folder; sweeplab init makes a workspace in an empty or new folder`);
    throw fsError(err, dir, dir, '');
  }
  const taken = entries.filter((name) => !isNpmLeftover(name)).sort();
  if (taken.length === 0) return;
  const listed = taken.slice(0, 3).map((n) => `"${n}"`).join(', ') + (taken.length > 3 ? ` and ${taken.length - 3} more` : '');
  throw new ConfigError(
    dir,
    '',
    `is not empty (it holds ${listed}); sweeplab init makes a workspace only in an empty or new folder, or one holding nothing but what npm install left (node_modules, package.json, package-lock.json, *.tgz), so it never overwrites your files`,
  );
}

/**
 * A new package.json depending on sweeplab as the running copy came: a tarball or folder keeps that
 * file: spec (re-based to the workspace), the repository is depended on as a folder, and a copy from
 * the registry as `^<version>`. A package.json that npm install left is kept, spec and all, and gets
 * what is missing.
 */
function writePackageJson(target: string, existing: Record<string, any> | null): void {
  const file = path.join(target, 'package.json');
  const pkg = existing ?? { name: npmName(path.basename(target)), version: '0.1.0' };
  // The example plugins are ES modules, as sweeplab is.
  pkg.private ??= true;
  pkg.type ??= 'module';
  pkg.scripts = { start: 'sweeplab up', ...pkg.scripts };
  // npm 11 runs a dependency's install script (sweeplab's sets up the Temporal CLI) only when allowed.
  pkg.allowScripts = { sweeplab: true, ...pkg.allowScripts };
  if (!pkg.dependencies?.sweeplab && !pkg.devDependencies?.sweeplab) pkg.dependencies = { ...pkg.dependencies, sweeplab: sweeplabSpec(target) };
  fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** The package.json npm install left in the folder, read before anything is written; null when there is none. */
function readPackageJson(dir: string, target: string): Record<string, any> | null {
  const file = path.join(target, 'package.json');
  const shown = path.join(dir, 'package.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(error, shown, shown, '');
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(shown, '', `is not valid JSON (${(error as Error).message}); sweeplab init keeps the package.json npm install left and adds to it, so fix it or remove it`);
  }
  if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) throw new ConfigError(shown, '', 'is not a JSON object; sweeplab init keeps the package.json npm install left and adds to it, so fix it or remove it');
  return pkg as Record<string, any>;
}

function sweeplabSpec(target: string): string {
  const fileSpec = (abs: string) => `file:${path.relative(target, abs).split(path.sep).join('/') || '.'}`;
  if (path.basename(path.dirname(packageRoot)) !== 'node_modules') return fileSpec(packageRoot);
  // Installed: the project that installed it (a folder of the user's, or npx's cache) says how.
  const host = path.dirname(path.dirname(packageRoot));
  try {
    const { dependencies, devDependencies } = JSON.parse(fs.readFileSync(path.join(host, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const spec = dependencies?.sweeplab ?? devDependencies?.sweeplab;
    if (spec?.startsWith('file:')) return fileSpec(path.resolve(host, spec.slice('file:'.length)));
    if (spec) return spec;
  } catch {
    // No readable package.json there: the registry version below is what a user would expect.
  }
  return `^${packageInfo().version}`;
}

/** A folder name as an npm package name: lower case, url-safe characters only. */
function npmName(folder: string): string {
  return folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'research';
}

const GITIGNORE = `node_modules/
# sweeplab's state (README.md: "Where the state lives")
data/*.db
data/*.db-wal
data/*.db-shm
data/temporal.log
`;

function workspaceReadme(name: string): string {
  return `# ${name}: a sweeplab research workspace

Made by \`sweeplab init\`. This folder is the *data root* of every \`npx sweeplab …\` command run
in it: every YAML and CSV path must lie inside it, and paths in a YAML file are relative to that file.

| what | where |
|---|---|
| one backtest | \`operation.yaml\`, \`operation_hourly.yaml\` |
| a grid optimization | \`optimization.yaml\` |
| a variant race | \`variant.yaml\` |
| strategy blueprints | \`blueprints/\` |
| market data (CSV) | \`data/\` (see \`data/README.md\` for the format) |
| your own plugins | \`plugins/\` (every top-level \`.ts\`/\`.js\` file is a plugin module) |

## Run it

\`\`\`sh
npx sweeplab run-operation operation.yaml          # one backtest, a metrics table; no Temporal
npx sweeplab up                                    # Temporal dev server + worker + page (http://127.0.0.1:8787)
npx sweeplab optimize optimization.yaml --wait     # in another terminal: submit, follow, rank
npx sweeplab list                                  # every sweep, its progress and best
npx sweeplab results <id> --format csv > results.csv
npx sweeplab --help                                # every command
\`\`\`

Ctrl-C stops \`up\`; sweeps in flight carry on at the next \`npx sweeplab up\`.

## Where the state lives

All of it under \`data/\` of this folder (ignored by \`.gitignore\`):

- \`data/temporal.db\`: the Temporal dev server's database (workflows and their histories), written
  by \`sweeplab up\`; \`data/temporal.log\` is its log.
- \`data/sweeplab.db\` (with \`-wal\`, \`-shm\`): the results store (SQLite).

Stored operations name their data relative to this folder, so moving or copying the whole folder
moves everything. To keep the state elsewhere, stop \`sweeplab up\`, move the files, and point
\`DATABASE_URL\` at the store (\`sqlite:/path/to/sweeplab.db\`, or \`postgres://…\`) and
\`TEMPORAL_ADDRESS\` at a Temporal server of your own. Deleting \`data/*.db*\` starts afresh.
`;
}
