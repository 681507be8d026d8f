import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Files that are the same for everyone: the only replies a browser or proxy may keep. */
export const CACHEABLE_PREFIXES = ['/assets/', '/stylesheets/', '/javascripts/'] as const;
/** The API's public description: no personal data, so it may be cached too. */
const CACHEABLE_PATHS = new Set(['/api/v1/openapi.json']);

/**
 * Security headers on every reply, as helmet writes them, and `Cache-Control: no-store` on every
 * reply the app makes itself. Register first, so that even a reply from an early hook, a 404 or
 * the error page carries them.
 *
 * - Content-Security-Policy: scripts and styles only from this origin or with the reply's nonce
 *   (reply.cspNonce, handed to every view as `cspNonce`; GOV.UK Frontend's template puts it on its
 *   own inline `js-enabled` script). No 'unsafe-inline', no inline event handlers, no style
 *   attributes, no framing, no <base>, no plugins, forms post only here. A reply that never asked
 *   for a nonce (JSON, files) has none: nothing in it may run inline.
 * - Referrer-Policy: no-referrer. Our addresses carry secrets and identifiers (calendar-feed and
 *   invitation tokens, participant ids) that must never reach another site, and the app itself never
 *   reads Referer, so sending only the origin (strict-origin-when-cross-origin) gains nothing.
 * - HSTS only in production, where the service is behind HTTPS; in development and tests it would
 *   pin localhost to HTTPS. upgrade-insecure-requests likewise.
 * - nosniff, X-Frame-Options DENY for browsers without frame-ancestors; no X-Powered-By.
 *
 * The headers are worked out once, by helmet itself, at start-up: @fastify/helmet built a helmet
 * middleware (parsing every directive) and drew two nonces for every request, a tenth of the
 * engagement API's time in the app (issue 13). Here each request copies the fixed headers and
 * draws a nonce only when a page asks for one.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: { production: boolean },
): Promise<void> {
  const headers = securityHeaders(options);
  app.decorateReply('cspNonce', {
    getter(this: FastifyReply) {
      const self = this as FastifyReply & { [NONCES]?: CspNonces };
      return (self[NONCES] ??= drawNonces());
    },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers.fixed) reply.raw.setHeader(name, value);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    const nonces = (reply as FastifyReply & { [NONCES]?: CspNonces })[NONCES];
    reply.header('content-security-policy', nonces ? headers.cspWith(nonces) : headers.csp);
    done(null, payload);
  });

  // Pages and API replies hold personal data or a CSRF token: no browser history, back-button
  // cache or shared proxy may keep them. A route that already says no-store keeps its wording.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!isCacheable(request) && !/no-store/.test(String(reply.getHeader('cache-control') ?? ''))) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}

function isCacheable(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return (
    CACHEABLE_PATHS.has(path) ||
    (request.is404 !== true && CACHEABLE_PREFIXES.some((prefix) => path.startsWith(prefix)))
  );
}

export interface CspNonces {
  script: string;
  style: string;
}

declare module 'fastify' {
  interface FastifyReply {
    /** This reply's CSP nonces, drawn the first time they are asked for. */
    readonly cspNonce: CspNonces;
  }
}

const NONCES = Symbol('cspNonces');

function drawNonces(): CspNonces {
  const hex = randomBytes(32).toString('hex');
  return { script: hex.slice(0, 32), style: hex.slice(32) };
}

/** Stand-ins for the nonces while helmet writes the policy once. */
const SCRIPT_NONCE = 'npq-script-nonce';
const STYLE_NONCE = 'npq-style-nonce';

/**
 * The headers helmet sets for this configuration, read off it once: every fixed header, the
 * policy without nonces, and the policy with a reply's nonces put in.
 */
export function securityHeaders(options: { production: boolean }) {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
    ...(options.production ? { 'upgrade-insecure-requests': [] } : {}),
  };
  const configured = (policy: Record<string, string[]>) =>
    written({
      contentSecurityPolicy: { useDefaults: false, directives: policy },
      strictTransportSecurity: options.production
        ? { maxAge: 63_072_000, includeSubDomains: true }
        : false,
      referrerPolicy: { policy: 'no-referrer' },
      frameguard: { action: 'deny' },
      // nosniff and removing X-Powered-By are helmet's defaults, left on.
    });
  const plain = configured(directives);
  const withNonces = configured({
    ...directives,
    'script-src': [...directives['script-src']!, `'nonce-${SCRIPT_NONCE}'`],
    'style-src': [...directives['style-src']!, `'nonce-${STYLE_NONCE}'`],
  });
  const csp = plain.get(CSP)!;
  const [beforeScript, afterScript] = withNonces.get(CSP)!.split(SCRIPT_NONCE) as [string, string];
  const [between, afterStyle] = afterScript.split(STYLE_NONCE) as [string, string];
  plain.delete(CSP);
  return {
    fixed: [...plain] as [string, string][],
    csp,
    cspWith: (n: CspNonces) => `${beforeScript}${n.script}${between}${n.style}${afterStyle}`,
  };
}

const CSP = 'content-security-policy';

/** The headers a helmet middleware sets on a reply. */
function written(configuration: HelmetOptions): Map<string, string> {
  const set = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => set.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => set.delete(name.toLowerCase()),
  };
  helmet(configuration)({} as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return set;
}
