import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.js';
import { assertTestDatabaseUrl } from './test-database.js';

const run = promisify(execFile);

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * An empty database of its own for running the CLI as a user runs it (`npx npq-ops …`): a PGlite
 * directory, or on the PostgreSQL run a fresh database on that server (dropped afterwards).
 */
export interface CliDatabase {
  readonly dataDir: string;
  /** '' on the embedded run. */
  readonly databaseUrl: string;
  /** Runs `bin/npq-ops.js` with DATA_DIR and DATABASE_URL set, plus `env`. */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Opens the same database in the test (close it before the CLI needs an embedded one). */
  open(): Promise<Database>;
  destroy(): Promise<void>;
}

export async function createCliDatabase(
  name: string,
  baseEnv: Record<string, string> = {},
): Promise<CliDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `npq-${name}-`));
  const serverUrl = process.env.TEST_DATABASE_URL;
  let databaseUrl = '';
  const dbName = `npq_${name.replace(/\W/g, '_')}_test_${process.pid}`;
  if (serverUrl) {
    const admin = await openDatabase({
      databaseUrl: assertTestDatabaseUrl(serverUrl),
      maxConnections: 1,
    });
    await admin.db.execute(sql.raw(`drop database if exists ${dbName}`));
    await admin.db.execute(sql.raw(`create database ${dbName}`));
    await admin.close();
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  return {
    dataDir,
    databaseUrl,
    async cli(args, env = {}) {
      try {
        const { stdout, stderr } = await run(process.execPath, ['bin/npq-ops.js', ...args], {
          env: {
            ...process.env,
            NODE_ENV: 'development',
            LOG_LEVEL: 'silent',
            NOTIFY_API_KEY: '',
            NOTIFY_TEMPLATE_IDS: '',
            ...baseEnv,
            ...env,
            DATA_DIR: dataDir,
            DATABASE_URL: databaseUrl,
          },
          timeout: 120_000,
        });
        return { stdout, stderr, code: 0 };
      } catch (error) {
        const e = error as CliResult;
        return { stdout: e.stdout, stderr: e.stderr, code: e.code };
      }
    },
    open: () => openDatabase(databaseUrl ? { databaseUrl, maxConnections: 5 } : { dataDir }),
    async destroy() {
      await rm(dataDir, { recursive: true, force: true });
      if (serverUrl && databaseUrl) {
        const admin = await openDatabase({ databaseUrl: serverUrl, maxConnections: 1 });
        await admin.db.execute(sql.raw(`drop database if exists ${dbName}`));
        await admin.close();
      }
    },
  };
}
