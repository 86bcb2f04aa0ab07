import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { findTemporalCli } from '../../src/temporal/cli-path.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * deploy/temporal/register-search-attributes.sh, the compose job that prepares a real server, run
 * here with the same `temporal` CLI the admin-tools image has, against the dev server, with the
 * attribute list the compose file gives it. Each test works in a namespace of its own that the
 * script creates (the dev server registers sweeplab's attributes only on the namespace it starts).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = path.join(root, 'deploy/temporal/register-search-attributes.sh');
const compose = load(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as {
  services: Record<string, { environment: Record<string, string> }>;
};
const composeAttributes = compose.services['search-attributes']!.environment.SWEEPLAB_SEARCH_ATTRIBUTES!;

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.stop());

/** Runs the script with the container's environment, the CLI's folder first on PATH. */
function register(namespace: string, attributes: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', [script], {
    env: {
      ...process.env,
      PATH: `${path.dirname(findTemporalCli())}${path.delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: t.server.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_NAMESPACE_RETENTION: '30d',
      SWEEPLAB_SEARCH_ATTRIBUTES: attributes,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function customAttributes(namespace: string): Promise<Record<string, number>> {
  const { customAttributes } = await t.connection.operatorService.listSearchAttributes({ namespace });
  return { ...customAttributes };
}

// IndexedValueType in temporal/api/enums/v1/common.proto: KEYWORD = 2, INT = 3.
const sweepAttributes = { SweepKind: 2, SweepName: 2, SweepStatus: 2, SweepTotal: 3 };

test('creates the namespace with its retention and the search attributes the compose job lists', async () => {
  const namespace = uniqueId('deploy');
  const run = await register(namespace, composeAttributes);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(await customAttributes(namespace), sweepAttributes);
  const { config } = await t.connection.workflowService.describeNamespace({ namespace });
  // 30d = 30 x 86,400 s.
  assert.equal(Number(config?.workflowExecutionRetentionTtl?.seconds), 2_592_000);
});

test('succeeds again, unchanged, where the namespace and the attributes exist', async () => {
  const namespace = uniqueId('deploy');
  assert.equal((await register(namespace, composeAttributes)).code, 0);
  const again = await register(namespace, composeAttributes);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await customAttributes(namespace), sweepAttributes);
});

test('fails, naming the attribute, when it exists with another type', async () => {
  const namespace = uniqueId('deploy');
  assert.equal((await register(namespace, composeAttributes)).code, 0);
  const clash = await register(namespace, 'SweepTotal=Keyword');
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /SweepTotal/);
  assert.deepEqual(await customAttributes(namespace), sweepAttributes, 'the existing attribute keeps its type');
});
