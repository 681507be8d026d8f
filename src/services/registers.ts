import { sql, type SQL } from 'drizzle-orm';
import { arrayParam, queryRows } from '../db/client.js';
import type { ActivityKind, WorkingPattern } from '../domain/catalogue.js';
import {
  evaluateClinicAttendance,
  londonDateOf,
  type ClinicAccommodation,
  type ClinicRecord,
  type Decision,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit, type AuditEntry } from './audit.js';
import { cohortVisibleTo, enrolmentVisibleTo } from './authorisation.js';
import { commenceDueInBulk } from './commencement.js';
import { attendanceEventId } from './engagement/attendance.js';
import { insertRecords } from './engagement/ingest-rows.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';
import { registerInForce } from './policy-register.js';
import type { Tx } from './withdrawals.js';

/**
 * Registers (issue 15): the facilitator assigned to a clinic, community session or conference, or
 * the delivery partner's staff, mark who attended, in bulk, on a phone. Saving a register writes
 * the same engagement evidence as the attendance API (source 'staff', one record per participant
 * and activity, so a retry lands once) and marks the bookings attended, set-based, in one
 * transaction; the enrolments it brings to the start of their programme commence (2.3.2).
 * Un-ticking someone removes the evidence this register wrote. A save after the first is a
 * correction, audited with who was added and removed, and flagged late when made more than a day
 * after the event ended. An event still without a register a day after it ended is a task for the
 * partner.
 */

const WRITERS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];
const REGISTER_KINDS: readonly ActivityKind[] = ['clinic', 'community_session', 'conference'];
/** Statuses on the programme: these can be marked as attending. */
const ATTENDING_STATUSES = ['accepted', 'active'];
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RegisterEvent {
  id: number;
  cohortId: number;
  cohortName: string;
  activityId: number;
  kind: ActivityKind;
  number: number;
  programmeId: number;
  title: string;
  startsAt: string;
  endsAt: string;
  location: string;
}

export interface RegisterRow {
  enrolmentId: number;
  participantId: number;
  fullName: string;
  booked: boolean;
  attended: boolean;
  /** Their attendance of this session is already recorded from another date: it counts once. */
  countedElsewhere: boolean;
}

export interface RegisterView {
  event: RegisterEvent;
  /** Null until the register is first saved. */
  taken: { at: string; byName: string; version: number } | null;
  /** Booked participants and anyone already marked as attending, by name. */
  rows: RegisterRow[];
  /** Others of the cohort on the programme, who can be added as walk-ins. */
  walkIns: { enrolmentId: number; fullName: string }[];
  /** The event has started, so attendance can be recorded. */
  open: boolean;
}

interface EventRow {
  id: number;
  cohort_id: number;
  cohort_name: string;
  activity_id: number;
  kind: ActivityKind;
  sequence_number: number;
  programme_id: number;
  title: string;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string;
  facilitator: boolean;
}

const iso = (v: string | Date) => new Date(v).toISOString();

/** The enrolments of the event's cohort this actor may put on its register. */
function rosterScope(actor: Actor, event: EventRow): SQL {
  return event.facilitator ? sql`true` : enrolmentVisibleTo(actor);
}

/** The event, if the actor may take its register: its facilitator, or staff who can see the cohort. */
async function loadEvent(
  db: Pick<Tx, 'execute'>,
  actor: Actor,
  cohortEventId: number,
  lock = false,
): Promise<EventRow> {
  const facilitator = sql`exists (select 1 from staff_assignment sa
      where sa.user_id = ${actor.userId} and sa.cohort_event_id = ce.id)`;
  const allowed =
    actor.role === 'facilitator'
      ? facilitator
      : WRITERS.includes(actor.role)
        ? cohortVisibleTo(actor)
        : sql`false`;
  const [row] = await queryRows<EventRow>(
    db,
    sql`select ce.id, ce.cohort_id, c.name as cohort_name, ce.activity_id, a.kind, a.sequence_number,
               a.programme_id, a.title, ce.starts_at, ce.ends_at, ce.location, ${facilitator} as facilitator
        from cohort_event ce join cohort c on c.id = ce.cohort_id
        join programme_activity a on a.id = ce.activity_id
        where ce.id = ${cohortEventId} and (${allowed})
        ${lock ? sql`for update of ce` : sql``}`,
  );
  if (!row || !REGISTER_KINDS.includes(row.kind)) throw new NotFoundError('Event not found');
  return row;
}

/** Who is on the register now: booked, or with attendance recorded for this event. */
async function roster(db: Pick<Tx, 'execute'>, actor: Actor, event: EventRow) {
  return queryRows<{
    enrolment_id: number;
    participant_id: number;
    full_name: string;
    status: string;
    booked: boolean;
    attended: boolean;
    staff_record: boolean;
    counted_elsewhere: boolean;
  }>(
    db,
    sql`select e.id as enrolment_id, e.participant_id, p.full_name, e.status,
               exists (select 1 from event_booking b where b.cohort_event_id = ${event.id}
                       and b.enrolment_id = e.id and b.status <> 'cancelled') as booked,
               (exists (select 1 from event_booking b where b.cohort_event_id = ${event.id}
                        and b.enrolment_id = e.id and b.status = 'attended')
                or exists (select 1 from engagement_record r where r.participant_id = e.participant_id
                           and r.activity_id = ${event.activity_id} and r.occurred_at = ${new Date(event.starts_at)})) as attended,
               exists (select 1 from engagement_record r where r.participant_id = e.participant_id
                       and r.activity_id = ${event.activity_id} and r.occurred_at = ${new Date(event.starts_at)}
                       and r.source = 'staff') as staff_record,
               exists (select 1 from engagement_record r where r.participant_id = e.participant_id
                       and r.activity_id = ${event.activity_id} and r.occurred_at <> ${new Date(event.starts_at)}) as counted_elsewhere
        from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where e.cohort_id = ${event.cohort_id} and (${rosterScope(actor, event)})
        order by p.full_name, e.id`,
  );
}

export async function getRegister(
  { db, clock }: ServiceDeps,
  actor: Actor,
  cohortEventId: number,
): Promise<RegisterView> {
  const event = await loadEvent(db, actor, cohortEventId);
  const people = await roster(db, actor, event);
  const [taken] = await queryRows<{ taken_at: string | Date; by_name: string; version: number }>(
    db,
    sql`select r.updated_at as taken_at, u.display_name as by_name, r.version
        from event_register r join app_user u on u.id = r.taken_by where r.cohort_event_id = ${event.id}`,
  );
  return {
    event: eventView(event),
    taken: taken
      ? { at: iso(taken.taken_at), byName: taken.by_name, version: taken.version }
      : null,
    rows: people
      .filter((p) => p.booked || p.attended)
      .map((p) => ({
        enrolmentId: p.enrolment_id,
        participantId: p.participant_id,
        fullName: p.full_name,
        booked: p.booked,
        attended: p.attended,
        countedElsewhere: p.counted_elsewhere,
      })),
    // Someone already counted for this session on another date needs no walk-in entry here.
    walkIns: people
      .filter(
        (p) =>
          !p.booked && !p.attended && !p.counted_elsewhere && ATTENDING_STATUSES.includes(p.status),
      )
      .map((p) => ({ enrolmentId: p.enrolment_id, fullName: p.full_name })),
    open: new Date(event.starts_at) <= clock.now(),
  };
}

function eventView(e: EventRow): RegisterEvent {
  return {
    id: e.id,
    cohortId: e.cohort_id,
    cohortName: e.cohort_name,
    activityId: e.activity_id,
    kind: e.kind,
    number: e.sequence_number,
    programmeId: e.programme_id,
    title: e.title,
    startsAt: iso(e.starts_at),
    endsAt: iso(e.ends_at),
    location: e.location,
  };
}

export interface SaveRegisterInput {
  cohortEventId: number;
  /** Everyone who attended: ticked bookings and added walk-ins. */
  attendedEnrolmentIds: readonly number[];
  /** The register version the page showed (0 before it was first taken); another is a 409. */
  expectedVersion: number;
}

export interface SaveRegisterResult {
  added: number;
  removed: number;
  /** Clinics attended out of order without an accommodation (2.2.1.2): not recorded. */
  refused: { enrolmentId: number; fullName: string; decision: Decision }[];
  correction: boolean;
  late: boolean;
  version: number;
}

/**
 * The clinic sequence (2.2.1.2) for everyone being added at once: one query finds, for each, the
 * previous clinic's attendance or its last date, and any accommodation agreed at booking.
 */
async function clinicDecisions(
  tx: Tx,
  event: EventRow,
  people: { enrolmentId: number; participantId: number; workingPattern: WorkingPattern }[],
) {
  const attendedOn = londonDateOf(new Date(event.starts_at));
  const n = event.sequence_number;
  // The clinic rules of the version in force on the day of the clinic.
  const register = await registerInForce(tx, attendedOn);
  const facts = await queryRows<{
    participant_id: number;
    previous_attended_on: string | null;
    previous_last_date: string | null;
    accommodation: ClinicAccommodation | null;
  }>(
    tx,
    sql`select u.pid as participant_id,
          (select min((r.occurred_at at time zone 'Europe/London')::date)::text from engagement_record r
             join programme_activity a on a.id = r.activity_id
            where r.participant_id = u.pid and a.programme_id = ${event.programme_id}
              and a.kind = 'clinic' and a.sequence_number = ${n - 1}) as previous_attended_on,
          (select max((ce.starts_at at time zone 'Europe/London')::date)::text from cohort_event ce
             join programme_activity a on a.id = ce.activity_id
            where ce.cohort_id = ${event.cohort_id} and a.kind = 'clinic' and a.sequence_number = ${n - 1}) as previous_last_date,
          (select ae.details->'accommodation' from event_booking b
             join audit_event ae on ae.subject_type = 'event_booking' and ae.subject_id = b.id::text
            where b.participant_id = u.pid and b.cohort_event_id = ${event.id} and b.status <> 'cancelled'
              and b.accommodation is not null and ae.details ? 'accommodation'
              and ae.details->'accommodation' <> 'null'::jsonb
            order by ae.id desc limit 1) as accommodation
        from unnest(${arrayParam(people.map((p) => p.participantId))}::int[]) as u(pid)`,
  );
  const byParticipant = new Map(facts.map((f) => [f.participant_id, f]));
  return people.map((p) => {
    const f = byParticipant.get(p.participantId);
    const history: ClinicRecord[] = [];
    if (f?.previous_attended_on) {
      history.push({ clinicNumber: n - 1, status: 'attended', on: f.previous_attended_on });
    } else if (f?.previous_last_date && f.previous_last_date < attendedOn) {
      history.push({ clinicNumber: n - 1, status: 'missed', on: f.previous_last_date });
    }
    const decision = evaluateClinicAttendance(
      {
        clinicNumber: n,
        attendedOn,
        history,
        workingPattern: p.workingPattern,
        ...(f?.accommodation ? { accommodation: f.accommodation } : {}),
      },
      register,
    );
    return { ...p, decision };
  });
}

export async function saveRegister(
  deps: ServiceDeps,
  actor: Actor,
  input: SaveRegisterInput,
): Promise<SaveRegisterResult> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const event = await loadEvent(tx, actor, input.cohortEventId, true);
    const startsAt = new Date(event.starts_at);
    if (startsAt > now) {
      throw new ValidationError([
        {
          path: 'attended',
          message: 'This event has not started yet: take the register once it has.',
        },
      ]);
    }
    const [existing] = await queryRows<{ id: number; version: number }>(
      tx,
      sql`select id, version from event_register where cohort_event_id = ${event.id} for update`,
    );
    if ((existing?.version ?? 0) !== input.expectedVersion) {
      throw new ConflictError(
        'Someone else saved this register while you had it open. Check it again and make your changes.',
      );
    }
    const people = await roster(tx, actor, event);
    const byEnrolment = new Map(people.map((p) => [p.enrolment_id, p]));
    const wanted = new Set(input.attendedEnrolmentIds);
    const unknown = [...wanted].filter((id) => !byEnrolment.has(id));
    if (unknown.length > 0) throw new NotFoundError('Enrolment not found');

    const adding = [...wanted].map((id) => byEnrolment.get(id)!).filter((p) => !p.attended);
    const notOnProgramme = adding.filter((p) => !ATTENDING_STATUSES.includes(p.status));
    if (notOnProgramme.length > 0) {
      throw new ValidationError([
        {
          path: 'attended',
          message: `${notOnProgramme.map((p) => p.full_name).join(', ')} ${notOnProgramme.length === 1 ? 'is' : 'are'} not on the programme now, so cannot be marked as attending.`,
        },
      ]);
    }
    // Only evidence this register (or the attendance API) wrote is taken away on a correction.
    const removing = people.filter(
      (p) => p.attended && p.staff_record && !wanted.has(p.enrolment_id),
    );

    let refused: SaveRegisterResult['refused'] = [];
    let allowed = adding;
    if (event.kind === 'clinic' && adding.length > 0) {
      const patterns = await queryRows<{ id: number; working_pattern: WorkingPattern }>(
        tx,
        sql`select id, working_pattern from participant where id = any(${arrayParam(adding.map((p) => p.participant_id))}::int[])`,
      );
      const patternOf = new Map(patterns.map((p) => [p.id, p.working_pattern]));
      const decided = await clinicDecisions(
        tx,
        event,
        adding.map((p) => ({
          enrolmentId: p.enrolment_id,
          participantId: p.participant_id,
          workingPattern: patternOf.get(p.participant_id) ?? 'full_time',
        })),
      );
      const refusedIds = new Set(
        decided.filter((d) => d.decision.outcome !== 'allowed').map((d) => d.enrolmentId),
      );
      refused = decided
        .filter((d) => refusedIds.has(d.enrolmentId))
        .map((d) => ({
          enrolmentId: d.enrolmentId,
          fullName: byEnrolment.get(d.enrolmentId)!.full_name,
          decision: d.decision,
        }));
      allowed = adding.filter((p) => !refusedIds.has(p.enrolment_id));
    }

    const addedIds = allowed.map((p) => p.participant_id);
    await insertRecords(
      tx,
      allowed.map((p) => ({
        participantId: p.participant_id,
        activityId: event.activity_id,
        kind: event.kind,
        occurredAt: startsAt,
        source: 'staff' as const,
        sourceEventId: attendanceEventId(p.participant_id, event.activity_id),
      })),
      now,
    );
    await tx.execute(
      sql`update event_booking set status = 'attended'
          where cohort_event_id = ${event.id} and status = 'booked'
            and participant_id = any(${arrayParam(addedIds)}::int[])`,
    );
    const removedIds = removing.map((p) => p.participant_id);
    if (removedIds.length > 0) {
      await tx.execute(
        sql`delete from engagement_record
            where activity_id = ${event.activity_id} and source = 'staff' and occurred_at = ${startsAt}
              and participant_id = any(${arrayParam(removedIds)}::int[])`,
      );
      await tx.execute(
        sql`update event_booking set status = 'booked'
            where cohort_event_id = ${event.id} and status = 'attended'
              and participant_id = any(${arrayParam(removedIds)}::int[])`,
      );
    }

    const version = (existing?.version ?? 0) + 1;
    if (existing) {
      await tx.execute(
        sql`update event_register set version = ${version}, updated_at = ${now}, taken_by = ${actor.userId}
            where id = ${existing.id}`,
      );
    } else {
      await tx.execute(
        sql`insert into event_register (cohort_event_id, taken_by, taken_at, updated_at, version)
            values (${event.id}, ${actor.userId}, ${now}, ${now}, 1)`,
      );
    }
    const correction = existing !== undefined;
    const late = now.getTime() - new Date(event.ends_at).getTime() > DAY_MS;
    const entries: AuditEntry[] = [
      {
        what: correction ? 'REGISTER_CORRECTED' : 'REGISTER_TAKEN',
        who: actor,
        subjectType: 'cohort_event',
        subjectId: event.id,
        details: {
          version,
          late,
          added: allowed.map((p) => p.enrolment_id),
          removed: removing.map((p) => p.enrolment_id),
          refused: refused.map((r) => r.enrolmentId),
        },
        at: now,
      },
      // On each participant's own trail too, so their audit log shows the change and who made it.
      ...allowed.map((p) => ({
        what: 'ATTENDANCE_RECORDED',
        who: actor,
        subjectType: 'enrolment',
        subjectId: p.enrolment_id,
        details: {
          enrolmentId: p.enrolment_id,
          cohortEventId: event.id,
          activityId: event.activity_id,
          kind: event.kind,
          via: 'register',
          correction,
          late,
        },
        at: now,
      })),
      ...removing.map((p) => ({
        what: 'ATTENDANCE_REMOVED',
        who: actor,
        subjectType: 'enrolment',
        subjectId: p.enrolment_id,
        details: {
          enrolmentId: p.enrolment_id,
          cohortEventId: event.id,
          activityId: event.activity_id,
          via: 'register',
          late,
        },
        at: now,
      })),
    ];
    await audit(tx, ...entries);
    await commenceDueInBulk(tx, {
      participantIds: addedIds,
      who: actor,
      at: now,
      trigger: 'attendance_recorded',
    });
    return {
      added: allowed.length,
      removed: removing.length,
      refused,
      correction,
      late,
      version,
    };
  });
}

export interface RegisterListItem {
  cohortEventId: number;
  cohortName: string;
  title: string;
  kind: ActivityKind;
  startsAt: string;
  endsAt: string;
  location: string;
  booked: number;
  takenAt: string | null;
  /** Ended more than a day ago and still no register. */
  overdue: boolean;
}

function listSql(actor: Actor, where: SQL): SQL {
  const allowed =
    actor.role === 'facilitator'
      ? sql`exists (select 1 from staff_assignment sa where sa.user_id = ${actor.userId} and sa.cohort_event_id = ce.id)`
      : WRITERS.includes(actor.role)
        ? cohortVisibleTo(actor)
        : sql`false`;
  return sql`select ce.id, c.name as cohort_name, a.title, a.kind, ce.starts_at, ce.ends_at, ce.location,
                    (select count(*)::int from event_booking b where b.cohort_event_id = ce.id and b.status <> 'cancelled') as booked,
                    r.updated_at as taken_at
             from cohort_event ce join cohort c on c.id = ce.cohort_id
             join programme_activity a on a.id = ce.activity_id
             left join event_register r on r.cohort_event_id = ce.id
             where a.kind in ('clinic', 'community_session', 'conference') and (${allowed}) and ${where}`;
}

interface ListRow {
  id: number;
  cohort_name: string;
  title: string;
  kind: ActivityKind;
  starts_at: string | Date;
  ends_at: string | Date;
  location: string;
  booked: number;
  taken_at: string | Date | null;
}

function listItem(r: ListRow, now: Date): RegisterListItem {
  return {
    cohortEventId: r.id,
    cohortName: r.cohort_name,
    title: r.title,
    kind: r.kind,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    location: r.location,
    booked: r.booked,
    takenAt: r.taken_at === null ? null : iso(r.taken_at),
    overdue: r.taken_at === null && now.getTime() - new Date(r.ends_at).getTime() > DAY_MS,
  };
}

/** Events whose register the actor may take: the last fortnight and the coming week. */
export async function listRegisters(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<RegisterListItem[]> {
  const now = clock.now();
  const from = new Date(now.getTime() - 14 * DAY_MS);
  const to = new Date(now.getTime() + 7 * DAY_MS);
  const rows = await queryRows<ListRow>(
    db,
    sql`${listSql(actor, sql`ce.starts_at between ${from} and ${to}`)} order by ce.starts_at, ce.id limit 200`,
  );
  return rows.map((r) => listItem(r, now));
}

/**
 * The task list's registers: events that ended more than a day ago (within the last 90 days) with
 * no register, and someone still booked whose attendance is not recorded.
 */
export async function overdueRegisters(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<RegisterListItem[]> {
  const now = clock.now();
  const dayAgo = new Date(now.getTime() - DAY_MS);
  const since = new Date(now.getTime() - 90 * DAY_MS);
  const rows = await queryRows<ListRow>(
    db,
    sql`${listSql(
      actor,
      sql`r.id is null and ce.ends_at < ${dayAgo} and ce.ends_at >= ${since}
          and exists (select 1 from event_booking b join enrolment e on e.id = b.enrolment_id
                      where b.cohort_event_id = ce.id and b.status = 'booked'
                        and (${actor.role === 'facilitator' ? sql`true` : enrolmentVisibleTo(actor)}))`,
    )} order by ce.ends_at, ce.id limit 200`,
  );
  return rows.map((r) => listItem(r, now));
}
