import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { arrayParam, queryRows, type Db } from '../../db/client.js';
import type { ActivityKind } from '../../domain/catalogue.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { enrolmentVisibleTo } from '../authorisation.js';
import { commenceDueInBulk } from '../commencement.js';
import { ValidationError, type FieldError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { requireIngestRole } from './ingest.js';
import {
  checkRow,
  insertRecords,
  type EngagementRow,
  type IngestRowInput,
  type Resolved,
  type ValidRow,
} from './ingest-rows.js';

type Executor = Pick<Db, 'execute'>;

const INGEST_CHUNK = 5_000;

/**
 * Validates rows and resolves participants and activities in a few set-based queries. A row about
 * a participant the actor cannot see is an error, reported as not found: nothing is written for it.
 * (xAPI statements; the bulk feeds use ingestEngagement's COPY path.)
 */
async function resolveRows(
  db: Executor,
  actor: Actor,
  input: readonly unknown[],
  now: Date,
): Promise<Resolved> {
  const errors: Resolved['errors'] = [];
  const valid: ValidRow[] = [];
  const nowMs = now.getTime();
  input.forEach((raw, index) => {
    const row = checkRow(raw, index, nowMs, errors);
    if (row) valid.push(row);
  });

  const keys = (by: ValidRow['ref']['by']) => [
    ...new Set(valid.filter((v) => v.ref.by === by).map((v) => v.ref.key)),
  ];
  const trns = keys('trn');
  const emails = keys('email');
  const ids = keys('id').map(Number);
  const found = await queryRows<{ id: number; trn: string | null; email: string }>(
    db,
    sql`select p.id, p.trn, lower(p.email) as email from participant p
        where p.trn = any(${arrayParam(trns)}::text[])
           or lower(p.email) = any(${arrayParam(emails)}::text[])
           or p.id = any(${arrayParam(ids)}::int[])`,
  );
  const byTrn = new Map(found.filter((f) => f.trn !== null).map((f) => [f.trn!, f.id]));
  const byEmail = new Map(found.map((f) => [f.email, f.id]));
  const byId = new Set(found.map((f) => f.id));
  const participantOf = (ref: ValidRow['ref']): number | undefined =>
    ref.by === 'trn'
      ? byTrn.get(ref.key)
      : ref.by === 'email'
        ? byEmail.get(ref.key)
        : byId.has(Number(ref.key))
          ? Number(ref.key)
          : undefined;

  // Programmes each participant is enrolled on, as far as the actor may see.
  const scope = await queryRows<{ participant_id: number; programme_id: number }>(
    db,
    sql`select distinct e.participant_id, c.programme_id from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = any(${arrayParam(found.map((f) => f.id))}::int[]) and (${enrolmentVisibleTo(actor)})`,
  );
  const visible = new Set(scope.map((s) => s.participant_id));
  const onProgramme = new Set(scope.map((s) => `${s.participant_id}:${s.programme_id}`));
  const activities = await queryRows<{ id: number; kind: ActivityKind; programme_id: number }>(
    db,
    sql`select id, kind, programme_id from programme_activity
        where id = any(${arrayParam([...new Set(valid.map((v) => v.activityId))])}::int[])`,
  );
  const activityById = new Map(activities.map((a) => [a.id, a]));

  const rows: EngagementRow[] = [];
  for (const v of valid) {
    const participantId = participantOf(v.ref);
    if (participantId === undefined || !visible.has(participantId)) {
      errors.push({
        index: v.index,
        field: 'participant',
        message: 'No participant of yours matches this',
      });
      continue;
    }
    const activity = activityById.get(v.activityId);
    if (!activity || !onProgramme.has(`${participantId}:${activity.programme_id}`)) {
      errors.push({
        index: v.index,
        field: 'activityId',
        message: "This activity is not part of the participant's programme",
      });
      continue;
    }
    if (v.kind !== undefined && v.kind !== activity.kind) {
      errors.push({
        index: v.index,
        field: 'kind',
        message: `This activity is a ${activity.kind}, not a ${v.kind}`,
      });
      continue;
    }
    rows.push({
      participantId,
      activityId: v.activityId,
      kind: activity.kind,
      occurredAt: v.occurredAt,
      source: v.source,
      sourceEventId: v.sourceEventId,
    });
  }
  errors.sort((a, b) => a.index - b.index);
  return { rows, errors };
}

export const XAPI_COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';
export const XAPI_ATTENDED = 'http://adlnet.gov/expapi/verbs/attended';
/** Our activity IRIs: `<base>/activities/<programme_activity id>`; any base is accepted. */
export const XAPI_ACTIVITY_BASE = 'https://npq-ops.example/activities/';
const XAPI_ACTIVITY_ID = /\/activities\/(\d{1,9})\/?$/;

const XapiStatement = z.looseObject({
  id: z.uuid({ message: 'Each statement needs an id (a UUID) so that re-sending it is safe' }),
  actor: z.looseObject({
    mbox: z
      .string({ message: 'The actor must be identified by mbox (mailto:<email>)' })
      .regex(/^mailto:[^@\s]+@[^@\s]+$/i, 'The actor must be identified by mbox (mailto:<email>)'),
  }),
  verb: z.looseObject({ id: z.string({ message: 'The verb needs an id' }) }),
  object: z.looseObject({
    id: z
      .string({ message: 'The object needs an id' })
      .regex(
        XAPI_ACTIVITY_ID,
        `The object id must be an activity IRI such as ${XAPI_ACTIVITY_BASE}<id>`,
      ),
  }),
  timestamp: z.iso
    .datetime({ offset: true, message: 'The timestamp must be an ISO 8601 date and time' })
    .optional(),
});

/**
 * xAPI statements with the completed and attended verbs. A batch is all or nothing, as an LRS
 * treats it; the statement id is the source event id, so a re-sent statement changes nothing.
 * `completed` is for study sessions; `attended` for clinics, community sessions, conferences and
 * coaching. Returns the statement ids in the order received.
 */
export async function recordXapiStatements(
  deps: ServiceDeps,
  actor: Actor,
  statements: readonly unknown[],
): Promise<string[]> {
  requireIngestRole(actor);
  const problems: FieldError[] = [];
  const rows: IngestRowInput[] = [];
  const verbs: string[] = [];
  const ids: string[] = [];
  const now = deps.clock.now();
  statements.forEach((raw, i) => {
    const parsed = XapiStatement.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ path: [i, ...issue.path].join('.'), message: issue.message });
      }
      return;
    }
    const s = parsed.data;
    if (s.verb.id !== XAPI_COMPLETED && s.verb.id !== XAPI_ATTENDED) {
      problems.push({
        path: `${i}.verb.id`,
        message: `Only the verbs ${XAPI_COMPLETED} and ${XAPI_ATTENDED} are recorded; ${s.verb.id} is not`,
      });
      return;
    }
    ids.push(s.id);
    verbs.push(s.verb.id);
    rows.push({
      participant: `email:${s.actor.mbox.slice('mailto:'.length)}`,
      activityId: Number(XAPI_ACTIVITY_ID.exec(s.object.id)![1]),
      occurredAt: s.timestamp ?? now.toISOString(),
      source: 'xapi',
      sourceEventId: s.id.toLowerCase(),
    });
  });
  if (problems.length > 0) throw new ValidationError(problems);

  const { rows: resolved, errors } = await resolveRows(deps.db, actor, rows, now);
  const xapiPath: Record<string, string> = {
    participant: 'actor.mbox',
    activityId: 'object.id',
    occurredAt: 'timestamp',
    kind: 'object.id',
  };
  for (const e of errors)
    problems.push({ path: `${e.index}.${xapiPath[e.field] ?? e.field}`, message: e.message });
  if (problems.length > 0) throw new ValidationError(problems);
  // With no errors, resolved rows are the statements in order.
  resolved.forEach((r, i) => {
    const completed = verbs[i] === XAPI_COMPLETED;
    if (completed !== (r.kind === 'study_session')) {
      problems.push({
        path: `${i}.verb.id`,
        message: completed
          ? `"completed" is for study sessions; this activity is a ${r.kind}, so use "attended"`
          : '"attended" is for clinics, community sessions, conferences and coaching; a study session is "completed"',
      });
    }
  });
  if (problems.length > 0) throw new ValidationError(problems);

  await deps.db.transaction(async (tx) => {
    for (let i = 0; i < resolved.length; i += INGEST_CHUNK) {
      const chunk = resolved.slice(i, i + INGEST_CHUNK);
      const n = await insertRecords(tx, chunk, now);
      await audit(tx, {
        what: 'XAPI_STATEMENTS_RECORDED',
        who: actor,
        subjectType: 'engagement_import',
        subjectId: `xapi:${chunk[0]!.sourceEventId}`,
        details: { statements: chunk.length, inserted: n, duplicates: chunk.length - n },
        at: now,
      });
    }
    await commenceDueInBulk(tx, {
      participantIds: [...new Set(resolved.map((r) => r.participantId))],
      who: actor,
      at: now,
      trigger: 'xapi_statements_recorded',
    });
  });
  return ids;
}
