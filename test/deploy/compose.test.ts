import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { sweepSearchAttributes } from '../../src/temporal/search-attributes.js';

/*
 * The wiring of docker-compose.yml, read the way `docker compose` reads it: YAML with merge keys
 * (`<<`), then ${VAR} interpolation of every string from .env. No Docker engine runs here, so this
 * is what checks the file; docs/deploy.md says so too.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const envExample = parseEnvFile(fs.readFileSync(path.join(root, '.env.example'), 'utf8'));

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  container_name?: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

interface VariableUse {
  name: string;
  /** The value after `:-` or `-`; undefined when the use has none. */
  fallback: string | undefined;
}

/** KEY=VALUE lines; `#` comments and blank lines skipped (the subset .env.example uses). */
function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    assert.ok(eq > 0, `.env.example: "${trimmed}" is not KEY=VALUE`);
    vars.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  return vars;
}

/**
 * Compose interpolation of one string: `$$` is a literal `$`; `${VAR}`, `${VAR:-fallback}`,
 * `${VAR-fallback}` and `$VAR` are replaced from `env` (unset or, for `:-`, empty takes the
 * fallback). Records every use in `uses`; the other forms (`:?`, `:+`, ...) count as uses without
 * a default, which the tests below refuse.
 */
function interpolate(text: string, env: Map<string, string>, uses: VariableUse[]): string {
  return text.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const parts = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*)|(.*))$/s.exec(braced ?? bare!);
    assert.ok(parts, `"${match}" names no variable`);
    const name = parts[1]!;
    const op = parts[2];
    const fallback = parts[3];
    uses.push({ name, fallback: op ? fallback : undefined });
    const value = env.get(name);
    if (op === ':-') return value ? value : fallback!;
    if (op === '-') return value ?? fallback!;
    return value ?? '';
  });
}

function interpolateAll(value: unknown, env: Map<string, string>, uses: VariableUse[]): unknown {
  if (typeof value === 'string') return interpolate(value, env, uses);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env, uses));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env, uses)]));
  }
  return value;
}

/** The compose file as `docker compose config` would see it with `env` as the .env file. */
function resolveCompose(text: string, env: Map<string, string>): { compose: Compose; uses: VariableUse[] } {
  const uses: VariableUse[] = [];
  const parsed = load(text, { schema: YAML11_SCHEMA });
  const compose = interpolateAll(parsed, env, uses) as Compose;
  return { compose, uses };
}

/** With no .env at all (every default) and with `cp .env.example .env`. */
const withDefaults = resolveCompose(composeText, new Map()).compose;
const withExample = resolveCompose(composeText, envExample).compose;

function service(compose: Compose, name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

/** `host:port` split, as TEMPORAL_ADDRESS is written. */
function hostPort(address: string): { host: string; port: number } {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port) };
}

/** Seconds in a compose duration like `60s`, `1m30s` or `2m`. */
function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+)(h|m|s)/g)];
  assert.equal(parts.map((p) => p[0]).join(''), text, `"${text}" is not a duration of h/m/s parts`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

test('defines the database, Temporal, its UI, both setup jobs, the API and the worker', () => {
  assert.deepEqual(Object.keys(withDefaults.services).sort(), [
    'api',
    'postgresql',
    'search-attributes',
    'temporal',
    'temporal-schema',
    'temporal-ui',
    'worker',
  ]);
});

test('pins every image to a tag other than latest, or builds it', () => {
  for (const [label, compose] of [['defaults', withDefaults], ['.env.example', withExample]] as const) {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build !== undefined) continue;
      const tag = /^[^:@]+(?::([^@]+))?/.exec(svc.image ?? '')?.[1];
      assert.ok(tag && tag !== 'latest', `${label}: service "${name}" image "${svc.image}" has no pinned tag`);
    }
  }
});

test('runs the schema job and the server from the same Temporal version', () => {
  // admin-tools ships the schema files: a newer server on an older schema refuses to start.
  const version = (image: string | undefined) => image?.split(':')[1];
  for (const compose of [withDefaults, withExample]) {
    assert.equal(version(service(compose, 'temporal-schema').image), version(service(compose, 'temporal').image));
    assert.equal(version(service(compose, 'search-attributes').image), version(service(compose, 'temporal').image));
  }
});

test('lets the worker scale: no container_name and no host ports', () => {
  const worker = service(withDefaults, 'worker');
  assert.equal(worker.container_name, undefined);
  assert.equal(worker.ports, undefined);
});

test('runs the API and the worker with the sweeplab command of the built image', () => {
  const api = service(withDefaults, 'api');
  const worker = service(withDefaults, 'worker');
  assert.deepEqual(api.command, ['sweeplab', 'api', '--port', '8787']);
  // The worker goes through sh only for its optional --concurrency; `exec` leaves node as tini's child.
  assert.match(worker.command?.at(-1) ?? '', /^exec sweeplab worker(?: |$)/);
  assert.deepEqual(worker.build, api.build);
  assert.equal(worker.image, api.image);
});

test('publishes the API on the port it listens on, bound beyond loopback inside the container', () => {
  const api = service(withDefaults, 'api');
  assert.equal(api.environment?.SWEEPLAB_API_HOST, '0.0.0.0');
  assert.deepEqual(api.ports, ['127.0.0.1:8787:8787']);
});

test('points the API and the worker at the temporal service frontend', () => {
  const temporal = service(withDefaults, 'temporal');
  assert.deepEqual(temporal.ports, ['127.0.0.1:7233:7233'], 'the frontend listens on 7233 (the image default)');
  for (const name of ['api', 'worker', 'search-attributes', 'temporal-ui']) {
    const address = String(service(withDefaults, name).environment?.TEMPORAL_ADDRESS);
    assert.deepEqual(hostPort(address), { host: 'temporal', port: 7233 }, `${name}: TEMPORAL_ADDRESS "${address}"`);
  }
});

test('points DATABASE_URL of the API and the worker at the postgresql service and its database', () => {
  for (const compose of [withDefaults, withExample]) {
    const pg = service(compose, 'postgresql').environment!;
    for (const name of ['api', 'worker']) {
      const url = new URL(String(service(compose, name).environment?.DATABASE_URL));
      assert.equal(url.protocol, 'postgres:');
      assert.equal(url.hostname, 'postgresql');
      assert.equal(url.port, '5432');
      assert.equal(url.username, pg.POSTGRES_USER);
      assert.equal(url.password, pg.POSTGRES_PASSWORD);
      assert.equal(url.pathname, `/${pg.POSTGRES_DB}`);
    }
  }
});

test('gives the server the databases and credentials the schema job prepares', () => {
  const job = service(withDefaults, 'temporal-schema').environment!;
  const server = service(withDefaults, 'temporal').environment!;
  const pg = service(withDefaults, 'postgresql').environment!;
  assert.equal(server.POSTGRES_SEEDS, 'postgresql');
  assert.equal(job.POSTGRES_SEEDS, 'postgresql');
  assert.equal(server.POSTGRES_USER, pg.POSTGRES_USER);
  assert.equal(server.POSTGRES_PWD, pg.POSTGRES_PASSWORD);
  assert.equal(job.POSTGRES_USER, pg.POSTGRES_USER);
  assert.equal(job.SQL_PASSWORD, pg.POSTGRES_PASSWORD);
  assert.deepEqual([server.DBNAME, server.VISIBILITY_DBNAME], ['temporal', 'temporal_visibility']);
  assert.deepEqual([job.DBNAME, job.VISIBILITY_DBNAME], ['temporal', 'temporal_visibility']);
});

test('mounts the same workspace at the same path in the API and the worker, as their data root', () => {
  const mounts = ['api', 'worker'].map((name) => {
    const svc = service(withExample, name);
    const [mount] = svc.volumes ?? [];
    assert.ok(mount && typeof mount === 'object', `${name}: the workspace is a long-syntax bind mount`);
    assert.equal(mount.type, 'bind');
    assert.equal(svc.environment?.SWEEPLAB_DATA_ROOT, mount.target, `${name}: SWEEPLAB_DATA_ROOT is the mount point`);
    return mount;
  });
  assert.deepEqual(mounts[0], mounts[1]);
  assert.equal(mounts[0]!.source, '.');
});

test('orders start-up: schema, server, search attributes, then the API and the workers', () => {
  const conditions = (name: string) =>
    Object.fromEntries(Object.entries(service(withDefaults, name).depends_on ?? {}).map(([dep, { condition }]) => [dep, condition]));
  assert.deepEqual(conditions('temporal-schema'), { postgresql: 'service_healthy' });
  assert.deepEqual(conditions('temporal'), { 'temporal-schema': 'service_completed_successfully' });
  assert.deepEqual(conditions('search-attributes'), { temporal: 'service_healthy' });
  assert.deepEqual(conditions('temporal-ui'), { temporal: 'service_healthy' });
  for (const name of ['api', 'worker']) {
    assert.deepEqual(conditions(name), { postgresql: 'service_healthy', 'search-attributes': 'service_completed_successfully' });
  }
});

test('has health checks on postgresql, temporal and the API', () => {
  for (const name of ['postgresql', 'temporal', 'api']) {
    const check = service(withDefaults, name).healthcheck;
    assert.ok(check && check.test.length > 1, `${name} has no healthcheck test`);
  }
  assert.match(service(withDefaults, 'postgresql').healthcheck!.test.join(' '), /pg_isready/);
  assert.match(service(withDefaults, 'api').healthcheck!.test.join(' '), /127\.0\.0\.1:8787\/api\/health/);
});

test('keeps the PostgreSQL data on a named volume', () => {
  const volumes = service(withDefaults, 'postgresql').volumes ?? [];
  const data = volumes.find((v) => typeof v === 'string' && v.endsWith(':/var/lib/postgresql/data'));
  assert.ok(typeof data === 'string', 'postgresql mounts /var/lib/postgresql/data');
  const source = data.split(':')[0]!;
  assert.ok(withDefaults.volumes && source in withDefaults.volumes, `"${source}" is a named volume declared under volumes:`);
});

test('gives the worker at least 30 s to finish its activities when stopped', () => {
  assert.ok(durationSeconds(service(withDefaults, 'worker').stop_grace_period ?? '0s') >= 30);
});

test('lists every variable the compose file uses in .env.example, each with a default', () => {
  const { uses } = resolveCompose(composeText, new Map());
  assert.ok(uses.length > 0);
  for (const use of uses) {
    assert.ok(envExample.has(use.name), `\${${use.name}} is not listed in .env.example`);
    assert.notEqual(use.fallback, undefined, `\${${use.name}} has no default (write \${${use.name}:-value})`);
  }
});

test('writes the same value for each variable in .env.example as its default in the compose file', () => {
  const { uses } = resolveCompose(composeText, new Map());
  for (const use of uses) {
    assert.equal(envExample.get(use.name), use.fallback, `${use.name}: .env.example and the compose default differ`);
  }
  const used = new Set(uses.map((u) => u.name));
  assert.deepEqual([...envExample.keys()].filter((name) => !used.has(name)), [], '.env.example lists variables nothing uses');
});

test('registers exactly the search attributes of src/temporal/search-attributes.ts', () => {
  const job = service(withDefaults, 'search-attributes');
  const registered = String(job.environment?.SWEEPLAB_SEARCH_ATTRIBUTES)
    .split(/\s+/)
    .map((pair) => pair.split('='));
  // The CLI spells types like the SDK without underscores and in title case: KEYWORD_LIST is KeywordList.
  const expected = sweepSearchAttributes.map((key) => [key.name, key.type.replace(/_/g, '').toLowerCase()]);
  assert.deepEqual(
    registered.map(([name, type]) => [name, type!.toLowerCase()]),
    expected,
  );
});

test('runs setup scripts and configs that exist in the bind-mounted deploy folder', () => {
  for (const name of ['temporal-schema', 'search-attributes', 'temporal']) {
    const svc = service(withDefaults, name);
    for (const volume of svc.volumes ?? []) {
      assert.equal(typeof volume, 'string');
      const [source, target] = (volume as string).split(':') as [string, string];
      assert.ok(fs.statSync(path.join(root, source)).isDirectory(), `${name}: "${source}" is a folder in the repo`);
      // A script the entrypoint names under the mount point must be a file in the mounted folder.
      for (const arg of svc.entrypoint ?? []) {
        if (arg.startsWith(`${target}/`)) {
          assert.ok(fs.statSync(path.join(root, source, arg.slice(target.length))).isFile(), `${name}: "${arg}" is not in "${source}"`);
        }
      }
    }
  }
  const server = service(withDefaults, 'temporal').environment!;
  // The server resolves DYNAMIC_CONFIG_FILE_PATH from /etc/temporal, where config/dynamicconfig is mounted.
  assert.equal(server.DYNAMIC_CONFIG_FILE_PATH, 'config/dynamicconfig/sweeplab.yaml');
  assert.ok(fs.statSync(path.join(root, 'deploy/temporal/dynamicconfig/sweeplab.yaml')).isFile());
});

test('puts the package bin on PATH in the image as `sweeplab`', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.ok(dockerfile.includes(`ln -s /app/${pkg.bin.sweeplab} /usr/local/bin/sweeplab`), 'Dockerfile links the package bin');
  assert.match(dockerfile, /^WORKDIR \/app$/m);
});
