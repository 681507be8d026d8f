#!/usr/bin/env node
/**
 * The build, run by `npm install` (prepare), `npm run build`, and by `npm start` (`serve`, see
 * bin/npq-ops.js) when a source changed since:
 *   1. compiles src/ to dist/ (`tsc -b tsconfig.build.json`, incremental), so the app starts from
 *      JavaScript instead of loading TypeScript through tsx;
 *   2. bundles the compiled CLI and its packages into dist/bundle/ with esbuild (bin/bundle.js),
 *      which bin/npq-ops.js runs: a few files to load at start-up instead of 800-odd;
 *   3. compiles every page template to JavaScript in dist/compiled-templates/
 *      (src/web/compiled-templates.ts), so no page compiles its templates when first shown;
 *   4. makes dist/pglite-template/, a PGlite database already initialised, migrated and holding
 *      the NPQ catalogue, as a tarball and as a data directory, which a new embedded database is
 *      loaded or copied from (src/db/pglite-template.ts);
 *   5. writes dist/.built, dated when the build began.
 *
 * `--if-stale` does nothing when no input is newer than dist/.built (a few milliseconds of
 * stat calls), and when the build fails only warns: the CLI then runs the sources through tsx,
 * as bin/npq-ops.js does whenever the compiled code is older than its sources.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleCli } from './bundle.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.built');

/** Newest modification time under `dir` of files `accept` takes, and of the folders themselves. */
function newestUnder(dir, accept) {
  let newest = 0;
  const walk = (folder) => {
    // A folder's time changes when a file in it is added, removed or renamed.
    newest = Math.max(newest, statSync(folder).mtimeMs);
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (accept(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

function newestOf(files) {
  return Math.max(...files.map((f) => (existsSync(f) ? statSync(f).mtimeMs : Infinity)));
}

function builtAt() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** What the compiled JavaScript is made from. */
function newestCodeInput() {
  return Math.max(
    newestUnder(path.join(ROOT, 'src'), (name) => name.endsWith('.ts')),
    newestOf([path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'tsconfig.build.json')]),
  );
}

/** True when dist/ holds the JavaScript of the current sources (bin/npq-ops.js then runs it). */
export function compiledIsCurrent() {
  return newestCodeInput() < builtAt();
}

/** True when anything the build makes is older than what it is made from. */
export function buildIsStale() {
  const require = createRequire(import.meta.url);
  const inputs = Math.max(
    newestCodeInput(),
    newestUnder(
      path.join(ROOT, 'drizzle'),
      (name) => name.endsWith('.sql') || name.endsWith('.json'),
    ),
    newestOf([
      fileURLToPath(import.meta.url),
      fileURLToPath(new URL('./bundle.js', import.meta.url)),
      require.resolve('@electric-sql/pglite'),
    ]),
  );
  return inputs >= builtAt();
}

export async function build() {
  const started = new Date();
  const require = createRequire(import.meta.url);
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    console.warn(
      'npq-ops build: TypeScript is not installed, so nothing is compiled; npq-ops will run its sources through tsx.',
    );
    return true;
  }
  rmSync(STAMP, { force: true });
  const compiled = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (compiled.status !== 0) {
    console.error(
      'npq-ops build: tsc failed (see above); npq-ops will run its sources through tsx.',
    );
    return false;
  }
  let bundled;
  try {
    bundled = await bundleCli(ROOT);
  } catch (error) {
    console.error(`npq-ops build: bundling failed (${error}); npq-ops will run dist/cli.js.`);
    bundled = false;
  }
  // Every page template compiled ahead (src/web/compiled-templates.ts): a failure only warns, as
  // templates are then compiled when first shown.
  let templates = 0;
  try {
    const { compileViewTemplates } = await import(
      pathToFileURL(path.join(DIST, 'web', 'render.js')).href
    );
    templates = compileViewTemplates();
  } catch (error) {
    console.warn(`npq-ops build: templates not compiled ahead (${error}).`);
  }
  const { buildPgliteTemplate } = await import(
    pathToFileURL(path.join(DIST, 'db', 'pglite-template-build.js')).href
  );
  const { bytes } = await buildPgliteTemplate();
  mkdirSync(DIST, { recursive: true });
  writeFileSync(STAMP, `${started.toISOString()}\n`);
  // Dated when the build began: a source saved while it ran is newer, so the next start rebuilds.
  utimesSync(STAMP, started, started);
  console.log(
    `npq-ops build: dist/ compiled${bundled ? ' and bundled' : ''}; ${templates} page templates compiled; embedded database template ${(bytes / 2 ** 20).toFixed(1)} MiB (${((Date.now() - started.getTime()) / 1000).toFixed(1)} s).`,
  );
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (!ifStale || buildIsStale()) {
    if (ifStale) console.log('npq-ops: sources changed since the last build; building…');
    const ok = await build();
    if (!ok && !ifStale) process.exitCode = 1;
  }
}
