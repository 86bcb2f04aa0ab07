import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { loadSweepFile } from '../../src/cli/sweep-commands.js';
import type { SweepSpec } from '../../src/config/sweep.js';
import { firstPack, nextPack } from '../../src/workflows/fan-out.js';
import type { SweepCursor } from '../../src/workflows/types.js';

/*
 * Automatic packing (src/workflows/fan-out.ts): how many operations one activity gets, by the
 * measured cost of an operation, with the rule of `speed-fewer-packs` (sized) and the one before it,
 * which sweeps started before that patch replay with.
 */

const root = path.resolve(import.meta.dirname, '../..');
let spec: SweepSpec;

before(() => {
  process.env.SWEEPLAB_DATA_ROOT = root;
  spec = loadSweepFile('optimization', path.join(root, 'examples/optimization.yaml')).spec;
});

function cursor(total: number, opMs: number | null, done = 0): SweepCursor {
  return { next: 0, total, done, failed: 0, reused: 0, executed: 0, top: [], errors: [], paused: false, pack: 7, op_ms: opMs, started_at: 0, generation: 0 };
}

const pack = (total: number, opMs: number | null, sized = true, done = 0) => nextPack(spec, cursor(total, opMs, done), true, sized);

test('first packs: at most 64 operations, two per 1/16 of a small sweep; the old rule 32 and 1/128', () => {
  assert.equal(firstPack(spec, 3_195, true), 64);
  assert.equal(firstPack(spec, 100, true), 4);
  assert.equal(firstPack(spec, 1, true), 1);
  assert.equal(firstPack(spec, 3_195, false), 25);
  assert.equal(firstPack(spec, 1_000_000, false), 32);
});

test('a cheap sweep of a few thousand operations goes out in packs of at least 250 ms of work, not in 16', () => {
  // 0.2 ms an operation: 16 packs of 200 would be 40 ms each, mostly orchestration.
  assert.equal(pack(3_195, 0.2), 1_000);
  assert.equal(pack(3_195, 0.5), 500);
  assert.equal(pack(1_248, 0.45), 556);
  // The rule before the patch balances over 16 whatever the cost.
  assert.equal(pack(3_195, 0.2, false), 200);
});

test('expensive operations keep about one second per activity; large sweeps keep the cap of 1,000', () => {
  assert.equal(pack(3_195, 5), 200);
  assert.equal(pack(3_195, 50), 20);
  assert.equal(pack(3_195, 5_000), 1);
  assert.equal(pack(1_000_000, 0.5), 1_000);
  assert.equal(pack(1_000_000, 2), 500);
});

test('before anything is measured the pack stays as it is; a fixed operations_per_activity always wins', () => {
  assert.equal(pack(3_195, null), 7);
  const fixed = { ...spec, parallel: { ...spec.parallel, operations_per_activity: 40 } } as SweepSpec;
  assert.equal(nextPack(fixed, cursor(3_195, 0.2), true, true), 40);
  assert.equal(firstPack(fixed, 3_195, true), 40);
});
