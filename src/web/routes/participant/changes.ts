import type { FastifyInstance } from 'fastify';
import { EXTENUATING_CIRCUMSTANCES, isIsoDate, type Decision } from '../../../policy/index.js';
import { listAssessmentDeferralCases } from '../../../services/assessment-deferrals.js';
import {
  listDeferralCases,
  type StoredDeferralDecision,
} from '../../../services/deferral-cases.js';
import { currentDeferralOf } from '../../../services/deferral-status.js';
import { listSchoolMoves } from '../../../services/school-moves.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import type { FormErrors } from '../../forms.js';
import { participantPage, takeFlash, type PageDeps } from './helpers.js';
import {
  ASSESSMENT_CIRCUMSTANCE_LABELS,
  assessmentDeferralReference,
  deferralReference,
  schoolMoveReference,
} from './references.js';

export const CIRCUMSTANCE_LABELS: Record<(typeof EXTENUATING_CIRCUMSTANCES)[number], string> = {
  illness_or_health: 'Illness or a health-related issue',
  maternity_leave: 'Maternity leave',
  paternity_leave: 'Paternity leave',
  shared_parental_leave: 'Shared parental leave',
  adoption_leave: 'Adoption leave',
  parental_leave: 'Parental leave',
  bereavement: 'Bereavement',
  change_in_personal_circumstances: 'A change in personal circumstances',
  career_break: 'A career break',
  other: 'Something else',
};

const STATUS_TEXT: Record<string, string> = {
  requested: 'Requested',
  discussed: 'Discussed with you',
  approved: 'Approved',
  declined: 'Declined',
  deferred: 'Deferred',
  intent_contact_due: 'We will contact you about returning',
  confirmed: 'Return confirmed',
  resumed: 'Resumed',
  withdrawn: 'Withdrawn',
  evidence_requested: 'Evidence requested',
  evidence_received: 'Evidence received',
};

/** Dates typed into the three GOV.UK date boxes, as YYYY-MM-DD, or an error message. */
export function dateFromParts(
  body: Record<string, unknown>,
  prefix: string,
): { ok: true; date: string } | { ok: false; message: string } {
  const part = (name: string) => String(body[`${prefix}-${name}`] ?? '').trim();
  const [day, month, year] = [part('day'), part('month'), part('year')];
  if (!day && !month && !year) return { ok: false, message: 'Enter the date' };
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) {
    return { ok: false, message: 'Enter a real date, for example 27 3 2026' };
  }
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  const check = new Date(`${iso}T12:00:00Z`);
  if (
    !isIsoDate(iso) ||
    Number.isNaN(check.getTime()) ||
    check.toISOString().slice(0, 10) !== iso
  ) {
    return { ok: false, message: 'Enter a real date, for example 27 3 2026' };
  }
  return { ok: true, date: iso };
}

export function addError(
  errors: FormErrors,
  field: string,
  href: string,
  text: string,
): FormErrors {
  if (errors.byField[field]) return errors;
  return {
    list: [...errors.list, { text, href }],
    byField: { ...errors.byField, [field]: { text } },
  };
}

/** The decision that said no, leading the explanation; null when none did. */
function blockingOf(decision: StoredDeferralDecision | null): Decision | null {
  if (!decision) return null;
  if (decision.deferral.outcome === 'refused') return decision.deferral;
  if (decision.preWindow?.outcome === 'refused') return decision.preWindow;
  return null;
}

export function changesRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/changes', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const [deferrals, moves, assessmentDeferrals, contact, currentDeferral] = await Promise.all([
        listDeferralCases(deps, actor, { limit: 50, offset: 0 }),
        listSchoolMoves(deps, actor, actor.participantId!),
        listAssessmentDeferralCases(deps, actor, enrolment.id),
        contactDetailsFor(deps, actor, enrolment.id),
        currentDeferralOf(deps, actor, enrolment.id),
      ]);
      return reply.view('participant/changes.njk', {
        flash: takeFlash(request),
        contact,
        currentDeferral,
        deferrals: deferrals.items.map((c) => ({
          id: c.id,
          reference: deferralReference(c.id),
          statusCode: c.status,
          status: STATUS_TEXT[c.status] ?? c.status,
          circumstance:
            CIRCUMSTANCE_LABELS[c.circumstance as keyof typeof CIRCUMSTANCE_LABELS] ??
            c.circumstance,
          requestedOn: c.requestedOn,
          rejoinDate: c.rejoinDate,
          // Outcome first: the reason staff gave, else the policy's reason that said no.
          staffReason: c.decision?.declined?.reason ?? null,
          blocking: blockingOf(c.decision),
          // The options left (2.3.10): those discussed with them, else those the policy allows.
          options: (c.alternativesOffered ?? c.decision?.deferral.details.options ?? []).filter(
            (o) => o.option !== 'defer',
          ),
          decision: c.decision?.deferral ?? null,
        })),
        assessmentDeferrals: assessmentDeferrals.map((c) => ({
          ...c,
          reference: assessmentDeferralReference(c.id),
          statusCode: c.status,
          status: STATUS_TEXT[c.status] ?? c.status,
          circumstance:
            ASSESSMENT_CIRCUMSTANCE_LABELS[
              c.circumstance as keyof typeof ASSESSMENT_CIRCUMSTANCE_LABELS
            ] ?? c.circumstance,
        })),
        moves: moves.map((m) => ({ ...m, reference: schoolMoveReference(m.id) })),
      });
    }),
  );
}
