#!/usr/bin/env node
// The repository runs its TypeScript sources through tsx (no build step to forget, edits count at
// once); the installed package has no sources, only the JavaScript `npm pack` compiled into dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/src/cli/main.js');
}
