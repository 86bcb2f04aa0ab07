import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstPack, measure, nextPack, windowNow, type PackingRules, type PackingState } from '../../src/workflows/packing.js';

/*
 * Automatic packing (src/workflows/packing.ts) as plain numbers: how many operations one activity
 * gets, by the measured cost of an operation, with today's rules and the ones sweeps started before
 * each packing patch replay with (docs/deploy.md, "Patches").
 */

/** The newest rules, which every sweep started by today's code follows. */
const CURRENT_RULES: PackingRules = { measureReused: true, balanceOverTotal: true, sized: true };
/** The rules before `speed-fewer-packs`, with the two patches before it. */
const BEFORE_SIZED: PackingRules = { measureReused: true, balanceOverTotal: true, sized: false };
/** The rules of the oldest sweeps: only packs that ran the engine measured, balanced over what is left. */
const OLDEST: PackingRules = { measureReused: false, balanceOverTotal: false, sized: false };

function at(total: number, opMs: number | null, done = 0): PackingState {
  return { total, done, failed: 0, op_ms: opMs, pack: 7 };
}

const pack = (total: number, opMs: number | null, rules = CURRENT_RULES, done = 0) => nextPack('auto', at(total, opMs, done), rules);

test('first packs: at most 64 operations, two per 1/16 of a small sweep; the old rule 32 and half the window', () => {
  assert.equal(firstPack('auto', 3_195, 64, CURRENT_RULES), 64);
  assert.equal(firstPack('auto', 100, 64, CURRENT_RULES), 4);
  assert.equal(firstPack('auto', 1, 64, CURRENT_RULES), 1);
  assert.equal(firstPack('auto', 3_195, 64, BEFORE_SIZED), 25);
  assert.equal(firstPack('auto', 1_000_000, 64, BEFORE_SIZED), 32);
  assert.equal(firstPack('auto', 3_195, 8, BEFORE_SIZED), 32);
  assert.equal(firstPack('auto', 100, 8, BEFORE_SIZED), 7);
});

test('a cheap sweep of a few thousand operations goes out in packs of at least 250 ms of work, not in 16', () => {
  // 0.2 ms an operation: 16 packs of 200 would be 40 ms each, mostly orchestration.
  assert.equal(pack(3_195, 0.2), 1_000);
  assert.equal(pack(3_195, 0.5), 500);
  assert.equal(pack(1_248, 0.45), 556);
  // The rule before the patch balances over 16 whatever the cost.
  assert.equal(pack(3_195, 0.2, BEFORE_SIZED), 200);
});

test('expensive operations keep about one second per activity; large sweeps keep the cap of 1,000', () => {
  assert.equal(pack(3_195, 5), 200);
  assert.equal(pack(3_195, 50), 20);
  assert.equal(pack(3_195, 5_000), 1);
  assert.equal(pack(1_000_000, 0.5), 1_000);
  assert.equal(pack(1_000_000, 2), 500);
});

test('packs balanced over the whole sweep keep their size as it ends; the oldest rule shrinks them with what is left', () => {
  assert.equal(pack(3_200, 5, CURRENT_RULES, 3_000), 200);
  assert.equal(pack(3_200, 5, BEFORE_SIZED, 3_000), 200);
  assert.equal(pack(3_200, 5, OLDEST, 0), 200);
  assert.equal(pack(3_200, 5, OLDEST, 3_000), 13);
  assert.equal(pack(3_200, 5, OLDEST, 3_200), 1);
});

test('before anything is measured the pack stays as it is; a fixed operations_per_activity always wins', () => {
  assert.equal(pack(3_195, null), 7);
  assert.equal(nextPack(40, at(3_195, 0.2), CURRENT_RULES), 40);
  assert.equal(firstPack(40, 3_195, 64, CURRENT_RULES), 40);
});

test('until the first cost is measured, automatic packing keeps 2 activities in flight (8 before speed-fewer-packs, all of them before speed-batched-packing)', () => {
  assert.equal(windowNow('auto', null, 64, CURRENT_RULES), 2);
  assert.equal(windowNow('auto', null, 64, BEFORE_SIZED), 8);
  assert.equal(windowNow('auto', null, 4, BEFORE_SIZED), 4);
  assert.equal(windowNow('auto', null, 64, OLDEST), 64);
  assert.equal(windowNow('auto', 0.3, 64, CURRENT_RULES), 64);
  assert.equal(windowNow(40, null, 64, CURRENT_RULES), 64);
});

test('the cost of an operation is a moving average of packs, reused ones counted except under the oldest rule', () => {
  assert.equal(measure(null, { elapsed_ms: 500, executed: 100 }, 100, CURRENT_RULES), 5);
  assert.equal(measure(5, { elapsed_ms: 100, executed: 100 }, 100, CURRENT_RULES), 3.8);
  // A pack served wholly from the store: measured now, skipped by the oldest rule.
  assert.equal(measure(5, { elapsed_ms: 10, executed: 0 }, 100, CURRENT_RULES), 3.53);
  assert.equal(measure(5, { elapsed_ms: 10, executed: 0 }, 100, OLDEST), 5);
  assert.equal(measure(null, { elapsed_ms: 10, executed: 0 }, 100, OLDEST), null);
});
