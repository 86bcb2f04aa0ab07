import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstOutOfRange } from '../../src/user-plugins/adapter.js';

test('the events check finds the first entry other than −1, 0 or +1, for every byte value at every position of a word and in the tail', () => {
  for (let value = -128; value < 128; value++) {
    for (let at = 0; at < 11; at++) {
      for (const around of [-1, 0, 1]) {
        const events = new Int8Array(11).fill(around);
        events[at] = value;
        assert.equal(firstOutOfRange(events), value >= -1 && value <= 1 ? -1 : at, `value ${value} at ${at} among ${around}`);
      }
    }
  }
});

test('the events check reports the first of several entries out of range', () => {
  const events = new Int8Array(2608);
  events[1001] = 2;
  events[2600] = -2;
  assert.equal(firstOutOfRange(events), 1001);
});
