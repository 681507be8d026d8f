/**
 * The fake DfE lead provider API v3 for local development (never in production).
 *
 *   npm run dev:fake-dfe              # the fake alone on http://localhost:4010; then, elsewhere:
 *   DFE_API_URL=http://localhost:4010 DFE_API_TOKEN=fake npm start
 *   npm run start:with-fake-dfe       # both at once: the fake, then npq-ops using it
 *
 * Its applications use the schools, courses and cohorts of the npq-ops database (the same
 * DATA_DIR or DATABASE_URL as `npm start`; an empty one gets the demo first, as `npm start` does).
 * Options: --port N (4010), --applications N (40), --seed N (1), --with-app.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { prepareDatabase } from '../src/services/bootstrap.js';
import {
  catalogueForFake,
  seedApplications,
  seedStatements,
  startFakeDfe,
} from '../src/services/dfe/fake/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const n = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : fallback;
};
const port = option('port', 4010);
const count = option('applications', 40);
const seed = option('seed', 1);
const withApp = args.includes('--with-app');

const config = loadConfig(process.env);
if (config.env === 'production') {
  console.error('The fake DfE API is a development tool: it never runs with NODE_ENV=production.');
  process.exit(2);
}
if (!config.databaseUrl) await mkdir(config.dataDir, { recursive: true });
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const now = new Date();
await prepareDatabase(database.db, config, now);
let catalogue = await catalogueForFake(database.db, { fromYear: now.getUTCFullYear() });
if (catalogue.offers.length === 0) catalogue = await catalogueForFake(database.db);
await database.close();
if (catalogue.schoolUrns.length === 0 || catalogue.offers.length === 0) {
  console.error(
    'The database has no schools or no cohorts yet: import schools and set up a cohort first.',
  );
  process.exit(2);
}

const fake = await startFakeDfe({ port, host: '127.0.0.1' });
seedApplications(fake.state, { count, seed, before: now, ...catalogue });
seedStatements(fake.state, [...new Set(catalogue.offers.map((o) => o.cohortYear))], seed);
console.log(
  `Fake DfE API (development only) at ${fake.url}: ${count} applications for ${catalogue.offers.length} courses and cohorts, ${catalogue.schoolUrns.length} schools.`,
);

if (withApp) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DFE_API_URL: `http://localhost:${port}`, DFE_API_TOKEN: 'fake' },
  });
  const stop = async (code: number) => {
    await fake.stop();
    process.exit(code);
  };
  child.once('exit', (code) => void stop(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => child.kill(signal));
} else {
  console.log(`Now run: DFE_API_URL=http://localhost:${port} DFE_API_TOKEN=fake npm start`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void fake.stop().then(() => process.exit(0)));
}
