import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseWith } from '../../src/config/errors.js';
import { OperationSchema } from '../../src/config/schemas.js';

const operation = {
  display_name: 'x',
  strategy_links: [{ strategy_blueprint: 'b.yaml', execution_environment: 'e' }],
  environments: { e: { data_source: 'd' } },
};

test('a misspelt required field is named once, with the name it was meant to be', () => {
  assert.throws(
    () => parseWith(OperationSchema, { ...operation, data_source: { d: { type: 'csv_archive', path: 'x.csv', timeframe: '1d' } } }, 'op.yaml'),
    (error: unknown) => error instanceof ConfigError && error.field === '' && error.reason === 'unknown field "data_source"; did you mean "data_sources"?',
  );
});

test('an unknown field that resembles no missing one is reported as unknown', () => {
  assert.throws(
    () => parseWith(OperationSchema, { ...operation, data_sources: {}, colour: 'red' }, 'op.yaml'),
    (error: unknown) => error instanceof ConfigError && error.reason === 'unknown field "colour"',
  );
});
