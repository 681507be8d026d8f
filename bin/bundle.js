/**
 * The start-up bundle (issue 13): the compiled CLI (dist/cli.js) and the packages it imports,
 * bundled by esbuild into a few files in dist/bundle/, which bin/npq-ops.js runs when the build is
 * current. Node's ES module loader spent about a second of every start resolving and loading the
 * 800-odd files the server imports one by one; a bundle of the same code is loaded in a handful.
 * The server's modules stay a chunk of their own (`serve` imports it while the database opens),
 * and so do the modules other commands import on demand.
 *
 * dist/bundle/ sits two folders below the project, as dist/db/ and dist/web/ do, so the paths our
 * modules work out from `import.meta.url` (views, static files, migrations, the database template)
 * are the same from the bundle.
 *
 * Left as packages of their own (imported from node_modules at run time, as without the bundle):
 * those that find files beside their own code (PGlite's WebAssembly, native add-ons, a package
 * reading its own package.json), those loaded only on demand (pg-boss on a PostgreSQL server,
 * GOV.UK Notify's client, the chart libraries), and pino, whose transports start worker threads
 * from files of its own.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';

export const EXTERNAL = [
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  '@node-rs/argon2',
  'sodium-native',
  '@fastify/swagger',
  'pg-native',
  'pg-boss',
  'notifications-node-client',
  'vega',
  'vega-lite',
  'pino',
];

/**
 * Bundles dist/cli.js into dist/bundle/. Returns false (and leaves no bundle) when esbuild is not
 * installed, as in a production install without devDependencies: dist/cli.js is run instead.
 */
export async function bundleCli(root) {
  const outdir = path.join(root, 'dist', 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'dist', 'cli.js')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // CommonJS packages inside an ES module bundle still `require` Node's own modules.
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  return true;
}
