import { z } from 'zod';
import {
  changeReleaseLeadDays,
  getCohortSettings,
  setUpCohort,
} from '../../services/cohort-settings.js';
import { MAX_RELEASE_LEAD_DAYS } from '../../services/cohort-setup.js';
import { actorOf, type ApiModule } from './plugin.js';
import { Id, IdParam, IsoDate, PolicyDecision, readErrors, writeErrors } from './schemas.js';

/**
 * Cohort set-up (the programme team, as on Cohorts → Set up a cohort): create a cohort with its
 * generated schedule, read its settings and schedule, and change its release lead time (2.2.1.1).
 */
const CohortSettings = z
  .object({
    id: z.number(),
    name: z.string(),
    year: z.number(),
    programmeId: z.number(),
    course: z.string(),
    startDate: z.string(),
    engagementDeadline: z.string(),
    endDate: z.string(),
    isFinal: z.boolean(),
    contractEndDate: z.string().nullable(),
    releaseLeadDays: z.number(),
    modules: z.array(
      z.object({
        moduleId: z.number(),
        position: z.number(),
        title: z.string(),
        releaseDate: z.string(),
        idealWindowStart: z.string(),
        idealWindowEnd: z.string(),
      }),
    ),
    assessmentWindows: z.array(
      z.object({ sequenceNumber: z.number(), opensOn: z.string(), closesOn: z.string() }),
    ),
    events: z.number().describe('Clinic, community session and conference slots scheduled'),
  })
  .meta({ id: 'CohortSettings' });

const LeadDays = z
  .number()
  .int()
  .min(0)
  .max(MAX_RELEASE_LEAD_DAYS)
  .describe(
    `Days each module's content is released ahead of its ideal window (policy 2.2.1.1), 0 to ${MAX_RELEASE_LEAD_DAYS}`,
  );

const CreateCohort = z
  .object({
    programmeId: Id,
    startDate: IsoDate.describe("The day module 1's ideal window starts"),
    releaseLeadDays: LeadDays.optional().describe('Default 7'),
    clinicCapacity: z.number().int().min(1).max(9999).optional().describe('Default 20'),
    isFinal: z.boolean().optional(),
    contractEndDate: IsoDate.nullable().optional(),
    name: z.string().trim().min(1).max(200).optional().describe('Default: course code and year'),
  })
  .strict();

const tags = ['Cohorts'];

export const cohortsApi: ApiModule = (app, deps) => {
  app.post(
    '/cohorts',
    {
      schema: {
        tags,
        summary:
          'Set up a cohort with its generated schedule, checked by the calendar rules (programme team)',
        body: CreateCohort,
        response: { 201: CohortSettings, ...writeErrors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await setUpCohort(deps, actorOf(request), {
        programmeId: b.programmeId,
        startDate: b.startDate,
        ...(b.releaseLeadDays !== undefined ? { releaseLeadDays: b.releaseLeadDays } : {}),
        clinicCapacity: b.clinicCapacity ?? 20,
        isFinal: b.isFinal ?? false,
        contractEndDate: b.contractEndDate ?? null,
        name: b.name,
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/cohorts/:id',
    {
      schema: {
        tags,
        summary: 'A cohort’s settings and schedule (programme team)',
        params: IdParam,
        response: { 200: CohortSettings, ...readErrors },
      },
    },
    async (request) => getCohortSettings(deps, actorOf(request), request.params.id),
  );

  app.patch(
    '/cohorts/:id',
    {
      schema: {
        tags,
        summary:
          'Change a cohort’s release lead time, checked against its scheduled releases and windows (policy 2.2.1.1)',
        params: IdParam,
        body: z.object({ releaseLeadDays: LeadDays }).strict(),
        response: {
          200: z.object({ cohort: CohortSettings, changed: z.boolean(), decision: PolicyDecision }),
          ...writeErrors,
        },
      },
    },
    async (request) =>
      changeReleaseLeadDays(deps, actorOf(request), request.params.id, request.body),
  );
};
