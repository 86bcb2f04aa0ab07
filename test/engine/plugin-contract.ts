import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PluginDefinition } from '../../src/engine/plugins/types.js';
import { contractBreach } from '../../src/user-plugins/contract.js';
import { randomBars } from './bars-fixture.js';

/**
 * What every plugin promises, whatever its phase: its schema fills every param from defaults and
 * rejects an out-of-bounds value; its output at bar t depends on bars ≤ t only; the same bars give
 * the same output. The last is the check a workspace's plugins pass at load
 * (src/user-plugins/contract.ts), with more cuts on a short series.
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

    it('is deterministic and does not look ahead: changing bars after t leaves its output up to t unchanged', () => {
      assert.equal(contractBreach(plugin, plugin.params.parse({}), randomBars(300, 11), { cuts: 30 }), null);
    });
  });
}
