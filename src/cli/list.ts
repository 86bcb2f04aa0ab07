import { clientAddress } from '../temporal/connection.js';
import { table } from './format.js';
import { bestText, positiveInt, withSweeps } from './sweep-commands.js';

/** `sweeplab list [--limit N] [--json]`: the results store's sweeps, newest first. */
export async function listCommand(opts: { limit?: string; json?: boolean }): Promise<number> {
  const limit = positiveInt(opts.limit ?? '50', '--limit');
  return withSweeps(async (sweeps) => {
    const { views, total } = await sweeps.list({ limit });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(views.map((view) => ({ ...view, progress: undefined })))}\n`);
      return 0;
    }
    const rows = views.map((view) => {
      const finished = view.done + view.failed;
      const pct = view.total ? ` (${((finished / view.total) * 100).toFixed(1)} %)` : '';
      return [view.id, view.kind, view.name, view.status, `${finished}/${view.total}${pct}`, view.best ? `${view.primary_metric} ${bestText(view)}` : '—'];
    });
    process.stdout.write(`${table(['id', 'kind', 'name', 'status', 'progress', 'best'], rows)}\n${views.length} of ${total} sweeps\n`);
    if (views.some((view) => view.temporal === 'unreachable')) {
      const address = clientAddress(sweeps.client);
      process.stdout.write(`Temporal${address ? ` at ${address}` : ''} is unreachable: open sweeps show the results store's status and counts\n`);
    }
    return 0;
  });
}
