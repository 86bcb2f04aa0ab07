import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { compileWhere, refuseCostlyWhere, WHERE_LIMITS } from '../../src/config/expression.js';
import { buildGrid } from '../../src/config/grid.js';

const grid = buildGrid([
  {
    worker_category: 'analysis_workers',
    worker_phase: 'signal_generation',
    worker_plugin: 'sma_cross',
    parameters: { fast: { values: [5, 10] }, slow: { values: [20, 50] }, direction: { values: ['long', 'both'] } },
  },
  {
    worker_category: 'analysis_workers',
    worker_phase: 'exit_planning',
    worker_plugin: 'atr_exit',
    parameters: { risk_reward_ratio: { values: [1.5, 2] } },
  },
]);
const FILE = 'opt.yaml';
const FIELD = 'optimization_config.constraints.where';
const where = (expr: string) => compileWhere(expr, grid, FILE, FIELD);
const combo = { fast: 10, slow: 20, direction: 'long', risk_reward_ratio: 2 };

function assertConfigError(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.file, FILE);
    assert.equal(error.field, FIELD);
    assert.match(error.reason, reason);
    return true;
  });
}

describe('compileWhere evaluation', () => {
  test('compares axis values', () => {
    assert.equal(where('fast < slow')(combo), true);
    assert.equal(where('fast >= slow')(combo), false);
  });

  test('* binds tighter than +, and arithmetic tighter than comparison', () => {
    // 1 + 2 * 3 = 7 (not 9); fast * 2 = 20 == slow.
    assert.equal(where('1 + 2 * 3 == 7')(combo), true);
    assert.equal(where('fast * 2 == slow')(combo), true);
    assert.equal(where('(1 + 2) * 3 == 9')(combo), true);
  });

  test('and binds tighter than or', () => {
    // false and false or true = (false and false) or true = true; with or first it would be false.
    assert.equal(where('fast > 10 and slow > 20 or fast == 10')(combo), true);
    assert.equal(where('fast > 10 and (slow > 20 or fast == 10)')(combo), false);
  });

  test('not binds looser than comparison', () => {
    // not (fast < slow) = not true = false.
    assert.equal(where('not fast < slow')(combo), false);
    assert.equal(where('!(fast > slow)')(combo), true);
  });

  test('&& and || mean and and or', () => {
    assert.equal(where('fast == 10 && slow == 20')(combo), true);
    assert.equal(where('fast == 5 || slow == 50')(combo), false);
  });

  test('unary minus, division and modulo', () => {
    // -fast + 30 = 20; 50 / 2 = 25 → 25 % 7 = 4.
    assert.equal(where('-fast + 30 == slow')(combo), true);
    assert.equal(where('50 / 2 % 7 == 4')(combo), true);
  });

  test('strings in single or double quotes compare with == and join with +', () => {
    assert.equal(where("direction == 'long'")(combo), true);
    assert.equal(where('direction != "long"')(combo), false);
    assert.equal(where("direction + '!' == 'long!'")(combo), true);
    assert.equal(where("direction < 'm'")(combo), true, '"long" sorts before "m"');
  });

  test('a number never equals a string', () => {
    assert.equal(where("fast == '10'")(combo), false);
  });

  test('true, false and truthiness of a bare value', () => {
    assert.equal(where('true')(combo), true);
    assert.equal(where('false or fast')(combo), true, '10 is truthy');
    assert.equal(where('fast - 10')(combo), false, '0 is falsy');
  });

  test('plugin.param and phase.plugin.param name the same axis as the label', () => {
    assert.equal(where('sma_cross.fast == 10 and exit_planning.atr_exit.risk_reward_ratio == 2')(combo), true);
  });

  test('decimal and exponent literals', () => {
    assert.equal(where('risk_reward_ratio == 2.0 and 1.5e1 == 15 and .5 == 0.5')(combo), true);
  });
});

describe('compileWhere errors', () => {
  test('an unknown name suggests the closest one', () => {
    assertConfigError(() => where('fsat < slow'), /column 1: unknown name "fsat"; did you mean "fast"\?/);
  });

  test('constructor and other object members are unknown names', () => {
    assertConfigError(() => where('constructor'), /unknown name "constructor"/);
    assertConfigError(() => where('fast.constructor == 1'), /unknown name "fast.constructor"/);
    assertConfigError(() => where('__proto__'), /unknown name "__proto__"/);
  });

  test('process.exit() is refused before anything runs', () => {
    assertConfigError(() => where('process.exit()'), /column 1: unknown name "process.exit"/);
  });

  test('calling a parameter is a syntax error', () => {
    assertConfigError(() => where('fast(1)'), /column 5: function calls are not supported/);
  });

  test('a syntax error names its column', () => {
    // "fast < )": the ")" is the 8th character.
    assertConfigError(() => where('fast < )'), /column 8: expected a value but found "\)" in "fast < \)"/);
  });

  test('a missing closing parenthesis points at the end', () => {
    assertConfigError(() => where('(fast < slow'), /column 13: expected "\)" but found the end of the expression/);
  });

  test('a single = suggests ==', () => {
    assertConfigError(() => where('fast = 10'), /column 6: unexpected "=" \(compare with "=="\)/);
  });

  test('an unclosed string names where it starts', () => {
    assertConfigError(() => where("direction == 'long"), /column 14: string starting here is not closed/);
  });

  test('chained comparisons are refused', () => {
    assertConfigError(() => where('5 < fast < 20'), /column 10: comparisons cannot be chained/);
  });

  test('arithmetic on a string fails when evaluated, naming the operator column', () => {
    const compiled = where('direction * 2 > 1');
    assertConfigError(() => compiled(combo), /column 11: "\*" needs two numbers, got "long" \(string\) and 2 \(number\)/);
  });

  test('ordering a number against a string fails when evaluated', () => {
    const compiled = where("fast < 'x'");
    assertConfigError(() => compiled(combo), /column 6: "<" compares two numbers or two strings/);
  });

  test('trailing tokens are refused', () => {
    assertConfigError(() => where('fast slow'), /column 6: unexpected "slow"/);
  });

  test('unknown characters are refused', () => {
    assertConfigError(() => where('fast < slow; 1'), /column 12: unexpected character ";"/);
  });
});

describe('bounds: nothing a user writes overflows the stack', () => {
  test('1,000 nested parentheses are refused at the 33rd', () => {
    assertConfigError(() => where(`${'('.repeat(1000)}fast < slow${')'.repeat(1000)}`), /^column 33: nests deeper than 32 levels/);
  });

  test('1,000 nested nots and minuses are refused too', () => {
    assertConfigError(() => where(`${'not '.repeat(900)}fast < slow`), /nests deeper than 32 levels/);
    assertConfigError(() => where(`${'-'.repeat(1000)}fast < slow`), /nests deeper than 32 levels/);
  });

  test('32 levels still work', () => {
    assert.equal(where(`${'('.repeat(31)}fast < slow${')'.repeat(31)}`)(combo), true);
  });

  test('a 10,000-term or is refused by its length', () => {
    const expr = Array.from({ length: 10_000 }, (_, i) => `fast == ${i}`).join(' or ');
    assertConfigError(() => where(expr), /^is 158,886 characters long, more than the 4,000 a where expression may have/);
  });

  test('the longest chains within the limit evaluate without overflowing', () => {
    const sum = `${Array.from({ length: 799 }, () => 'fast').join('+')} > 0`;
    assert.ok(sum.length <= 4_000);
    assert.equal(where(sum)(combo), true);
    const or = Array.from({ length: 300 }, () => 'fast == 1').join(' or ');
    assert.equal(where(or)(combo), false);
  });

  test('a 1,795-term chain evaluates in a few stack frames, not one per operator', () => {
    // 1+1+…+1 (3,597 characters) was a tower of closures one call deeper per "+": 1,794 calls deep,
    // more than a 100 KB stack holds. Evaluated as a loop it fits easily.
    const code = `
      import { compileWhere } from './src/config/expression.ts';
      import { buildGrid } from './src/config/grid.ts';
      const grid = buildGrid([{ worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: [5] } } }]);
      const where = compileWhere(Array(1_795).fill('1').join('+') + ' == 1795', grid, 'opt.yaml', 'where');
      console.log(where({ fast: 5 }));`;
    const run = spawnSync(process.execPath, ['--stack-size=100', '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'true\n');
  });
});

describe('cost: what testing every combination takes', () => {
  test('a compiled where counts its nodes: each value, operator and chain', () => {
    assert.equal(where('fast < slow').nodes, 3);
    // fast * 2 (3: fast, 2, the product chain) < slow (2: slow, the comparison) → 5; or true (1) and the or (1) → 7.
    assert.equal(where('fast * 2 < slow or true').nodes, 7);
    assert.equal(where('((fast))').nodes, 1, 'parentheses cost nothing');
  });

  test('an expression whose nodes times the combinations exceed the bound is refused, naming file and field', () => {
    const big = buildGrid([
      {
        worker_category: 'analysis_workers',
        worker_phase: 'signal_generation',
        worker_plugin: 'sma_cross',
        parameters: { fast: { start: 1, end: 1000, step: 1 }, slow: { start: 2, end: 1001, step: 1 } },
      },
    ]);
    const expr = Array.from({ length: 40 }, (_, i) => `fast + ${i} < slow`).join(' or ');
    const compiled = compileWhere(expr, big, FILE, FIELD);
    assert.equal(compiled.nodes, 40 * 5 + 1);
    assertConfigError(
      () => refuseCostlyWhere(compiled, expr, big, FILE, FIELD),
      /^"fast \+ 0 < slow or fast \+ 1 < slow or fast \+ 2 < slow or fas…" has 201 terms; tested on each of the 1,000,000 combinations that is 201,000,000 evaluations, more than the 100,000,000 allowed/,
    );
  });

  test('the same expression on a grid a tenth the size is allowed', () => {
    const grid100k = buildGrid([
      {
        worker_category: 'analysis_workers',
        worker_phase: 'signal_generation',
        worker_plugin: 'sma_cross',
        parameters: { fast: { start: 1, end: 100, step: 1 }, slow: { start: 2, end: 1001, step: 1 } },
      },
    ]);
    const expr = Array.from({ length: 40 }, (_, i) => `fast + ${i} < slow`).join(' or ');
    const compiled = compileWhere(expr, grid100k, FILE, FIELD);
    assert.ok(compiled.nodes * grid100k.size <= WHERE_LIMITS.evaluations);
    refuseCostlyWhere(compiled, expr, grid100k, FILE, FIELD);
  });
});
