import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { ConfigError, parseWith } from '../../src/config/errors.js';
import { RangeSchema } from '../../src/config/schemas.js';

function reasonOf(fn: () => unknown): { field: string; reason: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return { field: error.field, reason: error.reason };
  }
  assert.fail('expected a ConfigError');
}

describe('parseWith messages', () => {
  const Schema = z.object({ fees_pct: z.number() }).strict();

  test('a missing field is "required"', () => {
    assert.deepEqual(reasonOf(() => parseWith(Schema, {}, 'f.yaml')), { field: 'fees_pct', reason: 'is required (number)' });
  });

  test('a field of the wrong type says what it got', () => {
    assert.deepEqual(reasonOf(() => parseWith(Schema, { fees_pct: 'high' }, 'f.yaml')), { field: 'fees_pct', reason: 'expected number, received string' });
  });

  test('a union member the value got furthest into explains the failure', () => {
    // { start, end } fits the range member except for the step; the values member fails at its root.
    assert.deepEqual(reasonOf(() => parseWith(RangeSchema, { start: 1, end: 5 }, 'f.yaml', 'fast')), { field: 'fast.step', reason: 'is required (number)' });
  });

  test('a value no union member accepts lists what was expected', () => {
    const Either = z.union([z.string(), z.object({ a: z.number() })]);
    assert.deepEqual(reasonOf(() => parseWith(Either, 5, 'f.yaml', 'x')), { field: 'x', reason: 'expected string or object, received number' });
  });
});
