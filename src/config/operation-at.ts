import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import { comboAt, type Combo } from './grid.js';
import { materialize, type MaterializedOperation } from './materialize.js';
import { applyCombo } from './overrides.js';
import type { Workforce } from './schemas.js';
import type { SweepSpec } from './sweep.js';

// Kept apart from sweep.ts, which workflow code imports: materializing needs the schemas (zod).

/** The self-contained operation at `idx` of a sweep, and the params that distinguish it. */
export function operationAt(spec: SweepSpec, idx: number, plugins: PluginSet = BUILTIN_PLUGINS): { op: MaterializedOperation; params: Combo } {
  if (spec.kind === 'optimization') {
    const combo = comboAt(spec.grid, idx);
    const label = Object.entries(combo)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return { op: materialize(spec.base, applyCombo(spec.base.blueprint.workforce, spec.grid, combo), `${spec.name} #${idx} ${label}`, plugins), params: combo };
  }
  const variant = spec.variants[idx];
  if (!variant) throw new RangeError(`variant index ${idx} is outside 0..${spec.variants.length - 1}`);
  return { op: materialize(spec.base, variant.workforce, `${spec.name}: ${variant.name}`, plugins), params: { variant: variant.name } };
}

/** The workforce of operation `idx`: what operationAt would materialize, without the copy of everything else. */
export function workforceAt(spec: SweepSpec, idx: number): Workforce {
  return spec.kind === 'optimization' ? applyCombo(spec.base.blueprint.workforce, spec.grid, comboAt(spec.grid, idx)) : spec.variants[idx]!.workforce;
}
