import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { firstTextProblem, type TextProblem } from '../../domain/text.js';

/** Longer request lines are refused with 414 (Node itself refuses headers over 16 KiB). */
export const MAX_URL_LENGTH = 8192;

/**
 * Checks every request at the edge, in one place for the API, xAPI and the pages alike:
 * - a URL longer than MAX_URL_LENGTH answers 414;
 * - a NUL character or a lone UTF-16 surrogate anywhere in the path parameters, the query string
 *   or a parsed body (JSON or form) answers with a field error naming the first one found: 400
 *   `{ error, code, errors: [{ path, message }] }` from the API, a 422 page with the GOV.UK error
 *   summary from a form. Uploads and CSV bodies read as streams are checked cell by cell where
 *   they are parsed (src/domain/text.ts csvCellProblem).
 * Register after the authentication plugin: the text check runs as a preHandler, after the CSRF
 * check, so a cross-site request is refused as such, and before the API's Idempotency-Key is
 * reserved.
 */
export function registerEdgeChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.length <= MAX_URL_LENGTH) return;
    reply.code(414);
    if (isJson(request)) {
      return reply.send({
        error: `The URL is too long: at most ${MAX_URL_LENGTH} characters`,
        code: 'URI_TOO_LONG',
        errors: [{ path: 'url', message: `Use at most ${MAX_URL_LENGTH} characters` }],
      });
    }
    await request.loadShell();
    return reply.view('refused.njk', {
      heading: 'The web address is too long',
      advice: `A web address can have at most ${MAX_URL_LENGTH} characters. Shorten your search.`,
      errors: [{ text: `The web address has more than ${MAX_URL_LENGTH} characters` }],
      back: '/',
    });
  });

  app.addHook('preHandler', async (request, reply) => {
    const problem =
      firstTextProblem(request.params, 'params') ??
      firstTextProblem(request.query, 'querystring') ??
      firstTextProblem(request.body, 'body');
    if (!problem) return;
    if (!isJson(request)) await request.loadShell();
    return refuse(request, reply, problem);
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, problem: TextProblem) {
  if (isJson(request)) {
    return reply.code(400).send({
      error: 'The request is not valid',
      code: 'BAD_REQUEST',
      errors: [problem],
    });
  }
  const field = problem.path.split('.').slice(1).join('.') || 'text';
  const path = request.url.split('?')[0] ?? '/';
  return reply.code(422).view('refused.njk', {
    heading: 'What you entered cannot be saved',
    advice:
      'Text pasted from some programs carries hidden or broken characters. Type the text again, or paste it as plain text.',
    errors: [{ text: `${labelOf(field)}: ${problem.message}` }],
    // Forms post to the page they are on; a search goes back without its query.
    back: /^\/[\w\-/]*$/.test(path) ? path : '/',
  });
}

function labelOf(field: string): string {
  const words = field
    .replace(/[._]/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isJson(request: FastifyRequest): boolean {
  const url = request.url;
  const accept = request.headers.accept;
  return (
    url.startsWith('/api/') ||
    url.startsWith('/xapi/') ||
    (accept !== undefined && accept.includes('application/json') && !accept.includes('text/html'))
  );
}
