import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../services/actor.js';
import { isStaff } from '../../../services/actor.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PolicyRefusalError,
  ValidationError,
} from '../../../services/errors.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { requireSignedIn } from '../../plugins/auth.js';

/**
 * A signed-in member of staff, or null once the reply has been sent: signed-out people go to
 * sign in, anyone else is told the page does not exist (staff pages are not theirs to know about).
 */
export function requireStaffPage(request: FastifyRequest, reply: FastifyReply): Actor | null {
  const actor = requireSignedIn(request, reply);
  if (!actor) return null;
  if (!isStaff(actor)) {
    void reply.code(404).view('not-found.njk');
    return null;
  }
  return actor;
}

export function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).view('not-found.njk');
}

export function forbidden(reply: FastifyReply, message?: string): FastifyReply {
  return reply.code(403).view('forbidden.njk', { message });
}

/**
 * Reads: a record the actor may not see is 404 and an action they may not take is 403, as pages.
 * Anything else is a bug and goes to the app's error handler.
 */
export async function page(
  reply: FastifyReply,
  render: () => Promise<FastifyReply>,
): Promise<FastifyReply> {
  try {
    return await render();
  } catch (error) {
    if (error instanceof NotFoundError) return notFound(reply);
    if (error instanceof ForbiddenError) return forbidden(reply, error.message);
    throw error;
  }
}

/** What a form shows when a service said no: field errors, or the policy's reasons, or a conflict. */
export interface FormFailure {
  errors: FormErrors;
  decision?: PolicyRefusalError['decision'];
  conflict?: boolean;
}

/**
 * Runs a form's use case. Success redirects (post/redirect/get); a refusal the user can act on is
 * handed back to re-render the form with status 422 (or 409 for a conflict); 404 and 403 are pages.
 */
export async function submit(
  reply: FastifyReply,
  action: () => Promise<string>,
  rerender: (failure: FormFailure, status: number) => Promise<FastifyReply> | FastifyReply,
): Promise<FastifyReply> {
  try {
    const to = await action();
    return reply.redirect(to, 303);
  } catch (error) {
    if (error instanceof ValidationError) {
      return rerender(
        { errors: formErrors(error.errors.map((e) => ({ path: [e.path], message: e.message }))) },
        422,
      );
    }
    if (error instanceof PolicyRefusalError) {
      return rerender(
        {
          errors: formErrors([{ path: ['decision'], message: error.message }]),
          decision: error.decision,
        },
        422,
      );
    }
    if (error instanceof ConflictError) {
      return rerender(
        { errors: formErrors([{ path: ['form'], message: error.message }]), conflict: true },
        409,
      );
    }
    if (error instanceof NotFoundError) return notFound(reply);
    if (error instanceof ForbiddenError) return forbidden(reply, error.message);
    throw error;
  }
}

/** A positive whole number from a path or query parameter, or undefined. */
export function idParam(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** "flash" messages travel in the query string of the redirect (no session state needed). */
export function withNotice(path: string, notice: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}`;
}

export const NOTICES: Record<string, string> = {
  'cohort-created': 'Cohort created with its schedule',
  'lead-time-changed': 'Release lead time changed',
  'exception-recorded': 'Further deferral approved as an exception',
  discussed: 'Discussion recorded',
  approved: 'Deferral approved',
  declined: 'Request declined',
  started: 'Deferral started: the enrolment is now deferred',
  'return-confirmed': 'Return confirmed',
  resumed: 'Participant re-joined the new cohort',
  'rejoin-date-agreed': 'Re-join date agreed',
  'options-recorded': 'Contact recorded: the participant has been told their options',
  'options-withdrawn':
    'Contact recorded: the participant chose to withdraw and is withdrawn from the programme',
  'evidence-requested': 'Evidence requested',
  'evidence-recorded': 'Evidence recorded',
  'provider-chosen': 'Receiving lead provider recorded',
  'consent-recorded': 'Data-sharing consent recorded',
  exported: 'Transfer package exported',
  transferred: 'Transfer confirmed',
  'dfe-voiding': 'The declaration will be voided at the DfE at the next run',
  'package-refused':
    'The package cannot be made now: the participant’s consent and their new lead provider are both needed, and this service needs a signing key (Administration → Transfer keys)',
  'key-created': 'Signing key created: it signs transfer packages from now on',
  'sender-trusted': 'Sender’s key registered: their packages can be imported',
  'sender-revoked': 'Key revoked: packages it signed are refused from now on',
};

export function noticeText(query: unknown): string | undefined {
  const key = (query as { notice?: unknown } | undefined)?.notice;
  return typeof key === 'string' ? NOTICES[key] : undefined;
}
