import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { parseResultFilter } from '../../src/services/results-query.js';

test('reads conditions with each operator, numbers as numbers', () => {
  assert.deepEqual(parseResultFilter('sharpe_ratio>1, fast=10,slow<=50,variant!=Baseline', '--filter', 'filter'), [
    { field: 'sharpe_ratio', op: '>', value: 1 },
    { field: 'fast', op: '=', value: 10 },
    { field: 'slow', op: '<=', value: 50 },
    { field: 'variant', op: '!=', value: 'Baseline' },
  ]);
});

for (const [text, op] of [
  ['fast==10', '=='],
  ['fast=>10', '=>'],
  ['fast=<10', '=<'],
  ['fast<>10', '<>'],
  ['fast>==1', '>=='],
] as const) {
  test(`"${text}" is an unknown operator "${op}", not a match against "${text.slice(text.indexOf(op) + 1)}"`, () => {
    assert.throws(
      () => parseResultFilter(text, '--filter', 'filter'),
      (e: unknown) => e instanceof ConfigError && e.file === '--filter' && e.field === 'filter' && e.reason.startsWith(`"${text}": unknown operator "${op}"; use one of "="`),
    );
  });
}
