import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../cli/run-cli.js';

/*
 * Workflow purity is checked by `npm run lint` (.oxlintrc.json, run in pretest): this proves the rule
 * bites, on a probe file placed among the workflows for the duration of the test.
 */

const probe = path.join(repoRoot, 'src', 'workflows', `lint-probe-${process.pid}.ts`);

function lint(source: string, flags: string[] = []): { code: number | null; output: string } {
  fs.writeFileSync(probe, source);
  try {
    const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'oxlint'), ['-c', '.oxlintrc.json', ...flags, path.relative(repoRoot, probe)], { cwd: repoRoot, encoding: 'utf8' });
    return { code: run.status, output: run.stdout + run.stderr };
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

for (const [what, line] of [
  ['a Node built-in', "import fs from 'node:fs';\nexport const f = fs;"],
  ['a bare Node built-in', "import { createHash } from 'crypto';\nexport const f = createHash;"],
  ['activity code', "import { createActivities } from '../activities/index.js';\nexport const f = createActivities;"],
  ['the store', "import { openStore } from '../store/index.js';\nexport const f = openStore;"],
  ['the Temporal client', "import { Client } from '@temporalio/client';\nexport const f = Client;"],
  ['the operation hash (it needs node:crypto)', "import { operationHash } from '../config/hash.js';\nexport const f = operationHash;"],
  ['the loading of files', "import { loadOptimizationFile } from '../intake/load.js';\nexport const f = loadOptimizationFile;"],
] as const) {
  test(`workflow code importing ${what} fails the lint`, () => {
    const { code, output } = lint(line);
    assert.notEqual(code, 0, output);
    assert.match(output, /no-restricted-imports/);
    assert.match(output, /must be deterministic/);
  });
}

test('workflow code may import the workflow SDK, pure modules, and anything as a type', () => {
  const { code, output } = lint(
    [
      "import { sleep } from '@temporalio/workflow';",
      "import { comboAt } from '../config/grid.js';",
      "import { didYouMean } from '../core/suggest.js';",
      "import type { createActivities } from '../activities/index.js';",
      "import type { Store } from '../store/types.js';",
      'export type A = ReturnType<typeof createActivities> | Store;',
      'export const f = [sleep, comboAt, didYouMean];',
    ].join('\n'),
  );
  assert.equal(code, 0, output);
});

test('a floating promise in workflow code fails the type-aware lint', () => {
  const { code, output } = lint("import { sleep } from '@temporalio/workflow';\nexport async function f(): Promise<void> {\n  sleep(1);\n}\n", ['--type-aware', '--deny-warnings']);
  assert.notEqual(code, 0, output);
  assert.match(output, /no-floating-promises/);
});
