#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` and `npm run build`) when it is at least as
// new as every source file: its bundle (dist/bundle/, see bin/bundle.js) when the build made one,
// else the compiled modules; otherwise the TypeScript sources through tsx, so an edited source is
// never run stale and a checkout that was never built still works.
import { existsSync } from 'node:fs';
import { compiledIsCurrent } from './build.js';

if (compiledIsCurrent()) {
  const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
  await import(existsSync(bundle) ? bundle.href : '../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
