import fs from 'node:fs';
import path from 'node:path';
import { benchApi } from './api.js';
import { benchCli } from './cli.js';
import { benchEngine } from './engine.js';
import { benchIsolation } from './isolation.js';
import { benchLoad } from './load.js';
import { benchScale } from './scale.js';
import { benchStats } from './stats.js';
import { repoRoot } from './stack.js';
import { benchSweep } from './sweep.js';

/*
 * `npm run bench`: every speed and memory figure the project promises, printed as tables and written
 * to bench/results.json. `npm run bench -- --scale` adds the 1,000,000-operation sweep (SWEEPLAB_BENCH_SCALE_GRID picks a smaller grid);
 * `npm run bench -- engine api` runs only the named sections (results.json keeps the others).
 */

const sections = { engine: benchEngine, isolation: benchIsolation, sweep: benchSweep, api: benchApi, load: benchLoad, cli: benchCli, stats: benchStats, scale: benchScale } as const;
type Section = keyof typeof sections;

const args = process.argv.slice(2);
const named = args.filter((a) => a in sections) as Section[];
const chosen: Section[] = named.length ? named : (['engine', 'isolation', 'sweep', 'api', 'load', 'cli', 'stats', ...(args.includes('--scale') ? (['scale'] as const) : [])] as Section[]);

const file = path.join(repoRoot, 'bench/results.json');
const results: Record<string, unknown> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
for (const name of chosen) {
  process.stderr.write(`bench: ${name}…\n`);
  const figures = await sections[name]();
  console.log(`\n${name}`);
  console.table(figures);
  results[name] = { ...figures, measured_at: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
results.machine = { cores: (await import('node:os')).availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` };
fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
