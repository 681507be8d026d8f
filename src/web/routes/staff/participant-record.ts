import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { recordCommencement } from '../../../services/commencement.js';
import { editParticipant } from '../../../services/participant-record/edit.js';
import { startOfProgramme } from '../../../services/participant-record/start.js';
import { getParticipant } from '../../../services/participants.js';
import { FUNDING_ROUTES } from '../../../domain/catalogue.js';
import { forbidden, idParam, notFound, page, requireStaffPage, submit } from './support.js';

/**
 * "Change" pages for a participant's record (GOV.UK summary list and change pattern): each field
 * is its own small form, sent with the version the page showed, so a change made meanwhile by
 * someone else is refused (409) instead of overwritten. Also "Record commencement" (policy 2.3.2).
 */

type Body = Record<string, unknown>;
const str = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
};
const yesNo = (v: string): boolean | string => (v === 'yes' ? true : v === 'no' ? false : v);

export const FUNDING_LABELS: Record<string, string> = {
  dfe_scholarship: 'DfE scholarship',
  school: 'Paid by their school',
  trust: 'Paid by their trust',
  self: 'Self-funded',
  employer: 'Paid by their employer',
};

interface ChangeField {
  title: string;
  /** The form's own fields, read from the submitted body into the edit's input. */
  read(body: Body): Record<string, unknown>;
  /** The form's values from the current record. */
  values(p: Awaited<ReturnType<typeof getParticipant>>): Record<string, string>;
  done: string;
}

const FIELDS: Record<string, ChangeField> = {
  name: {
    title: 'Change the name',
    read: (b) => ({ fullName: str(b, 'fullName') }),
    values: (p) => ({ fullName: p.fullName }),
    done: 'Name changed',
  },
  email: {
    title: 'Change the email address',
    read: (b) => ({ email: str(b, 'email') }),
    values: (p) => ({ email: p.email }),
    done: 'Email address changed: the participant now signs in with it',
  },
  'working-pattern': {
    title: 'Change the working pattern',
    read: (b) => {
      const pattern = str(b, 'workingPattern');
      const fraction = str(b, 'partTimeFraction');
      return {
        workingPattern: pattern === '' ? 'none' : pattern,
        ...(pattern === 'part_time'
          ? { partTimeFraction: fraction === '' ? null : Number(fraction) }
          : {}),
      };
    },
    values: (p) => ({
      workingPattern: p.workingPattern,
      partTimeFraction: p.partTimeFraction === null ? '' : String(p.partTimeFraction),
    }),
    done: 'Working pattern changed',
  },
  'funding-route': {
    title: 'Change the funding route',
    read: (b) => ({ fundingRoute: str(b, 'fundingRoute') || 'none' }),
    values: (p) => ({ fundingRoute: p.fundingRoute }),
    done: 'Funding route changed',
  },
  'dfe-registration': {
    title: 'Registered with the Department for Education?',
    read: (b) => ({ dfeRegistrationConfirmed: yesNo(str(b, 'dfeRegistrationConfirmed')) }),
    values: (p) => ({ dfeRegistrationConfirmed: p.dfeRegistrationConfirmed ? 'yes' : 'no' }),
    done: 'DfE registration recorded',
  },
  employment: {
    title: 'Confirmation of employment submitted?',
    read: (b) => ({ employmentConfirmed: yesNo(str(b, 'employmentConfirmed')) }),
    values: (p) => ({ employmentConfirmed: p.employmentConfirmed ? 'yes' : 'no' }),
    done: 'Confirmation of employment recorded',
  },
};

const DONE: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.done])),
  commenced: 'Commencement recorded: the enrolment is now active',
  erased: 'Personal data erased: the record no longer says who the participant was',
  started:
    'Both confirmations and engagement are recorded: the enrolment is now active (Policy 2.3.2)',
};

/** The success banner after a change on the participant record (?updated=<field>). */
export function changeNotice(query: unknown): string | undefined {
  const key = (query as { updated?: unknown } | undefined)?.updated;
  return typeof key === 'string' ? DONE[key] : undefined;
}

const EDITORS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];

export function participantRecordRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderChange = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    key: string,
    options: {
      values?: Record<string, string>;
      failure?: Parameters<Parameters<typeof submit>[2]>[0];
    },
    status = 200,
  ) => {
    const participant = await getParticipant(deps, actor, participantId);
    const start = await startOfProgramme(deps, actor, participantId);
    const field = FIELDS[key]!;
    return reply.code(status).view('staff/participant-change.njk', {
      participant,
      field: key,
      title: field.title,
      values: options.values ?? field.values(participant),
      version: options.values?.expectedVersion ?? String(start.version),
      errors: options.failure?.errors,
      conflict: options.failure?.conflict ?? false,
      fundingRoutes: FUNDING_ROUTES.map((r) => ({ value: r, text: FUNDING_LABELS[r] ?? r })),
    });
  };

  app.get<{ Params: { id: string; field: string } }>(
    '/participants/:id/change/:field',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const participantId = idParam(request.params.id);
      const key = request.params.field;
      if (participantId === undefined || !FIELDS[key]) return notFound(reply);
      return page(reply, async () => {
        const start = await startOfProgramme(deps, actor, participantId);
        if (!start.canEdit) return forbidden(reply);
        return renderChange(reply, actor, participantId, key, {});
      });
    },
  );

  app.post<{ Params: { id: string; field: string } }>(
    '/participants/:id/change/:field',
    async (request, reply) => {
      const actor = requireStaffPage(request, reply);
      if (!actor) return reply;
      const participantId = idParam(request.params.id);
      const key = request.params.field;
      const field = FIELDS[key];
      if (participantId === undefined || !field) return notFound(reply);
      const body = (request.body ?? {}) as Body;
      const values = Object.fromEntries(
        Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      return page(reply, () =>
        submit(
          reply,
          async () => {
            const result = await editParticipant(deps, actor, participantId, {
              expectedVersion: Number(str(body, 'expectedVersion')) || 0,
              ...field.read(body),
            });
            const done = result.commencedEnrolmentIds.length > 0 ? 'started' : key;
            return `/participants/${participantId}?updated=${done}#start-of-programme`;
          },
          (failure, status) =>
            renderChange(reply, actor, participantId, key, { values, failure }, status),
        ),
      );
    },
  );

  const renderCommence = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    enrolmentId: number,
    options: { note?: string; failure?: Parameters<Parameters<typeof submit>[2]>[0] },
    status = 200,
  ) => {
    const participant = await getParticipant(deps, actor, participantId);
    const start = await startOfProgramme(deps, actor, participantId);
    const enrolment = start.enrolments.find((e) => e.enrolmentId === enrolmentId);
    if (!enrolment) return notFound(reply);
    return reply.code(status).view('staff/participant-commence.njk', {
      participant,
      start,
      enrolment,
      note: options.note ?? '',
      errors: options.failure?.errors,
    });
  };

  type CommenceRequest = FastifyRequest<{ Params: { id: string; enrolmentId: string } }>;
  /** The signed-in staff member and the enrolment of a commencement page, or null once answered. */
  const commenceTarget = (request: CommenceRequest, reply: FastifyReply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return null;
    const participantId = idParam(request.params.id);
    const enrolmentId = idParam(request.params.enrolmentId);
    if (participantId === undefined || enrolmentId === undefined) {
      void notFound(reply);
      return null;
    }
    return { actor, participantId, enrolmentId };
  };

  app.get<{ Params: { id: string; enrolmentId: string } }>(
    '/participants/:id/enrolments/:enrolmentId/commence',
    async (request, reply) => {
      const target = commenceTarget(request, reply);
      if (!target) return reply;
      const { actor, participantId, enrolmentId } = target;
      if (!EDITORS.includes(actor.role)) return forbidden(reply);
      return page(reply, () => renderCommence(reply, actor, participantId, enrolmentId, {}));
    },
  );

  app.post<{ Params: { id: string; enrolmentId: string } }>(
    '/participants/:id/enrolments/:enrolmentId/commence',
    async (request, reply) => {
      const target = commenceTarget(request, reply);
      if (!target) return reply;
      const { actor, participantId, enrolmentId } = target;
      const body = (request.body ?? {}) as Body;
      const note = str(body, 'note').slice(0, 4000);
      const expectedVersion = Number(str(body, 'expectedVersion')) || undefined;
      return page(reply, () =>
        submit(
          reply,
          async () => {
            await recordCommencement(deps, actor, { enrolmentId, note, expectedVersion });
            return `/participants/${participantId}?updated=commenced#start-of-programme`;
          },
          (failure, status) =>
            renderCommence(reply, actor, participantId, enrolmentId, { note, failure }, status),
        ),
      );
    },
  );
}
