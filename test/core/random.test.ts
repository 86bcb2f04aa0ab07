import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, normalSource } from '../../src/core/random.js';

test('mulberry32 repeats its sequence for a seed and stays in [0, 1)', () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1, `draw ${i}: ${x}`);
  }
});

test('normal draws have mean 0 and variance 1', () => {
  const normal = normalSource(mulberry32(11));
  const n = 200_000;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const z = normal();
    sum += z;
    squares += z * z;
  }
  // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032; allow about 5 of them.
  assert.ok(Math.abs(sum / n) < 0.011, `mean ${sum / n}`);
  assert.ok(Math.abs(squares / n - 1) < 0.016, `variance ${squares / n}`);
});
