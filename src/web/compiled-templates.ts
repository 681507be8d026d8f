import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

/**
 * Page templates compiled by the build (issue 13). Nunjucks turns a template into JavaScript the
 * first time it is rendered: lexing, parsing and generating code took about 0.1 s of the first
 * page after every start (the sign-in page, its layout and the GOV.UK Frontend macros they use).
 * The build (bin/build.js) does that for every template once and keeps the generated code in
 * dist/compiled-templates/, one file per template named by a digest of the template's text, its
 * path and the compiler; the loader reads the template as before and, when a file of that digest
 * exists, runs its code instead of compiling. Content-addressed, so an edited template (or another
 * Nunjucks) finds no file and is compiled as before: never stale.
 *
 * Both src/web/ and dist/web/ (and dist/bundle/) are two levels below the project.
 */
export const COMPILED_TEMPLATES_DIR = fileURLToPath(
  new URL('../../dist/compiled-templates/', import.meta.url),
);

const require = createRequire(import.meta.url);
/** Nunjucks' compiler (exported by the package, not by its type definitions). */
const { compiler } = nunjucks as unknown as {
  compiler: {
    compile(
      src: string,
      asyncFilters: string[],
      extensions: unknown[],
      name: string,
      opts: CompileSettings,
    ): string;
  };
};
const COMPILER = `nunjucks ${(require('nunjucks/package.json') as { version: string }).version}`;

/** The settings the generated code depends on (the rest apply when it runs). */
export interface CompileSettings {
  throwOnUndefined: boolean;
}

function digestOf(fullPath: string, text: string, settings: CompileSettings): string {
  return createHash('sha1')
    .update(`${COMPILER}\0${settings.throwOnUndefined}\0${fullPath}\0`)
    .update(text)
    .digest('hex');
}

/** What nunjucks' Template takes instead of a template's text: the compiled code's exports. */
interface CompiledSource {
  src: { type: 'code'; obj: unknown };
  path: string;
  noCache: boolean;
}

/** A FileSystemLoader that runs the build's compiled code for a template when it has it. */
export class CompiledTemplateLoader extends nunjucks.FileSystemLoader {
  constructor(
    searchPaths: string[],
    private readonly settings: CompileSettings,
    private readonly dir = COMPILED_TEMPLATES_DIR,
  ) {
    super(searchPaths, { noCache: false });
  }

  /** Relative imports resolved once each (govuk-frontend's macros import relatively at every render). */
  private readonly resolved = new Map<string, string>();

  override resolve(from: string, to: string): string {
    const key = `${from}\0${to}`;
    let resolved = this.resolved.get(key);
    if (resolved === undefined) this.resolved.set(key, (resolved = super.resolve(from, to)));
    return resolved;
  }

  override getSource(name: string): nunjucks.LoaderSource {
    const source = super.getSource(name);
    if (!source) return source;
    let code: string;
    try {
      code = readFileSync(
        path.join(this.dir, `${digestOf(source.path, source.src, this.settings)}.js`),
        'utf8',
      );
    } catch {
      return source;
    }
    // The code nunjucks would have generated and run itself (Template#_compile).
    const compiled: CompiledSource = {
      src: { type: 'code', obj: new Function(code)() },
      path: source.path,
      noCache: source.noCache,
    };
    return compiled as unknown as nunjucks.LoaderSource;
  }
}

function templatesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.njk'))
      found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

/**
 * The build's step: compiles every template under `searchPaths` into `dir` (replacing what was
 * there). Returns how many.
 */
export function compileTemplates(
  searchPaths: readonly string[],
  settings: CompileSettings,
  dir = COMPILED_TEMPLATES_DIR,
): number {
  const building = `${dir.replace(/[\\/]$/, '')}.tmp`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  let count = 0;
  for (const searchPath of searchPaths) {
    for (const file of templatesUnder(searchPath)) {
      const fullPath = path.resolve(file);
      const text = readFileSync(fullPath, 'utf-8');
      const code = compiler.compile(text, [], [], fullPath, settings);
      writeFileSync(path.join(building, `${digestOf(fullPath, text, settings)}.js`), code);
      count += 1;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return count;
}
