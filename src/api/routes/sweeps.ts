import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { FullResults } from '../../services/full-results.js';
import type { SweepView } from '../../client/sweeps.js';
import { ConflictError, NotFoundError, RequestError } from '../../config/errors.js';
import { parseResultFilter, rankedFilter } from '../../services/results-query.js';
import { computeSweepStatistics } from '../../services/statistics.js';
import { resultsCsv } from '../../services/csv.js';
import type { ResultFilter, SweepRow } from '../../store/types.js';
import { sweepLinks, type ApiDeps } from '../deps.js';
import { alignCurves } from '../equity.js';
import { validationHook } from '../errors.js';
import {
  EquityQuerySchema,
  EquitySchema,
  errors,
  HeatmapQuerySchema,
  HeatmapSchema,
  ListQuerySchema,
  ResultsPageSchema,
  ResultsQuerySchema,
  SweepDetailSchema,
  SweepListSchema,
  StatisticsSchema,
  SweepParamsSchema,
} from '../schemas.js';

/*
 * /api/sweeps: the list, one sweep's status, its results table, curves and heatmap, and control.
 * Status comes from the workflow while it runs (Sweeps.view), everything else from the store; with
 * Temporal away, reads still answer from the store and control answers 503 (src/api/errors.ts).
 */

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The most curves one chart request may ask for. */
const MAX_CURVES = 50;
const TOP_CURVES = 5;

export function sweepRoutes(deps: ApiDeps) {
  const { sweeps, store } = deps;
  const fullResults = new FullResults(store, deps.dataRoot);
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const detail = (view: SweepView) => ({ ...view, links: sweepLinks(deps, view.id) });

  /** The sweep's stored row; a sweep Temporal knows but the store not yet (just started) is empty for now. */
  const storedSweep = async (id: string): Promise<SweepRow | null> => {
    const row = await store.getSweep(id);
    if (!row) await sweeps.view(id); // SweepNotFound → 404
    return row;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List sweeps, newest first',
      request: { query: ListQuerySchema },
      responses: { 200: json(SweepListSchema, 'A page of sweeps, with live progress for running ones (their store counts, flagged, while Temporal is unreachable).'), ...errors(400, 401) },
    }),
    async (c) => {
      const { kind, status, limit, offset } = c.req.valid('query');
      const { views, total } = await sweeps.list({ kind, status, limit, offset });
      return c.json({ rows: views.map(detail), total, limit, offset }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Status and progress of a sweep',
      request: { params: SweepParamsSchema },
      responses: {
        200: json(SweepDetailSchema, 'The sweep; while Temporal is unreachable, as the results store has it, with temporal "unreachable" and a note.'),
        ...errors(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const view = await sweeps.view(id);
      return c.json(detail(view), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/results',
      summary: 'The results table: sorted, filtered, paged; JSON or CSV',
      request: { params: SweepParamsSchema, query: ResultsQuerySchema },
      responses: {
        200: {
          description: 'A page of results.',
          content: { 'application/json': { schema: ResultsPageSchema }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...errors(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const csv = q.format === 'csv';
      const limit = q.limit ?? (csv ? null : 50);
      const row = await storedSweep(id);
      const filter = q.filter ? parseResultFilter(q.filter, 'query', 'filter') : undefined;
      const { rows, total } = row
        ? await store.queryResults(id, { sort: q.sort ?? row.primary_metric, order: q.order, limit: limit ?? undefined, offset: q.offset, filter })
        : { rows: [], total: 0 };
      if (csv) {
        return c.body(resultsCsv(rows, row?.param_names ?? []), 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${id}-results.csv"`,
        });
      }
      return c.json({ rows, total, limit, offset: q.offset }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/equity',
      summary: 'Equity and drawdown curves on one time axis',
      request: { params: SweepParamsSchema, query: EquityQuerySchema },
      responses: { 200: json(EquitySchema, 'Aligned, downsampled curves.'), ...errors(400, 401, 404, 409, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { ids, points } = c.req.valid('query');
      const row = await storedSweep(id);
      if (!row) return c.json({ t: [], series: [] }, 200);
      const hashes = ids ? await chosenHashes(id, ids) : await defaultHashes(row);
      // Recomputed from the sweep's spec (src/services/full-results.ts); changed data is a 409.
      const curves = await fullResults.of(id, hashes);
      // A hash this sweep never ran is as unknown as an index it does not have.
      const missing = hashes.find((hash) => !curves.some((curve) => curve.hash === hash));
      if (missing) throw new NotFoundError('query', 'ids', `"${missing}" is not an index or operation hash of sweep "${id}"`);
      const order = new Map(hashes.map((h, i) => [h, i]));
      curves.sort((a, b) => order.get(a.hash)! - order.get(b.hash)!);
      const aligned = alignCurves(
        curves.map((curve) => ({ key: curve, equity: curve.result.equity, drawdown: curve.result.drawdown })),
        points,
      );
      return c.json(
        {
          t: aligned.t,
          series: aligned.series.map(({ key, equity, drawdown }) => ({ hash: key.hash, idx: key.idx, params: key.params, equity, drawdown })),
        },
        200,
      );
    },
  );

  /** Hashes for `ids`: each a full operation hash or a grid/variant index of this sweep. */
  async function chosenHashes(id: string, ids: string): Promise<string[]> {
    const tokens = [...new Set(ids.split(',').map((s) => s.trim()).filter(Boolean))];
    if (tokens.length > MAX_CURVES) throw new RequestError('query', 'ids', `names ${tokens.length} operations; at most ${MAX_CURVES} fit one chart`);
    const hashes: string[] = [];
    for (const token of tokens) {
      const filter: ResultFilter[] = /^\d+$/.test(token) ? [{ field: 'idx', op: '=', value: Number(token) }] : [];
      const found = filter.length
        ? (await store.queryResults(id, { filter, limit: 1 })).rows[0]?.hash
        : /^[0-9a-f]{64}$/.test(token)
          ? token
          : undefined;
      if (!found) throw new NotFoundError('query', 'ids', `"${token}" is not an index or operation hash of sweep "${id}"`);
      hashes.push(found);
    }
    return hashes;
  }

  /** Every variant of a variant test; the best few of an optimization (those with enough trades). */
  async function defaultHashes(row: SweepRow): Promise<string[]> {
    if (row.kind === 'variant_test') return (await store.queryResults(row.id, { sort: 'idx', order: 'asc', limit: MAX_CURVES })).rows.map((r) => r.hash);
    return (await store.queryResults(row.id, { sort: row.primary_metric, limit: TOP_CURVES, filter: rankedFilter(row.spec) })).rows.map((r) => r.hash);
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/heatmap',
      summary: 'A metric over two parameters',
      request: { params: SweepParamsSchema, query: HeatmapQuerySchema },
      responses: { 200: json(HeatmapSchema, 'One cell per (x, y) pair present.'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const row = await storedSweep(id);
      const metric = q.metric ?? row?.primary_metric ?? 'sharpe_ratio';
      const cells = row ? await store.heatmap(id, q.x, q.y, metric, q.agg) : [];
      return c.json({ x: distinctSorted(cells.map((cell) => cell.x)), y: distinctSorted(cells.map((cell) => cell.y)), metric, agg: q.agg, cells }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/statistics',
      summary: 'How far to trust the best row: DSR, PBO, neighbourhood stability, Monte Carlo of trades',
      description: 'As computed when the optimization completed, or by the last POST to this path (docs/metrics.md).',
      request: { params: SweepParamsSchema },
      responses: { 200: json(StatisticsSchema, 'The stored robustness statistics.'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await storedSweep(id);
      const statistics = await store.getStatistics(id);
      if (!statistics) throw new NotFoundError('sweep', id, 'has no robustness statistics yet (they are computed when an optimization completes; POST to this path computes them now)');
      return c.json(statistics, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/statistics',
      summary: 'Compute the robustness statistics now (also for a running optimization) and store them',
      request: { params: SweepParamsSchema },
      responses: { 200: json(StatisticsSchema, 'The statistics just computed (partial: true while the sweep runs).'), ...errors(400, 401, 404, 409, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await storedSweep(id))) throw new ConflictError('sweep', id, 'has no stored operations yet');
      const statistics = await computeSweepStatistics({ store, dataRoot: deps.dataRoot }, id);
      await store.saveStatistics(statistics);
      return c.json(statistics, 200);
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/{id}/${action}`,
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a sweep`,
        description:
          action === 'resume'
            ? 'A paused sweep carries on; a cancelled or failed one starts again under its id, reusing every stored operation. A sweep run by another build continues on the current one, reusing only results of its results version; `code_change` says what that means for this sweep (docs/deploy.md, "Upgrades").'
            : `Only a running sweep can ${action}.`,
        request: { params: SweepParamsSchema },
        responses: { 200: json(SweepDetailSchema, 'The sweep after the action.'), ...errors(400, 401, 404, 409, 503) },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        return c.json(detail(await sweeps[action](id)), 200);
      },
    );
  }

  return app;
}

/** Numbers in numeric order, then text and booleans in text order (the store's order for params). */
function distinctSorted<T extends string | number | boolean>(values: T[]): T[] {
  return [...new Set(values)].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  });
}
