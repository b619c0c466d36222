// Layering of SPEC.md §2: arrows point one way, no cycles. `npm run lint` runs this.
const layer = (name, mayImport) => ({
  name: `${name.replace(/\//g, '-')}-layering`,
  comment: `${name} may import only ${mayImport.join(', ') || 'nothing of ours'}`,
  severity: 'error',
  from: { path: `^${name}/` },
  to: {
    path: '^(cli|hal|node|device|fleet|image)/',
    pathNot: [`^${name}/`, ...mayImport.map((m) => `^${m}/`)],
  },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    layer('node/crypto', []),
    layer('node/wire', ['node/crypto']),
    layer('node/net', ['node/crypto', 'node/wire']),
    layer('node/store', ['node/crypto', 'node/wire']),
    layer('node/ring', ['node/crypto', 'node/wire', 'node/net', 'node/store']),
    layer('node/ledger', ['node/crypto', 'node/wire', 'node/store', 'node/ring']),
    layer('node/consensus', ['node/crypto', 'node/wire', 'node/net', 'node/store', 'node/ring', 'node/ledger']),
    layer('node/update', ['node/crypto', 'node/wire']),
    layer('node/fleetproto', ['node/crypto', 'node/wire']),
    layer('node/services', ['node/crypto', 'node/wire', 'node/net', 'node/store', 'node/ring', 'node/ledger']),
    layer('node/worker', ['node/crypto', 'node/wire', 'node/net', 'node/store', 'node/ring', 'node/ledger', 'node/services']),
    layer('node/client', ['node/crypto', 'node/wire', 'node/net', 'node/store', 'node/ring', 'node/ledger', 'node/services', 'node/worker']),
    layer('hal', []),
    layer('device', ['hal', 'node']),
    layer('fleet', ['node']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
