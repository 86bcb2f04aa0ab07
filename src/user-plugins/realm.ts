import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { threadId } from 'node:worker_threads';
import type { BarSeries } from '../engine/bars.js';

/*
 * A guest realm (docs/plugins.md, "What a plugin can and cannot do"): a node:vm context per plugin
 * file, in which that file's code and its own copy of `sweeplab/plugin` run. The context has the
 * language's built-ins and nothing of Node: no process, require, import(), fetch, timers, Buffer;
 * code generation from strings and WebAssembly are off, and its promise jobs never run (its
 * microtask queue is drained only after a script the host runs in it, and the host runs none after
 * setting it up), so plugin code is synchronous, bars and params in, numbers out.
 *
 * The one rule that keeps it so: no object of the host ever reaches the realm. Any host object would
 * lead back to the host's Function constructor (`x.constructor.constructor('return process')()`),
 * so the host hands in only numbers, strings and objects made in the realm, and it reads what comes
 * back with its own intrinsics (util.types, the typed-array getters below), never with a method
 * plugin code could have replaced.
 */

/** The guest runtime's exports, as the host calls them (values coming back are checked by the adapter). */
export type GuestRuntime = typeof import('./guest.js');

/** The guest runtime bundled for the compiled package, beside this module (written by scripts/build.ts). */
export const GUEST_BUNDLE_FILE = 'guest-bundle.js';

/** Prefix of the file names plugin code is compiled under, so its stack frames can be told apart. */
export const FRAME_PREFIX = 'sweeplab-plugin:';

/*
 * The realm's built-ins, handed to the guest runtime and to plugin code as parameters of their
 * wrapper functions: a global of a node:vm context is looked up through Node's interceptor on every
 * use, a parameter is a local. zod in the realm parsed params 2-3 times slower without this.
 */
const GLOBALS = ['globalThis', 'Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Math', 'JSON', 'Reflect', 'Proxy', 'Date', 'RegExp', 'Promise', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError', 'Intl', 'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'isNaN', 'isFinite', 'parseFloat', 'parseInt', 'encodeURI', 'encodeURIComponent', 'decodeURI', 'decodeURIComponent', 'console'];

/*
 * Run in each new context before any plugin code. Shared memory and WebAssembly go (Atomics.wait
 * would block the thread; a shared WebAssembly.Memory is shared memory again). Error.prepareStackTrace
 * is pinned to undefined, and `Error` to the realm's own: Node calls the hook of an error's realm with
 * the call sites of every frame on the stack, host frames included, whenever a stack is formatted.
 */
const SETUP = `'use strict';
delete globalThis.SharedArrayBuffer;
delete globalThis.Atomics;
delete globalThis.WebAssembly;
Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false });
Object.defineProperty(globalThis, 'Error', { value: Error, writable: false, configurable: false });
({ Float64Array, module: { exports: {} }, globals: [${GLOBALS.join(', ')}] });`;

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

// The host's own typed-array intrinsics: they read a realm array's internal slots, run no realm code.
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;
const lengthGetter = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')!.get!;
const bufferGetter = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'buffer')!.get!;
const setFloat64 = Float64Array.prototype.set;

/** The number of entries of a typed array of any realm. */
export function typedLength(array: ArrayBufferView): number {
  return Reflect.apply(lengthGetter, array, []) as number;
}

/** The bytes of a Float64Array the host made in a realm (offset 0), as a host Buffer over the same memory. */
function bytesOf(array: Float64Array, length: number): Buffer {
  return Buffer.from(Reflect.apply(bufferGetter, array, []) as ArrayBuffer, 0, length * 8);
}

/** The realm's copy of one host bar series, and the bytes both sides hold. */
interface RealmBars {
  bars: unknown;
  realm: Buffer[];
  host: Buffer[];
}

export interface Realm {
  readonly runtime: GuestRuntime;
  /** Runs a bundled plugin file (CommonJS, named `file` in stacks) in this realm: its plugin definitions, realm objects. */
  load(code: string, file: string): unknown[];
  /**
   * This realm's copy of `bars`: made once per host series, and made again when the copy no longer
   * holds the host's bytes (a plugin wrote into it), so what one run wrote never reaches the next.
   * Comparing is 4-6 times cheaper than copying for every run, which would also empty the realm's
   * series cache each time (measured in docs/plugins.md, "What it reads, it cannot change…").
   */
  barsFor(bars: BarSeries): unknown;
}

export function createRealm(): Realm {
  ignoreRealmRejections();
  const context = vm.createContext(Object.create(null), {
    name: 'sweeplab plugin',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  const made = vm.runInContext(SETUP, context) as { Float64Array: Float64ArrayConstructor; module: { exports: GuestRuntime }; globals: unknown[] };
  const RealmFloat64Array = made.Float64Array;
  const guest = guestCode();
  // A Script, not compileFunction: its code cache can be taken after the first run, so it holds the
  // functions zod compiles while it sets itself up, not only the top level.
  const script = new vm.Script(`(function (module, exports, ${GLOBALS.join(', ')}) {${guest.text}\n})`, { filename: 'sweeplab:guest-runtime', cachedData: guest.cache });
  const evaluate = script.runInContext(context) as (...args: unknown[]) => void;
  Reflect.apply(evaluate, undefined, [made.module, made.module.exports, ...made.globals]);
  if (!guest.cache || script.cachedDataRejected) keepCodeCache(guest, script.createCachedData());
  const runtime = made.module.exports;

  const copies = new WeakMap<Float64Array, RealmBars>();
  const copy = (bars: BarSeries): RealmBars => {
    const columns = COLUMNS.map((column) => {
      const array = new RealmFloat64Array(bars.length);
      Reflect.apply(setFloat64, array, [bars[column]]);
      return array;
    });
    return {
      bars: runtime.makeBars(columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], bars.length),
      realm: columns.map((array) => bytesOf(array, bars.length)),
      host: COLUMNS.map((column) => Buffer.from(bars[column].buffer, bars[column].byteOffset, bars.length * 8)),
    };
  };
  return {
    runtime,
    // The file's code runs in a function nested in the one taking the built-ins, so a top-level
    // `const Map = …` of the plugin shadows the parameter instead of redeclaring it; lineOffset
    // keeps its line numbers those of the bundled file.
    load(code, file) {
      const run = vm.compileFunction(`return function () {\n${code}\n};`, ['module', 'exports', 'require', ...GLOBALS], {
        parsingContext: context,
        filename: `${FRAME_PREFIX}${file}`,
        lineOffset: -1,
      });
      return runtime.load(run as never, made.globals);
    },
    barsFor(bars) {
      let known = copies.get(bars.close);
      if (!known || known.realm.some((bytes, i) => bytes.length !== known!.host[i].length || Buffer.compare(bytes, known!.host[i]) !== 0)) {
        known = copy(bars);
        copies.set(bars.close, known);
      }
      return known.bars;
    },
  };
}

/**
 * A promise rejected in a realm is never handled there (its jobs never run), and Node reports every
 * unhandled rejection of the isolate to the host process, which by default dies of it: so
 * `import('fs')` or a throwing async function in a plugin would end the worker. Those rejections are
 * dropped; any other is raised as Node raises it without a listener. A realm's promises are told
 * apart by their prototype chain, which never holds the host's Promise.prototype: no host object,
 * this one included, ever reaches a realm.
 */
let listening = false;

function ignoreRealmRejections(): void {
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', (reason, promise) => {
    if (!(promise instanceof Promise)) return;
    // An import() in code bundled before import() became a promise job of the realm rejects in the host.
    if (reason instanceof Error && (reason as NodeJS.ErrnoException).code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') return;
    throw reason;
  });
}

/**
 * The guest runtime with `sweeplab/plugin` as one CommonJS text: prebuilt beside this module in the
 * compiled package; from the sources, bundled on first use and kept in a cache file checked against
 * the size and mtime of every source it came from (so each backtest thread of a run from the
 * repository does not pay esbuild's few hundred milliseconds). V8's code cache of its compilation is
 * kept in a file too (named by the text's hash and the V8 version, and checked by V8), so a new
 * thread's first realm skips the parse: about 100 ms of the 170 ms a realm took to make.
 */
interface GuestCode {
  text: string;
  cache?: Buffer;
  cacheFile: string;
}

let guest: GuestCode | undefined;

function guestCode(): GuestCode {
  if (guest) return guest;
  const prebuilt = new URL(`./${GUEST_BUNDLE_FILE}`, import.meta.url);
  const text = fs.existsSync(prebuilt) ? fs.readFileSync(prebuilt, 'utf8') : cachedGuestBundle();
  const cacheFile = path.join(os.tmpdir(), `sweeplab-guest-${createHash('sha256').update(text).digest('hex').slice(0, 16)}-v8-${process.versions.v8}.code`);
  guest = { text, cacheFile, cache: fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined };
  return guest;
}

function keepCodeCache(code: GuestCode, cache: Buffer | undefined): void {
  code.cache = cache;
  if (cache) writeAside(code.cacheFile, cache);
}

/** Written aside and renamed, so a thread never reads half a file another thread is writing. */
function writeAside(file: string, content: string | Buffer): void {
  const temporary = `${file}.${process.pid}.${threadId}`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

interface GuestCacheFile {
  inputs: Array<[file: string, size: number, mtimeMs: number]>;
  text: string;
}

function cachedGuestBundle(): string {
  const file = path.join(os.tmpdir(), `sweeplab-guest-${createHash('sha256').update(import.meta.url).digest('hex').slice(0, 16)}.json`);
  try {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as GuestCacheFile;
    if (cached.inputs.every(([input, size, mtimeMs]) => {
      const stat = fs.statSync(input, { throwIfNoEntry: false });
      return stat?.size === size && stat.mtimeMs === mtimeMs;
    })) return cached.text;
  } catch {
    // No cache yet, or an unreadable one: bundle afresh.
  }
  const { text, inputs } = bundleGuest();
  const entry: GuestCacheFile = { inputs: inputs.map((input) => [input, fs.statSync(input).size, fs.statSync(input).mtimeMs]), text };
  writeAside(file, JSON.stringify(entry));
  return text;
}

/** Bundles the guest runtime (src/user-plugins/guest.ts, or guest.js in the compiled package), with the files it read. */
export function bundleGuest(): { text: string; inputs: string[] } {
  const source = fileURLToPath(new URL('./guest.ts', import.meta.url));
  const entry = fs.existsSync(source) ? source : fileURLToPath(new URL('./guest.js', import.meta.url));
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: path.dirname(entry),
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'node20',
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
    charset: 'utf8',
  });
  return { text: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs).map((input) => path.resolve(path.dirname(entry), input)) };
}
