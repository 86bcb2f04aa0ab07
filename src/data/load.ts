import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { ConfigError, DataError, joinPath } from '../core/errors.js';
import { parseUtc } from '../core/dates.js';
import type { DataSource } from './schemas.js';
import { firstAtOrAfter, sliceBars, type BarSeries } from '../engine/bars.js';
import { checkCsvSize, decodeUtf8, parseCsvBars } from './csv.js';
import { resolveDataPath } from './paths.js';
import { generateBars } from './synthetic.js';

/*
 * Bars for one operation, from a csv file or the generator, cut to the environment's date range.
 *
 * Caching: a sweep runs the same data thousands of times in one worker, so parsed series are kept
 * per process, keyed by (absolute path, timeframe, timestamp_unit, size, mtime) for files (read in
 * another unit a file gives other bars, and another timeframe checks them again) and by the
 * parameters for synthetic data, together with the slices cut from them. An unchanged source and range give back the very
 * same BarSeries object, which lets the engine cache indicators per series. The arrays are shared:
 * callers must treat them as read-only. At most CACHE_ENTRIES sources and CACHE_BYTES of bars are
 * kept per thread (least recently used goes first, the newest always stays), so a long-lived worker
 * with one cache per pool thread does not grow without bound.
 */

const CACHE_ENTRIES = 16;
/** 256 MiB: five 1M-bar series (six Float64 columns, 48 bytes a bar). */
const CACHE_BYTES = 256 * 1024 * 1024;
const DAY_MS = 86_400_000;

interface CacheEntry {
  /** `size:mtimeMs` of the file that was parsed; '' for synthetic data. */
  version: string;
  sha256: string | null;
  bars: BarSeries;
  /** How a csv file's times were read ("epoch seconds (inferred)"); null for synthetic data. */
  times: string | null;
  slices: Map<string, BarSeries>;
}

const cache = new Map<string, CacheEntry>();

/**
 * Loads a data source's bars and slices them to [start, end]: inclusive, dates read as in
 * src/config/schemas.ts parseUtc, and a date-only `end` means through that whole day.
 * `file` and `field` name the data source in errors (e.g. `op.yaml`, `data_sources.goog_1d`).
 * A csv `source.path` is relative to the data root; it is confined again here and its sha256,
 * when set, must match.
 */
export function loadBars(
  source: DataSource,
  opts: { dataRoot: string; file: string; field: string; start?: string; end?: string },
): BarSeries {
  const entry = source.type === 'csv_archive' ? csvEntry(source, opts) : syntheticEntry(source);
  return slice(entry, opts);
}

/**
 * How a csv data source's times are read ("ISO dates/times", "epoch milliseconds (inferred)"), for a
 * load summary; null for synthetic data. Reads the file unless loadBars already has (cached).
 */
export function timesReadAs(source: DataSource, opts: { dataRoot: string; file: string; field: string }): string | null {
  return source.type === 'csv_archive' ? csvEntry(source, opts).times : null;
}

/** sha256 of a file's bytes, lowercase hex. */
export function sha256File(absPath: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(absPath, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let read = fs.readSync(fd, chunk); read > 0; read = fs.readSync(fd, chunk)) hash.update(chunk.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function csvEntry(
  source: Extract<DataSource, { type: 'csv_archive' }>,
  opts: { dataRoot: string; file: string; field: string },
): CacheEntry {
  const absPath = resolveDataPath({ dataRoot: opts.dataRoot, baseDir: opts.dataRoot, path: source.path, file: opts.file, field: joinPath(opts.field, 'path') });
  const stat = fs.statSync(absPath);
  const key = `${absPath}\0${source.timeframe}\0${source.timestamp_unit ?? ''}`;
  let entry = remember(key, (e) => e.version === `${stat.size}:${stat.mtimeMs}`);
  if (entry === undefined) {
    // Size, mtime, hash and bars all come from one open file, so they describe the same bytes.
    const fd = fs.openSync(absPath, 'r');
    try {
      const opened = fs.fstatSync(fd);
      checkCsvSize(opened.size, source.path);
      const bytes = fs.readFileSync(fd);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const { bars, times } = parseCsvBars(decodeUtf8(bytes, source.path), source.path, source);
      entry = { version: `${opened.size}:${opened.mtimeMs}`, sha256, bars, times, slices: new Map() };
    } finally {
      fs.closeSync(fd);
    }
    store(key, entry);
  }
  if (source.sha256 !== undefined && source.sha256 !== entry.sha256) {
    throw new DataError(
      opts.file,
      joinPath(opts.field, 'sha256'),
      `"${source.path}" changed since the operation was materialized (sha256 is "${entry.sha256}", expected "${source.sha256}"); materialize the operation again`,
    );
  }
  return entry;
}

function syntheticEntry(source: Extract<DataSource, { type: 'synthetic' }>): CacheEntry {
  const key = `synthetic:${JSON.stringify([source.seed, source.bars, source.start, source.timeframe, source.start_price])}`;
  let entry = remember(key, () => true);
  if (entry === undefined) {
    entry = { version: '', sha256: null, bars: generateBars(source), times: null, slices: new Map() };
    store(key, entry);
  }
  return entry;
}

function slice(entry: CacheEntry, opts: { file: string; field: string; start?: string; end?: string }): BarSeries {
  const { bars } = entry;
  const from = opts.start === undefined ? -Infinity : toMs(opts.start);
  // A date-only end covers its whole day: bars before the next midnight.
  const until = opts.end === undefined ? Infinity : opts.end.length === 10 ? toMs(opts.end) + DAY_MS : toMs(opts.end) + 1;
  const key = `${from}:${until}`;
  const cached = entry.slices.get(key);
  if (cached !== undefined) return cached;

  const lo = firstAtOrAfter(bars.time, from);
  const hi = firstAtOrAfter(bars.time, until);
  if (hi <= lo) {
    throw new ConfigError(
      opts.file,
      opts.field,
      `has no bars from "${opts.start ?? 'the beginning'}" to "${opts.end ?? 'the end'}"; the data runs from "${showTime(bars.time[0])}" to "${showTime(bars.time[bars.length - 1])}"`,
    );
  }
  const result = lo === 0 && hi === bars.length ? bars : sliceBars(bars, lo, hi);
  entry.slices.set(key, result);
  return result;
}

function toMs(date: string): number {
  const ms = parseUtc(date);
  if (!Number.isFinite(ms)) throw new Error(`loadBars: "${date}" is not a date (the schema should have caught it)`);
  return ms;
}

/** A date alone when the bar opens at midnight UTC, the full ISO time otherwise. */
function showTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** The entry under `key` if `fresh` accepts it, moved to most recently used. */
function remember(key: string, fresh: (entry: CacheEntry) => boolean): CacheEntry | undefined {
  const entry = cache.get(key);
  if (entry === undefined) return undefined;
  cache.delete(key);
  if (!fresh(entry)) return undefined;
  cache.set(key, entry);
  return entry;
}

function store(key: string, entry: CacheEntry): void {
  cache.set(key, entry);
  let bytes = 0;
  for (const e of cache.values()) bytes += e.bars.length * 48;
  while (cache.size > 1 && (cache.size > CACHE_ENTRIES || bytes > CACHE_BYTES)) {
    const [oldestKey, oldest] = cache.entries().next().value!;
    cache.delete(oldestKey);
    bytes -= oldest.bars.length * 48;
  }
}
