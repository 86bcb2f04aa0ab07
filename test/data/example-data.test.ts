import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsvBars } from '../../src/data/csv.js';
import { generateBars } from '../../src/data/synthetic.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/data');

// Seeds and sizes as in scripts/make-example-data.ts and examples/data/README.md.
const FILES = [
  { name: 'SYNTH_1d.csv', seed: 42, bars: 2608, start: '2014-01-01', last: '2023-12-29T00:00:00.000Z', timeframe: '1d' },
  { name: 'SYNTH_1h.csv', seed: 7, bars: 8760, start: '2023-01-01', last: '2023-12-31T23:00:00.000Z', timeframe: '1h' },
  { name: 'GOOG_like_1d.csv', seed: 2004, bars: 2148, start: '2004-08-19', last: '2012-11-12T00:00:00.000Z', timeframe: '1d' },
];

for (const f of FILES) {
  test(`${f.name} holds ${f.bars} bars from ${f.start} to ${f.last.slice(0, 10)}`, () => {
    const { bars } = readCsvBars(path.join(dir, f.name), f.name, { timeframe: f.timeframe });
    assert.equal(bars.length, f.bars);
    assert.equal(new Date(bars.time[0]).toISOString().slice(0, 10), f.start);
    assert.equal(new Date(bars.time[bars.length - 1]).toISOString(), f.last);
  });

  test(`${f.name} is what the generator gives today, rounded to 4 decimals`, () => {
    const { bars } = readCsvBars(path.join(dir, f.name), f.name, { timeframe: f.timeframe });
    const fresh = generateBars({ seed: f.seed, bars: f.bars, start: f.start, timeframe: f.timeframe, start_price: 100 });
    for (let i = 0; i < bars.length; i++) {
      assert.equal(bars.close[i], Math.round(fresh.close[i] * 10_000) / 10_000, `bar ${i}: run npx tsx scripts/make-example-data.ts`);
    }
    assert.deepEqual(bars.time, fresh.time);
  });
}
