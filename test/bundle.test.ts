import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module without types (the build's own script).
import { compiledIsCurrent } from '../bin/build.js';

const run = promisify(execFile);
const BUNDLE = fileURLToPath(new URL('../dist/bundle/', import.meta.url));
const bundled = existsSync(BUNDLE) && (compiledIsCurrent as () => boolean)();

describe('the build', () => {
  it('makes the start-up bundle whenever esbuild is installed (so CI always runs it)', async () => {
    const built = existsSync(fileURLToPath(new URL('../dist/.built', import.meta.url)));
    const esbuild = await import('esbuild').then(
      () => true,
      () => false,
    );
    // A build that could not bundle (a package esbuild cannot take) falls back to dist/cli.js
    // with a warning only; this is where that shows.
    if (built && esbuild) expect(existsSync(`${BUNDLE}cli.js`)).toBe(true);
  });
});

/**
 * The start-up bundle (bin/bundle.js) is made by `npm install`/`npm ci` and `npm run build`, so CI
 * always has one; a checkout whose build is stale skips these (bin/npq-ops.js then runs tsx).
 */
describe.skipIf(!bundled)('the start-up bundle (dist/bundle/)', () => {
  it('holds no package that finds its files through __dirname or __filename', () => {
    // In an ES module bundle these name the bundle, not the package: such a package must be
    // left external (bin/bundle.js EXTERNAL), or it fails at run time on the path it needs.
    const offenders: string[] = [];
    for (const file of readdirSync(BUNDLE).filter((f) => f.endsWith('.js'))) {
      let from = '';
      for (const line of readFileSync(BUNDLE + file, 'utf8').split('\n')) {
        const source = /^\/\/ ((?:node_modules|dist)\/\S+)$/.exec(line);
        if (source) from = source[1]!;
        else if (/\b__(dirname|filename)\b/.test(line) && !/^\s*(\*|\/\/)/.test(line))
          offenders.push(`${file}: ${from}: ${line.trim().slice(0, 100)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('runs: its commands answer as the compiled modules do', async () => {
    const { stdout } = await run(process.execPath, [`${BUNDLE}cli.js`, 'policy', '--help']);
    const { stdout: unbundled } = await run(process.execPath, ['dist/cli.js', 'policy', '--help']);
    expect(stdout).toContain('Usage: npq-ops policy');
    expect(stdout).toBe(unbundled);
  });
});
