import { PGlite } from '@electric-sql/pglite';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/db/migrate.js';
import { buildPgliteTemplate } from '../../src/db/pglite-template-build.js';
import {
  copyTemplateInto,
  currentManifest,
  isEmptyDataDir,
  templateFiles,
  usableTemplate,
} from '../../src/db/pglite-template.js';

/** The embedded database's build-time template: PGlite only, whatever the run's database. */
describe('the pre-migrated PGlite template', () => {
  let dir: string;
  let dataDir: string;
  let copiedDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'npq-template-'));
    dataDir = await mkdtemp(path.join(tmpdir(), 'npq-template-data-'));
    copiedDir = await mkdtemp(path.join(tmpdir(), 'npq-template-copy-'));
    await buildPgliteTemplate(dir);
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
    await rm(copiedDir, { recursive: true, force: true });
  });

  it('records what it was built from', async () => {
    const manifest = JSON.parse(await readFile(templateFiles(dir).manifest, 'utf8')) as unknown;
    expect(manifest).toEqual(await currentManifest());
  });

  it(
    'unpacks into a new data directory that holds every migration',
    { timeout: 120_000 },
    async () => {
      expect(isEmptyDataDir(dataDir)).toBe(true);
      const template = await usableTemplate(dir);
      expect(template).toBeInstanceOf(Blob);
      const client = new PGlite(dataDir, { loadDataDir: template! });
      try {
        const { rows } = await client.query<{ tag: string }>(
          'select tag from schema_migration order by tag',
        );
        const tags = (await readMigrations()).map((m) => m.tag).sort();
        expect(rows.map((r) => r.tag)).toEqual(tags);
        // The schema itself is there, not only the bookkeeping.
        const { rows: tables } = await client.query<{ n: number }>(
          `select count(*)::int as n from information_schema.tables
         where table_schema = 'public' and table_name in ('participant', 'enrolment', 'engagement_record')`,
        );
        expect(tables[0]!.n).toBe(3);
      } finally {
        await client.close();
      }
      expect(isEmptyDataDir(dataDir)).toBe(false);
    },
  );

  it(
    'is copied into a new data directory (what `npm start` does) that opens with every migration',
    { timeout: 120_000 },
    async () => {
      expect(isEmptyDataDir(copiedDir)).toBe(true);
      expect(await copyTemplateInto(copiedDir, dir)).toBe(true);
      expect(isEmptyDataDir(copiedDir)).toBe(false);
      const client = new PGlite(copiedDir);
      try {
        const { rows } = await client.query<{ tag: string }>(
          'select tag from schema_migration order by tag',
        );
        expect(rows.map((r) => r.tag)).toEqual((await readMigrations()).map((m) => m.tag).sort());
        // A database in working order: it takes writes.
        await client.exec('create table copied_ok (id int); insert into copied_ok values (1)');
      } finally {
        await client.close();
      }
    },
  );

  it('copies nothing when it does not match this code', async () => {
    const files = templateFiles(dir);
    const built = await readFile(files.manifest, 'utf8');
    const target = await mkdtemp(path.join(tmpdir(), 'npq-template-stale-'));
    try {
      await writeFile(files.manifest, JSON.stringify({ ...JSON.parse(built), pglite: '0.0.1' }));
      expect(await copyTemplateInto(target, dir)).toBe(false);
      expect(isEmptyDataDir(target)).toBe(true);
      expect(await readdir(target)).toEqual([]);
    } finally {
      await writeFile(files.manifest, built);
      await rm(target, { recursive: true, force: true });
    }
  });

  it('is not used once the migrations or PGlite differ from what it was built from', async () => {
    const files = templateFiles(dir);
    const built = JSON.parse(await readFile(files.manifest, 'utf8')) as Record<string, string>;
    await writeFile(files.manifest, JSON.stringify({ ...built, migrations: 'something else' }));
    expect(await usableTemplate(dir)).toBeUndefined();
    await writeFile(files.manifest, JSON.stringify({ ...built, pglite: '0.0.1' }));
    expect(await usableTemplate(dir)).toBeUndefined();
    await writeFile(files.manifest, JSON.stringify(built));
    expect(await usableTemplate(dir)).toBeInstanceOf(Blob);
  });

  it('is not used when it was never built', async () => {
    expect(await usableTemplate(path.join(dir, 'missing'))).toBeUndefined();
  });
});
