import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded the first time it is needed instead of when the app starts (issue 13):
 * for the large ones only a few requests use (the common-password list, the HTML sanitiser). Left
 * out of the start-up bundle as well, since the bundler cannot see through `createRequire`, it is
 * loaded from node_modules as without the bundle.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
