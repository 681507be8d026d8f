import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  EXTENUATING_CIRCUMSTANCES,
  isIsoDate,
  londonDateOf,
  POLICY_REGISTER,
} from '../../../policy/index.js';
import { getEnrolmentAssessment } from '../../../services/assessment.js';
import {
  listDeferralCases,
  previewDeferral,
  requestDeferral,
} from '../../../services/deferral-cases.js';
import { getEnrolment } from '../../../services/participants.js';
import { listSchoolMoves, recordSchoolMove } from '../../../services/school-moves.js';
import { findSchools, type SchoolMatch } from '../../../db/queries/schools.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { parseForm, type FormErrors } from '../../forms.js';
import {
  formFailureOf,
  participantPage,
  setFlash,
  takeFlash,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';

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

/**
 * Reasons about the circumstance itself: before the participant has said what happened, the
 * preview shows only what does not depend on it (eligibility and consequences).
 */
const CIRCUMSTANCE_CODES = [
  'DEFERRAL.EXTENUATING_CIRCUMSTANCE',
  'DEFERRAL.SUPPORT_TO_COMPLETE',
  'DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED',
  'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE',
];

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

function addError(errors: FormErrors, field: string, href: string, text: string): FormErrors {
  if (errors.byField[field]) return errors;
  return {
    list: [...errors.list, { text, href }],
    byField: { ...errors.byField, [field]: { text } },
  };
}

const DeferralForm = z.object({
  circumstance: z.enum(EXTENUATING_CIRCUMSTANCES, {
    message: 'Select what has happened',
  }),
  description: z
    .string()
    .trim()
    .max(2000, 'Description must be 2,000 characters or fewer')
    .optional()
    .default(''),
});

const SchoolMoveForm = z.object({
  newSchoolUrn: z
    .string({ message: 'Enter the URN of your new school' })
    .trim()
    .min(1, 'Enter the URN of your new school')
    .regex(/^\d{6,7}$/, 'The URN is 6 or 7 digits, like 123456'),
});

export function changesRoutes(app: FastifyInstance, deps: PageDeps): void {
  app.get('/changes', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const [deferrals, moves, assessment, contact] = await Promise.all([
        listDeferralCases(deps, actor, { limit: 50, offset: 0 }),
        listSchoolMoves(deps, actor, actor.participantId!),
        getEnrolmentAssessment(deps, actor, enrolment.id),
        contactDetailsFor(deps, actor, enrolment.id),
      ]);
      return reply.view('participant/changes.njk', {
        flash: takeFlash(request),
        contact,
        deferrals: deferrals.items.map((c) => ({
          id: c.id,
          status: STATUS_TEXT[c.status] ?? c.status,
          circumstance:
            CIRCUMSTANCE_LABELS[c.circumstance as keyof typeof CIRCUMSTANCE_LABELS] ??
            c.circumstance,
          requestedOn: c.requestedOn,
          rejoinDate: c.rejoinDate,
          decision: c.decision?.deferral ?? null,
          funding: c.decision?.funding ?? null,
        })),
        assessmentDeferrals: assessment.deferralCases.map((c) => ({
          ...c,
          status: STATUS_TEXT[c.status] ?? c.status,
        })),
        moves,
      });
    }),
  );

  const deferralPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    extra: { errors?: FormErrors; values?: Record<string, unknown> } = {},
  ) => {
    // Eligibility and consequences do not depend on which circumstance is chosen, so they come first.
    const preview = await previewDeferral(deps, actor, {
      enrolmentId: enrolment.id,
      circumstance: 'change_in_personal_circumstances',
      description: '',
    });
    const record = await getEnrolment(deps, actor, enrolment.id);
    const today = londonDateOf(deps.clock.now());
    const [year, month, day] = today.split('-');
    return reply.view('participant/deferral.njk', {
      ...extra,
      contact: await contactDetailsFor(deps, actor, enrolment.id),
      values: extra.values ?? {
        'requestedOn-day': String(Number(day)),
        'requestedOn-month': String(Number(month)),
        'requestedOn-year': year,
      },
      preview,
      skip: CIRCUMSTANCE_CODES,
      plan: preview.deferral.details.plan,
      cohort: record.cohort,
      attemptsRemaining: Math.max(
        0,
        POLICY_REGISTER.parameters.assessmentAttempts - record.assessmentAttemptsUsed,
      ),
      circumstances: EXTENUATING_CIRCUMSTANCES.map((value) => ({
        value,
        text: CIRCUMSTANCE_LABELS[value],
      })),
    });
  };

  app.get('/changes/deferral', (request, reply) =>
    participantPage(deps, request, reply, (ctx) => deferralPage(request, reply, ctx)),
  );

  app.post('/changes/deferral', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = parseForm(DeferralForm, body);
      const date = dateFromParts(body, 'requestedOn');
      let errors: FormErrors = form.ok ? { list: [], byField: {} } : form.errors;
      if (form.ok && form.data.circumstance === 'other' && form.data.description === '') {
        errors = addError(errors, 'description', '#description', 'Describe what has happened');
      }
      if (!date.ok) errors = addError(errors, 'requestedOn', '#requestedOn-day', date.message);
      if (date.ok && date.date > londonDateOf(deps.clock.now())) {
        errors = addError(
          errors,
          'requestedOn',
          '#requestedOn-day',
          'The date must be today or in the past',
        );
      }
      if (!form.ok || !date.ok || errors.list.length > 0) {
        return deferralPage(request, reply.code(422), ctx, { errors, values: body });
      }
      try {
        const created = await requestDeferral(deps, ctx.actor, {
          enrolmentId: ctx.enrolment.id,
          circumstance: form.data.circumstance,
          description: form.data.description,
          requestedOn: date.date,
        });
        const declined = created.status === 'declined';
        setFlash(request, {
          heading: declined
            ? 'Your request is recorded, but a deferral is not possible'
            : 'Your deferral request has been sent',
          text: declined
            ? 'The reasons are shown with your request below. We will contact you to talk through the options open to you.'
            : 'We will contact you to discuss it, and the options that would let you continue with your cohort.',
        });
        return reply.redirect('/changes', 303);
      } catch (error) {
        const failure = formFailureOf(error, 'circumstance');
        if (!failure) throw error;
        return deferralPage(request, reply.code(422), ctx, {
          errors: failure.errors,
          values: body,
        });
      }
    }),
  );

  const schoolMovePage = async (
    reply: FastifyReply,
    { actor, enrolment }: ParticipantContext,
    extra: {
      errors?: FormErrors;
      values?: Record<string, unknown>;
      search?: { query: string; matches: SchoolMatch[] };
    } = {},
  ) => {
    const moves = await listSchoolMoves(deps, actor, actor.participantId!);
    const contact = await contactDetailsFor(deps, actor, enrolment.id);
    return reply.view('participant/school-move.njk', { values: {}, ...extra, moves, contact });
  };

  const SchoolMoveQuery = z.object({
    school: z.string().trim().max(100).optional().catch(undefined),
    urn: z
      .string()
      .regex(/^\d{6,7}$/)
      .optional()
      .catch(undefined),
  });

  // Teachers rarely know a URN: a search by name or town, then the chosen school fills the field.
  app.get('/changes/school-move', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const query = SchoolMoveQuery.parse(request.query ?? {});
      const search = query.school
        ? { query: query.school, matches: await findSchools(deps.db, query.school) }
        : undefined;
      return schoolMovePage(reply, ctx, {
        values: query.urn ? { newSchoolUrn: query.urn } : {},
        ...(search ? { search } : {}),
      });
    }),
  );

  app.post('/changes/school-move', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = parseForm(SchoolMoveForm, body);
      const date = dateFromParts(body, 'movedOn');
      let errors: FormErrors = form.ok ? { list: [], byField: {} } : form.errors;
      if (!date.ok) errors = addError(errors, 'movedOn', '#movedOn-day', date.message);
      if (!form.ok || !date.ok)
        return schoolMovePage(reply.code(422), ctx, { errors, values: body });
      try {
        const move = await recordSchoolMove(deps, ctx.actor, {
          enrolmentId: ctx.enrolment.id,
          newSchoolUrn: form.data.newSchoolUrn,
          movedOn: date.date,
        });
        setFlash(request, {
          heading: `Thank you for telling us you moved to ${move.toSchool.name}`,
          text: move.insideNetwork
            ? 'You carry on with your programme as before.'
            : 'Your new school is outside our network, so we will help you transfer to a lead provider of your choice.',
        });
        return reply.redirect('/changes', 303);
      } catch (error) {
        const failure = formFailureOf(error, 'newSchoolUrn');
        if (!failure) throw error;
        const errors = failure.errors.byField['movedOn']
          ? {
              list: failure.errors.list.map((l) =>
                l.href === '#movedOn' ? { ...l, href: '#movedOn-day' } : l,
              ),
              byField: failure.errors.byField,
            }
          : failure.errors;
        return schoolMovePage(reply.code(422), ctx, { errors, values: body });
      }
    }),
  );
}
