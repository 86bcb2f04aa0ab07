import type { BarSeries } from '../engine/bars.js';
import { cachedSeries as sharedCachedSeries } from '../engine/series-cache.js';

/*
 * The series cache as user plugins see it. Plugin code runs in a realm of its own
 * (src/user-plugins/realm.ts), so the cache it fills is that realm's, keyed by the realm's copy of
 * the bars: the built-ins' cache in the host is out of its reach. Within the realm, each plugin's keys
 * live under its own name, so two plugins of one file cannot read or fill each other's series. The
 * guest runtime (src/user-plugins/guest.ts) names the plugin whose code is running.
 */

/** The plugin whose code runs now ("" at a file's top level). */
export const cacheScope = { plugin: '' };

/**
 * A derived series (indicator, events, mask) of `bars` under `key`, computed once per bar series and
 * reused by the later runs of a sweep on the same bars. Keys are this plugin's own: another plugin's
 * "atr:14" is another entry. Never write into what it returns: later runs read the same array.
 */
export function cachedSeries<T extends ArrayBufferView>(bars: BarSeries, key: string, compute: () => T): T {
  // ":" cannot occur in a plugin name (snake_case), so "<name>:<key>" never collides across names.
  return sharedCachedSeries(bars, `${cacheScope.plugin}:${key}`, compute);
}
