import { z } from 'zod';
import { parseTimestamp } from './timestamp.js';

/* Dates as users write them, shared by the engine's environment and the data sources. */

/**
 * `2004-08-19` or a full ISO 8601 timestamp; read as UTC. Checked by the same strict parser as a
 * CSV's times (src/core/timestamp.ts), so `2014-02-30` is refused here too instead of rolling
 * into March the way Date.parse would.
 */
export const DateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be a date like "2004-08-19" or an ISO 8601 timestamp')
  .superRefine((s, ctx) => {
    const parsed = parseTimestamp(s);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `"${s}" ${parsed}` });
  });

/** Epoch ms of a date that DateSchema accepted. */
export function parseUtc(date: string): number {
  const parsed = parseTimestamp(date);
  return typeof parsed === 'number' ? parsed : Number.NaN;
}
