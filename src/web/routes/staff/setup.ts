import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import {
  checkDraft,
  completeDraft,
  createCohort,
  generateCohortDraft,
  setupOptions,
  type CohortDraft,
  type DraftChecks,
  type DraftForm,
} from '../../../services/cohort-setup.js';
import { ValidationError } from '../../../services/errors.js';
import { formErrors, parseForm, type FormErrors } from '../../forms.js';
import { page, requireStaffPage, submit, withNotice, type FormFailure } from './support.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const optionalDate = (message: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().regex(ISO_DATE, message).optional(),
  );

const StartForm = z.object({
  programmeId: z
    .string({ message: 'Choose a programme' })
    .regex(/^\d{1,9}$/, 'Choose a programme')
    .transform(Number),
  startDate: z
    .string({ message: 'Enter the start date' })
    .trim()
    .min(1, 'Enter the start date')
    .regex(ISO_DATE, 'Enter the start date as a date, for example 2026-10-05'),
  clinicCapacity: z
    .string()
    .trim()
    .regex(/^\d{1,4}$/, 'Enter the places in each clinic slot as a whole number, like 20')
    .transform(Number)
    .pipe(z.number().min(1, 'Each clinic slot needs at least 1 place')),
  releaseLeadDays: z
    .string()
    .trim()
    .regex(/^\d{1,2}$/, 'Enter how many days ahead modules are released, from 0 to 28')
    .transform(Number)
    .pipe(z.number().max(28, 'Enter how many days ahead modules are released, from 0 to 28'))
    .optional(),
  isFinal: z.literal('yes').optional(),
  contractEndDate: optionalDate('Enter the contract end date as a date, for example 2028-03-31'),
});

type Body = Record<string, unknown>;
const str = (body: Body, key: string): string => {
  const v = body[key];
  return typeof v === 'string' ? v.trim() : '';
};
const count = (body: Body, key: string): number => {
  const n = Number(str(body, key));
  return Number.isInteger(n) && n >= 0 && n <= 500 ? n : 0;
};

/** The edit form is flat (release_0, event_3_date…); this reads it back into a draft form. */
export function readDraftForm(body: Body): DraftForm {
  const capacity = (v: string) => (/^\d{1,4}$/.test(v) ? Number(v) : v === '' ? null : -1);
  return {
    programmeId: Number(str(body, 'programmeId')) || 0,
    name: str(body, 'name'),
    startDate: str(body, 'startDate'),
    engagementDeadline: str(body, 'engagementDeadline'),
    endDate: str(body, 'endDate'),
    publishedOn: str(body, 'publishedOn'),
    isFinal: str(body, 'isFinal') === 'yes',
    contractEndDate: str(body, 'contractEndDate') || null,
    // Not given: the default week; anything but 0 to 28 whole days is a field error on the check.
    releaseLeadDays:
      str(body, 'releaseLeadDays') === ''
        ? null
        : /^\d{1,2}$/.test(str(body, 'releaseLeadDays'))
          ? Number(str(body, 'releaseLeadDays'))
          : Number.NaN,
    modules: Array.from({ length: count(body, 'moduleCount') }, (_, i) => ({
      moduleId: Number(str(body, `module_${i}`)) || 0,
      releaseDate: str(body, `release_${i}`),
      idealWindowStart: str(body, `window_start_${i}`),
    })),
    events: Array.from({ length: count(body, 'eventCount') }, (_, i) => ({
      activityId: Number(str(body, `event_${i}_activity`)) || 0,
      date: str(body, `event_${i}_date`),
      time: str(body, `event_${i}_time`),
      capacity: capacity(str(body, `event_${i}_capacity`)),
      location: str(body, `event_${i}_location`),
    })),
    windows: Array.from({ length: count(body, 'windowCount') }, (_, i) => ({
      opensOn: str(body, `window_${i}`),
    })),
  };
}

/** Events grouped by activity so each clinic or session is one fieldset of its slots. */
function groupEvents(draft: CohortDraft) {
  const groups: {
    title: string;
    kind: string;
    slots: (CohortDraft['events'][number] & { index: number })[];
  }[] = [];
  draft.events.forEach((e, index) => {
    const last = groups.at(-1);
    if (last && last.title === e.title) last.slots.push({ ...e, index });
    else groups.push({ title: e.title, kind: e.kind, slots: [{ ...e, index }] });
  });
  return groups;
}

function safeChecks(draft: CohortDraft): DraftChecks | null {
  try {
    return checkDraft(draft);
  } catch {
    return null;
  }
}

export function cohortSetupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const renderStart = async (
    reply: FastifyReply,
    actor: Actor,
    values: Body,
    errors: FormErrors | undefined,
    status = 200,
  ) => {
    const { programmes, register } = await setupOptions(deps, actor);
    return reply.code(status).view('staff/cohort-new.njk', {
      programmes,
      // The lead time of the version in force today is the default (2.2.1.1); a value sent is kept.
      values: { releaseLeadDays: String(register.parameters.moduleReleaseLeadDays), ...values },
      errors,
      policy: register.parameters,
    });
  };

  const renderSchedule = (
    reply: FastifyReply,
    draft: CohortDraft,
    failure: FormFailure | undefined,
    status = 200,
  ) =>
    reply.code(status).view('staff/cohort-schedule.njk', {
      draft,
      groups: groupEvents(draft),
      checks: safeChecks(draft),
      errors: failure?.errors,
      decision: failure?.decision,
    });

  app.get('/cohorts/new', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    return page(reply, () => renderStart(reply, actor, { clinicCapacity: '20' }, undefined));
  });

  /** Step 1 posts here: generate the schedule and show it for editing; nothing is saved yet. */
  app.post('/cohorts/new', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    return page(reply, async () => {
      const form = parseForm(StartForm, body);
      if (!form.ok) return renderStart(reply, actor, body, form.errors, 422);
      try {
        const draft = await generateCohortDraft(deps, actor, {
          programmeId: form.data.programmeId,
          startDate: form.data.startDate,
          clinicCapacity: form.data.clinicCapacity,
          ...(form.data.releaseLeadDays !== undefined
            ? { releaseLeadDays: form.data.releaseLeadDays }
            : {}),
          isFinal: form.data.isFinal === 'yes',
          contractEndDate: form.data.contractEndDate ?? null,
        });
        return renderSchedule(reply, draft, undefined);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const errors = formErrors(
          error.errors.map((e) => ({ path: [e.path], message: e.message })),
        );
        return renderStart(reply, actor, body, errors, 422);
      }
    });
  });

  /** Step 2: the edited schedule is checked by the policy and saved. */
  app.post('/cohorts', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const body = (request.body ?? {}) as Body;
    return page(reply, async () => {
      let draft: CohortDraft;
      try {
        draft = await completeDraft(deps, actor, readDraftForm(body));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const errors = formErrors(
          error.errors.map((e) => ({ path: [e.path], message: e.message })),
        );
        return renderStart(reply, actor, { clinicCapacity: '20' }, errors, 422);
      }
      return submit(
        reply,
        async () => {
          const { id } = await createCohort(deps, actor, draft);
          return withNotice(`/cohorts/${id}`, 'cohort-created');
        },
        (failure, status) => renderSchedule(reply, draft, failure, status),
      );
    });
  });
}
