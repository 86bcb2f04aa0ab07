import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { walkForwardCurves, walkForwardReport } from '../../client/walk-forwards.js';
import { NotFoundError } from '../../config/errors.js';
import { MetricsSchema } from '../../engine/result.js';
import { sweepLinks, type ApiDeps } from '../deps.js';
import { sampleIndices } from '../equity.js';
import { validationHook } from '../errors.js';
import { errors, SweepDetailSchema, SweepParamsSchema } from '../schemas.js';

/*
 * /api/walk-forwards/:id: a walk-forward's windows and stitched figures (src/client/walk-forwards.ts),
 * and the curves for its chart. Status, pause, resume and cancel are those of /api/sweeps/:id (a
 * walk-forward is listed there with kind "walk_forward"); POST /api/walk-forwards starts one.
 */

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

const ParamValueSchema = z.union([z.string(), z.number(), z.boolean()]);
const ComboSchema = z.record(z.string(), ParamValueSchema);

const WindowSchema = z
  .object({
    k: z.number().int().openapi({ description: '1-based window number.' }),
    is_start: z.string(),
    is_end: z.string(),
    oos_start: z.string(),
    oos_end: z.string(),
    warmup_start: z.string().openapi({ description: 'First bar the out-of-sample run reads (its warm-up); it trades from oos_start.' }),
    is_bars: z.number().int(),
    oos_bars: z.number().int(),
    sweep_id: z.string().openapi({ description: "The window's in-sample optimization, a sweep of its own." }),
    status: z.enum(['done', 'pending']),
    params: ComboSchema.nullable().openapi({ description: 'The combination chosen in sample; null when none met min_trades (the window stays out of the market) or not yet done.' }),
    in_sample: MetricsSchema.nullable(),
    out_of_sample: MetricsSchema.nullable(),
    efficiency: z.number().nullable().openapi({ description: 'Out-of-sample CAGR over in-sample CAGR (docs/metrics.md).' }),
  })
  .openapi('WalkForwardWindow');

const StabilitySchema = z
  .object({
    values: z.array(ParamValueSchema.nullable()),
    distinct: z.number().int(),
    mode: ParamValueSchema.nullable(),
    mode_share: z.number().nullable(),
    mean: z.number().nullable(),
    std: z.number().nullable(),
    cv: z.number().nullable(),
  })
  .openapi('ParamStability');

const ReportSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    plan: z.object({ in_sample: z.string(), out_of_sample: z.string(), step: z.string(), mode: z.enum(['anchored', 'rolling']) }),
    warmup_bars: z.number().int(),
    primary_metric: z.string(),
    param_names: z.array(z.string()),
    windows: z.array(WindowSchema),
    stitched: z
      .object({ metrics: MetricsSchema, efficiency: z.number().nullable(), stability: z.record(z.string(), StabilitySchema), windows: z.number().int() })
      .nullable()
      .openapi({ description: 'The stitched out-of-sample result over the finished windows; null before the first.' }),
  })
  .openapi('WalkForwardReport');

const DetailSchema = z
  .object({ sweep: SweepDetailSchema, report: ReportSchema.nullable().openapi({ description: 'null while the walk-forward has not reached the store yet.' }) })
  .openapi('WalkForwardDetail');

const CurvesQuerySchema = z.object({ points: z.coerce.number().int().min(2).max(20_000).default(1_000) });
const CurveSchema = z.object({ t: z.array(z.number()), v: z.array(z.number()) });
const CurvesSchema = z
  .object({
    stitched: CurveSchema.openapi({ description: 'The stitched out-of-sample equity.' }),
    in_sample: z
      .array(z.object({ k: z.number().int(), params: ComboSchema, equity: CurveSchema }))
      .openapi({ description: "Each window's in-sample equity of its choice, scaled to end where the stitched curve enters the window." }),
  })
  .openapi('WalkForwardCurves');

export function walkForwardRoutes(deps: ApiDeps) {
  const { sweeps, store } = deps;
  const app = new OpenAPIHono({ defaultHook: validationHook });

  /** The report, 404 when the id is not a walk-forward (SweepNotFound when Temporal knows it not either). */
  const report = async (id: string) => {
    const view = await sweeps.view(id);
    if (view.kind !== 'walk_forward') throw new NotFoundError('walk-forward', id, `is a sweep of kind "${view.kind}", not a walk-forward`);
    return { view, report: await walkForwardReport(store, id) };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'A walk-forward: its status, windows and stitched out-of-sample figures',
      request: { params: SweepParamsSchema },
      responses: { 200: json(DetailSchema, 'The walk-forward.'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { view, report: r } = await report(c.req.valid('param').id);
      return c.json({ sweep: { ...view, links: sweepLinks(deps, view.id) }, report: r }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/windows',
      summary: "A walk-forward's windows: ranges, chosen params, in-sample and out-of-sample metrics",
      request: { params: SweepParamsSchema },
      responses: { 200: json(z.object({ windows: z.array(WindowSchema) }), 'Every window, done or pending.'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { report: r } = await report(c.req.valid('param').id);
      return c.json({ windows: r?.windows ?? [] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/equity',
      summary: 'The stitched out-of-sample equity and the in-sample curves, thinned to `points` samples each',
      request: { params: SweepParamsSchema, query: CurvesQuerySchema },
      responses: { 200: json(CurvesSchema, 'Curves in epoch milliseconds.'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { points } = c.req.valid('query');
      await report(id);
      const curves = await walkForwardCurves(store, id);
      const thin = (curve: { t: number[]; v: number[] }) => {
        const picks = sampleIndices(curve.t.length, points);
        return { t: picks.map((i) => curve.t[i]!), v: picks.map((i) => curve.v[i]!) };
      };
      return c.json({ stitched: thin(curves.stitched), in_sample: curves.in_sample.map((w) => ({ ...w, equity: thin(w.equity) })) }, 200);
    },
  );

  return app;
}
