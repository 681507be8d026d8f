import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';

/** Files that are the same for everyone: the only replies a browser or proxy may keep. */
export const CACHEABLE_PREFIXES = ['/assets/', '/stylesheets/', '/javascripts/'] as const;
/** The API's public description: no personal data, so it may be cached too. */
const CACHEABLE_PATHS = new Set(['/api/v1/openapi.json']);

/**
 * Security headers on every reply, from @fastify/helmet, and `Cache-Control: no-store` on every
 * reply the app makes itself. Register first, so that even a reply from an early hook, a 404 or
 * the error page carries them.
 *
 * - Content-Security-Policy: scripts and styles only from this origin or with the request's nonce
 *   (reply.cspNonce, handed to every view as `cspNonce`; GOV.UK Frontend's template puts it on its
 *   own inline `js-enabled` script). No 'unsafe-inline', no inline event handlers, no style
 *   attributes, no framing, no <base>, no plugins, forms post only here.
 * - Referrer-Policy: no-referrer. Our addresses carry secrets and identifiers (calendar-feed and
 *   invitation tokens, participant ids) that must never reach another site, and the app itself never
 *   reads Referer, so sending only the origin (strict-origin-when-cross-origin) gains nothing.
 * - HSTS only in production, where the service is behind HTTPS; in development and tests it would
 *   pin localhost to HTTPS. upgrade-insecure-requests likewise.
 * - nosniff, X-Frame-Options DENY for browsers without frame-ancestors; no X-Powered-By.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: { production: boolean },
): Promise<void> {
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
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
      },
    },
    strictTransportSecurity: options.production
      ? { maxAge: 63_072_000, includeSubDomains: true }
      : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // nosniff and removing X-Powered-By are helmet's defaults, left on.
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
