#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` and `npm run build`) when it is at least as
// new as every source file; otherwise the TypeScript sources through tsx, so an edited source is
// never run stale and a checkout that was never built still works.
import { compiledIsCurrent } from './build.js';

if (compiledIsCurrent()) {
  await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
