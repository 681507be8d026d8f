import { PGlite } from '@electric-sql/pglite';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { usePglite } from './client.js';
import { migrate } from './migrate.js';
import { currentManifest, TEMPLATE_DIR, templateFiles } from './pglite-template.js';

/**
 * Builds the embedded database's template (see pglite-template.ts): a new PGlite in memory, every
 * migration applied, its data directory dumped to a tarball next to a manifest of what it was
 * built from. Run by the build (bin/build.js), never by the app.
 */
export async function buildPgliteTemplate(dir = TEMPLATE_DIR): Promise<{ bytes: number }> {
  const manifest = await currentManifest();
  const client = new PGlite();
  try {
    const database = await usePglite(client);
    await migrate(database.db);
    await client.exec('checkpoint');
    // Uncompressed: unpacking a gzipped tarball at every first start costs more than it saves.
    const tarball = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
    const files = templateFiles(dir);
    await mkdir(dir, { recursive: true });
    // The manifest goes last, and both by rename, so a half-written template is never used.
    await rm(files.manifest, { force: true });
    await writeFile(`${files.tarball}.tmp`, tarball);
    await rename(`${files.tarball}.tmp`, files.tarball);
    await writeFile(`${files.manifest}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(`${files.manifest}.tmp`, files.manifest);
    return { bytes: tarball.length };
  } finally {
    await client.close();
  }
}
