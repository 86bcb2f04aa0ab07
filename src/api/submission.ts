import path from 'node:path';
import { z } from 'zod';
import { parseWith } from '../config/errors.js';
import { isPlainObject } from '../core/json.js';
import { readYamlFile, resolveOptimization, resolveVariantTest, type ResolveOptions } from '../intake/load.js';
import { probedOptions } from '../intake/probe.js';
import { optimizationSpec, variantTestSpec, type SweepSpec } from '../config/sweep.js';
import { resolveWalkForward } from '../intake/walk-forward.js';
import type { SubmittableSpec } from '../client/sweeps.js';
import { resolveDataPath, rootRelative } from '../data/paths.js';
import type { SweepKind } from '../store/types.js';
import type { PluginBundle } from '../user-plugins/bundle.js';
import { BODY_FILE } from './body.js';

/*
 * A submitted sweep is either `{ "path": "…" }`, a file inside the workspace (the data root), or the
 * document itself. Paths inside a posted document start from the workspace root; paths inside a
 * file start from that file's folder, exactly as on the CLI. Files are named in messages by their
 * path relative to the workspace, never by the server's absolute layout.
 */

export const PathBodySchema = z
  .object({ path: z.string().min(1).describe('A YAML file inside the workspace, relative to its root, e.g. "optimization.yaml" in one made by sweeplab init.') })
  .strict();

/** The sweep a document describes, and the workspace's plugin bundle to store with it. */
export function specFromDocument(kind: SweepSpec['kind'], document: unknown, dataRoot: string): { spec: SweepSpec; bundle: PluginBundle | null };
export function specFromDocument(kind: SweepKind, document: unknown, dataRoot: string): { spec: SubmittableSpec; bundle: PluginBundle | null };
export function specFromDocument(kind: SweepKind, document: unknown, dataRoot: string): { spec: SubmittableSpec; bundle: PluginBundle | null } {
  const { doc, opts } = locate(document, dataRoot);
  return specFrom(kind, doc, opts);
}

/**
 * specFromDocument for a request: the workspace's plugin code is first run in a contained thread
 * (src/intake/probe.ts), so a plugin that never returns, floods memory or ends its thread is a 422
 * naming it, and this process goes on serving.
 */
export async function checkedSpecFromDocument(kind: SweepKind, document: unknown, dataRoot: string): Promise<{ spec: SubmittableSpec; bundle: PluginBundle | null }> {
  const { doc, opts } = locate(document, dataRoot);
  return specFrom(kind, doc, await probedOptions(kind, doc, opts));
}

function specFrom(kind: SweepKind, doc: unknown, opts: ResolveOptions): { spec: SubmittableSpec; bundle: PluginBundle | null } {
  if (kind === 'walk_forward') return resolveWalkForward(doc, opts);
  if (kind === 'optimization') {
    const loaded = resolveOptimization(doc, opts);
    return { spec: optimizationSpec(loaded), bundle: loaded.plugins.bundle };
  }
  const loaded = resolveVariantTest(doc, opts);
  return { spec: variantTestSpec(loaded), bundle: loaded.plugins.bundle };
}

function locate(document: unknown, dataRoot: string): { doc: unknown; opts: ResolveOptions } {
  if (!(isPlainObject(document) && 'path' in document)) return { doc: document, opts: { file: BODY_FILE, baseDir: dataRoot, dataRoot } };
  const { path: wanted } = parseWith(PathBodySchema, document, BODY_FILE);
  const abs = resolveDataPath({ dataRoot, baseDir: dataRoot, path: wanted, file: BODY_FILE, field: 'path' });
  const label = rootRelative(dataRoot, abs);
  return { doc: readYamlFile(abs, label), opts: { file: label, baseDir: path.dirname(abs), dataRoot } };
}
