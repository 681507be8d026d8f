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
 * those that find files beside their own code through `import.meta.url` or a loader of their own
 * (PGlite's WebAssembly, Argon2's native add-on), those loaded only on demand (pg-boss on a PostgreSQL server,
 * GOV.UK Notify's client, the chart libraries), and pino, whose transports start worker threads
 * from files of its own.
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const EXTERNAL = [
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  '@node-rs/argon2',
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
    // CommonJS packages inside an ES module bundle still `require` Node's own modules, and find
    // their files from where they were installed (sourcePaths).
    banner: {
      js: [
        "import { createRequire as __bundleRequire } from 'node:module';",
        "import { fileURLToPath as __bundleFileUrlToPath } from 'node:url';",
        'const require = __bundleRequire(import.meta.url);',
        "const __bundleRoot = __bundleFileUrlToPath(new URL('../../', import.meta.url));",
      ].join(' '),
    },
    plugins: [sourcePaths(root)],
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  return true;
}

/** `import('package')` of a package by name (not a relative file). */
const BUNDLED_DYNAMIC_IMPORT = /\bimport\(\s*(['"])([^'"./][^'"]*)\1\s*\)/;
const BUNDLED_DYNAMIC_IMPORT_ALL = new RegExp(BUNDLED_DYNAMIC_IMPORT.source, 'g');

/**
 * In a bundle, `__dirname` and `__filename` would name the bundle, not the package file that uses
 * them (a package reading its own package.json, a native add-on found beside its loader). Each is
 * replaced by that file's own path, relative to the project, so the bundle still works when the
 * project is moved after the build. test/bundle.test.ts checks that none is left.
 */
function sourcePaths(root) {
  return {
    name: 'source-paths',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const paths = /\b__(dirname|filename)\b/.test(text);
        const imports = BUNDLED_DYNAMIC_IMPORT.test(text);
        if (!paths && !imports) return undefined;
        const at = (file) =>
          `(__bundleRoot + ${JSON.stringify(path.relative(root, file).split(path.sep).join('/'))})`;
        let contents = text;
        if (paths)
          contents = contents
            .replace(/\b__dirname\b/g, at(path.dirname(args.path)))
            .replace(/\b__filename\b/g, at(args.path));
        // A package that loads another with `import()` (@fastify/cookie loads `cookie` when it
        // registers, at every start) would load it as a chunk of its own, through Node's module
        // loader, while the app starts: it is required from the bundle instead.
        if (imports)
          contents = contents.replace(BUNDLED_DYNAMIC_IMPORT_ALL, (call, quote, id) =>
            EXTERNAL.some((e) => e === id || (e.endsWith('/*') && id.startsWith(e.slice(0, -1))))
              ? call
              : `Promise.resolve().then(() => require(${quote}${id}${quote}))`,
          );
        return { contents, loader: 'js' };
      });
    },
  };
}
