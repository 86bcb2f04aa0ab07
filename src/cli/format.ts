import { formatMetric } from '../engine/format.js';
import type { Metrics } from '../engine/result.js';

export { formatDuration, formatMetric } from '../engine/format.js';

/* Terminal rendering of metrics and result rows (values spelt by src/engine/format.ts). */

/** A plain text table: left-aligned text, right-aligned numbers. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-−+]?[\d.,]+( %| d)?$|^—$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function metricsTable(metrics: Metrics): string {
  return table(
    ['metric', 'value'],
    Object.entries(metrics).map(([k, v]) => [k, formatMetric(k, v)]),
  );
}
