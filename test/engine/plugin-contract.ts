import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateBars, type BarSeries } from '../../src/engine/bars.js';
import type { PluginDefinition, Side, Worker } from '../../src/engine/plugins/types.js';
import { randomBars } from './bars-fixture.js';

/**
 * What every plugin promises, whatever its phase: its schema fills every param from defaults and
 * rejects an out-of-bounds value; its output at bar t depends on bars ≤ t only; the same bars give
 * the same output.
 */
export function testPluginContract(plugin: PluginDefinition, outOfBounds: Record<string, unknown>): void {
  describe(`${plugin.name} (plugin contract)`, () => {
    it('parses an empty params object into a full set of defaults', () => {
      const parsed = plugin.params.parse({});
      assert.deepEqual(Object.keys(parsed).sort(), Object.keys(plugin.params.shape).sort());
    });

    it('rejects params out of bounds', () => {
      assert.equal(plugin.params.safeParse(outOfBounds).success, false, `params ${JSON.stringify(outOfBounds)} should be rejected`);
    });

    it('rejects an unknown param', () => {
      assert.equal(plugin.params.safeParse({ no_such_param: 1 }).success, false);
    });

    it('has a doc paragraph and a phase', () => {
      assert.ok(plugin.doc.length > 40);
      assert.equal(plugin.phases.length, 1);
    });

    it('does not look ahead: changing bars after t leaves its output up to t unchanged', () => {
      const params = plugin.params.parse({});
      const bars = randomBars(300, 11);
      for (let cut = 20; cut < 300; cut += 10) {
        const changed = withFutureChanged(bars, cut, cut);
        assert.deepEqual(observe(plugin.create(changed, params), changed, cut), observe(plugin.create(bars, params), bars, cut), `bars from ${cut} on changed`);
      }
    });

    it('is deterministic: the same bars give the same output', () => {
      const params = plugin.params.parse({});
      const first = randomBars(300, 5);
      const second = randomBars(300, 5);
      assert.deepEqual(observe(plugin.create(second, params), second, 300), observe(plugin.create(first, params), first, 300));
    });
  });
}

/**
 * A copy of `bars` (new arrays, so no shared cache) whose bars from `from` on are another random
 * walk at a thousand times the price and volume: a jump big enough that any peek ahead changes an output.
 */
export function withFutureChanged(bars: BarSeries, from: number, seed: number): BarSeries {
  const other = randomBars(bars.length, seed);
  const out = allocateBars(bars.length);
  out.time.set(bars.time);
  for (const column of ['open', 'high', 'low', 'close', 'volume'] as const) {
    out[column].set(bars[column].subarray(0, from));
    for (let i = from; i < bars.length; i++) out[column][i] = other[column][i] * 1000;
  }
  return out;
}

/** Everything a worker tells the simulator about bars 0 … until − 1. */
function observe(worker: Worker, bars: BarSeries, until: number): unknown[] {
  const out: unknown[] = [];
  const sides: Side[] = [1, -1];
  for (let t = 0; t < until; t++) {
    switch (worker.kind) {
      case 'signal':
        out.push(worker.events[t], worker.direction);
        break;
      case 'filter':
        for (const side of sides) out.push(worker.allowsEntry(t, side, t - 3));
        break;
      case 'entry':
        for (const side of sides) out.push(worker.limitPrice(side, t), worker.validBars);
        break;
      case 'exit':
        for (const side of sides) {
          const levels = { stop: -side * Infinity, target: side * Infinity, trailPct: Infinity, maxBars: Infinity };
          worker.plan(side, bars.open[t], t, levels);
          out.push(levels);
        }
        break;
      case 'size':
        out.push(worker.size(10_000, bars.close[t], bars.close[t] * 0.95, 0.001));
        break;
    }
  }
  return out;
}
