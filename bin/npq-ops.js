#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` and `npm run build`) when it is at least as
// new as every source file: its bundle (dist/bundle/, see bin/bundle.js) when the build made one,
// else the compiled modules; otherwise the TypeScript sources through tsx, so an edited source is
// never run stale and a checkout that was never built still works.
//
// `serve` (what `npm start` runs) first rebuilds when anything the build makes is older than its
// sources, as a `prestart` script did, without a second Node process and npm script at every start.
import { existsSync } from 'node:fs';
import { build, buildIsStale, compiledIsCurrent } from './build.js';

if (process.argv[2] === 'serve' && buildIsStale()) {
  console.log('npq-ops: sources changed since the last build; building…');
  await build();
}

if (compiledIsCurrent()) {
  const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
  await import(existsSync(bundle) ? bundle.href : '../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
