import { z } from 'zod';
import {
  ASSIGNMENT_KINDS,
  assign,
  assignableStaff,
  listAssignments,
  unassign,
} from '../../services/assignments.js';
import { actorOf, type ApiModule } from './plugin.js';
import { Id, IdParam, IdString, Pagination, readErrors, writeErrors } from './schemas.js';

const Kind = z
  .enum(ASSIGNMENT_KINDS)
  .describe('coach: to a participant; assessor: to a cohort; facilitator: to a cohort event');

const Assignment = z
  .object({
    id: z.number(),
    kind: Kind,
    userId: z.number(),
    userName: z.string(),
    participantId: z.number().nullable(),
    cohortId: z.number().nullable(),
    cohortEventId: z.number().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'StaffAssignment' });

const AssignBody = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('coach'),
      userId: Id,
      participantId: Id.describe('An NPQEL or EHCO participant (policy 2.2.1.3)'),
    }),
    z.object({ kind: z.literal('assessor'), userId: Id, cohortId: Id }),
    z.object({ kind: z.literal('facilitator'), userId: Id, cohortEventId: Id }),
  ])
  .meta({ id: 'StaffAssignmentRequest' });

const tags = ['Assignments'];
const forbidden = { 403: writeErrors[403] };

/** Coaches, assessors and facilitators: who works with which participants, cohorts and events. */
export const assignmentsApi: ApiModule = (app, deps) => {
  app.get(
    '/assignments',
    {
      schema: {
        tags,
        summary: 'Assignments of one kind, optionally for one cohort (programme team, admin)',
        querystring: Pagination.extend({ kind: Kind, cohortId: IdString.optional() }),
        response: {
          200: z.object({ items: z.array(Assignment), total: z.number() }),
          ...readErrors,
          ...forbidden,
        },
      },
    },
    async (request) => listAssignments(deps, actorOf(request), request.query),
  );

  app.get(
    '/assignable-staff',
    {
      schema: {
        tags,
        summary: 'Active coaches, assessors or facilitators who can be assigned',
        querystring: z.object({ kind: Kind }),
        response: {
          200: z.object({
            items: z.array(z.object({ id: z.number(), name: z.string(), email: z.string() })),
          }),
          ...readErrors,
          ...forbidden,
        },
      },
    },
    async (request) => ({
      items: await assignableStaff(deps, actorOf(request), request.query.kind),
    }),
  );

  app.post(
    '/assignments',
    {
      schema: {
        tags,
        summary:
          'Assign a coach to a participant (replacing their coach), an assessor to a cohort or a facilitator to an event',
        body: AssignBody,
        response: { 201: Assignment, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await assign(deps, actorOf(request), request.body)),
  );

  app.delete(
    '/assignments/:id',
    {
      schema: {
        tags,
        summary: 'Remove an assignment; answers with the assignment removed',
        params: IdParam,
        response: { 200: Assignment, ...writeErrors },
      },
    },
    async (request) => unassign(deps, actorOf(request), request.params.id),
  );
};
