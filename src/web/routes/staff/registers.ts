import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { ConflictError, ValidationError } from '../../../services/errors.js';
import {
  getRegister,
  listRegisters,
  saveRegister,
  type SaveRegisterResult,
} from '../../../services/registers.js';
import { formErrors, type FormErrors } from '../../forms.js';
import { whenText } from '../../email-view.js';
import { idParam, notFound, page, requireStaffPage } from './support.js';

/**
 * Registers: a facilitator (for the events assigned to them) or partner staff open an event, on a
 * phone, tick who attended (booked participants, and walk-ins from the cohort) and save. Saving
 * again is a correction, audited.
 */

/** Roles that take registers; anyone else is told the pages do not exist. */
export const REGISTER_ROLES: readonly Actor['role'][] = [
  'facilitator',
  'delivery_partner_staff',
  'programme_team',
  'admin',
];

const KIND_LABELS: Record<string, string> = {
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
};

type Body = Record<string, unknown>;

/** Checkbox values arrive as one string or several. */
function ids(value: unknown): number[] | null {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: number[] = [];
  for (const v of list) {
    const id = idParam(v);
    if (id === undefined) return null;
    out.push(id);
  }
  return [...new Set(out)];
}

function savedNotice(query: unknown): string | undefined {
  const q = (query ?? {}) as Record<string, unknown>;
  if (q.saved === undefined) return undefined;
  const added = Number(q.added ?? 0);
  const removed = Number(q.removed ?? 0);
  const what = q.saved === 'corrected' ? 'Register corrected' : 'Register saved';
  return `${what}: ${added} marked as attending${removed ? `, ${removed} removed` : ''}. Their engagement is updated.`;
}

export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderRegister = async (
    reply: FastifyReply,
    actor: Actor,
    eventId: number,
    options: {
      notice?: string | undefined;
      errors?: FormErrors;
      result?: SaveRegisterResult;
      ticked?: number[];
      status?: number;
    } = {},
  ) => {
    const register = await getRegister(deps, actor, eventId);
    const ticked = options.ticked ? new Set(options.ticked) : null;
    return reply.code(options.status ?? 200).view('staff/register.njk', {
      register,
      kindLabel: KIND_LABELS[register.event.kind] ?? register.event.kind,
      when: whenText(register.event.startsAt),
      takenWhen: register.taken ? whenText(register.taken.at) : null,
      rows: register.rows.map((r) => ({
        value: String(r.enrolmentId),
        text: r.fullName,
        hint: {
          text:
            (r.booked ? 'Booked' : 'Walk-in') +
            (r.countedElsewhere ? '. Already attended this session on another date' : ''),
        },
        checked: ticked ? ticked.has(r.enrolmentId) : r.attended,
      })),
      walkIns: register.walkIns.map((r) => ({
        value: String(r.enrolmentId),
        text: r.fullName,
        checked: ticked ? ticked.has(r.enrolmentId) : false,
      })),
      notice: options.notice,
      errors: options.errors,
      result: options.result,
    });
  };

  app.get('/registers', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    if (!REGISTER_ROLES.includes(actor.role)) return notFound(reply);
    return page(reply, async () => {
      const items = await listRegisters(deps, actor);
      return reply.view('staff/registers.njk', {
        items: items.map((i) => ({
          ...i,
          kindLabel: KIND_LABELS[i.kind] ?? i.kind,
          when: whenText(i.startsAt),
        })),
      });
    });
  });

  app.get<{ Params: { id: string } }>('/registers/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const eventId = idParam(request.params.id);
    if (eventId === undefined || !REGISTER_ROLES.includes(actor.role)) return notFound(reply);
    return page(reply, () =>
      renderRegister(reply, actor, eventId, { notice: savedNotice(request.query) }),
    );
  });

  app.post<{ Params: { id: string } }>('/registers/:id', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const eventId = idParam(request.params.id);
    if (eventId === undefined || !REGISTER_ROLES.includes(actor.role)) return notFound(reply);
    const body = (request.body ?? {}) as Body;
    const attended = ids(body.attended);
    const walkIns = ids(body.walkIn);
    const version = Number(typeof body.expectedVersion === 'string' ? body.expectedVersion : '0');
    return page(reply, async () => {
      if (attended === null || walkIns === null || !Number.isInteger(version)) {
        return notFound(reply);
      }
      const ticked = [...attended, ...walkIns];
      try {
        const result = await saveRegister(deps, actor, {
          cohortEventId: eventId,
          attendedEnrolmentIds: ticked,
          expectedVersion: version,
        });
        if (result.refused.length > 0) {
          // Shown at once, with the policy's reasons, rather than lost in a redirect.
          return renderRegister(reply, actor, eventId, { result });
        }
        const saved = result.correction ? 'corrected' : 'taken';
        return reply.redirect(
          `/registers/${eventId}?saved=${saved}&added=${result.added}&removed=${result.removed}`,
          303,
        );
      } catch (error) {
        if (error instanceof ValidationError) {
          const errors = formErrors(
            error.errors.map((e) => ({ path: ['attended'], message: e.message })),
          );
          return renderRegister(reply, actor, eventId, { errors, ticked, status: 422 });
        }
        if (error instanceof ConflictError) {
          const errors = formErrors([{ path: ['attended'], message: error.message }]);
          return renderRegister(reply, actor, eventId, { errors, status: 409 });
        }
        throw error;
      }
    });
  });
}
