// Rewrites the built-in plugin reference in docs/plugins.md from the registry (each plugin's doc and
// the JSON Schema of its params): `npx tsx scripts/plugin-reference.ts`. test/engine/reference.test.ts
// fails while the file differs from what this writes.
import fs from 'node:fs';
import path from 'node:path';
import { referenceSection, withReference } from '../src/engine/plugins/reference.js';

const file = path.resolve(import.meta.dirname, '../docs/plugins.md');
const before = fs.readFileSync(file, 'utf8');
const after = withReference(before);
fs.writeFileSync(file, after);
console.log(after === before ? 'docs/plugins.md: reference up to date' : `docs/plugins.md: reference rewritten (${referenceSection().length} characters)`);
