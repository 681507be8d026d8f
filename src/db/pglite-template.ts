import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, openAsBlob } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The embedded database's starting point. Creating a PGlite data directory from nothing (initdb,
 * then every migration and the NPQ catalogue) takes seconds; the build (`npm install`, `npm run build`) does it once and
 * keeps the result twice: as a tarball, which an in-memory database is loaded from, and as a data
 * directory, which a new on-disk database (`npm start`'s DATA_DIR) is copied from: a copy by the
 * operating system takes tens of milliseconds where unpacking the tarball through PGlite took
 * over a second of every first start.
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
  /** The same database as a data directory, closed cleanly. */
  directory: string;
  manifest: string;
}

export function templateFiles(dir = TEMPLATE_DIR): TemplateFiles {
  return {
    tarball: path.join(dir, 'data.tar'),
    directory: path.join(dir, 'pgdata'),
    manifest: path.join(dir, 'manifest.json'),
  };
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

/** True when the template was built, and from this code. */
async function templateMatches(files: TemplateFiles): Promise<boolean> {
  let built: TemplateManifest;
  try {
    built = JSON.parse(await readFile(files.manifest, 'utf8')) as TemplateManifest;
  } catch {
    return false; // never built (e.g. running from a checkout before `npm install`)
  }
  const wanted = await currentManifest();
  return built.pglite === wanted.pglite && built.migrations === wanted.migrations;
}

/** The template's tarball when it exists and matches this code; undefined otherwise. */
export async function usableTemplate(dir = TEMPLATE_DIR): Promise<Blob | undefined> {
  const files = templateFiles(dir);
  if (!(await templateMatches(files))) return undefined;
  return openAsBlob(files.tarball);
}

/**
 * Copies the template's data directory into the empty `dataDir` when the template exists as a
 * directory and matches this code; false (nothing copied) otherwise. PG_VERSION, the file that
 * makes a directory a database (isEmptyDataDir), is copied last: a copy cut short leaves a
 * directory that the next start still sees as empty and copies into again.
 */
export async function copyTemplateInto(dataDir: string, dir = TEMPLATE_DIR): Promise<boolean> {
  const files = templateFiles(dir);
  if (!existsSync(path.join(files.directory, 'PG_VERSION'))) return false;
  if (!(await templateMatches(files))) return false;
  const entries = (await readdir(files.directory))
    .filter((entry) => entry !== 'PG_VERSION')
    .map((entry) => path.join(files.directory, entry));
  try {
    // The system's cp: 0.13 s for the template's 1,400 files, where Node's fs.cp took 1.7 s.
    await run('cp', ['-R', ...entries, dataDir]);
  } catch {
    for (const entry of entries)
      cpSync(entry, path.join(dataDir, path.basename(entry)), { recursive: true, force: true });
  }
  await copyFile(path.join(files.directory, 'PG_VERSION'), path.join(dataDir, 'PG_VERSION'));
  return true;
}

/** True when `dataDir` holds no database yet (PGlite would run initdb there). */
export function isEmptyDataDir(dataDir: string): boolean {
  return !existsSync(path.join(dataDir, 'PG_VERSION'));
}
