/**
 * Telling us about a school move (policy 2.6): find the school, give the date, check the answers,
 * send once. A participant whose programme has ended, or whose transfer is already under way, is
 * told what to do instead of being shown the form.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { findSchools, type SchoolMatch } from '../../../db/queries/schools.js';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import { listSchoolMoves, recordSchoolMove } from '../../../services/school-moves.js';
import { parseForm, type FormErrors } from '../../forms.js';
import { addError, dateFromParts } from './changes.js';
import {
  formFailureOf,
  parseId,
  participantPage,
  renderNotFound,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';
import { schoolMoveReference } from './references.js';

const SchoolMoveForm = z.object({
  newSchoolUrn: z
    .string({ message: 'Enter the URN of your new school' })
    .trim()
    .min(1, 'Enter the URN of your new school')
    .regex(/^\d{6,7}$/, 'The URN is 6 or 7 digits, like 123456'),
});

const SchoolMoveQuery = z.object({
  school: z.string().trim().max(100).optional().catch(undefined),
  urn: z
    .string()
    .regex(/^\d{6,7}$/)
    .optional()
    .catch(undefined),
});

/** Enrolments that are still under way: only they have a school to keep up to date. */
const UNDER_WAY = ['accepted', 'active', 'deferred'];
/** A transfer to another lead provider still being arranged (2.6.4). */
const TRANSFER_UNDER_WAY = ['opened', 'provider_chosen', 'exported'];

function checkMove(
  body: Record<string, unknown>,
): { ok: true; urn: string; movedOn: string } | { ok: false; errors: FormErrors } {
  const form = parseForm(SchoolMoveForm, body);
  const date = dateFromParts(body, 'movedOn');
  let errors: FormErrors = form.ok ? { list: [], byField: {} } : form.errors;
  if (!date.ok) errors = addError(errors, 'movedOn', '#movedOn-day', date.message);
  if (!form.ok || !date.ok) return { ok: false, errors };
  return { ok: true, urn: form.data.newSchoolUrn, movedOn: date.date };
}

/** Service errors about the date point at the day box, where the GOV.UK date input starts. */
function dateFirst(errors: FormErrors): FormErrors {
  return errors.byField['movedOn']
    ? {
        list: errors.list.map((l) => (l.href === '#movedOn' ? { ...l, href: '#movedOn-day' } : l)),
        byField: errors.byField,
      }
    : errors;
}

export function schoolMoveRoutes(app: FastifyInstance, deps: PageDeps): void {
  const formPage = async (
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
    const transfer = moves
      .map((m) => m.transfer)
      .find((t) => t !== null && TRANSFER_UNDER_WAY.includes(t.status));
    const notAllowed = !UNDER_WAY.includes(enrolment.status)
      ? 'ended'
      : transfer
        ? 'transfer'
        : null;
    const values = extra.values ?? {};
    return reply.view('participant/school-move.njk', {
      ...extra,
      values,
      token: isFormToken(values['token']) ? values['token'] : newFormToken(),
      moves,
      contact,
      notAllowed,
      enrolmentStatus: enrolment.status.replace(/_/g, ' '),
    });
  };

  // Teachers rarely know a URN: a search by name or town, then the chosen school fills the field.
  app.get('/changes/school-move', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const query = SchoolMoveQuery.parse(request.query ?? {});
      const search = query.school
        ? { query: query.school, matches: await findSchools(deps.db, query.school) }
        : undefined;
      return formPage(reply, ctx, {
        values: query.urn ? { newSchoolUrn: query.urn } : {},
        ...(search ? { search } : {}),
      });
    }),
  );

  app.post('/changes/school-move', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body['change'] !== undefined) return formPage(reply, ctx, { values: body });
      const checked = checkMove(body);
      if (!checked.ok)
        return formPage(reply.code(422), ctx, { errors: checked.errors, values: body });
      const [school] = (
        await findSchools(deps.db, checked.urn, 20, { includeClosed: true })
      ).filter((s) => s.urn === checked.urn);
      if (!school) {
        return formPage(reply.code(422), ctx, {
          errors: {
            list: [
              { text: `We do not know a school with URN ${checked.urn}.`, href: '#newSchoolUrn' },
            ],
            byField: { newSchoolUrn: { text: `We do not know a school with URN ${checked.urn}.` } },
          },
          values: body,
        });
      }
      return reply.view('participant/school-move-check.njk', {
        school,
        movedOn: checked.movedOn,
        hidden: [
          ['newSchoolUrn', checked.urn],
          ['movedOn-day', String(body['movedOn-day'] ?? '')],
          ['movedOn-month', String(body['movedOn-month'] ?? '')],
          ['movedOn-year', String(body['movedOn-year'] ?? '')],
        ],
        token: isFormToken(body['token']) ? body['token'] : newFormToken(),
      });
    }),
  );

  app.post('/changes/school-move/send', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const checked = checkMove(body);
      if (!checked.ok)
        return formPage(reply.code(422), ctx, { errors: checked.errors, values: body });
      try {
        const sent = await submitOnce(deps, ctx.actor, String(body['token'] ?? ''), async (tx) => {
          const move = await recordSchoolMove(tx, ctx.actor, {
            enrolmentId: ctx.enrolment.id,
            newSchoolUrn: checked.urn,
            movedOn: checked.movedOn,
          });
          return `/changes/school-move/${move.id}`;
        });
        return reply.redirect(sent.location, 303);
      } catch (error) {
        const failure = formFailureOf(error, 'newSchoolUrn');
        if (!failure) throw error;
        return formPage(reply.code(422), ctx, { errors: dateFirst(failure.errors), values: body });
      }
    }),
  );

  app.get<{ Params: { moveId: string } }>('/changes/school-move/:moveId', (request, reply) =>
    participantPage(deps, request, reply, async ({ actor, enrolment }) => {
      const moveId = parseId(request.params.moveId);
      if (moveId === null) return renderNotFound(reply);
      const moves = await listSchoolMoves(deps, actor, actor.participantId!);
      const move = moves.find((m) => m.id === moveId);
      if (!move) return renderNotFound(reply);
      return reply.view('participant/school-move-sent.njk', {
        move,
        reference: schoolMoveReference(move.id),
        contact: await contactDetailsFor(deps, actor, enrolment.id),
      });
    }),
  );
}
