// Runs the node:test suite over every test/**/*.test.ts (Node 20's --test neither expands globs nor
// finds .ts files by itself). Arguments narrow it: `npm test -- test/config temporal` runs the files
// whose path contains any of the words. One file at a time: the Temporal and browser tests each start
// servers and keep both cores busy.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const words = process.argv.slice(2);
const files = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('test', f))
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${words.join(' ')}`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
