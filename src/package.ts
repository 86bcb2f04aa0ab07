import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Where sweeplab itself is installed: the repository when it runs from its sources, the package
 * folder (node_modules/sweeplab) when it runs compiled from dist/. Files that ship beside the code
 * (examples/, the Temporal CLI that scripts/setup.mjs installs into .temporal/) are found from here,
 * never from the working directory, which is the user's workspace.
 */

/** The nearest folder above this module that holds a package.json: src/ sits one level lower than dist/src/. */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`sweeplab: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();

/** sweeplab's own package.json fields that the CLI shows or writes into a new workspace. */
export function packageInfo(): { name: string; version: string } {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return { name, version };
}
