/**
 * The layers of src/ (ARCHITECTURE.md draws them), enforced by `npm run lint` (depcruise).
 * Bottom to top: model → net → domain renderers → topology → plan, faults → edge, observe, paths/probes,
 * report, graph, ui (all pure) → runtime (the only door to the engine) → lab (controllers) →
 * cli, bench (entry points). A layer imports only layers below it.
 */

/** Folders whose code is pure: no engine, no controller. */
const PURE = [
  'model',
  'net',
  'proxy',
  'netpol',
  'dns',
  'ingress',
  'trace',
  'faults',
  'images',
  'topology',
  'plan',
  'edge',
  'observe',
  // src/paths/: one module per guide path; probes run through a ProbeRunner.
  'paths',
  'probes',
  'report',
  'graph',
  'ui',
];
const dirs = (names) => `^src/(${names.join('|')})/`;


module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: move the shared piece down a layer (a pure renderer into plan/, a type into model/).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'only-runtime-talks-to-the-engine',
      severity: 'error',
      comment: 'Only src/runtime/ imports dockerode; everything else asks src/runtime/ (docker() stays there too).',
      from: { path: '^src/', pathNot: '^src/runtime/' },
      to: { path: '^node_modules/(@types/)?(dockerode|docker-modem)/' },
    },
    {
      name: 'only-runtime-imports-the-engine-client',
      severity: 'error',
      comment: 'docker() is src/runtime/docker.ts; outside src/runtime/ call a runtime function instead.',
      from: { path: '^src/', pathNot: '^src/(runtime|cli|bench)/' },
      to: { path: '^src/runtime/docker[.]ts$' },
    },
    {
      name: 'pure-layers-never-import-runtime',
      severity: 'error',
      comment:
        'Renderers and planners stay pure: take what they need as arguments (a ProbeRunner, an ExecResult from model/).',
      from: { path: dirs(PURE) },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'pure-layers-never-import-controllers',
      severity: 'error',
      comment:
        'src/lab/ holds the controllers; a pure layer needing something there means that thing is pure: move it down.',
      from: { path: dirs(PURE) },
      to: { path: '^src/lab/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment:
        'src/cli/ is the top: commands import everything, nothing imports them (bench, another entry point, may).',
      from: { path: '^src/', pathNot: '^src/(cli|bench)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'runtime-never-imports-controllers',
      severity: 'error',
      comment: 'src/runtime/ applies what it is given; decisions live in src/lab/ (controllers) or the pure layers.',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(lab|cli|bench|paths|probes|observe|report|graph|ui)/' },
    },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment: 'model/ holds the types every layer shares; it imports nothing of the project.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'net-imports-only-model',
      severity: 'error',
      from: { path: '^src/net/' },
      to: { path: '^src/', pathNot: '^src/(net|model)/|^src/errors[.]ts$' },
    },
    {
      name: 'domain-renderers-below-topology',
      severity: 'error',
      comment:
        'proxy, netpol, dns, ingress, trace and images render from the model; topology (which reads the file) uses them, not the reverse.',
      from: { path: dirs(['proxy', 'netpol', 'dns', 'ingress', 'trace', 'images']) },
      to: { path: dirs(['topology', 'plan', 'edge', 'observe', 'paths', 'probes', 'report', 'graph', 'ui']) },
    },
    {
      name: 'topology-below-plan',
      severity: 'error',
      comment: 'topology resolves the file into the model; plan renders node and pod setup from it.',
      from: { path: '^src/topology/' },
      to: { path: dirs(['plan', 'edge', 'observe', 'paths', 'probes', 'report', 'graph', 'ui']) },
    },
    {
      name: 'plan-below-probes',
      severity: 'error',
      comment:
        'plan (and faults, whose rules are shell run in nodes and pods) render what goes into containers; probes judge it.',
      from: { path: dirs(['plan', 'faults']) },
      to: { path: dirs(['edge', 'observe', 'paths', 'probes', 'report', 'graph', 'ui']) },
    },
    {
      name: 'paths-below-reports',
      severity: 'error',
      comment: 'Paths and probes judge what they observe; report, graph and ui render their results.',
      from: { path: dirs(['edge', 'observe', 'paths', 'probes']) },
      to: { path: dirs(['report', 'graph', 'ui']) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type from the runtime is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
