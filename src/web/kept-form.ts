import { safeRedirectPath } from './forms.js';

/**
 * A form sent after its session ended, kept so that nothing typed is lost: the fields travel in a
 * hidden input through the "You have been signed out" page and the sign-in form, and after sign-in
 * come back as a form to send again with a fresh CSRF token. Nothing is stored on the server, so
 * what was typed lives only in the pages in the person's browser (which are never cached).
 *
 * A kept form is sent again only as the person who typed it: it carries the user id of the session
 * that ended (when the cookie still named one). If someone else signs in, it is discarded with a
 * message (src/web/routes/sign-in.ts). The id is not a secret and not a credential: changing it
 * lets no one do more than type the same form themselves.
 */
export interface KeptForm {
  /** The path the form was sent to. */
  action: string;
  /** Every field but the stale CSRF token, in order; a repeated field appears once per value. */
  fields: [string, string][];
  /** Who typed it: the user of the session that ended; null when the cookie was gone. */
  owner: number | null;
}

/** Larger forms are not kept (the person is told); 64 KB is far more than any of our forms. */
export const KEPT_FORM_LIMIT = 64 * 1024;

export function keepForm(
  action: string,
  body: unknown,
  owner: number | null = null,
): KeptForm | null {
  const path = safeRedirectPath(action, '');
  if (!path || body === null || typeof body !== 'object') return null;
  const fields: [string, string][] = [];
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '_csrf') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') fields.push([name, v]);
    }
  }
  const kept = { action: path, fields, owner };
  return encodeKeptForm(kept).length <= KEPT_FORM_LIMIT ? kept : null;
}

export function encodeKeptForm(kept: KeptForm): string {
  return Buffer.from(JSON.stringify(kept), 'utf8').toString('base64url');
}

/** The kept form from its hidden input, or null for anything that is not one (never throws). */
export function decodeKeptForm(value: unknown): KeptForm | null {
  if (typeof value !== 'string' || value === '' || value.length > KEPT_FORM_LIMIT) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object') return null;
    const { action, fields, owner } = parsed as {
      action?: unknown;
      fields?: unknown;
      owner?: unknown;
    };
    const path = safeRedirectPath(action, '');
    if (!path || !Array.isArray(fields)) return null;
    if (owner !== undefined && owner !== null && !Number.isSafeInteger(owner)) return null;
    const ok = fields.every(
      (f) =>
        Array.isArray(f) &&
        f.length === 2 &&
        typeof f[0] === 'string' &&
        typeof f[1] === 'string' &&
        f[0] !== '_csrf',
    );
    return ok
      ? {
          action: path,
          fields: fields as [string, string][],
          owner: (owner as number | null) ?? null,
        }
      : null;
  } catch {
    return null;
  }
}
