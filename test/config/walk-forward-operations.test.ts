import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { loadWalkForwardFile } from '../../src/intake/walk-forward.js';
import { inSampleOperation, outOfSampleOperation } from '../../src/config/walk-forward-operations.js';
import type { WalkForwardSpec } from '../../src/config/walk-forward-spec.js';

/*
 * No look-ahead across a window's boundary: a window's in-sample runs read no bar from its
 * out-of-sample piece on, and its out-of-sample run reads no bar before its warm-up or after its
 * piece. Proven by changing exactly those bars in a copy of the data and getting identical results.
 */

const root = path.resolve(import.meta.dirname, '../..');
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-wf-lookahead-'));
after(() => fs.rmSync(workspace, { recursive: true, force: true }));

const CSV = fs.readFileSync(path.join(root, 'examples/data/SYNTH_1d.csv'), 'utf8');
fs.mkdirSync(path.join(workspace, 'data'));
fs.cpSync(path.join(root, 'examples/blueprints'), path.join(workspace, 'blueprints'), { recursive: true });
fs.copyFileSync(path.join(root, 'examples/operation.yaml'), path.join(workspace, 'operation.yaml'));
fs.writeFileSync(
  path.join(workspace, 'optimization.yaml'),
  `optimization_config:
  name: grid
  base_operation: operation.yaml
  parameter_space:
    - { worker_category: analysis_workers, worker_phase: signal_generation, worker_plugin: sma_cross, parameters: { fast: { values: [5, 20] }, slow: { values: [50, 100] } } }
`,
);
fs.writeFileSync(path.join(workspace, 'wf.yaml'), 'walk_forward_config: { name: wf, base_optimization: optimization.yaml, windows: { in_sample: 2y, out_of_sample: 1y } }\n');

/** The walk-forward on SYNTH_1d with every bar whose date `changed` selects scaled by 1.37. */
function specWith(changed: (date: string) => boolean): WalkForwardSpec {
  const lines = CSV.trimEnd().split('\n');
  const out = lines.map((line, i) => {
    const [date, ...values] = line.split(',');
    if (i === 0 || !changed(date!)) return line;
    return [date, ...values.slice(0, 4).map((v) => String(Number(v) * 1.37)), values[4]].join(',');
  });
  fs.writeFileSync(path.join(workspace, 'data/SYNTH_1d.csv'), `${out.join('\n')}\n`);
  return loadWalkForwardFile(path.join(workspace, 'wf.yaml'), { dataRoot: workspace }).spec;
}

const run = (op: Parameters<typeof runMaterializedOperation>[0]) => {
  const { metrics, equity, trades } = runMaterializedOperation(op, { dataRoot: workspace, file: 'test' });
  return { metrics, equity, trades };
};

describe('walk-forward window operations', () => {
  const K = 3;
  const w = specWith(() => false).windows[K - 1]!;
  const day = (iso: string) => iso.slice(0, 10);

  it('in sample, read nothing from the out-of-sample piece on', () => {
    const original = specWith(() => false);
    const before = [0, 1, 2, 3].map((idx) => run(inSampleOperation(original, K, idx).op));
    const changed = specWith((date) => date >= day(w.oos_start));
    const after = [0, 1, 2, 3].map((idx) => run(inSampleOperation(changed, K, idx).op));
    assert.deepEqual(after, before);
    assert.ok(before.every((r) => r.trades.length > 0), 'the runs trade');
  });

  it('out of sample, read nothing before the warm-up or after the piece', () => {
    const original = specWith(() => false);
    const before = [0, 1, 2, 3].map((idx) => run(outOfSampleOperation(original, K, idx).op));
    const changed = specWith((date) => date < day(w.warmup_start) || date > day(w.oos_end));
    const after = [0, 1, 2, 3].map((idx) => run(outOfSampleOperation(changed, K, idx).op));
    assert.deepEqual(after, before);
    assert.equal(before[0]!.equity.t[0], Date.parse(w.oos_start), 'measured from the piece\'s first bar');
    assert.equal(before[0]!.equity.v[0], 10_000, 'starting at the capital');
  });

  it('out of sample, do read the warm-up bars (so the warm-up is real)', () => {
    const before = run(outOfSampleOperation(specWith(() => false), K, 3).op);
    const changed = specWith((date) => date >= day(w.warmup_start) && date < day(w.oos_start));
    assert.notDeepEqual(run(outOfSampleOperation(changed, K, 3).op), before);
  });
});
