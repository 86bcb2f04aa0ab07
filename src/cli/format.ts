import type { Metrics } from '../engine/result.js';

/*
 * Terminal rendering of metrics and result rows. Fractions show as percent where a quant reads
 * them that way; nulls show as "—" (undefined, not zero).
 */

const PERCENT = new Set(['total_return', 'cagr', 'max_drawdown', 'win_rate', 'exposure']);

export function formatMetric(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (PERCENT.has(name)) return `${(value * 100).toFixed(2)} %`;
  if (name === 'total_trades') return String(value);
  if (name === 'final_equity' || name === 'expectancy') return value.toFixed(2);
  if (name === 'avg_trade_duration') return `${value.toFixed(1)} d`;
  return value.toFixed(3);
}

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

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
