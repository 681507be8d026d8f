/**
 * The app as `npm start` runs it (compiled JavaScript from dist/, production settings), in a
 * process of its own, on the bench schema, for `scripts/bench-http.ts`: its requests/s and its
 * memory are then the server's alone, not shared with the bench or the bare route.
 *
 *   node scripts/bench-http-server.mjs DATABASE_URL SCHEMA
 *
 * Prints one line of JSON, {"url": …}, once it listens on a free port; stops on SIGTERM.
 * The clock is the demo's fixed day, as for the rest of the bench.
 */
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { createApp, startEngagementAnswerWarmer } from '../dist/app.js';
import { fixedClock } from '../dist/clock.js';
import { loadConfig } from '../dist/config.js';
import { openDatabase } from '../dist/db/client.js';
import { DEFAULT_DEMO_NOW } from '../dist/db/seed/demo.js';
import { tuneServerRuntime } from '../dist/server-runtime.js';

const [databaseUrl, schema] = process.argv.slice(2);
if (!databaseUrl || !schema) throw new Error('usage: bench-http-server.mjs DATABASE_URL SCHEMA');

// The heap as `serve` sets it (src/server-runtime.ts).
tuneServerRuntime();
const database = await openDatabase({ databaseUrl, schema, maxConnections: 10 });
const clock = fixedClock(DEFAULT_DEMO_NOW);
// The engagement API's answer warmer, as `serve` runs it.
const engagementAnswers = startEngagementAnswerWarmer({
  db: database.db,
  clock,
  logger: { info: () => undefined, error: (obj, msg) => process.stderr.write(`${msg}\n`) },
});
const app = await createApp({
  db: database.db,
  clock,
  engagementAnswers,
  config: loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    PUBLIC_URL: 'http://127.0.0.1',
    LOG_LEVEL: 'warn',
  }),
});
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
process.on('SIGTERM', async () => {
  await engagementAnswers.stop();
  await app.close();
  await database.close();
  process.exit(0);
});
