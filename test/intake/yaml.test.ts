import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { dumpYaml, parseYaml } from '../../src/intake/yaml.js';

function assertYamlError(input: string | Buffer, field: string | RegExp, reason: RegExp): void {
  assert.throws(
    () => parseYaml(input, 'op.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.file, 'op.yaml');
      if (typeof field === 'string') assert.equal(error.field, field);
      else assert.match(error.field, field);
      assert.match(error.reason, reason);
      return true;
    },
  );
}

describe('parseYaml', () => {
  test('dates stay strings and numbers are numbers', () => {
    assert.deepEqual(parseYaml('start: 2004-08-19\nfees_pct: 0.2\nflag: true\nn: null', 'op.yaml'), { start: '2004-08-19', fees_pct: 0.2, flag: true, n: null });
  });

  test('yes/no/on are strings (YAML 1.2 core schema, not 1.1)', () => {
    assert.deepEqual(parseYaml('a: yes\nb: on', 'op.yaml'), { a: 'yes', b: 'on' });
  });

  test('a UTF-8 buffer with a BOM parses', () => {
    assert.deepEqual(parseYaml(Buffer.from('\uFEFFname: café', 'utf8'), 'op.yaml'), { name: 'café' });
  });

  test('a syntax error names line and column (1-based)', () => {
    // The unclosed flow list on line 1 runs into line 2, column 1.
    assertYamlError('a: [1, 2\nb: 3', 'line 2, column 1', /deficient indentation/);
  });

  test('a duplicate key is an error', () => {
    assertYamlError('a: 1\na: 2', 'line 2, column 1', /duplicated mapping key/);
  });

  test('custom tags are refused', () => {
    assertYamlError('a: !!js/function "() => 1"', 'line 1, column 4', /unknown scalar tag/);
  });

  test('an empty file is an error', () => {
    assertYamlError('', '', /empty/);
    assertYamlError('# only a comment\n', '', /is empty/);
  });

  test('several documents are an error', () => {
    assertYamlError('a: 1\n---\nb: 2\n', '', /holds 2 YAML documents/);
  });

  test('invalid UTF-8 bytes name their position', () => {
    // "a: " then 0xff on line 2 after "b: ".
    assertYamlError(Buffer.concat([Buffer.from('a: 1\nb: '), Buffer.from([0xff, 0xfe])]), 'line 2, column 4', /not valid UTF-8/);
  });

  test('nesting deeper than 64 levels is refused', () => {
    assertYamlError(`${'['.repeat(65)}1${']'.repeat(65)}`, /^line 1, column \d+$/, /nests deeper than 64 levels/);
  });

  test('64 levels of nesting are fine', () => {
    const value = parseYaml(`${'['.repeat(64)}1${']'.repeat(64)}`, 'op.yaml');
    let depth = 0;
    for (let v: unknown = value; Array.isArray(v); v = v[0]) depth++;
    assert.equal(depth, 64);
  });

  test('nesting that only gets deep through aliases is refused', () => {
    // &a holds 40 levels; placing it 30 levels deep makes 70.
    const doc = `a: &a ${'['.repeat(40)}1${']'.repeat(40)}\nb: ${'['.repeat(30)}*a${']'.repeat(30)}`;
    assertYamlError(doc, /^line 2, column \d+$/, /nests deeper than 64 levels once aliases are expanded/);
  });

  test('an alias bomb is refused before it is expanded', () => {
    // Each level lists the previous 9 times: level 9 expands to about 9^9 ≈ 387 M nodes.
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    assertYamlError(lines.join('\n'), /^line \d+, column \d+$/, /expands to more than 1,000,000 nodes through aliases/);
  });

  test('more than 10,000 aliases are refused', () => {
    const doc = `a: &a 1\nb: [${Array(10_001).fill('*a').join(', ')}]`;
    assertYamlError(doc, /^line 2, column \d+$/, /uses more than 10,000 aliases/);
  });

  test('a few aliases expand to copies', () => {
    assert.deepEqual(parseYaml('base: &p { fast: 10 }\nother: *p', 'op.yaml'), { base: { fast: 10 }, other: { fast: 10 } });
  });
});

describe('dumpYaml', () => {
  test('sorts keys at every level and round-trips', () => {
    const value = { z: 1, a: { y: [{ q: 'yes', b: '2004-08-19' }], c: null } };
    const text = dumpYaml(value);
    assert.equal(text, "a:\n  c: null\n  'y':\n    - b: '2004-08-19'\n      q: 'yes'\nz: 1\n");
    assert.deepEqual(parseYaml(text, 'dump'), value);
  });

  test('a shared object is written twice, not as an anchor', () => {
    const shared = { fast: 10 };
    assert.doesNotMatch(dumpYaml({ a: shared, b: shared }), /[&*]/);
  });
});

describe('keys that name a prototype', () => {
  test('a "__proto__" key anywhere is refused with its field path', () => {
    assert.throws(
      () => parseYaml('variant_config:\n  variants:\n    - name: x\n      overrides:\n        __proto__: { a: 1 }\n', 'v.yaml'),
      (e: unknown) => e instanceof ConfigError && e.file === 'v.yaml' && e.field === 'variant_config.variants[0].overrides.__proto__' && /prototype/.test(e.reason),
    );
  });
});

describe('numbers out of range', () => {
  test('a plain number beyond ±1.8e308 is refused as out of range, naming its field', () => {
    // js-yaml keeps 1e309 as the string "1e309", which a number field refused as "expected number, received string".
    for (const [text, field] of [
      ['params: { atr_multiplier: 1e309 }', 'params.atr_multiplier'],
      ['params: { atr_multiplier: +1e309 }', 'params.atr_multiplier'],
      ['list:\n  - [1, 2, -1e309]', 'list[0][2]'],
      ['a: 1.0E+400', 'a'],
    ] as const) {
      assertYamlError(text, field, /^[-+]?1(\.0)?[eE]\+?[34]0[09] is out of range for a number \(beyond ±1\.8e308\); write a smaller number, or quote it if it is text$/);
    }
    assertYamlError(`a: ${'9'.repeat(400)}`, 'a', /^9{20}… \(400 characters\) is out of range for a number/);
  });

  test('.inf and .nan are refused as not finite, naming their field', () => {
    assertYamlError('a: { b: .inf }', 'a.b', /^is Infinity: a number out of range \(beyond ±1\.8e308, or \.inf\); write a finite number$/);
    assertYamlError('a: [-.inf]', 'a[0]', /^is -Infinity: a number out of range/);
    assertYamlError('a: { b: .NaN }', 'a.b', /^is NaN \(\.nan\), not a number$/);
  });

  test('the same text quoted, tagged or as a key stays text', () => {
    assert.deepEqual(parseYaml('a: "1e309"\nb: \'-1e309\'\nc: !!str 1e309\nd: { 1e309: 1 }\ne: 1e308\n', 'op.yaml'), { a: '1e309', b: '-1e309', c: '1e309', d: { '1e309': 1 }, e: 1e308 });
  });
});
