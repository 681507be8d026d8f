import { createHash } from 'node:crypto';
import { existsSync, openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The embedded database's starting point. Creating a PGlite data directory from nothing (initdb,
 * then every migration) takes seconds; the build (`npm install`, `npm run build`) does it once and
 * keeps the result as a tarball, and a fresh data directory is unpacked from it instead.
 *
 * The tarball is used only while it matches: the same PGlite and byte-for-byte the same migrations
 * it was built from. Otherwise (sources changed and not rebuilt) a fresh directory is made the
 * slow way, so a stale template can never give a database a schema its code does not expect.
 *
 * Both src/db/ and dist/db/ are two levels below the project, so this resolves to <project>/dist/
 * whether the app runs from the compiled JavaScript or through tsx.
 */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../dist/pglite-template/', import.meta.url));
const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle/', import.meta.url));

export interface TemplateFiles {
  tarball: string;
  manifest: string;
}

export function templateFiles(dir = TEMPLATE_DIR): TemplateFiles {
  return { tarball: path.join(dir, 'data.tar'), manifest: path.join(dir, 'manifest.json') };
}

export interface TemplateManifest {
  /** PGlite's version: its data directories are only portable within one build of PostgreSQL. */
  pglite: string;
  /** SHA-256 of the migration journal and every migration file. */
  migrations: string;
}

export function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  // The package's exports hide package.json; it sits above the entry point's dist/ folder.
  const entry = require.resolve('@electric-sql/pglite');
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  const pkg = require(path.join(dir, 'package.json')) as { version: string };
  return pkg.version;
}

/** What the template must have been built from to be used for a new database now. */
export async function currentManifest(migrationsDir = MIGRATIONS_DIR): Promise<TemplateManifest> {
  const journalText = await readFile(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8');
  const journal = JSON.parse(journalText) as { entries: { tag: string }[] };
  const hash = createHash('sha256').update(journalText);
  for (const entry of journal.entries)
    hash.update(await readFile(path.join(migrationsDir, `${entry.tag}.sql`)));
  return { pglite: pgliteVersion(), migrations: hash.digest('hex') };
}

/** The template's tarball when it exists and matches this code; undefined otherwise. */
export async function usableTemplate(dir = TEMPLATE_DIR): Promise<Blob | undefined> {
  const files = templateFiles(dir);
  let built: TemplateManifest;
  try {
    built = JSON.parse(await readFile(files.manifest, 'utf8')) as TemplateManifest;
  } catch {
    return undefined; // never built (e.g. running from a checkout before `npm install`)
  }
  const wanted = await currentManifest();
  if (built.pglite !== wanted.pglite || built.migrations !== wanted.migrations) return undefined;
  return openAsBlob(files.tarball);
}

/** True when `dataDir` holds no database yet (PGlite would run initdb there). */
export function isEmptyDataDir(dataDir: string): boolean {
  return !existsSync(path.join(dataDir, 'PG_VERSION'));
}
