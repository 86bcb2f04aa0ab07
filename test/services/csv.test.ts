import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvText, resultsCsv } from '../../src/services/csv.js';
import { METRIC_NAMES, type Metrics } from '../../src/engine/result.js';
import type { ResultRow } from '../../src/store/types.js';

// The OWASP CSV-injection rule: a text cell that a spreadsheet would run as a formula gets a single
// quote in front and is quoted. https://owasp.org/www-community/attacks/CSV_Injection

test('neutralises text cells that begin like a formula, with a quote in front and the field quoted', () => {
  const cells = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", '@SUM(1+1)', '\t=1+1', '\r=1+1', '＝1+1', '－1', '＋1', '＠A1'];
  assert.equal(
    csvText(['cell'], cells.map((c) => [c])),
    'cell\n' +
      `"'=HYPERLINK(""http://evil.example"",""click"")"\n` +
      `"'+cmd|' /C calc'!A0"\n` +
      `"'-2+3+cmd|' /C calc'!A0"\n` +
      `"'@SUM(1+1)"\n` +
      `"'\t=1+1"\n` +
      `"'\r=1+1"\n` +
      `"'＝1+1"\n` +
      `"'－1"\n` +
      `"'＋1"\n` +
      `"'＠A1"\n`,
  );
});

test('leaves numbers as they are: a negative number is not a formula', () => {
  assert.equal(csvText(['a', 'b', 'c', 'd'], [[-1.5, 0, -0.25, 1e-7]]), 'a,b,c,d\n-1.5,0,-0.25,1e-7\n');
  // Text that is exactly a decimal number reads as that number, as a number would.
  assert.equal(csvText(['a', 'b', 'c', 'd'], [['-1.5', '+2', '-1e-3', '.5']]), 'a,b,c,d\n-1.5,+2,-1e-3,.5\n');
  // One character more and it is text that could hide a formula.
  assert.equal(csvText(['a', 'b'], [['-1.5 ', '-1.5+A1']]), `a,b\n"'-1.5 ","'-1.5+A1"\n`);
});

test('leaves ordinary text alone and quotes only what CSV needs', () => {
  assert.equal(csvText(['a', 'b', 'c', 'd', 'e'], [['Baseline', 'a,b', 'say "hi"', "it's", null]]), `a,b,c,d,e\nBaseline,"a,b","say ""hi""",it's,\n`);
});

test('neutralises header cells too (a parameter named like a formula)', () => {
  assert.equal(csvText(['=1+1', 'fast'], [[1, 2]]), `"'=1+1",fast\n1,2\n`);
});

test('writes a sweep result row with its parameters, status, error and every metric', () => {
  const metrics = Object.fromEntries(METRIC_NAMES.map((m, i) => [m, i === 0 ? -1.5 : null])) as Metrics;
  const rows: ResultRow[] = [
    { idx: 0, hash: 'ab', params: { variant: '=HYPERLINK("http://evil.example")', fast: -2 }, status: 'done', error: null, metrics, code: null },
    { idx: 1, hash: 'cd', params: { variant: 'Baseline', fast: 3 }, status: 'failed', error: '@bad', metrics: null, code: null },
  ];
  const csv = resultsCsv(rows, ['variant', 'fast']);
  const empties = ','.repeat(METRIC_NAMES.length - 1);
  assert.equal(
    csv,
    `idx,hash,variant,fast,status,error,${METRIC_NAMES.join(',')}\n` +
      `0,ab,"'=HYPERLINK(""http://evil.example"")",-2,done,,-1.5${empties}\n` +
      `1,cd,Baseline,3,failed,"'@bad",${empties}\n`,
  );
});
