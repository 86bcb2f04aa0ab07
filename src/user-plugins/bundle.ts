import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { ConfigError } from '../config/errors.js';

const require = createRequire(import.meta.url);

/*
 * A workspace's plugin code as one self-contained text (docs/plugins.md, "How plugin code travels"):
 * every top-level `*.ts` / `*.js` file of `<data root>/plugins` bundled by esbuild with its local
 * imports into CommonJS, `sweeplab/plugin` left as an import the evaluator answers. The text names
 * files relative to the workspace only, so the same files give the same text, and the same hash,
 * on every host and in every folder.
 */

/** The module every plugin imports: left out of bundles, handed in when one is evaluated. */
export const PUBLIC_MODULE = 'sweeplab/plugin';

/** One plugin file, bundled. */
export interface BundledFile {
  /** Relative to the workspace, e.g. "plugins/zscore.ts". */
  file: string;
  /** CommonJS code of the file and its local imports. */
  code: string;
  /** Source map of `code` (sources relative to the workspace, with their content). */
  map: string;
}

/** A workspace's plugin files as stored in the results store: the JSON text and its sha256. */
export interface PluginBundle {
  hash: string;
  text: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The content hash of one bundled file: changes with any edit to the file or to a local import. */
export function fileCodeHash(file: BundledFile): string {
  return sha256(JSON.stringify([file.file, file.code, file.map]));
}

export function bundleText(files: BundledFile[]): PluginBundle {
  const text = JSON.stringify({ format: 1, files: [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)) });
  return { hash: sha256(text), text };
}

/** The plugin files of a workspace: top-level .ts/.js files of its plugins folder, sorted. */
export function pluginFiles(dataRoot: string): string[] {
  const dir = path.join(dataRoot, 'plugins');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => `plugins/${e.name}`)
    .sort();
}

/**
 * Bundles the workspace's plugin files; null when it has none. A file that does not compile is a
 * ConfigError named `file:line:column` with esbuild's message; so is an import that leaves the
 * plugins folder (below).
 */
export function bundleWorkspacePlugins(dataRoot: string): PluginBundle | null {
  const files = pluginFiles(dataRoot);
  if (files.length === 0) return null;
  const root = fs.realpathSync(dataRoot);
  const outcomes = bundleInThread({ root, files, esbuild: require.resolve('esbuild'), publicModule: PUBLIC_MODULE, checker: IMPORT_CHECKER });
  return bundleText(
    outcomes.map((outcome, i) => {
      if ('file' in outcome) return outcome;
      const first = outcome.errors[0]!;
      const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}` : files[i]!;
      // The import rules say what is wrong themselves; anything else is the compiler's.
      const reason = first.rule ? first.text : `does not compile: ${first.text}${first.location ? '' : ` (in ${files[i]})`}`;
      throw new ConfigError(at, '', reason);
    }),
  );
}

/*
 * What a plugin file may import: "sweeplab/plugin", and files under `<data root>/plugins` (as the
 * import names them) whose real path, symlinks followed, lies in the data root. Everything else is
 * refused before esbuild reads it (docs/plugins.md, "What a plugin can and cannot do"): a Node
 * built-in, a file elsewhere (`/etc/hostname`, `../../secret.json`, `/proc/self/environ` as text,
 * `/dev/zero`, which would never finish), an npm package, a symlink out of the data root. It takes
 * an esbuild plugin (an onResolve hook), which only esbuild's asynchronous API runs, while loading a
 * workspace is synchronous: so the bundling runs in a short-lived worker thread that this thread
 * waits for.
 */
const IMPORT_CHECKER = 'sweeplab-imports';

type BundleOutcome = BundledFile | { errors: Array<{ text: string; rule: boolean; location: { file: string; line: number; column: number } | null }> };

/** The plain-JavaScript worker: it receives the files, bundles each, and posts the outcomes back. */
const BUNDLE_THREAD = String.raw`
const { workerData } = require('node:worker_threads');
const path = require('node:path');
const { root, files, esbuild: esbuildPath, publicModule, checker, port, done } = workerData;
let esbuild;
const plugins = path.join(root, 'plugins');
const within = (dir, file) => file === dir || file.startsWith(dir + path.sep);
const RULE = 'a plugin imports only "' + publicModule + '" and files of the plugins folder (it computes from bars and params alone)';
const importChecker = {
  name: checker,
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === checker) return undefined;
      if (args.path === publicModule) return { path: args.path, external: true };
      const what = args.kind === 'entry-point' ? 'is' : 'imports "' + args.path + '", which is';
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: checker });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      if (resolved.external) return { errors: [{ text: what + ' a Node built-in or an external module; ' + RULE }] };
      // Where the import points as written (a path), or where it resolved to (a package name); then,
      // symlinks followed (esbuild resolves them), where the file really is.
      const written = /^\.\.?(\/|$)/.test(args.path) || path.isAbsolute(args.path) || args.kind === 'entry-point';
      if (!within(plugins, written ? path.resolve(args.resolveDir, args.path) : resolved.path)) return { errors: [{ text: what + ' outside the plugins folder; ' + RULE }] };
      if (!within(root, resolved.path)) return { errors: [{ text: what + ' a symlink to ' + resolved.path + ', outside the data root; ' + RULE }] };
      // Allowed: esbuild resolves it as it would without this hook, so the bundle is the same.
      return undefined;
    });
  },
};
(async () => {
  esbuild = require(esbuildPath);
  const outcomes = [];
  for (const file of files) {
    try {
      const result = await esbuild.build({
        entryPoints: [file], absWorkingDir: root, bundle: true, format: 'cjs', platform: 'node', target: 'node20',
        // import() becomes a promise job of the plugin's realm, which never runs (src/user-plugins/realm.ts).
        supported: { 'dynamic-import': false },
        plugins: [importChecker], write: false,
        outdir: '.', sourcemap: 'external', sourcesContent: true, logLevel: 'silent', charset: 'utf8',
      });
      const code = result.outputFiles.find((f) => f.path.endsWith('.js')).text;
      const map = result.outputFiles.find((f) => f.path.endsWith('.js.map')).text;
      outcomes.push({ file, code: code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'), map });
    } catch (error) {
      if (!error.errors || error.errors.length === 0) throw error;
      outcomes.push({ errors: error.errors.map((e) => ({ text: e.text, rule: e.text.endsWith(RULE), location: e.location && { file: e.location.file, line: e.location.line, column: e.location.column } })) });
    }
  }
  return outcomes;
})().then(
  (outcomes) => port.postMessage({ outcomes }),
  (error) => port.postMessage({ failed: String(error && error.stack || error) }),
).finally(async () => {
  await esbuild?.stop();
  const flag = new Int32Array(done);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

/** Far more than bundling takes (tens of milliseconds a file): only a thread that never starts waits this long. */
const BUNDLE_MS = 120_000;

function bundleInThread(job: { root: string; files: string[]; esbuild: string; publicModule: string; checker: string }): BundleOutcome[] {
  const done = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  // No execArgv: the thread runs plain JavaScript and needs no loader of the parent's.
  const worker = new Worker(BUNDLE_THREAD, { eval: true, execArgv: [], workerData: { ...job, port: port2, done }, transferList: [port2] });
  try {
    if (Atomics.wait(new Int32Array(done), 0, 0, BUNDLE_MS) === 'timed-out') throw new Error(`bundling the plugins did not finish within ${BUNDLE_MS / 1000} s`);
    const reply = receiveMessageOnPort(port1)?.message as { outcomes: BundleOutcome[] } | { failed: string } | undefined;
    if (!reply || 'failed' in reply) throw new Error(`bundling the plugins failed: ${reply?.failed ?? 'no reply from its thread'}`);
    return reply.outcomes;
  } finally {
    port1.close();
    void worker.terminate();
  }
}
