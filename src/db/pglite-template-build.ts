import { PGlite } from '@electric-sql/pglite';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { usePglite } from './client.js';
import { migrate } from './migrate.js';
import { seedCatalogue } from './seed/catalogue.js';
import { currentManifest, TEMPLATE_DIR, templateFiles } from './pglite-template.js';

/**
 * Builds the embedded database's template (see pglite-template.ts): a new PGlite in memory, every
 * migration applied and the NPQ catalogue seeded, its data directory dumped to a tarball and unpacked into a directory, next
 * to a manifest of what it was built from. Run by the build (bin/build.js), never by the app.
 */
export async function buildPgliteTemplate(dir = TEMPLATE_DIR): Promise<{ bytes: number }> {
  const manifest = await currentManifest();
  const client = new PGlite();
  try {
    const database = await usePglite(client);
    await migrate(database.db);
    // The NPQ catalogue too, with the fingerprint that tells start-up it is current: a first start
    // then only reads that (the seed took about a quarter of a second of it). A later catalogue in
    // the code seeds what is missing at start-up, as on any database.
    await seedCatalogue(database.db);
    await client.exec('checkpoint');
    // Uncompressed: unpacking a gzipped tarball at every first start costs more than it saves.
    const tarball = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
    const files = templateFiles(dir);
    await mkdir(dir, { recursive: true });
    // The manifest goes last, and both by rename, so a half-written template is never used.
    await rm(files.manifest, { force: true });
    await writeFile(`${files.tarball}.tmp`, tarball);
    await rename(`${files.tarball}.tmp`, files.tarball);
    // The same database as a directory (what a new DATA_DIR is copied from): unpacked by PGlite
    // itself and closed cleanly, so it opens like any directory a server stopped with.
    const unpacking = `${files.directory}.tmp`;
    await rm(unpacking, { recursive: true, force: true });
    const unpacked = new PGlite(unpacking, { loadDataDir: new Blob([tarball]) });
    await unpacked.waitReady;
    await unpacked.close();
    await rm(files.directory, { recursive: true, force: true });
    await rename(unpacking, files.directory);
    await writeFile(`${files.manifest}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(`${files.manifest}.tmp`, files.manifest);
    return { bytes: tarball.length };
  } finally {
    await client.close();
  }
}
