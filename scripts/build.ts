// The compiled package in dist/, half of `npm run build` (run by `prepack`, so `npm pack` ships it;
// the other half bundles the workflow code into dist/workflow-bundle.js):
//   dist/**.js + .d.ts   tsc -p tsconfig.build.json: src/ and worker.ts in the repository's layout
//   dist/src/api/page/   the page's static files, which tsc does not copy
//   dist/src/user-plugins/guest-bundle.js   the runtime every user plugin realm evaluates, with
//                        sweeplab/plugin and zod, bundled once here instead of on first use
// The repository itself runs its TypeScript sources through tsx and never reads dist/ (bin/sweeplab.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleGuest, GUEST_BUNDLE_FILE } from '../src/user-plugins/realm.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

// From scratch, so a module deleted from src/ is not shipped from an earlier build.
fs.rmSync(dist, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
fs.cpSync(path.join(root, 'src', 'api', 'page'), path.join(dist, 'src', 'api', 'page'), { recursive: true });
fs.writeFileSync(path.join(dist, 'src', 'user-plugins', GUEST_BUNDLE_FILE), bundleGuest().text);
console.log(`sweeplab build: compiled into ${dist}`);
