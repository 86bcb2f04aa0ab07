import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import type { ErrorBody } from '../../src/api/errors.js';
import { specFromDocument } from '../../src/api/submission.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { DEFAULT_BLOCKS, encodeBlocks } from '../../src/store/blocks-codec.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile, resolveVariantTest } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { indexSpaceSize, paramNames, variantTestSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { repoRoot, runCli } from '../cli/run-cli.js';

/*
 * The bad-input corpus: every way a user's file or request can be wrong that we know of, each run
 * through the CLI (a spawned `sweeplab`, exit 2, one paragraph on stderr naming file, field and
 * reason, no stack trace, within seconds) and through the API (a 4xx whose JSON body names the
 * same, after which the server still answers and nothing stored has changed).
 *
 * The fixtures are test/fixtures/bad/*.yaml (also checked file by file against the loader in
 * test/intake/load.test.ts) and test/fixtures/bad/corpus/. Each side gets a workspace of its own: a
 * temp copy of test/fixtures as the data root, with outside.csv and outside.yaml just outside it and
 * bad/corpus/data/link-out.csv a symlink to outside.csv.
 *
 * The API runs on a real SQLite store and a Sweeps whose Temporal connection points at a port
 * nobody listens on: bad input must be refused before Temporal is asked anything, and a request
 * that got that far would come back as a 500 after the connect deadline, not as the 4xx expected.
 */

const FIXTURES = path.join(repoRoot, 'test', 'fixtures');
const CORPUS = 'bad/corpus';
/** Nobody listens here (ports below 1024 need root, and 1 is assigned to nothing in use). */
const NO_TEMPORAL = '127.0.0.1:1';
const JSON_TYPE = 'application/json';
const YAML_TYPE = 'application/yaml';
/** The API's default body limit (src/api/body.ts DEFAULT_BODY_LIMIT): 1 MiB. */
const BODY_LIMIT = 1024 * 1024;
/**
 * Against the hangs this corpus has caught (30 s for a query nobody answers, a /proc path spinning
 * forever), a CLI run that has not returned by then is killed and fails on its exit code. A spawn
 * costs about 1 s on an idle machine; the limit only has to tell "returns" from "hangs", and how fast
 * it returns is the bench's business, not a test's.
 */
const CLI_HANG_MS = 25_000;

interface Expected {
  /** The file the message names (a path relative to the workspace, or "request body"). */
  file: string;
  /** The field path; '' when the mistake is the whole document. */
  field: string | RegExp;
  reason: RegExp;
}

interface ApiRequest extends Partial<Expected> {
  /** A submission: POST /api/<route> with this body. */
  route?: 'optimizations' | 'variant-tests';
  contentType?: string;
  /** A Content-Encoding header, for a compressed body. */
  contentEncoding?: string;
  body?: (root: string) => string | Buffer;
  /** Any other request, e.g. on the sweep stored before the bad requests (its id is given). */
  request?: (sweepId: string) => { method: string; url: string };
  status: number;
}

interface Case extends Expected {
  /** What is wrong, as a test name. */
  name: string;
  /** `sweeplab` arguments, run with the workspace as working directory and data root; null: HTTP only. */
  cli: string[] | null;
  /** Environment of the CLI run beyond the defaults (a setting under test), given the workspace root. */
  env?: (root: string) => Record<string, string>;
  /** The request, and where the API's answer differs from the CLI's expectation; null: CLI only. */
  api: ApiRequest | null;
}

/** An operation file: run by `run-operation`, and over HTTP as the base operation of a one-variant test. */
function operation(name: string, run: string, expected: Partial<Expected> & Omit<Expected, 'file'>, api: Partial<ApiRequest> = {}): Case {
  return {
    name,
    file: run,
    ...expected,
    cli: ['run-operation', run],
    api: { route: 'variant-tests', contentType: JSON_TYPE, body: () => JSON.stringify(variantOn(run)), status: 422, ...api },
  };
}

/** An optimization or variant file: submitted by `optimize`/`variants`, and over HTTP as `{ "path": … }`. */
function sweepFile(name: string, run: string, expected: Partial<Expected> & Omit<Expected, 'file'>): Case {
  const optimization = path.basename(run).startsWith('opt-');
  return {
    name,
    file: run,
    ...expected,
    cli: [optimization ? 'optimize' : 'variants', run],
    api: { route: optimization ? 'optimizations' : 'variant-tests', contentType: JSON_TYPE, body: () => JSON.stringify({ path: run }), status: 422 },
  };
}

/** A request body the CLI has no counterpart for (the reason is in the case's name). */
function body(name: string, request: Omit<ApiRequest, keyof Expected>, expected: Omit<Expected, 'file'>): Case {
  return { name, file: 'request body', ...expected, cli: null, api: request };
}

/** A request other than a submission, answered with `status` (the reason is in the case's name). */
function call(name: string, request: (sweepId: string) => { method: string; url: string }, status: number, expected: Expected): Case {
  return { name, ...expected, cli: null, api: { request, status } };
}

/** A flag or an environment setting of the CLI, wrong before any file is read or anything is started. */
function setting(name: string, cli: string[], expected: Expected, env?: (root: string) => Record<string, string>): Case {
  return { name, ...expected, cli, env, api: null };
}

const SWEEP_RESULTS = (sweepId: string) => `/api/sweeps/${sweepId}/results`;

function variantOn(baseOperation: string) {
  return { variant_config: { name: 'corpus', base_operation: baseOperation, variants: [{ name: 'Baseline', overrides: {} }] } };
}

const fixture = (file: string) => () => fs.readFileSync(path.join(FIXTURES, file));

const CASES: Case[] = [
  // YAML that cannot be read.
  operation('malformed YAML', 'bad/op-malformed.yaml', { field: 'line 3, column 1', reason: /^deficient indentation/ }),
  operation('a YAML alias bomb (billion laughs)', 'bad/op-alias-bomb.yaml', { field: /^line \d+, column \d+$/, reason: /^expands to more than 1,000,000 nodes through aliases/ }),
  operation('a document nested 65 levels deep', 'bad/op-deep-nesting.yaml', { field: /^line 2, column \d+$/, reason: /^nests deeper than 64 levels/ }),
  operation('a file that is not UTF-8', 'bad/op-not-utf8.yaml', { field: 'line 2, column 18', reason: /^is not valid UTF-8 text/ }),

  // Operations and blueprints.
  operation('an unknown plugin, with a did-you-mean', 'bad/op-unknown-plugin.yaml', {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].plugin',
    reason: /^unknown plugin "sma_crss"; did you mean "sma_cross"\?/,
  }),
  operation('an unknown plugin parameter', 'bad/op-unknown-param.yaml', {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].params.fsat',
    reason: /^unknown parameter "fsat" of sma_cross; did you mean "fast"\?/,
  }),
  operation('a plugin in the wrong phase', 'bad/op-wrong-phase.yaml', {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].plugin',
    reason: /^"atr_exit" cannot stand in signal_generation; it belongs in "exit_planning"/,
  }),
  operation('a risk sizer without a stop', 'bad/op-sizer-without-stop.yaml', {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.size_planning[0]',
    reason: /no exit_planning plugin sets a stop/,
  }),
  operation('a wrong type', 'bad/op-wrong-type.yaml', { field: 'environments.d.fees_pct', reason: /^expected number, received string/ }),
  operation('a parameter out of bounds, named in the blueprint file', 'bad/op-param-out-of-bounds.yaml', {
    file: 'bad/blueprints/negative-atr.yaml',
    field: 'workforce.analysis_workers.exit_planning[0].params.atr_multiplier',
    reason: /^too small: expected number to be >0/i,
  }),
  operation('an unknown field', 'bad/op-unknown-field.yaml', { field: 'environments.d', reason: /^unknown field "fee_pct"/ }),
  operation('an unknown top-level key', `${CORPUS}/op-unknown-top-level.yaml`, { field: '', reason: /^unknown field "fees_pct"/ }),
  operation('a missing required field', `${CORPUS}/op-missing-required.yaml`, { field: 'environments', reason: /^is required/ }),
  operation('a link to an environment that is not there', `${CORPUS}/op-unknown-environment.yaml`, {
    field: 'strategy_links[0].execution_environment',
    reason: /^"daily" is not one of environments: "d"/,
  }),
  operation('no active strategy link', `${CORPUS}/op-no-active-link.yaml`, { field: 'strategy_links', reason: /^has no link with is_active: true/ }),
  operation('a date that is not in the calendar', `${CORPUS}/op-invalid-date.yaml`, { field: 'environments.d.start', reason: /^"2014-02-30" is not a calendar date/ }),
  operation('more synthetic bars than a slot can hold', `${CORPUS}/op-synthetic-too-many-bars.yaml`, {
    field: 'data_sources.s.bars',
    reason: /^is more than the 5,000,000 bars one data source may have/,
  }),
  operation('start after end in an environment', 'bad/op-start-after-end.yaml', { field: 'environments.d.start', reason: /^"2021-01-01" is after end "2020-01-01"/ }),
  operation('an environment range with no bars in the data', `${CORPUS}/op-env-no-bars.yaml`, {
    field: 'data_sources.tiny',
    reason: /^has no bars from "2030-01-01" to "2030-12-31"; the data runs from "2020-01-01" to "2020-01-10"/,
  }),
  operation('data changed since its sha256 was pinned', 'bad/op-sha-mismatch.yaml', { field: 'data_sources.pinned.sha256', reason: /does not match .* the file changed since this was written/ }),

  // Paths: missing, not a file, escaping the workspace.
  operation('a missing data file', 'bad/op-missing-data.yaml', { field: 'data_sources.gone.path', reason: /^"\.\.\/good\/data\/NOPE_1d\.csv" does not exist/ }),
  operation('a blueprint path that is a folder', `${CORPUS}/op-not-a-file.yaml`, { field: 'strategy_links[0].strategy_blueprint', reason: /^"\.\.\/\.\.\/good\/blueprints" is not a file/ }),
  operation('a data path escaping the workspace with ../', 'bad/op-outside-root.yaml', {
    field: 'data_sources.escape.path',
    reason: /^"\.\.\/\.\.\/outside\.csv" lies outside the data root \(the workspace\)/,
  }),
  operation('an absolute data path outside the workspace', `${CORPUS}/op-data-absolute.yaml`, {
    field: 'data_sources.abs.path',
    reason: /^"\/etc\/passwd" lies outside the data root/,
  }),
  operation('a data path through a symlink out of the workspace', `${CORPUS}/op-data-symlink-out.yaml`, {
    field: 'data_sources.linked.path',
    reason: /^"data\/link-out\.csv" lies outside the data root/,
  }),
  operation('a blueprint path escaping the workspace', 'bad/op-blueprint-outside-root.yaml', {
    field: 'strategy_links[0].strategy_blueprint',
    reason: /^"\.\.\/\.\.\/outside\.yaml" lies outside the data root/,
  }),
  // Paths a file system refuses (issue 9 item 7): one message, no raw Node error.
  operation('a data path with a NUL byte', `${CORPUS}/op-data-nul.yaml`, { field: 'data_sources.nul.path', reason: /^"data\/tiny\\u0000\.csv" contains a NUL byte/ }),
  operation('a data file name of 300 characters', `${CORPUS}/op-data-long-name.yaml`, { field: 'data_sources.long.path', reason: /has a name of 300 bytes .*at most 255/ }),
  operation('a 3 GiB data file', `${CORPUS}/op-csv-huge.yaml`, { file: `${CORPUS}/data/huge.csv`, field: '', reason: /^is 3\.0 GiB, more than the 512\.0 MiB one file may have/ }),
  operation(
    'an operation file that does not exist',
    `${CORPUS}/no-such-operation.yaml`,
    { field: '', reason: /^"bad\/corpus\/no-such-operation\.yaml" does not exist/ },
    // Over HTTP the path is a field of the posted document.
    { file: 'request body', field: 'variant_config.base_operation' },
  ),
  {
    name: 'an operation file outside the workspace',
    file: '../outside.yaml',
    field: '',
    reason: /^"\.\.\/outside\.yaml" lies outside the data root/,
    cli: ['run-operation', '../outside.yaml'],
    api: { route: 'optimizations', contentType: JSON_TYPE, body: () => JSON.stringify({ path: '../outside.yaml' }), status: 422, file: 'request body', field: 'path' },
  },

  // CSV data: read when the operation is loaded, so a sweep on bad data is refused at submit.
  ...(
    [
      ['an empty CSV', 'empty', 'line 1', /^the file is empty \(expected a header like "timestamp,open,high,low,close,volume"\)/],
      ['a header-only CSV', 'header-only', 'line 1', /^the file has a header but no bars/],
      ['an unsorted CSV', 'unsorted', 'line 4', /^time "2020-01-02" is earlier than line 3 \("2020-01-03T00:00:00\.000Z"\); rows must be sorted by time, oldest first/],
      ['a CSV with a duplicate timestamp', 'duplicate', 'line 4', /^time "2020-01-02" duplicates line 3/],
      ['a CSV with NaN', 'nan', 'line 3', /^close "NaN" is not a finite number/],
      // Dates and numbers (issue 19 item 7) and their neighbours.
      ['Excel serial dates', 'excel-serial', 'line 2', /^time "41640" looks like an Excel serial date \(41640 days from 1899-12-30 is 2014-01-01\), not an epoch time; export the dates as ISO dates/],
      ['epoch seconds switching to milliseconds', 'epoch-switch', 'line 4', /^time "1388707200000" read as epoch seconds \(the unit inferred from the first time of the file, "1388534400"\) is the year 45976, outside the years 1900 to 2200/],
      ['a negative epoch before 1900', 'negative-epoch', 'line 2', /^time "-3000000000" read as epoch seconds \(inferred from its size\) is 1874-12-07T18:40:00\.000Z, outside the years 1900 to 2200/],
      ['a first row in the year 0 before rows of 2014', 'year-zero', 'line 2', /^time "0000-01-01" is in the year 0, outside the years 1900 to 2200 sweeplab reads \(docs\/formats\.md\)$/],
      ['ISO dates, then an epoch number', 'mixed-iso-epoch', 'line 4', /^time "1388707200" is an epoch number, but the first time of the file is an ISO date/],
      ['hourly bars under a 1d timeframe', 'hourly-as-daily', 'line 3', /^time "2014-01-02T15:00:00Z" \(2014-01-02T15:00:00\.000Z\) is in the same calendar day \(UTC\) as line 2 .*timeframe is 1d; times were read as ISO dates\/times/],
      ['a UTC offset putting two daily bars on one UTC day', 'offset-same-day', 'line 4', /^time "2014-01-03T12:00:00Z" \(2014-01-03T12:00:00\.000Z\) is in the same calendar day \(UTC\) as line 3 \(2014-01-03T04:00:00\.000Z\)/],
      ['CR-only line ends, NaN on line 3', 'cr-only', 'line 3', /^close "NaN" is not a finite number/],
      ['CRLF with a last line ending in a lone CR, unsorted', 'crlf-then-cr', 'line 4', /^time "2014-01-01" is earlier than line 3/],
    ] as const
  ).map(([name, csv, field, reason]) => operation(name, `${CORPUS}/op-csv-${csv}.yaml`, { file: `${CORPUS}/data/${csv}.csv`, field, reason })),
  operation('epoch microseconds under timestamp_unit ms (the year 45970)', `${CORPUS}/op-csv-epoch-us-as-ms.yaml`, {
    file: `${CORPUS}/data/epoch-us.csv`,
    field: 'line 2',
    reason: /^time "1388534400000000" read as epoch milliseconds \(timestamp_unit\) is the year 45970, outside the years 1900 to 2200 sweeplab reads \(docs\/formats\.md\); check timestamp_unit$/,
  }),
  operation('timestamp_unit as a word', `${CORPUS}/op-timestamp-unit-word.yaml`, { field: 'data_sources.bars.timestamp_unit', reason: /expected one of "s"\|"ms"\|"us"\|"ns"$/ }),
  operation('an environment start in the year 0', `${CORPUS}/op-env-year-zero.yaml`, { field: 'environments.d.start', reason: /^"0000-01-01" is in the year 0, outside the years 1900 to 2200/ }),

  // YAML numbers that are not finite.
  operation('an ATR multiplier of 1e309, named in the blueprint file', `${CORPUS}/op-atr-1e309.yaml`, {
    file: 'bad/blueprints/atr-1e309.yaml',
    field: 'workforce.analysis_workers.exit_planning[0].params.atr_multiplier',
    reason: /^1e309 is out of range for a number \(beyond ±1\.8e308\); write a smaller number, or quote it if it is text$/,
  }),
  operation('fees of -1e309', `${CORPUS}/op-fees-minus-1e309.yaml`, { field: 'environments.d.fees_pct', reason: /^-1e309 is out of range for a number/ }),
  operation('an initial capital of .inf', `${CORPUS}/op-capital-inf.yaml`, { field: 'environments.d.initial_capital', reason: /^is Infinity: a number out of range \(beyond ±1\.8e308, or \.inf\); write a finite number$/ }),
  operation('a slippage of .nan', `${CORPUS}/op-slippage-nan.yaml`, { field: 'environments.d.slippage_pct', reason: /^is NaN \(\.nan\), not a number$/ }),

  // Optimizations.
  sweepFile('start > end in a range', 'bad/opt-start-after-end.yaml', { field: 'optimization_config.parameter_space[0].parameters.fast.start', reason: /^30 is greater than end 5/ }),
  sweepFile('step 0', 'bad/opt-step-zero.yaml', { field: 'optimization_config.parameter_space[0].parameters.fast.step', reason: /^must be greater than 0, got 0/ }),
  sweepFile('a negative step', `${CORPUS}/opt-step-negative.yaml`, { field: 'optimization_config.parameter_space[0].parameters.fast.step', reason: /^must be greater than 0, got -5/ }),
  sweepFile('empty values', 'bad/opt-empty-values.yaml', { field: 'optimization_config.parameter_space[0].parameters.slow.values', reason: /^must list at least one value/ }),
  sweepFile('a range bound of the wrong type', `${CORPUS}/opt-wrong-type.yaml`, { field: 'optimization_config.parameter_space[0].parameters.fast.start', reason: /^expected number, received string/ }),
  sweepFile('values out of the plugin bounds', 'bad/opt-value-out-of-bounds.yaml', {
    field: 'optimization_config.parameter_space[0].parameters.fast.values[1]',
    reason: /^0 is rejected by sma_cross\.fast: too small/i,
  }),
  sweepFile('an unknown param in the parameter space', 'bad/opt-unknown-param.yaml', {
    field: 'optimization_config.parameter_space[0].parameters.fsat',
    reason: /^"fsat" is not a parameter of sma_cross; did you mean "fast"\?/,
  }),
  sweepFile('a plugin the base blueprint does not use', 'bad/opt-plugin-not-in-base.yaml', {
    field: 'optimization_config.parameter_space[0].worker_plugin',
    reason: /^"sma_crss" does not stand in analysis_workers\.signal_generation of the base blueprint; did you mean "sma_cross"\?/,
  }),
  sweepFile('contradictory constraints (zero admissible combinations)', 'bad/opt-contradictory-where.yaml', {
    field: 'optimization_config.constraints.where',
    reason: /^no combination satisfies where "fast < slow and fast > slow" \(all 6 are excluded\)/,
  }),
  sweepFile('a combination the plugin rejects', 'bad/opt-cross-param.yaml', {
    field: 'optimization_config.parameter_space',
    reason: /^sma_cross rejects the combination fast=20, slow=20: .*exclude such combinations with constraints\.where/,
  }),
  sweepFile('where with an unknown identifier', 'bad/opt-where-unknown-name.yaml', {
    field: 'optimization_config.constraints.where',
    reason: /^column 8: unknown name "slwo"; did you mean "slow"\?/,
  }),
  sweepFile('where with a syntax error', `${CORPUS}/opt-where-syntax.yaml`, {
    field: 'optimization_config.constraints.where',
    reason: /^column 8: expected a value but found "<" in "fast < < slow"/,
  }),
  sweepFile('a grid above the default maximum of 1,000,000', 'bad/opt-grid-too-large.yaml', {
    field: 'optimization_config.parameter_space',
    // 1000 fast values × 2000 slow values.
    reason: /^makes 2,000,000 combinations, more than parallel_config\.max_combinations \(1,000,000\)/,
  }),
  sweepFile('max_combinations of the wrong type', `${CORPUS}/opt-max-combinations-word.yaml`, {
    field: 'optimization_config.parallel_config.max_combinations',
    reason: /^expected number, received string/,
  }),
  sweepFile('an unknown primary metric', `${CORPUS}/opt-unknown-metric.yaml`, {
    field: 'optimization_config.optimization_targets.primary_metric',
    reason: /expected one of "final_equity"\|"total_return"\|/,
  }),
  sweepFile('a missing parameter space', `${CORPUS}/opt-missing-space.yaml`, { field: 'optimization_config.parameter_space', reason: /^is required/ }),
  sweepFile('an unknown top-level key beside optimization_config', `${CORPUS}/opt-unknown-top-level.yaml`, { field: '', reason: /^unknown field "variant_config"/ }),
  sweepFile('an axis of 100,000 values (a spec too large for a workflow input)', `${CORPUS}/opt-axis-too-many-values.yaml`, {
    field: 'optimization_config.parameter_space',
    reason: /^makes a sweep specification of 665 KiB \(100,000 values on its axes\), more than the 256 KiB a sweep may carry/,
  }),
  sweepFile('where with 1,000 nested parentheses', `${CORPUS}/opt-where-deep.yaml`, { field: 'optimization_config.constraints.where', reason: /^column 33: nests deeper than 32 levels/ }),
  sweepFile('where with a 10,000-term or', `${CORPUS}/opt-where-long.yaml`, {
    field: 'optimization_config.constraints.where',
    reason: /^is 158,886 characters long, more than the 4,000 a where expression may have/,
  }),
  sweepFile('a where too costly for its grid (3,586 characters on 1,000,000 combinations)', 'bad/opt-where-too-costly.yaml', {
    field: 'optimization_config.constraints.where',
    reason: /has 1,037 terms; tested on each of the 1,000,000 combinations that is 1,037,000,000 evaluations, more than the 100,000,000 allowed/,
  }),
  sweepFile('a base operation that does not exist', 'bad/opt-missing-base.yaml', {
    field: 'optimization_config.base_operation',
    reason: /^"\.\.\/good\/no-such-operation\.yaml" does not exist/,
  }),

  // Variant tests.
  sweepFile('an unknown plugin in an override', 'bad/var-unknown-plugin.yaml', {
    field: 'variant_config.variants[1].overrides.analysis_workers.exit_planning[0].plugin',
    reason: /^unknown plugin "fixed_percent_exit"; did you mean "fixed_percentage_exit"\?/,
  }),
  sweepFile('an override out of bounds', 'bad/var-out-of-bounds.yaml', {
    field: 'variant_config.variants[0].overrides.analysis_workers.exit_planning[0].params.risk_reward_ratio',
    reason: /^too small/i,
  }),
  sweepFile('an override of an unknown worker category', 'bad/var-unknown-category.yaml', {
    field: 'variant_config.variants[0].overrides.analysis_worker',
    reason: /^unknown worker category "analysis_worker"/,
  }),
  sweepFile('an override of an unknown phase', `${CORPUS}/var-unknown-phase.yaml`, {
    field: 'variant_config.variants[0].overrides.analysis_workers.exit_plannin',
    reason: /^"exit_plannin" is not a phase of analysis_workers/,
  }),
  sweepFile('an override with an unknown parameter', `${CORPUS}/var-unknown-param.yaml`, {
    field: 'variant_config.variants[0].overrides.analysis_workers.signal_generation[0].params.period',
    reason: /^unknown parameter "period" of sma_cross/,
  }),
  sweepFile('an override keyed __proto__', `${CORPUS}/var-proto-override.yaml`, {
    field: 'variant_config.variants[0].overrides.__proto__',
    reason: /^is not allowed as a key \(it names an object's prototype\)/,
  }),
  sweepFile('an override keyed toString', `${CORPUS}/var-override-tostring.yaml`, { field: 'variant_config.variants[0].overrides.toString', reason: /^unknown worker category "toString"/ }),
  sweepFile('an override keyed constructor with a prototype', `${CORPUS}/var-override-constructor.yaml`, {
    field: 'variant_config.variants[0].overrides.constructor',
    reason: /^unknown worker category "constructor"/,
  }),
  sweepFile('a variant name with a newline', `${CORPUS}/var-name-newline.yaml`, { field: 'variant_config.variants[0].name', reason: /^must be one line of printable text/ }),
  sweepFile('duplicate variant names', 'bad/var-duplicate-name.yaml', { field: 'variant_config.variants[1].name', reason: /^"Baseline" is used by an earlier variant/ }),
  sweepFile('no variants', `${CORPUS}/var-no-variants.yaml`, { field: 'variant_config.variants', reason: /^needs at least one variant/ }),

  // Request bodies: the CLI reads files, so it has no body, no size limit and no Content-Type.
  body(
    'malformed YAML as the body',
    { route: 'optimizations', contentType: YAML_TYPE, body: () => 'optimization_config:\n  name: [x\n  base_operation: y\n', status: 400 },
    { field: /^line \d+, column \d+$/, reason: /./ },
  ),
  body(
    'an alias bomb as the body',
    { route: 'optimizations', contentType: YAML_TYPE, body: fixture('bad/op-alias-bomb.yaml'), status: 400 },
    { field: /^line \d+, column \d+$/, reason: /^expands to more than 1,000,000 nodes through aliases/ },
  ),
  body(
    'deep nesting as the body',
    { route: 'variant-tests', contentType: YAML_TYPE, body: fixture('bad/op-deep-nesting.yaml'), status: 400 },
    { field: /^line 2, column \d+$/, reason: /^nests deeper than 64 levels/ },
  ),
  body(
    'a YAML body that is not UTF-8',
    { route: 'optimizations', contentType: YAML_TYPE, body: fixture('bad/op-not-utf8.yaml'), status: 400 },
    { field: 'line 2, column 18', reason: /^is not valid UTF-8 text/ },
  ),
  body(
    'a JSON body that is not UTF-8',
    // {"path": "caf\xe9"}: Latin-1 é.
    { route: 'optimizations', contentType: JSON_TYPE, body: () => Buffer.concat([Buffer.from('{"path": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]), status: 400 },
    { field: '', reason: /^is not valid UTF-8 text/ },
  ),
  body(
    'a JSON number beyond ±1.8e308 (JSON.parse reads Infinity)',
    {
      route: 'variant-tests',
      contentType: JSON_TYPE,
      body: () => '{"variant_config": {"name": "x", "base_operation": "good/operation.yaml", "variants": [{"name": "A", "overrides": {"analysis_workers": {"exit_planning": [{"plugin": "atr_exit", "params": {"atr_multiplier": 1e309}}]}}}]}}',
      status: 400,
    },
    { field: 'variant_config.variants[0].overrides.analysis_workers.exit_planning[0].params.atr_multiplier', reason: /^is Infinity: a number out of range/ },
  ),
  body(
    'a YAML body with +1e309',
    { route: 'optimizations', contentType: YAML_TYPE, body: () => 'optimization_config:\n  name: x\n  parallel_config: { max_combinations: +1e309 }\n', status: 400 },
    { field: 'optimization_config.parallel_config.max_combinations', reason: /^\+1e309 is out of range for a number/ },
  ),
  // Compressed bodies (issue 19 item 8): gzip and deflate are read within the body limit, other codings named.
  ...(['br', 'gzip, gzip', 'compress'] as const).map((coding) =>
    body(
      `Content-Encoding "${coding}"`,
      { route: 'optimizations', contentType: JSON_TYPE, contentEncoding: coding, body: () => zlib.gzipSync('{"path": "good/optimization.yaml"}'), status: 415 },
      { field: 'Content-Encoding', reason: new RegExp(`^"${coding}" is not supported; send the body uncompressed or as one of "gzip", "deflate"$`) },
    ),
  ),
  body(
    'Content-Encoding gzip on a body that is not gzip',
    { route: 'optimizations', contentType: JSON_TYPE, contentEncoding: 'gzip', body: () => '{"path": "good/optimization.yaml"}', status: 400 },
    { field: 'Content-Encoding', reason: /^"gzip" does not match the body: it is not valid gzip data \(incorrect header check\)$/ },
  ),
  body(
    'a gzip body cut short',
    { route: 'optimizations', contentType: JSON_TYPE, contentEncoding: 'gzip', body: () => zlib.gzipSync('{"path": "good/optimization.yaml"}').subarray(0, 20), status: 400 },
    { field: 'Content-Encoding', reason: /^"gzip" does not match the body: it is not valid gzip data \(unexpected end of file\)$/ },
  ),
  ...(
    [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
    ] as const
  ).map(([coding, compress]) =>
    body(
      `a ${coding} bomb (100 MiB of YAML comment in under 1 MiB)`,
      { route: 'variant-tests', contentType: YAML_TYPE, contentEncoding: coding, body: () => compress(Buffer.concat([Buffer.from('# '), Buffer.alloc(100 * 1024 * 1024, 0x78)])), status: 413 },
      { field: '', reason: new RegExp(`^decompresses \\(Content-Encoding "${coding}"\\) to more than the limit of 1,048,576 bytes$`) },
    ),
  ),
  body(
    'a gzip YAML body with 1e309, read and refused by field',
    { route: 'optimizations', contentType: YAML_TYPE, contentEncoding: 'gzip', body: () => zlib.gzipSync('optimization_config:\n  name: x\n  parallel_config: { max_combinations: 1e309 }\n'), status: 400 },
    { field: 'optimization_config.parallel_config.max_combinations', reason: /^1e309 is out of range for a number/ },
  ),
  body('malformed JSON', { route: 'variant-tests', contentType: JSON_TYPE, body: () => '{"path": ', status: 400 }, { field: '', reason: /^is not valid JSON/ }),
  body('an empty body', { route: 'optimizations', contentType: JSON_TYPE, body: () => '', status: 400 }, { field: '', reason: /^is empty/ }),
  body(
    'an oversized body (413; the CLI reads files of any size)',
    { route: 'optimizations', contentType: YAML_TYPE, body: () => `# ${'x'.repeat(BODY_LIMIT)}\n`, status: 413 },
    { field: '', reason: /^is larger than the limit of 1,048,576 bytes/ },
  ),
  body(
    'an unsupported Content-Type',
    { route: 'optimizations', contentType: 'text/plain', body: () => 'optimization_config: {}', status: 415 },
    { field: 'Content-Type', reason: /^"text\/plain" is not one of "application\/json"/ },
  ),
  body(
    'an absolute path outside the workspace',
    { route: 'variant-tests', contentType: JSON_TYPE, body: () => JSON.stringify({ path: '/etc/passwd' }), status: 422 },
    { field: 'path', reason: /^"\/etc\/passwd" lies outside the data root/ },
  ),
  body(
    'a path through /proc/self (whose real path spells the PID)',
    { route: 'optimizations', contentType: JSON_TYPE, body: () => JSON.stringify({ path: '/proc/self/environ' }), status: 422 },
    { field: 'path', reason: /^"\/proc\/self\/environ" lies outside the data root/ },
  ),
  body(
    'a path with a NUL byte',
    { route: 'variant-tests', contentType: JSON_TYPE, body: () => JSON.stringify({ path: 'good/variant\u0000.yaml' }), status: 422 },
    { field: 'path', reason: /^"good\/variant\\u0000\.yaml" contains a NUL byte/ },
  ),
  body(
    'JSON nested 20,000 deep',
    { route: 'optimizations', contentType: JSON_TYPE, body: () => `${'['.repeat(20_000)}${']'.repeat(20_000)}`, status: 400 },
    { field: '', reason: /^nests deeper than 64 levels/ },
  ),
  body(
    'a JSON override keyed __proto__',
    {
      route: 'variant-tests',
      contentType: JSON_TYPE,
      body: () => '{"variant_config": {"name": "x", "base_operation": "good/operation.yaml", "variants": [{"name": "A", "overrides": {"__proto__": {"analysis_workers": {}}}}]}}',
      status: 400,
    },
    { field: 'variant_config.variants[0].overrides.__proto__', reason: /^is not allowed as a key \(it names an object's prototype\)/ },
  ),
  body(
    'a variant name with a NUL byte',
    { route: 'variant-tests', contentType: JSON_TYPE, body: () => JSON.stringify({ variant_config: { ...variantOn('good/operation.yaml').variant_config, variants: [{ name: 'Base\u0000line', overrides: {} }] } }), status: 422 },
    { field: 'variant_config.variants[0].name', reason: /^must be one line of printable text/ },
  ),

  // Requests on a stored sweep (issue 9 item 9).
  call('a results query parameter filter with "=="', (id) => ({ method: 'GET', url: `${SWEEP_RESULTS(id)}?filter=${encodeURIComponent('variant==Baseline')}` }), 400, {
    file: 'query',
    field: 'filter',
    reason: /^"variant==Baseline": unknown operator "=="; use one of "=", "!="/,
  }),
  call('a results query parameter filter with "=>"', (id) => ({ method: 'GET', url: `${SWEEP_RESULTS(id)}?filter=${encodeURIComponent('total_trades=>1')}` }), 400, {
    file: 'query',
    field: 'filter',
    reason: /^"total_trades=>1": unknown operator "=>"/,
  }),
  call('a query parameter given twice', (id) => ({ method: 'GET', url: `${SWEEP_RESULTS(id)}?limit=1&limit=2` }), 400, {
    file: 'query',
    field: 'limit',
    reason: /^is given 2 times \("1", "2"\); give it once/,
  }),
  call('an equity curve of a hash the sweep never ran', (id) => ({ method: 'GET', url: `/api/sweeps/${id}/equity?ids=${'f'.repeat(64)}` }), 404, {
    file: 'query',
    field: 'ids',
    reason: /^"f{64}" is not an index or operation hash of sweep "var-corpus-stored"/,
  }),
  call('DELETE on a sweep', (id) => ({ method: 'DELETE', url: `/api/sweeps/${id}` }), 405, {
    file: 'request',
    field: 'method',
    reason: /^"DELETE" is not allowed on \/api\/sweeps\/var-corpus-stored; it answers GET, HEAD$/,
  }),
  call('GET on a submission route', () => ({ method: 'GET', url: '/api/optimizations' }), 405, { file: 'request', field: 'method', reason: /^"GET" is not allowed on \/api\/optimizations; it answers POST$/ }),
  call('PUT on pause', (id) => ({ method: 'PUT', url: `/api/sweeps/${id}/pause` }), 405, { file: 'request', field: 'method', reason: /it answers POST$/ }),

  // Flags and settings of the CLI, refused before anything is started or submitted (issue 9 items 5, 7, 9).
  setting('export into /proc', ['export', 'var-x', '--ops', '/proc/self/xx'], { file: '--ops', field: 'ops', reason: /^"\/proc\/self\/xx" cannot be created/ }),
  setting('export --ops ""', ['export', 'var-x', '--ops', ''], { file: '--ops', field: 'ops', reason: /^"" names no directory; give the folder to write the operations to/ }),
  setting('export --ops " "', ['export', 'var-x', '--ops', ' '], { file: '--ops', field: 'ops', reason: /^" " names no directory/ }),

  // Folders for `init` (issue 19 item 6).
  setting('init under /proc', ['init', '/proc/self/hostile'], { file: '/proc/self/hostile', field: '', reason: /^"\/proc\/self\/hostile" cannot be created: its parent directory does not accept new entries/ }),
  setting('init into /dev/null', ['init', '/dev/null'], { file: '/dev/null', field: '', reason: /^is a file, not a folder/ }),
  setting('init into a file', ['init', 'good/operation.yaml'], { file: 'good/operation.yaml', field: '', reason: /^is a file, not a folder/ }),
  setting('init into a dangling symlink', ['init', 'init-dangling'], { file: 'init-dangling', field: '', reason: /^is a symlink to something that does not exist/ }),
  setting('init beside a package.json cut short', ['init', 'init-broken'], { file: 'init-broken/package.json', field: '', reason: /^is not valid JSON \(.+\); sweeplab init keeps the package.json npm install left/ }),
  setting('init beside a package.json that is an array', ['init', 'init-array'], { file: 'init-array/package.json', field: '', reason: /^is not a JSON object/ }),
  setting('init into a folder that holds a workspace', ['init', 'good'], { file: 'good', field: '', reason: /^is not empty \(it holds/ }),
  setting('a SQLite store under /proc', ['results', 'var-x'], { file: 'DATABASE_URL', field: '', reason: /^"\/proc\/nope" cannot be created/ }, () => ({ DATABASE_URL: 'sqlite:/proc/nope/x.db' })),
  setting('DATABASE_URL written as a bare path', ['results', 'var-x'], { file: 'DATABASE_URL', field: '', reason: /^unsupported database URL "data\/x\.db"; for the SQLite file "data\/x\.db" write "sqlite:data\/x\.db"/ }, () => ({
    DATABASE_URL: 'data/x.db',
  })),
  setting('DATABASE_URL naming a directory', ['results', 'var-x'], { file: 'DATABASE_URL', field: '', reason: /names a directory; point it at a database file inside it/ }, (root) => ({ DATABASE_URL: `sqlite:${root}` })),
  setting('DATABASE_URL on a closed PostgreSQL port', ['results', 'var-x'], { file: 'DATABASE_URL', field: '', reason: /^cannot reach PostgreSQL at "127\.0\.0\.1:1" \(ECONNREFUSED\)/ }, () => ({
    DATABASE_URL: 'postgres://sweeplab@127.0.0.1:1/sweeplab',
  })),
  setting('a results filter with "=="', ['results', 'var-x', '--filter', 'fast==10'], { file: '--filter', field: 'filter', reason: /^"fast==10": unknown operator "=="/ }),
  setting('a results filter with "=>"', ['results', 'var-x', '--filter', 'fast=>10'], { file: '--filter', field: 'filter', reason: /^"fast=>10": unknown operator "=>"/ }),
  setting('up --concurrency abc', ['up', '--concurrency', 'abc'], { file: '--concurrency', field: 'concurrency', reason: /^"abc" is not a whole number from 1 to 1024/ }),
  setting('api --port 99999', ['api', '--port', '99999'], { file: '--port', field: 'port', reason: /^"99999" is not a port number from 0 to 65535/ }),
  setting('api --port abc', ['api', '--port', 'abc'], { file: '--port', field: 'port', reason: /^"abc" is not a port number/ }),
  setting('walk-forward --id with a slash, before the file is read', ['walk-forward', 'no-such.yaml', '--id', 'a/b'], { file: '--id', field: '', reason: /^"a\/b" must be 1–128 letters, digits/ }),
  setting('--wait --top abc, before submitting', ['optimize', 'good/optimization.yaml', '--wait', '--top', 'abc'], { file: '--top', field: 'top', reason: /^"abc" is not a whole number/ }),
  body(
    'a path body with an unknown key',
    { route: 'optimizations', contentType: JSON_TYPE, body: () => JSON.stringify({ path: 'good/optimization.yaml', wait: true }), status: 422 },
    { field: '', reason: /^unknown field "wait"/ },
  ),
  body(
    'a document of the wrong type',
    { route: 'optimizations', contentType: JSON_TYPE, body: () => JSON.stringify({ optimization_config: 'sma grid' }), status: 422 },
    { field: 'optimization_config', reason: /^expected object, received string/ },
  ),
];

/** A fresh workspace (data root) holding a copy of test/fixtures, with files just outside it. */
function workspace(): string {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-corpus-')));
  const root = path.join(tmp, 'root');
  fs.cpSync(FIXTURES, root, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'outside.csv'), 'timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n2020-01-02,1,1,1,1\n');
  fs.writeFileSync(path.join(tmp, 'outside.yaml'), 'name: outside\n');
  fs.symlinkSync(path.join(tmp, 'outside.csv'), path.join(root, CORPUS, 'data', 'link-out.csv'));
  // 3 GiB without taking the disk space: a sparse file, larger than Node can read into one buffer.
  // For `init`: folders holding only a package.json that is broken, and a symlink to nothing.
  for (const [folder, text] of [['init-broken', '{"name": '], ['init-array', '[]']]) {
    fs.mkdirSync(path.join(root, folder!));
    fs.writeFileSync(path.join(root, folder!, 'package.json'), text!);
  }
  fs.symlinkSync(path.join(tmp, 'gone'), path.join(root, 'init-dangling'));
  fs.writeFileSync(path.join(root, CORPUS, 'data', 'huge.csv'), '');
  fs.truncateSync(path.join(root, CORPUS, 'data', 'huge.csv'), 3 * 1024 ** 3);
  return root;
}

function removeWorkspace(root: string): void {
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
}

/** Checks `message` reads `<file>: <field>: <reason>` (`<file>: <reason>` without a field). */
function assertMessage(message: string, expected: Expected): void {
  assert.ok(message.startsWith(`${expected.file}: `), `names the file "${expected.file}": ${message}`);
  let rest = message.slice(expected.file.length + 2);
  if (typeof expected.field === 'string') {
    if (expected.field) {
      assert.ok(rest.startsWith(`${expected.field}: `), `names the field "${expected.field}": ${message}`);
      rest = rest.slice(expected.field.length + 2);
    }
  } else {
    const field = /^(.*?): /.exec(rest);
    assert.ok(field, `names a field: ${message}`);
    assert.match(field[1]!, expected.field);
    rest = rest.slice(field[0].length);
  }
  assert.match(rest, expected.reason);
}

/**
 * Checks a message shows no path of the server's own: not the workspace, not this checkout, not a
 * PID from /proc/<pid>. What the user wrote (`given`) may come back as written.
 */
function assertNoServerPath(message: string, root: string, given: string[]): void {
  let rest = message;
  for (const text of given.filter((g) => g.length > 1).sort((a, b) => b.length - a.length)) rest = rest.split(text).join('');
  for (const serverPath of [path.dirname(root), repoRoot, os.homedir()]) {
    assert.ok(!rest.includes(serverPath), `names the server path "${serverPath}": ${message}`);
  }
  assert.doesNotMatch(rest, /\/proc\/\d+/, 'names a process id');
  assert.doesNotMatch(rest, /(^|[\s"'(])\/(tmp|home|root|work|usr|var)\//, `an absolute path: ${message}`);
}

test('the corpus has at least 40 cases on each side and uses every corpus fixture', () => {
  assert.ok(CASES.filter((c) => c.cli).length >= 40, 'CLI cases');
  assert.ok(CASES.filter((c) => c.api).length >= 40, 'API cases');
  const used = new Set(CASES.flatMap((c) => c.cli ?? []));
  const fixtures = fs
    .readdirSync(path.join(FIXTURES, CORPUS))
    .filter((f) => f.endsWith('.yaml') && f !== 'opt-grid-large-allowed.yaml')
    .map((f) => `${CORPUS}/${f}`);
  assert.deepEqual(fixtures.filter((f) => !used.has(f)), []);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
});

describe('through the CLI', { concurrency: 2 }, () => {
  let root: string;
  before(() => {
    root = workspace();
  });
  after(() => removeWorkspace(root));

  for (const c of CASES) {
    if (!c.cli) continue;
    test(`${c.name}: exit 2 and one paragraph naming file, field and reason`, async () => {
      const env = { SWEEPLAB_DATA_ROOT: root, TEMPORAL_ADDRESS: NO_TEMPORAL, DATABASE_URL: `sqlite:${path.join(path.dirname(root), 'cli-store.db')}`, ...c.env?.(root) };
      const run = await runCli(c.cli!, {
        cwd: root,
        // Temporal and the store are never reached for bad input; if they were, neither is there.
        env,
        timeoutMs: CLI_HANG_MS,
      });
      assert.equal(run.code, 2, `exit code (null: killed after ${CLI_HANG_MS} ms, a hang); stderr: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      const message = run.stderr.trimEnd();
      assert.ok(!message.includes('\n\n'), `one paragraph: ${message}`);
      assert.ok(message.startsWith('error: '), message);
      assertMessage(message.slice('error: '.length), c);
      assertNoServerPath(message, root, [...c.cli!, ...Object.values(c.env?.(root) ?? {})]);
    });
  }
});

describe('through the API', () => {
  let root: string;
  let store: Store;
  let connection: Connection;
  let app: ReturnType<typeof createApp>;
  let sweepId: string;
  /** The store as it was before any bad request. */
  let stored: unknown;

  /** The stored sweep as the API serves it, byte for byte (its results as JSON and CSV, its curves). */
  const snapshot = async () => {
    const texts: string[] = [];
    for (const url of [`/api/sweeps/${sweepId}/results?sort=idx&order=asc`, `/api/sweeps/${sweepId}/results?format=csv`, `/api/sweeps/${sweepId}/equity`, '/api/sweeps']) {
      const res = await app.request(url);
      assert.equal(res.status, 200, `a good request is still answered: ${url}`);
      texts.push(await res.text());
    }
    return texts;
  };

  before(async () => {
    root = workspace();
    store = await openStore({ url: `sqlite:${path.join(path.dirname(root), 'store.db')}` });
    await store.migrate();
    connection = Connection.lazy({ address: NO_TEMPORAL });
    app = createApp({ sweeps: new Sweeps(new Client({ connection }), store, 'corpus-never-polled'), store, dataRoot: root });

    // A finished variant test stored before any bad request: three variants on 500 synthetic bars, run here.
    const variants = {
      variant_config: {
        name: 'stored before',
        base_operation: 'good/operation-inline.yaml',
        variants: [
          { name: 'Baseline', overrides: {} },
          { name: 'Faster', overrides: { analysis_workers: { signal_generation: [{ plugin: 'ema_cross', params: { fast: 3 } }] } } },
          { name: 'Wider', overrides: { analysis_workers: { exit_planning: [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 4, target_pct: 8 } }] } } },
        ],
      },
    };
    const spec = variantTestSpec(resolveVariantTest(variants, { file: 'corpus', baseDir: root, dataRoot: root }));
    sweepId = 'var-corpus-stored';
    await store.createSweep({ id: sweepId, kind: spec.kind, name: spec.name, total: indexSpaceSize(spec), primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
    for (let idx = 0; idx < indexSpaceSize(spec); idx++) {
      const { op, params } = operationAt(spec, idx);
      const result = runMaterializedOperation(op, { dataRoot: root, file: 'corpus' });
      const hash = operationHash(op);
      const blocks = encodeBlocks(blockReturns(result.equity.v, DEFAULT_BLOCKS));
      await store.recordOperations([{ sweep_id: sweepId, idx, hash, params, status: 'done', error: null, metrics: result.metrics, duration_ms: 0, blocks }]);
    }
    await store.refreshSweepCounts(sweepId);
    await store.setSweepStatus(sweepId, 'completed');
    stored = await snapshot();
  });

  after(async () => {
    await connection?.close();
    await store?.close();
    if (root) removeWorkspace(root);
  });

  for (const c of CASES) {
    if (!c.api) continue;
    const request = c.api;
    test(`${c.name}: ${request.status} naming file, field and reason; the server keeps serving and nothing stored changes`, async () => {
      const expected: Expected = { file: request.file ?? c.file, field: request.field ?? c.field, reason: request.reason ?? c.reason };
      const sent = request.request ? request.request(sweepId) : { method: 'POST', url: `/api/${request.route}` };
      const body = request.body?.(root);
      const headers = { ...(request.contentType ? { 'Content-Type': request.contentType } : {}), ...(request.contentEncoding ? { 'Content-Encoding': request.contentEncoding } : {}) };
      const res = await app.request(sent.url, { method: sent.method, headers, body });
      const text = await res.text();
      assert.equal(res.status, request.status, text);
      const parsed = JSON.parse(text) as ErrorBody;
      assert.deepEqual(Object.keys(parsed), ['error']);
      const { error } = parsed;
      assert.deepEqual(Object.keys(error).sort(), ['field', 'file', 'message', 'reason'], 'the ConfigError shape and nothing else (no stack)');
      assert.equal(error.file, expected.file);
      if (typeof expected.field === 'string') assert.equal(error.field, expected.field);
      else assert.match(error.field!, expected.field);
      assert.match(error.reason!, expected.reason);
      assertMessage(error.message, expected);
      assertNoServerPath(text, root, [sent.url, ...(typeof body === 'string' ? [body] : [])]);

      const after = await snapshot();
      assert.ok(after[0]!.includes('"total":3'), 'the stored sweep still has its three rows');
      assert.deepEqual(after, stored, 'what the server serves of the stored sweep is byte-identical');
    });
  }
});

describe('a grid above the default maximum', () => {
  // fast 1..1000 × slow 2..2001 = 1000 × 2000 = 2,000,000 combinations. fast < slow: fast f admits
  // slow f+1..2001, that is 2001 − f values; Σ_{f=1}^{1000} (2001 − f) = 2,001,000 − 500,500 = 1,500,500.
  const file = `${CORPUS}/opt-grid-large-allowed.yaml`;

  test('loads for the CLI when parallel_config.max_combinations allows it', () => {
    const root = workspace();
    try {
      const loaded = loadOptimizationFile(path.join(root, file), { dataRoot: root });
      assert.equal(loaded.grid.size, 2_000_000);
      assert.equal(loaded.admissible, 1_500_500);
    } finally {
      removeWorkspace(root);
    }
  });

  test('is accepted by the API submission when parallel_config.max_combinations allows it', () => {
    const root = workspace();
    try {
      const { spec } = specFromDocument('optimization', { path: file }, root);
      assert.equal(indexSpaceSize(spec), 2_000_000);
      assert.equal(spec.parallel.max_combinations, 2_000_000);
    } finally {
      removeWorkspace(root);
    }
  });
});
