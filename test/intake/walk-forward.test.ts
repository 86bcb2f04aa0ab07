import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isConfigError } from '../../src/config/errors.js';
import { loadWalkForwardFile, resolveWalkForward } from '../../src/intake/walk-forward.js';
import { windowOptimization } from '../../src/config/walk-forward-spec.js';
import { parseYaml } from '../../src/intake/yaml.js';
import fs from 'node:fs';

/*
 * walk_forward.yaml through the loader: the example's windows, and every bad file refused with one
 * message naming the file, the field and the reason. Documents resolve against examples/, so
 * `optimization.yaml` is the example grid (SYNTH_1d 2014-01-01 … 2023-12-29, 2,608 daily bars;
 * its longest warm-up is sma_cross slow 200).
 */

const root = path.resolve(import.meta.dirname, '../..');
const opts = { file: 'wf.yaml', baseDir: path.join(root, 'examples'), dataRoot: root };
const doc = (windows: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  walk_forward_config: { name: 'wf', base_optimization: 'optimization.yaml', windows, ...extra },
});

function refusal(document: unknown): { field: string; reason: string; message: string } {
  try {
    resolveWalkForward(document, opts).spec;
  } catch (error) {
    assert.ok(isConfigError(error), `expected a ConfigError, got ${error}`);
    assert.equal(error.file, 'wf.yaml');
    return error;
  }
  assert.fail('expected the document to be refused');
}

describe('walk_forward.yaml', () => {
  it('lays the example out as 16 rolling windows of 2 years and 6 months', () => {
    const spec = loadWalkForwardFile(path.join(root, 'examples/walk_forward.yaml'), { dataRoot: root }).spec;
    assert.equal(spec.windows.length, 16);
    assert.equal(spec.warmup_bars, 200, 'sma_cross slow 200 is the longest warm-up of the grid');
    assert.deepEqual(spec.windows[0], {
      k: 1,
      is_start: '2014-01-01T00:00:00.000Z',
      is_end: '2015-12-31T00:00:00.000Z',
      oos_start: '2016-01-01T00:00:00.000Z',
      oos_end: '2016-06-30T00:00:00.000Z',
      warmup_start: '2015-03-27T00:00:00.000Z',
      is_bars: 522,
      oos_bars: 130,
    });
    assert.equal(spec.windows[15]!.oos_end, '2023-12-29T00:00:00.000Z', 'the last piece ends with the data');
    assert.deepEqual(spec.plan, { in_sample: '2y', out_of_sample: '6m', step: '6m', mode: 'rolling' });
    const child = windowOptimization(spec, 2);
    assert.deepEqual([child.base.environment.start, child.base.environment.end], ['2014-07-01T00:00:00.000Z', '2016-06-30T00:00:00.000Z']);
    assert.equal(child.admissible, 480);
  });

  it('accepts bar counts and an inline base optimization', () => {
    const inline = (parseYaml(fs.readFileSync(path.join(root, 'examples/optimization.yaml')), 'x') as { optimization_config: unknown }).optimization_config;
    const spec = resolveWalkForward(doc({ in_sample: 600, out_of_sample: '500 bars', mode: 'anchored' }, { base_optimization: inline }), opts).spec;
    assert.deepEqual(spec.windows.map((w) => [w.is_bars, w.oos_bars]), [
      [600, 500],
      [1100, 500],
      [1600, 500],
      [2100, 500],
      [2600, 8],
    ]);
  });

  it('refuses a duration it cannot read', () => {
    const e = refusal(doc({ in_sample: '2 years', out_of_sample: '6m' }));
    assert.equal(e.field, 'walk_forward_config.windows.in_sample');
    assert.match(e.reason, /duration like "2y"/);
  });

  it('refuses an unknown field', () => {
    assert.equal(refusal(doc({ in_sample: '2y', out_of_sample: '6m', anchor: true })).reason, 'unknown field "anchor"');
  });

  it('refuses bar counts mixed with durations', () => {
    const e = refusal(doc({ in_sample: 500, out_of_sample: '6m' }));
    assert.equal(e.field, 'walk_forward_config.windows');
    assert.match(e.reason, /mixes bar counts and calendar durations/);
  });

  it('refuses an in-sample piece too short for the strategy\'s warm-up, saying why', () => {
    const e = refusal(doc({ in_sample: 150, out_of_sample: 100 }));
    assert.equal(e.field, 'walk_forward_config.windows.in_sample');
    assert.match(e.reason, /^leaves window 1 an in-sample piece of 150 bars \(from 2014-01-01T00:00:00.000Z to 2014-07-29T00:00:00.000Z\); the strategy's longest warm-up is 200 bars \("sma_cross" with .*"slow":200.*\), so a piece needs at least 202/);
  });

  it('refuses out-of-sample pieces that would overlap', () => {
    const e = refusal(doc({ in_sample: '2y', out_of_sample: '6m', step: '3m' }));
    assert.equal(e.field, 'walk_forward_config.windows.step');
    assert.match(e.reason, /"3m" is shorter than out_of_sample "6m": the out-of-sample pieces of windows 1 and 2 overlap/);
  });

  it('refuses an out-of-sample piece of one bar', () => {
    const e = refusal(doc({ in_sample: 2607, out_of_sample: 10 }));
    assert.equal(e.field, 'walk_forward_config.windows.out_of_sample');
    assert.match(e.reason, /window 1 an out-of-sample piece of 1 bar \(from 2023-12-29T00:00:00.000Z to 2023-12-29T00:00:00.000Z\)/);
  });

  it('refuses an in-sample piece that leaves nothing out of sample', () => {
    const e = refusal(doc({ in_sample: '20y', out_of_sample: '6m' }));
    assert.match(e.reason, /^"20y" covers all 2608 bars/);
  });

  it('refuses more than 500 windows', () => {
    assert.match(refusal(doc({ in_sample: 300, out_of_sample: 2 })).reason, /^makes more than 500 windows/);
  });

  it('names a missing base optimization file', () => {
    const e = refusal(doc({ in_sample: '2y', out_of_sample: '6m' }, { base_optimization: 'nope.yaml' }));
    assert.deepEqual([e.field, e.reason.split(' (')[0]], ['walk_forward_config.base_optimization', '"nope.yaml" does not exist']);
  });

  it('names a mistake inside an inline base optimization by its place in this file', () => {
    const e = refusal(doc({ in_sample: '2y', out_of_sample: '6m' }, { base_optimization: { name: 'x', base_operation: 'operation.yaml', parameter_space: [] } }));
    assert.deepEqual([e.field, e.reason], ['walk_forward_config.base_optimization.parameter_space', 'needs at least one parameter group']);
  });
});
