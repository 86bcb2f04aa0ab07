import type { MetricName } from './result.js';

/*
 * How metric values, durations and parameters read to a person: terminal tables and the Temporal UI's
 * sweep details use the same spelling. Pure (workflow code imports it). Fractions show as percent
 * where a quant reads them that way; nulls show as "—" (undefined, not zero).
 */

const PERCENT = new Set<string>(['total_return', 'cagr', 'max_drawdown', 'win_rate', 'exposure'] satisfies MetricName[]);

export function formatMetric(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (PERCENT.has(name)) return `${(value * 100).toFixed(2)} %`;
  if (name === 'total_trades') return String(value);
  if (name === 'final_equity' || name === 'expectancy') return value.toFixed(2);
  if (name === 'avg_trade_duration') return `${value.toFixed(1)} d`;
  return value.toFixed(3);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `fast=10 slow=50`: a combination (or a variant) as the results table names it. */
export function paramText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
