import { WorkforceSchema, type Workforce } from '../../src/config/schemas.js';
import type { BarSeries } from '../../src/engine/bars.js';
import { runBacktest, type BacktestSettings } from '../../src/engine/index.js';
import type { BacktestResult } from '../../src/engine/result.js';

type Entries = Array<{ plugin: string; params?: Record<string, unknown> }>;

export interface WorkforceSketch {
  regime_context?: Entries;
  structural_context?: Entries;
  signal_generation?: Entries;
  signal_refinement?: Entries;
  entry_planning?: Entries;
  exit_planning?: Entries;
  size_planning?: Entries;
}

/**
 * A workforce through the real schema. The default signal, sma_cross fast 1 / slow 2, is bullish
 * when the close rises after not rising and bearish when it falls after not falling, which lets a
 * test script its signals with closes alone (from bar 2 on).
 */
export function workforce(sketch: WorkforceSketch = {}): Workforce {
  const { regime_context = [], structural_context = [], signal_generation, ...analysis } = sketch;
  return WorkforceSchema.parse({
    context_workers: { regime_context, structural_context },
    analysis_workers: { signal_generation: signal_generation ?? [{ plugin: 'sma_cross', params: { fast: 1, slow: 2 } }], ...analysis },
  });
}

export const SETTINGS: BacktestSettings = { initial_capital: 1_000, fees_pct: 0, slippage_pct: 0, fill: 'next_open', close_at_end: false };

export function run(bars: BarSeries, sketch: WorkforceSketch = {}, settings: Partial<BacktestSettings> = {}): BacktestResult {
  return runBacktest(bars, workforce(sketch), { ...SETTINGS, ...settings });
}
