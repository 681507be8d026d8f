import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { queryRows, type Db } from '../db/client.js';
import { GOVUK_FRONTEND_DIST } from './render.js';

/**
 * The service shell: npq-ops runs for a lead provider, not for the Crown. GOV.UK Frontend's rules
 * say a service not on GOV.UK must not use the crown, the Royal Arms or the GDS Transport font, so
 * the app serves its stylesheet without the typeface (Arial instead, as the Design System's own
 * fallback) and without the crest, and serves none of GOV.UK's fonts, crest or crown icons.
 */

export interface Shell {
  /** The lead provider's name, or null before one is set up (the shell then says "npq-ops"). */
  readonly providerName: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    shell: Shell;
    /**
     * On a route with `config.shellByRoute`: reads the shell before anything is rendered (a no-op
     * once read, and on every other route, whose shell is read before the route runs).
     */
    loadShell(): Promise<void>;
  }
  interface FastifyContextConfig {
    /**
     * The route reads the shell itself (request.loadShell) before it renders a page: a page held
     * ready to send carries the shell it was rendered with (My programme, src/web/held-pages.ts).
     */
    shellByRoute?: boolean;
  }
}

/** GOV.UK Frontend's precompiled stylesheet, minus the GDS Transport typeface and the crest. */
export function brandFreeStylesheet(
  source = readFileSync(path.join(GOVUK_FRONTEND_DIST, 'govuk', 'govuk-frontend.min.css'), 'utf8'),
): string {
  return (
    source
      // The typeface's licence comment and the @font-face rules that load it.
      .replace(/\/\*![\s\S]*?\*\//g, '')
      .replace(/@font-face\{[^}]*\}/g, '')
      // Every font stack names it first: leave Arial and sans-serif.
      .replace(/font-family:GDS Transport,/g, 'font-family:')
      .replace(/font-family:GDS Transport(?=[;}])/g, 'font-family:arial,sans-serif')
      // The crest behind the footer's copyright logo (not used by npq-ops).
      .replace(/url\(\/assets\/images\/govuk-crest\.svg\)/g, 'none')
      .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '')
  );
}

const NO_SHELL_PREFIXES = [
  '/assets/',
  '/stylesheets/',
  '/javascripts/',
  '/healthz',
  '/api/',
  '/xapi',
];

/**
 * Every page names the lead provider: read it once per page request (one row). A database that
 * cannot answer leaves the shell saying "npq-ops"; the route itself then answers as it must.
 * A route with `config.shellByRoute` reads it only when it renders (request.loadShell).
 */
export function registerShell(app: FastifyInstance, db: Db): void {
  const pending = new WeakSet<FastifyRequest>();
  const read = async (request: FastifyRequest) => {
    pending.delete(request);
    try {
      const [row] = await queryRows<{ name: string }>(
        db,
        sql`select name from lead_provider order by id limit 1`,
      );
      request.shell = { providerName: row?.name ?? null };
    } catch {
      // The shell falls back to "npq-ops"; the page's own queries report the outage.
    }
  };
  app.decorateRequest('shell', null as unknown as Shell);
  app.decorateRequest('loadShell', function (this: FastifyRequest) {
    return pending.has(this) ? read(this) : Promise.resolve();
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.shell = { providerName: null };
    if (NO_SHELL_PREFIXES.some((p) => request.url.startsWith(p))) return;
    if (request.routeOptions.config.shellByRoute) {
      pending.add(request);
      return;
    }
    await read(request);
  });

  const css = brandFreeStylesheet();
  app.get('/stylesheets/govuk-frontend.min.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css),
  );
}
