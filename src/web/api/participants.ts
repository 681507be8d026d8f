import { z } from 'zod';
import {
  getEnrolment,
  getParticipant,
  listCohorts,
  listParticipants,
} from '../../services/participants.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { IdParam, IdString, Pagination, PolicyDecision, readErrors } from './schemas.js';

const EnrolmentSummary = z.object({
  id: z.number(),
  cohortId: z.number(),
  cohortName: z.string(),
  deliveryPartner: z.string(),
  status: z.string(),
});

const ParticipantSummary = z
  .object({
    id: z.number(),
    fullName: z.string(),
    email: z.string(),
    trn: z.string().nullable(),
    enrolments: z.array(EnrolmentSummary),
  })
  .meta({ id: 'ParticipantSummary' });

const Participant = z
  .object({
    id: z.number(),
    fullName: z.string(),
    email: z.string(),
    trn: z.string().nullable(),
    dfeRegistrationId: z.string().nullable(),
    dfeRegistrationConfirmed: z.boolean(),
    employmentConfirmed: z.boolean(),
    fundingRoute: z.string(),
    workingPattern: z.string(),
    partTimeFraction: z.number().nullable(),
    currentSchool: z.object({ urn: z.string(), name: z.string() }).nullable(),
    employmentHistory: z.array(
      z.object({
        schoolUrn: z.string(),
        schoolName: z.string(),
        startedOn: z.string(),
        endedOn: z.string().nullable(),
      }),
    ),
    /** Send it back as expectedVersion when you change the record (409 if stale). */
    version: z.number(),
    enrolments: z.array(
      EnrolmentSummary.extend({
        commencedAt: z
          .string()
          .nullable()
          .describe('When the participant formally commenced (policy 2.3.2)'),
      }),
    ),
  })
  .meta({ id: 'Participant' });

const Cohort = z.object({
  id: z.number(),
  name: z.string(),
  year: z.number(),
  leadProviderId: z.number(),
  programmeId: z.number(),
  course: z.string(),
  startDate: z.string(),
  engagementDeadline: z.string(),
  endDate: z.string(),
  isFinal: z.boolean(),
  contractEndDate: z.string().nullable(),
});

const Enrolment = z
  .object({
    id: z.number(),
    participantId: z.number(),
    status: z.string(),
    deliveryPartner: z.string(),
    cohort: Cohort,
    deferralCount: z.number(),
    assessmentAttemptsUsed: z.number(),
    version: z.number(),
    commencedAt: z.string().nullable().describe('When it became active (policy 2.3.2)'),
    engagement: PolicyDecision,
  })
  .meta({ id: 'Enrolment' });

export const participantsApi: ApiModule = (app, deps) => {
  app.get(
    '/participants',
    {
      schema: {
        tags: ['Participants'],
        summary: 'Participants you may see',
        querystring: Pagination.extend({
          cohortId: IdString.optional(),
          q: z
            .string()
            .trim()
            .max(100)
            .regex(/^[^\p{Cc}]*$/u, 'Use letters, digits and punctuation only')
            .optional()
            .describe('Any part of the name, or the start of the TRN'),
        }),
        response: {
          200: z.object({ items: z.array(ParticipantSummary), total: z.number() }),
          401: ErrorBody,
        },
      },
    },
    async (request) => listParticipants(deps, actorOf(request), request.query),
  );

  app.get(
    '/participants/:id',
    {
      schema: {
        tags: ['Participants'],
        summary: 'A participant, their school history and enrolments',
        params: IdParam,
        response: { 200: Participant, ...readErrors },
      },
    },
    async (request) => getParticipant(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/enrolments/:id',
    {
      schema: {
        tags: ['Enrolments'],
        summary:
          'An enrolment with engagement against the engagement threshold in force today (90% in v2.2; policy 2.1.1)',
        params: IdParam,
        response: { 200: Enrolment, ...readErrors },
      },
    },
    async (request) => getEnrolment(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/cohorts',
    {
      schema: {
        tags: ['Cohorts'],
        summary: 'Cohorts you may see, with the number of your participants in each',
        response: {
          200: z.array(
            z.object({
              id: z.number(),
              name: z.string(),
              year: z.number(),
              course: z.string(),
              startDate: z.string(),
              engagementDeadline: z.string(),
              endDate: z.string(),
              isFinal: z.boolean(),
              participants: z.number(),
            }),
          ),
          401: ErrorBody,
        },
      },
    },
    async (request) => listCohorts(deps, actorOf(request)),
  );
};
