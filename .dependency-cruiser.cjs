// The layer rule of docs/architecture.md, checked by `npm run deps` (and by test/lint/layers.test.ts
// in `npm test`): imports point down only, and no module reaches itself round a circle.
//
// Type-only imports count like any other: a type belongs to the layer that defines it, so an
// `import type` from a higher layer is an upward dependency too. (The parser dependency-cruiser uses
// here, swc, does not tell `import type` apart anyway: TypeScript 7 is beyond the versions it loads.)
// Which modules workflow code may import as values is the purity rule of .oxlintrc.json, which does
// tell them apart: workflows import their activities as a type, as the Temporal SDK asks.

/** From the bottom up; a layer may import its own and the layers before it. */
const LAYERS = [
  // what every layer shares: error kinds, did-you-mean, JSON guards, time parsing, seeded random, small types
  { name: 'core', paths: ['^src/core/'] },
  // one backtest: bars and settings in, a result out; its own vocabulary (phases, workforce, environment);
  // src/plugin is the typed entry point a user plugin is written against, a face of the engine's plugin types
  { name: 'engine', paths: ['^src/engine/', '^src/plugin/'] },
  // CSV reading, synthetic bars, the data root; the data-source schemas (reads the engine's bar series)
  { name: 'data', paths: ['^src/data/'] },
  // pure: the schemas of the user's files, grid, `where`, overrides, materializing and hashing (workflows import it)
  { name: 'config', paths: ['^src/config/'] },
  // the robustness formulas (over the grid's neighbourhoods)
  { name: 'stats', paths: ['^src/stats/'] },
  // reading the user's files, checking data, dry runs, compiling and checking plugins
  { name: 'intake', paths: ['^src/intake/', '^src/user-plugins/'] },
  // the results store, the Temporal server and connection, the code's own identity
  { name: 'runtime', paths: ['^src/store/', '^src/temporal/', '^src/code-version\\.ts$', '^src/package\\.ts$'] },
  // what the worker and both front ends share: full results, statistics, plugin code, run-operation, CSV, result queries
  { name: 'services', paths: ['^src/services/'] },
  // what the worker runs: workflows, the activities it registers, and the worker itself
  { name: 'worker', paths: ['^src/workflows/', '^src/activities/', '^worker\\.ts$'] },
  // submit, look, control: the Temporal client side both front ends use
  { name: 'client', paths: ['^src/client/'] },
  // the front ends: the API with its page, then the CLI (whose `up` starts the API and a worker)
  { name: 'api', paths: ['^src/api/'] },
  { name: 'cli', paths: ['^src/cli/'] },
];

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} may import only ${LAYERS.slice(0, i + 1).map((l) => l.name).join(', ')} (docs/architecture.md)`,
  severity: 'error',
  from: { path: layer.paths },
  to: { path: LAYERS.slice(i + 1).flatMap((l) => l.paths) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no module may import itself round a circle (docs/architecture.md)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'config-pure',
      comment:
        'src/core and src/config are pure (workflows import them): no Node built-in, no I/O; they import zod, each other, the engine and the data-source schemas',
      severity: 'error',
      from: { path: ['^src/core/', '^src/config/'], pathNot: '^src/config/hash\\.ts$' },
      to: { pathNot: ['^src/core/', '^src/config/', '^src/engine/', '^src/data/schemas\\.ts$', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'config-hash-only-crypto',
      comment:
        'the operation hash needs node:crypto, the one Node built-in of pure code (deterministic; no workflow imports it, .oxlintrc.json)',
      severity: 'error',
      from: { path: '^src/config/hash\\.ts$' },
      to: { pathNot: ['^src/core/', '^src/config/', '^src/engine/', '^(node:)?crypto$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep type-only imports in the graph (TypeScript erases them), so the layer rule sees them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
