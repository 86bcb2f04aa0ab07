import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

/*
 * The results page: three static files and uPlot from node_modules, served as they are (no build
 * step). A fixed list of names, so no request path ever reaches the file system.
 */

const require = createRequire(import.meta.url);
const pageFile = (name: string) => new URL(`./page/${name}`, import.meta.url);

const FILES: Record<string, { file: URL | string; type: string }> = {
  '/': { file: pageFile('index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: pageFile('app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: pageFile('style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export const PAGE_PATHS = Object.keys(FILES);

export function pageRoutes() {
  const app = new Hono();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, async (c) => c.body(await readFile(file), 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' }));
  }
  return app;
}
