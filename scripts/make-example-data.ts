/*
 * Writes the checked-in example data (examples/data/*.csv) from the seeded generator, so the files
 * can be rebuilt byte for byte: `npx tsx scripts/make-example-data.ts`.
 *
 * Prices are rounded to 4 decimals; high and low are then taken over the rounded open/close too, so
 * rounding cannot push open or close outside [low, high].
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BarSeries } from '../src/engine/bars.js';
import { generateBars } from '../src/data/synthetic.js';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/data');

interface ExampleFile {
  name: string;
  seed: number;
  bars: number;
  start: string;
  timeframe: string;
  start_price: number;
}

const FILES: ExampleFile[] = [
  // 2014-01-01 up to (not including) 2024-01-01: every Monday–Friday of ten years.
  { name: 'SYNTH_1d.csv', seed: 42, bars: businessDaysBetween('2014-01-01', '2024-01-01'), start: '2014-01-01', timeframe: '1d', start_price: 100 },
  { name: 'SYNTH_1h.csv', seed: 7, bars: 365 * 24, start: '2023-01-01', timeframe: '1h', start_price: 100 },
  // GOOG's 2,148 daily bars from its IPO day are the classic example; real data cannot be shipped.
  { name: 'GOOG_like_1d.csv', seed: 2004, bars: 2148, start: '2004-08-19', timeframe: '1d', start_price: 100 },
];

function businessDaysBetween(from: string, until: string): number {
  let count = 0;
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${until}T00:00:00Z`); t += 86_400_000) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) count++;
  }
  return count;
}

function toCsv(bars: BarSeries, daily: boolean): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < bars.length; i++) {
    const iso = new Date(bars.time[i]).toISOString();
    const time = daily ? iso.slice(0, 10) : `${iso.slice(0, 19)}Z`;
    const open = round4(bars.open[i]);
    const close = round4(bars.close[i]);
    const high = Math.max(round4(bars.high[i]), open, close);
    const low = Math.min(round4(bars.low[i]), open, close);
    if (!(low > 0)) throw new Error(`bar ${i} rounds to a low of ${low}; raise start_price`);
    lines.push(`${time},${open},${high},${low},${close},${bars.volume[i]}`);
  }
  return `${lines.join('\n')}\n`;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

fs.mkdirSync(outDir, { recursive: true });
for (const f of FILES) {
  const bars = generateBars(f);
  const target = path.join(outDir, f.name);
  fs.writeFileSync(target, toCsv(bars, f.timeframe.endsWith('d')));
  console.log(`${path.relative(process.cwd(), target)}: ${bars.length} bars, seed ${f.seed}`);
}
