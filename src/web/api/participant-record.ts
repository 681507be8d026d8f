import { z } from 'zod';
import { FUNDING_ROUTES, WORKING_PATTERNS } from '../../domain/catalogue.js';
import { recordCommencement } from '../../services/commencement.js';
import { editParticipant } from '../../services/participant-record/edit.js';
import { startOfProgramme } from '../../services/participant-record/start.js';
import { actorOf, type ApiModule } from './plugin.js';
import { Id, IdParam, writeErrors } from './schemas.js';

const ParticipantUpdate = z
  .object({
    participantId: z.number(),
    version: z.number(),
    changed: z.array(z.string()).describe('The fields whose value changed'),
    commencedEnrolmentIds: z
      .array(z.number())
      .describe('Enrolments that started (policy 2.3.2) because this change completed it'),
    dfeRegistrationConfirmed: z.boolean(),
    employmentConfirmed: z.boolean(),
  })
  .meta({ id: 'ParticipantUpdate' });

const Commencement = z
  .object({
    id: z.number(),
    status: z.string(),
    commencedAt: z.string(),
    version: z.number(),
  })
  .meta({ id: 'Commencement' });

const tags = ['Participants'];

/** Staff corrections to a participant's record, and recording the start of a programme (2.3.2). */
export const participantRecordApi: ApiModule = (app, deps) => {
  app.patch(
    '/participants/:id',
    {
      schema: {
        tags,
        summary:
          "Correct a participant's record: DfE registration and employment confirmations (policy 2.3.2), name, email, working pattern, funding route (staff)",
        params: IdParam,
        // Checked in the service, so that every problem answers 422 with the field it is about.
        body: z.object({
          expectedVersion: Id.describe('The participant version you read (409 if stale)'),
          fullName: z.string().optional(),
          email: z.string().optional().describe('Unique across participants, in any case'),
          workingPattern: z
            .string()
            .optional()
            .describe(`One of: ${WORKING_PATTERNS.join(', ')}`),
          partTimeFraction: z
            .number()
            .nullable()
            .optional()
            .describe('More than 0 and less than 1, for part time; full time clears it'),
          fundingRoute: z
            .string()
            .optional()
            .describe(`One of: ${FUNDING_ROUTES.join(', ')}`),
          dfeRegistrationConfirmed: z.boolean().optional(),
          employmentConfirmed: z.boolean().optional(),
        }),
        response: { 200: ParticipantUpdate, ...writeErrors },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const result = await editParticipant(deps, actor, request.params.id, request.body);
      const start = await startOfProgramme(deps, actor, request.params.id);
      return {
        ...result,
        dfeRegistrationConfirmed: start.dfeRegistrationConfirmed,
        employmentConfirmed: start.employmentConfirmed,
      };
    },
  );

  app.post(
    '/enrolments/:id/commence',
    {
      schema: {
        tags: ['Enrolments'],
        summary:
          'Record that an accepted participant has formally commenced their programme (policy 2.3.2): the enrolment becomes active (staff)',
        params: IdParam,
        body: z
          .object({
            note: z.string().max(4000).optional(),
            expectedVersion: Id.optional().describe(
              'The enrolment version you read (409 if stale)',
            ),
          })
          .default({}),
        response: { 200: Commencement, ...writeErrors },
      },
    },
    async (request) =>
      recordCommencement(deps, actorOf(request), {
        enrolmentId: request.params.id,
        note: request.body.note,
        expectedVersion: request.body.expectedVersion,
      }),
  );
};
