import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { withReference } from '../../src/engine/plugins/reference.js';

test('the plugin reference in docs/plugins.md is the one the registry generates (run npx tsx scripts/plugin-reference.ts)', () => {
  const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/plugins.md'), 'utf8');
  assert.equal(doc, withReference(doc));
});

test('the worked example in docs/plugins.md is the example workspace plugin, verbatim', () => {
  const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/plugins.md'), 'utf8');
  for (const file of ['plugins/roc_momentum.ts', 'plugins/lib/rate-of-change.ts', 'blueprints/roc_momentum.yaml', 'optimization_momentum.yaml']) {
    const text = fs.readFileSync(path.resolve(import.meta.dirname, '../../examples', file), 'utf8');
    assert.ok(doc.includes(`\n${text}\`\`\``), `docs/plugins.md shows examples/${file} as it is`);
  }
});
