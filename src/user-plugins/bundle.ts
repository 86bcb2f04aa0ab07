import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildFailure } from 'esbuild';
import { ConfigError } from '../config/errors.js';

// Loaded on first use: most commands in a workspace without plugins never bundle anything, and
// every CLI command imports the loader.
const require = createRequire(import.meta.url);
const esbuild = (): typeof import('esbuild') => require('esbuild') as typeof import('esbuild');

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
 * ConfigError named `file:line:column` with esbuild's message.
 */
export function bundleWorkspacePlugins(dataRoot: string): PluginBundle | null {
  const files = pluginFiles(dataRoot);
  if (files.length === 0) return null;
  const root = fs.realpathSync(dataRoot);
  return bundleText(files.map((file) => bundleFile(root, file)));
}

function bundleFile(root: string, file: string): BundledFile {
  try {
    const result = esbuild().buildSync({
      entryPoints: [file],
      absWorkingDir: root,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: [PUBLIC_MODULE],
      write: false,
      // Output "next to" the workspace root, so source map paths read "plugins/…".
      outdir: '.',
      sourcemap: 'external',
      sourcesContent: true,
      logLevel: 'silent',
      charset: 'utf8',
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text;
    // The trailing sourceMappingURL comment names the output file; the map travels beside the code.
    return { file, code: code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'), map };
  } catch (error) {
    const failure = error as Partial<BuildFailure>;
    const first = failure.errors?.[0];
    if (!first) throw error;
    const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}` : file;
    throw new ConfigError(at, '', `does not compile: ${first.text}${first.location ? '' : ` (in ${file})`}`);
  }
}
