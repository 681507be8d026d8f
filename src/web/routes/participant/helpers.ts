import type { FastifyReply, FastifyRequest } from 'fastify';
import { marked } from 'marked';
import type SanitizeHtml from 'sanitize-html';
import { lazyRequire } from '../../../lazy-require.js';
import type { Actor } from '../../../services/actor.js';
import {
  ForbiddenError,
  NotFoundError,
  PolicyRefusalError,
  ServiceError,
  ValidationError,
} from '../../../services/errors.js';
import { enrolmentsOf } from '../../../services/participants.js';
import type { Decision } from '../../../policy/index.js';
import type { ApiDeps } from '../../api/plugin.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { requireSignedIn, sessionRecheckFailed } from '../../plugins/auth.js';
import { ownEnrolments } from '../../../services/own-enrolments.js';
import { londonInstant as londonWallClock } from '../../../domain/london-time.js';

export type PageDeps = ApiDeps;

/** One-shot messages carried across a post/redirect/get, in the encrypted session cookie. */
export interface Flash {
  heading: string;
  /**
   * Green "success" only for something done as asked; "important" (blue) for anything else, so a
   * refusal never appears in a success banner. Without a tone, the decision's outcome decides.
   */
  tone?: 'success' | 'important';
  html?: string;
  text?: string;
  /** A calendar feed secret, shown once right after it is made (only its digest is stored). */
  calendarToken?: string;
  /** The decision behind the outcome, without its evidence so the cookie stays small. */
  decision?: Pick<Decision, 'outcome' | 'reasons'>;
}

/** A decision trimmed for the flash cookie: the reasons in words and clauses, no evidence. */
export function flashDecision(decision: Decision): Pick<Decision, 'outcome' | 'reasons'> {
  return {
    outcome: decision.outcome,
    reasons: decision.reasons.map((r) => ({ ...r, evidence: {} })),
  };
}

declare module '@fastify/secure-session' {
  interface SessionData {
    flash: Flash;
  }
}

/** Browsers drop a cookie over 4 KB, and the session rides in one: keep the flash well under. */
const FLASH_BUDGET = 1500;

export function setFlash(request: FastifyRequest, flash: Flash): void {
  const small =
    flash.decision && JSON.stringify(flash).length > FLASH_BUDGET
      ? {
          ...flash,
          decision: { ...flash.decision, reasons: flash.decision.reasons.filter((r) => !r.met) },
        }
      : flash;
  request.session.set(
    'flash',
    JSON.stringify(small).length > FLASH_BUDGET ? { ...small, decision: undefined } : small,
  );
}

export function takeFlash(request: FastifyRequest): Flash | undefined {
  const flash = request.session.get('flash');
  if (flash) request.session.set('flash', undefined);
  return flash ?? undefined;
}

export interface CurrentEnrolment {
  id: number;
  cohortId: number;
  cohortName: string;
  deliveryPartner: string;
  status: string;
  /** Only when the page asked (`answersOn`): see services/own-enrolments.ts. */
  answerVersion?: string | null;
}

/** Enrolments that are under way; a participant with several sees the one they are on now. */
const CURRENT_STATUSES = ['active', 'deferred'];

/**
 * The enrolment a participant's pages are about: the latest active or deferred one, else the
 * latest of any status (so a finished participant still sees their record).
 */
function currentOf<E extends { status: string }>(enrolments: readonly E[]): E | null {
  return (
    enrolments.filter((e) => CURRENT_STATUSES.includes(e.status)).at(-1) ??
    enrolments.at(-1) ??
    null
  );
}

/** The participant's current enrolment (see currentOf), in one statement. */
export async function currentEnrolment(
  deps: PageDeps,
  actor: Actor,
): Promise<CurrentEnrolment | null> {
  if (actor.participantId === null) return null;
  // One statement: the participant's own enrolments (none is "not found", as before).
  return currentOf(await enrolmentsOf(deps.db, actor, actor.participantId));
}

/**
 * The current enrolment with its answer version for `today`, in one kept statement that also
 * checks a remembered session again (services/own-enrolments.ts). When that session no longer
 * holds it is looked up the usual way: the actor then is whoever is signed in now (or null).
 */
async function currentEnrolmentWithAnswer(
  deps: PageDeps,
  request: FastifyRequest,
  actor: Actor,
  today: string,
): Promise<{ actor: Actor | null; enrolment: CurrentEnrolment | null }> {
  const recheck = request.sessionRecheck;
  if (recheck && actor.participantId !== null && actor.role === 'participant') {
    const own = await ownEnrolments(deps.db, actor, actor.participantId, today, recheck);
    if (own.sessionOk) return { actor, enrolment: currentOf(own.enrolments) };
  }
  const signedIn = recheck ? await sessionRecheckFailed(request) : actor;
  if (!signedIn || signedIn.participantId === null || signedIn.role !== 'participant')
    return { actor: signedIn, enrolment: null };
  const own = await ownEnrolments(deps.db, signedIn, signedIn.participantId, today, null);
  return { actor: signedIn, enrolment: currentOf(own.enrolments) };
}

export interface ParticipantContext {
  actor: Actor;
  enrolment: CurrentEnrolment;
}

/**
 * Signs in (redirecting if needed), checks the page is for a participant and finds their current
 * enrolment, then runs the handler; ServiceErrors become the 404 or 403 page.
 */
export async function participantPage(
  deps: PageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  handler: (ctx: ParticipantContext) => Promise<FastifyReply | void>,
  /**
   * `answersOn`: the enrolment comes with its stored answer's version for that day, and a session
   * the route rechecks (config.recheckSession) is checked in the same statement.
   */
  options: { answersOn?: string } = {},
): Promise<FastifyReply | void> {
  let actor = requireSignedIn(request, reply);
  if (!actor) return reply;
  try {
    let enrolment: CurrentEnrolment | null = null;
    if (options.answersOn !== undefined) {
      ({ actor, enrolment } = await currentEnrolmentWithAnswer(
        deps,
        request,
        actor,
        options.answersOn,
      ));
      // The remembered session had ended: as for any page asked for signed out.
      if (!actor) {
        requireSignedIn(request, reply);
        return reply;
      }
    }
    if (actor.role !== 'participant') {
      await request.loadShell();
      return renderForbidden(reply);
    }
    if (options.answersOn === undefined) enrolment = await currentEnrolment(deps, actor);
    if (!enrolment) {
      await request.loadShell();
      return renderNotFound(reply);
    }
    return await handler({ actor, enrolment });
  } catch (error) {
    await request.loadShell();
    return renderServiceError(reply, error);
  }
}

export function renderNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).view('not-found.njk');
}

export function renderForbidden(reply: FastifyReply): FastifyReply {
  return reply
    .code(403)
    .view('forbidden.njk', { message: 'This page is for participants on an NPQ programme.' });
}

/**
 * Not found and forbidden have their own pages; anything else that is not a ServiceError is a bug
 * and goes to the app's 500 page. Form handlers deal with refusals and validation themselves.
 */
export function renderServiceError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof NotFoundError) return renderNotFound(reply);
  if (error instanceof ForbiddenError) return renderForbidden(reply);
  throw error;
}

/**
 * Errors a form can show: field errors, a policy refusal (with its decision, shown with clause
 * numbers), or a conflict. Returns null for errors that are not about the form.
 */
export interface FormFailure {
  errors: FormErrors;
  decision?: Decision;
}

export function formFailureOf(error: unknown, fallbackField: string): FormFailure | null {
  if (error instanceof PolicyRefusalError) {
    const unmet = error.decision.reasons.filter((r) => !r.met);
    const list = (unmet.length > 0 ? unmet : [{ message: error.message, clause: '' }]).map((r) => ({
      text: r.clause ? `${r.message} (Policy ${r.clause})` : r.message,
      href: `#${fallbackField}`,
    }));
    return {
      errors: { list, byField: { [fallbackField]: { text: error.message } } },
      decision: error.decision,
    };
  }
  if (error instanceof ValidationError) {
    return {
      errors: formErrors(
        error.errors.map((e) => ({
          path: [e.path === 'enrolmentId' || e.path === 'status' ? fallbackField : e.path],
          message: e.message,
        })),
      ),
    };
  }
  if (
    error instanceof ServiceError &&
    !(error instanceof NotFoundError) &&
    !(error instanceof ForbiddenError)
  ) {
    return { errors: formErrors([{ path: [fallbackField], message: error.message }]) };
  }
  return null;
}

/** The HTML sanitiser (and the HTML and CSS parsers beneath it), loaded with the first content shown. */
const sanitizer = lazyRequire<typeof SanitizeHtml>('sanitize-html');

/** Study content is authored as Markdown; only plain formatting survives, never scripts or styles. */
const sanitizeOptions = (sanitizeHtml: typeof SanitizeHtml): SanitizeHtml.IOptions => ({
  allowedTags: [
    'h1',
    'h2',
    'h3',
    'h4',
    'p',
    'ul',
    'ol',
    'li',
    'strong',
    'em',
    'a',
    'blockquote',
    'code',
    'pre',
    'br',
    'hr',
  ],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['https', 'mailto'],
  transformTags: {
    // Headings start below the page's h1 so the outline stays in order for screen readers.
    h1: sanitizeHtml.simpleTransform('h2', { class: 'govuk-heading-m' }),
    h2: sanitizeHtml.simpleTransform('h2', { class: 'govuk-heading-m' }),
    h3: sanitizeHtml.simpleTransform('h3', { class: 'govuk-heading-s' }),
    h4: sanitizeHtml.simpleTransform('h4', { class: 'govuk-heading-s' }),
    p: sanitizeHtml.simpleTransform('p', { class: 'govuk-body' }),
    ul: sanitizeHtml.simpleTransform('ul', { class: 'govuk-list govuk-list--bullet' }),
    ol: sanitizeHtml.simpleTransform('ol', { class: 'govuk-list govuk-list--number' }),
    a: sanitizeHtml.simpleTransform('a', { class: 'govuk-link' }),
    blockquote: sanitizeHtml.simpleTransform('blockquote', { class: 'govuk-inset-text' }),
  },
  allowedClasses: {
    h2: ['govuk-heading-m'],
    h3: ['govuk-heading-s'],
    h4: ['govuk-heading-s'],
    p: ['govuk-body'],
    ul: ['govuk-list', 'govuk-list--bullet'],
    ol: ['govuk-list', 'govuk-list--number'],
    a: ['govuk-link'],
    blockquote: ['govuk-inset-text'],
  },
});
let sanitize: SanitizeHtml.IOptions | undefined;

export function renderMarkdown(markdown: string | null | undefined): string {
  if (!markdown) return '';
  const html = marked.parse(markdown, { async: false, gfm: true });
  const sanitizeHtml = sanitizer();
  return sanitizeHtml(html, (sanitize ??= sanitizeOptions(sanitizeHtml)));
}

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
});

/** GOV.UK style times: 3:30pm, 9am, midday. */
export function govukTime(at: Date): string {
  const parts = Object.fromEntries(TIME.formatToParts(at).map((p) => [p.type, p.value]));
  const hour = parts['hour'] ?? '';
  const minute = parts['minute'] ?? '00';
  const period = (parts['dayPeriod'] ?? '').toLowerCase().replace(/\./g, '');
  if (hour === '12' && minute === '00' && period === 'pm') return 'midday';
  if (hour === '12' && minute === '00' && period === 'am') return 'midnight';
  return `${hour}${minute === '00' ? '' : `:${minute}`}${period}`;
}

/** "Tuesday 3 March 2026, 3:30pm to 4:30pm" in Europe/London. */
export function govukDateTimeRange(startsAt: string | Date, endsAt: string | Date): string {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  return `${DATE_TIME.format(start).replace(',', '')}, ${govukTime(start)} to ${govukTime(end)}`;
}

/** A wall-clock time in England as an instant; null for a malformed date or time. */
export function londonInstant(date: string, time: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{1,2}:\d{2}$/.test(time)) return null;
  return londonWallClock(date, time.padStart(5, '0'));
}

export function parseId(value: string | undefined): number | null {
  return value !== undefined && /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}
