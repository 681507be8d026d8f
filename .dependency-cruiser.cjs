/** Layer boundaries: the functional core (policy, domain) knows nothing of I/O. */
module.exports = {
  forbidden: [
    {
      name: 'core-no-shell',
      comment:
        'src/policy and src/domain are pure: they may not import the database, web or services layers.',
      severity: 'error',
      from: { path: '^src/(policy|domain)/' },
      to: { path: '^src/(db|web|services)/|^src/cli\\.ts$|^src/config\\.ts$|^src/app\\.ts$' },
    },
    {
      name: 'core-no-node-io',
      comment: 'src/policy and src/domain may not use Node I/O modules.',
      severity: 'error',
      from: { path: '^src/(policy|domain)/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|os|cluster|worker_threads|process|readline|stream|crypto)$',
      },
    },
    {
      name: 'core-no-infra-packages',
      comment: 'src/policy and src/domain may not import database or web packages.',
      severity: 'error',
      from: { path: '^src/(policy|domain)/' },
      to: { path: 'node_modules/(drizzle-orm|@electric-sql|pg|fastify|@fastify|nunjucks|pino)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
