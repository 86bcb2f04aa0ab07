import { z } from 'zod';
import { PHASES, type Phase } from '../phases.js';
import { BUILTIN_PLUGINS, type PluginSet } from './registry.js';

/*
 * The plugin reference of docs/plugins.md, made from the plugins themselves: each one's doc and the
 * JSON Schema of its params (z.toJSONSchema), so the reference cannot drift from the code.
 * `npx tsx scripts/plugin-reference.ts` rewrites the section; test/engine/reference.test.ts fails
 * when it differs.
 */

interface ParamSchema {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

/** Markdown: per phase a heading, then each plugin's name, doc and a table of its params. */
export function pluginReference(plugins: PluginSet): string {
  const sections: string[] = [];
  for (const phase of Object.values(PHASES).flat() as Phase[]) {
    const inPhase = [...plugins.byName.values()].filter((p) => p.phases.includes(phase));
    if (inPhase.length === 0) continue;
    const entries = inPhase.map((plugin) => {
      const schema = z.toJSONSchema(plugin.params, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, ParamSchema> };
      const rows = Object.entries(schema.properties ?? {}).map(([name, param]) => `| \`${name}\` | ${JSON.stringify(param.default)} | ${bounds(param)} |`);
      const table = rows.length ? `\n\n| param | default | bounds |\n|---|---|---|\n${rows.join('\n')}` : '\n\nNo params.';
      return `**\`${plugin.name}\`** — ${plugin.doc}${table}\n`;
    });
    sections.push(`### ${phase}\n\n${entries.join('\n')}\n`);
  }
  return sections.join('\n');
}

function bounds(param: ParamSchema): string {
  if (param.enum) return param.enum.map(String).join(' \\| ');
  const parts: string[] = [];
  if (param.type === 'integer') parts.push('integer');
  if (param.exclusiveMinimum !== undefined) parts.push(`> ${param.exclusiveMinimum}`);
  if (param.minimum !== undefined) parts.push(`≥ ${param.minimum}`);
  if (param.maximum !== undefined) parts.push(`≤ ${param.maximum}`);
  if (param.exclusiveMaximum !== undefined) parts.push(`< ${param.exclusiveMaximum}`);
  return parts.join(', ') || (param.type ?? 'any');
}

/** Where the generated reference starts in docs/plugins.md; it runs to the end of the file. */
export const REFERENCE_MARKER = '<!-- The reference below is generated from the registry by scripts/plugin-reference.ts: edit the plugins, not this. -->';

/** The generated part of docs/plugins.md: the marker and the built-ins' reference. */
export function referenceSection(): string {
  return `${REFERENCE_MARKER}\n\n${pluginReference(BUILTIN_PLUGINS)}`;
}

/** `doc` with everything from the marker on replaced by the current reference. */
export function withReference(doc: string): string {
  const at = doc.indexOf(REFERENCE_MARKER);
  if (at === -1) throw new Error(`docs/plugins.md has no line "${REFERENCE_MARKER}"`);
  return doc.slice(0, at) + referenceSection();
}
