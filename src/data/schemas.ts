import { z } from 'zod';
import { DateSchema } from '../core/dates.js';
import { TIMESTAMP_UNITS } from '../core/timestamp.js';
import { MAX_BARS } from '../engine/bars.js';

/* The data-source schemas: what a data source may be, owned by the layer that reads them (docs/formats.md). */

/** `1m`, `15m`, `1h`, `4h`, `1d`, `1w`: the bar length of a data source. */
export const TimeframeSchema = z.string().regex(/^[1-9]\d*(m|h|d|w)$/, 'must be a bar length like "1d", "4h" or "15m"');

export const CsvDataSourceSchema = z
  .object({
    type: z.literal('csv_archive'),
    /** Relative to the file that names it; must stay inside the data root. */
    path: z.string().min(1),
    asset_pair: z.string().min(1).default('UNKNOWN'),
    timeframe: TimeframeSchema,
    /**
     * The unit of epoch times in the file (`s`, `ms`, `us`, `ns`); inferred from the first time when
     * omitted (docs/formats.md, "CSV data"). Ignored for ISO dates.
     */
    timestamp_unit: z.enum(TIMESTAMP_UNITS).optional(),
    /** Content hash of the file; set by materialization, checked when present. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').optional(),
  })
  .strict();

export const SyntheticDataSourceSchema = z
  .object({
    type: z.literal('synthetic'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    bars: z.number().int().min(2).max(MAX_BARS, `is more than the ${MAX_BARS.toLocaleString('en-US')} bars one data source may have (each busy slot holds them in memory; docs/formats.md)`),
    start: DateSchema.default('2015-01-01'),
    asset_pair: z.string().min(1).default('SYNTH/USD'),
    timeframe: TimeframeSchema.default('1d'),
    start_price: z.number().positive().default(100),
  })
  .strict();

export const DataSourceSchema = z.discriminatedUnion('type', [CsvDataSourceSchema, SyntheticDataSourceSchema]);
export type DataSource = z.infer<typeof DataSourceSchema>;
