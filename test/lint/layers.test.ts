import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../cli/run-cli.js';

/*
 * The layer rule of docs/architecture.md, checked by dependency-cruiser (.dependency-cruiser.cjs,
 * `npm run deps`): the tree passes it, and probe files placed in the tree for the duration of a test
 * prove that an upward import and an import circle fail it.
 */

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations found from the sources (the json reporter exits 0 either way: the list is the verdict). */
function cruise(...sources: string[]): { violations: Violation[]; output: string } {
  const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'depcruise'), [...sources, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, run.stderr);
  return { violations: (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations, output: run.stderr };
}

/** Writes the probe files (path relative to the repository → text), cruises the first, removes them all. */
function cruiseProbes(files: Record<string, string>): Violation[] {
  const paths = Object.keys(files);
  try {
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(repoRoot, file), text);
    return cruise(paths[0]).violations;
  } finally {
    for (const file of paths) fs.rmSync(path.join(repoRoot, file), { force: true });
  }
}

function names(violations: Violation[]): string[] {
  return violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

test('the source tree has no upward import and no import circle', () => {
  const { violations, output } = cruise('src', 'worker.ts');
  assert.deepEqual(names(violations), [], output);
});

test('an engine module importing the CLI fails the layer check', () => {
  const probe = `src/engine/layers-probe-${process.pid}.ts`;
  const violations = cruiseProbes({ [probe]: "import { table } from '../cli/format.js';\nexport const f = table;\n" });
  assert.deepEqual(names(violations), [`layer-engine: ${probe} → src/cli/format.ts`]);
});

test('an upward import only of a type fails the layer check too', () => {
  const probe = `src/data/layers-probe-${process.pid}.ts`;
  const violations = cruiseProbes({ [probe]: "import type { SweepSpec } from '../config/sweep.js';\nexport type S = SweepSpec;\n" });
  assert.deepEqual(names(violations), [`layer-data: ${probe} → src/config/sweep.ts`]);
});

test('the API importing the CLI fails the layer check', () => {
  const probe = `src/api/layers-probe-${process.pid}.ts`;
  const violations = cruiseProbes({ [probe]: "import { table } from '../cli/format.js';\nexport const f = table;\n" });
  assert.deepEqual(names(violations), [`layer-api: ${probe} → src/cli/format.ts`]);
});

test('pure config importing a Node built-in fails the check', () => {
  const probe = `src/config/layers-probe-${process.pid}.ts`;
  const violations = cruiseProbes({ [probe]: "import fs from 'node:fs';\nexport const f = fs;\n" });
  assert.deepEqual(names(violations), [`config-pure: ${probe} → fs`]);
});

test('two modules importing each other fail the circle check', () => {
  const a = `src/core/layers-probe-a-${process.pid}.ts`;
  const b = `src/core/layers-probe-b-${process.pid}.ts`;
  const violations = cruiseProbes({
    [a]: `import { b } from './${path.basename(b, '.ts')}.js';\nexport const a = (): unknown => b;\n`,
    [b]: `import { a } from './${path.basename(a, '.ts')}.js';\nexport const b = (): unknown => a;\n`,
  });
  assert.deepEqual(names(violations), [`no-circular: ${a} → ${b}`]);
});
