import type { Sweeps } from '../client/sweeps.js';
import type { Store } from '../store/types.js';

/** What the routes work with; the app holds no other state (an API restart loses nothing). */
export interface ApiDeps {
  sweeps: Sweeps;
  store: Store;
  /** The workspace: submitted paths and every path inside documents must stay inside it. */
  dataRoot: string;
  /** When set, every route but /api/health and the page's files needs `Authorization: Bearer <token>`. */
  token?: string | null;
  /** Base URL of the Temporal UI, for links to a sweep's workflow; null when there is none. */
  temporalUiUrl?: string | null;
  namespace?: string;
  bodyLimitBytes?: number;
}

export function sweepLinks(deps: ApiDeps, id: string) {
  const self = `/api/sweeps/${encodeURIComponent(id)}`;
  const ui = deps.temporalUiUrl?.replace(/\/+$/, '');
  const namespace = encodeURIComponent(deps.namespace ?? deps.sweeps.client.options.namespace);
  return {
    self,
    results: `${self}/results`,
    equity: `${self}/equity`,
    temporal_ui: ui ? `${ui}/namespaces/${namespace}/workflows/${encodeURIComponent(id)}` : null,
  };
}
