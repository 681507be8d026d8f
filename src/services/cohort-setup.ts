/**
 * Setting up a cohort: its dated schedule is generated from a start date (module releases each
 * half term with the ideal two-week window, clinic slots with a capacity, community sessions,
 * conferences, the engagement deadline and the assessment windows, as long as the version in force says), shown to the programme team to
 * edit, checked against the policy's calendar rules and saved in one transaction.
 *
 * Generation reuses the seed's academic-year pattern (cohortSchedule) and moves it so module 1's
 * ideal window starts on the chosen start date: one source for what a cohort's year looks like.
 * Each module's content is released the cohort's lead time (a week unless set) before its window
 * (2.2.1.1, released ahead of schedule), and the check compares each release with its own window.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../db/client.js';
import { PROGRAMME_PLANS } from '../db/seed/catalogue.js';
import { londonDateTime, londonInstant } from '../domain/london-time.js';

export { londonDateTime, londonInstant };
import { cohortSchedule, DAY, IDEAL_WINDOW_DAYS, RELEASE_LEAD_DAYS } from '../db/seed/schedule.js';
import type { ActivityKind } from '../domain/catalogue.js';
import {
  addDays,
  assessmentWindowClosesOn,
  evaluateEventNotice,
  evaluateModuleReleaseSchedule,
  formatLongDate,
  londonDateOf,
  isIsoDate,
  type Decision,
  type PolicyRegister,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { registerInForce } from './policy-register.js';
import { ForbiddenError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

const SETUP_ROLES: readonly Actor['role'][] = ['programme_team', 'admin'];

export function requireCohortSetup(actor: Actor): void {
  if (!SETUP_ROLES.includes(actor.role)) {
    throw new ForbiddenError('Only the programme team can set up cohorts.');
  }
}

export interface ProgrammeOption {
  id: number;
  name: string;
  courseIdentifier: string;
}

/**
 * The set-up form's choices, with the version in force today: a draft made today takes its
 * threshold, window length and lead time (2.1.1, 2.2.1.5, 2.2.1.1), so the form says them.
 */
export async function setupOptions(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<{ programmes: ProgrammeOption[]; register: PolicyRegister }> {
  requireCohortSetup(actor);
  const [programmes, register] = await Promise.all([
    queryRows<{ id: number; name: string; identifier: string }>(
      db,
      sql`select p.id, p.name || ' (' || co.code || ', ' || p.version || ')' as name, co.identifier
          from programme p join course co on co.id = p.course_id order by co.name, p.version`,
    ),
    registerInForce(db, londonDateOf(clock.now())),
  ]);
  return {
    register,
    programmes: programmes.map((p) => ({
      id: p.id,
      name: p.name,
      courseIdentifier: p.identifier,
    })),
  };
}

export interface DraftModule {
  moduleId: number;
  position: number;
  title: string;
  /** Released ahead of its window (2.2.1.1): by default the cohort's lead time before it. */
  releaseDate: string;
  idealWindowStart: string;
  idealWindowEnd: string;
}

export interface DraftEvent {
  activityId: number;
  kind: Exclude<ActivityKind, 'study_session' | 'coaching'>;
  title: string;
  /** London local date and time: what staff read and edit. */
  date: string;
  time: string;
  minutes: number;
  capacity: number | null;
  location: string;
}

export interface DraftWindow {
  opensOn: string;
  closesOn: string;
}

export interface CohortDraft {
  programmeId: number;
  programmeName: string;
  year: number;
  name: string;
  startDate: string;
  engagementDeadline: string;
  endDate: string;
  publishedOn: string;
  isFinal: boolean;
  contractEndDate: string | null;
  /** Days each module's content is released before its ideal window (2.2.1.1); 0 to 28. */
  releaseLeadDays: number;
  modules: DraftModule[];
  events: DraftEvent[];
  windows: DraftWindow[];
  /**
   * The policy version in force on the day the draft is made (never from the form): its notice
   * periods (2.1.3) and module release lead time (2.2.1.1) are the ones the draft is checked against.
   */
  register: PolicyRegister;
}

export interface DraftChecks {
  releases: Decision;
  /** One per event and window whose notice the policy finds too short. */
  notices: { label: string; decision: Decision }[];
  noticesChecked: number;
  ok: boolean;
}

/** A week, unless the programme team sets another lead time for the cohort. */
export const DEFAULT_RELEASE_LEAD_DAYS = RELEASE_LEAD_DAYS;
export const MAX_RELEASE_LEAD_DAYS = 28;

export interface GenerateInput {
  programmeId: number;
  startDate: string;
  releaseLeadDays?: number;
  clinicCapacity: number;
  isFinal: boolean;
  contractEndDate: string | null;
}

/** The academic year a start date belongs to: September to August. */
export function academicYearOf(date: string): number {
  const year = Number(date.slice(0, 4));
  return Number(date.slice(5, 7)) >= 8 ? year : year - 1;
}

const isoOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function loadProgramme(db: ServiceDeps['db'], programmeId: number) {
  const [programme] = await queryRows<{
    id: number;
    name: string;
    identifier: string;
    code: string;
  }>(
    db,
    sql`select p.id, p.name, co.identifier, co.code from programme p join course co on co.id = p.course_id
        where p.id = ${programmeId}`,
  );
  if (!programme) throw new NotFoundError('Programme not found');
  const activities = await queryRows<{
    id: number;
    kind: ActivityKind;
    position: number;
    title: string;
    planned_minutes: number;
  }>(
    db,
    sql`select id, kind, position, title, planned_minutes from programme_activity
        where programme_id = ${programmeId} order by position`,
  );
  const modules = await queryRows<{ id: number; position: number; title: string }>(
    db,
    sql`select id, position, title from programme_module where programme_id = ${programmeId} order by position`,
  );
  return { programme, activities, modules };
}

/** The editable draft for a programme from a start date; nothing is saved. */
export async function generateCohortDraft(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: GenerateInput,
): Promise<CohortDraft> {
  requireCohortSetup(actor);
  const today = londonDateOf(clock.now());
  const startProblem = cohortStartProblem(input.startDate, today);
  if (startProblem) throw new ValidationError([{ path: 'startDate', message: startProblem }]);
  // A cohort takes the lead time of the version in force the day it is set up (2.2.1.1).
  const register = await registerInForce(db, today);
  const lead = input.releaseLeadDays ?? register.parameters.moduleReleaseLeadDays;
  if (!Number.isInteger(lead) || lead < 0 || lead > MAX_RELEASE_LEAD_DAYS) {
    throw new ValidationError([
      {
        path: 'releaseLeadDays',
        message: `Enter how many days ahead modules are released, from 0 to ${MAX_RELEASE_LEAD_DAYS}`,
      },
    ]);
  }
  const { programme, activities, modules } = await loadProgramme(db, input.programmeId);
  const plan = PROGRAMME_PLANS.find((p) => p.course.identifier === programme.identifier);
  if (!plan) throw new NotFoundError('Programme not found');
  const year = academicYearOf(input.startDate);
  const schedule = cohortSchedule(plan, year, input.clinicCapacity);
  const shift = Date.parse(`${input.startDate}T00:00:00Z`) - schedule.releases[0]!;
  const shiftDay = (iso: string) => addDays(iso, Math.round(shift / DAY));
  const activityByPosition = new Map(activities.map((a) => [a.position, a]));
  const moduleByPosition = new Map(modules.map((m) => [m.position, m]));

  const draftModules = schedule.releases.map((release, i) => {
    const m = moduleByPosition.get(i + 1);
    if (!m)
      throw new ValidationError([
        { path: 'programmeId', message: 'The programme has fewer modules than its plan' },
      ]);
    // The half-term date is when the cohort is scheduled to start the module: its ideal window.
    const on = isoOf(release + shift);
    return {
      moduleId: m.id,
      position: m.position,
      title: m.title,
      releaseDate: addDays(on, -lead),
      idealWindowStart: on,
      idealWindowEnd: addDays(on, IDEAL_WINDOW_DAYS),
    };
  });
  const events: DraftEvent[] = [];
  for (const scheduled of schedule.activities) {
    const a = activityByPosition.get(scheduled.activity.position);
    if (!a || a.kind !== scheduled.activity.kind) {
      throw new ValidationError([
        { path: 'programmeId', message: 'The programme’s activities do not match its plan' },
      ]);
    }
    for (const slot of scheduled.slots) {
      // Move the London date and keep the London time, so 3:30pm stays 3:30pm across a clock change.
      const local = londonDateTime(slot.startsAt);
      const at = { date: shiftDay(local.date), time: local.time };
      events.push({
        activityId: a.id,
        kind: a.kind as DraftEvent['kind'],
        title: a.title,
        date: at.date,
        time: at.time,
        minutes: Math.round((slot.endsAt - slot.startsAt) / 60_000),
        capacity: slot.capacity,
        location: slot.location,
      });
    }
  }
  return {
    programmeId: programme.id,
    programmeName: programme.name,
    year,
    name: `${programme.code} ${year}`,
    startDate: draftModules[0]?.idealWindowStart ?? input.startDate,
    engagementDeadline: shiftDay(schedule.engagementDeadline),
    endDate: shiftDay(schedule.endDate),
    publishedOn: shiftDay(schedule.publishedOn),
    isFinal: input.isFinal,
    contractEndDate: input.contractEndDate,
    releaseLeadDays: lead,
    register,
    modules: draftModules,
    events,
    windows: schedule.assessmentWindows.map((w) => ({
      opensOn: shiftDay(w.opensOn),
      closesOn: assessmentWindowClosesOn(shiftDay(w.opensOn), register),
    })),
  };
}

/** What staff post back from the edit form; titles, kinds and lengths come from the catalogue. */
export interface DraftForm {
  programmeId: number;
  name: string;
  startDate: string;
  engagementDeadline: string;
  endDate: string;
  publishedOn: string;
  isFinal: boolean;
  contractEndDate: string | null;
  /** Null when not given: the default lead time. NaN or out of range is a field error. */
  releaseLeadDays: number | null;
  /** The ideal window start; when not given, the release date plus the lead time. */
  modules: { moduleId: number; releaseDate: string; idealWindowStart?: string }[];
  events: {
    activityId: number;
    date: string;
    time: string;
    capacity: number | null;
    location: string;
  }[];
  windows: { opensOn: string }[];
}

/** Rebuilds a full draft from the posted form, never trusting the form for what the catalogue says. */
export async function completeDraft(
  { db, clock }: ServiceDeps,
  actor: Actor,
  form: DraftForm,
): Promise<CohortDraft> {
  requireCohortSetup(actor);
  const { programme, activities, modules } = await loadProgramme(db, form.programmeId);
  const activityById = new Map(activities.map((a) => [a.id, a]));
  const moduleById = new Map(modules.map((m) => [m.id, m]));
  const register = await registerInForce(db, londonDateOf(clock.now()));
  const lead = form.releaseLeadDays ?? register.parameters.moduleReleaseLeadDays;
  const draftModules = form.modules.map((m) => {
    const known = moduleById.get(m.moduleId);
    if (!known)
      throw new ValidationError([
        { path: 'programmeId', message: 'The schedule does not belong to this programme' },
      ]);
    const windowStart =
      m.idealWindowStart !== undefined && m.idealWindowStart !== ''
        ? m.idealWindowStart
        : isIsoDate(m.releaseDate) && Number.isInteger(lead)
          ? addDays(m.releaseDate, lead)
          : '';
    return {
      moduleId: known.id,
      position: known.position,
      title: known.title,
      releaseDate: m.releaseDate,
      idealWindowStart: windowStart,
      idealWindowEnd: isIsoDate(windowStart) ? addDays(windowStart, IDEAL_WINDOW_DAYS) : '',
    };
  });
  const events = form.events.map((e): DraftEvent => {
    const a = activityById.get(e.activityId);
    if (!a || a.kind === 'study_session' || a.kind === 'coaching') {
      throw new ValidationError([
        { path: 'programmeId', message: 'The schedule does not belong to this programme' },
      ]);
    }
    return {
      activityId: a.id,
      kind: a.kind,
      title: a.title,
      date: e.date,
      time: e.time,
      minutes: a.planned_minutes,
      capacity: a.kind === 'clinic' ? e.capacity : null,
      location: e.location.trim() || 'Online',
    };
  });
  return {
    programmeId: programme.id,
    programmeName: programme.name,
    year: isIsoDate(form.startDate) ? academicYearOf(form.startDate) : 0,
    name: form.name,
    startDate: form.startDate,
    engagementDeadline: form.engagementDeadline,
    endDate: form.endDate,
    publishedOn: form.publishedOn,
    isFinal: form.isFinal,
    contractEndDate: form.contractEndDate,
    releaseLeadDays: lead,
    register,
    modules: draftModules,
    events,
    windows: form.windows.map((w) => ({
      opensOn: w.opensOn,
      closesOn: isIsoDate(w.opensOn) ? assessmentWindowClosesOn(w.opensOn, register) : '',
    })),
  };
}

/**
 * Released ahead of schedule (2.2.1.1): each module's release against its own ideal window and the
 * lead time. Set-up checks a draft with it; a change of lead time checks the cohort's releases.
 */
export function releaseScheduleDecision(
  modules: readonly {
    moduleId: number;
    position: number;
    releaseDate: string;
    idealWindowStart: string;
  }[],
  leadDays: number,
  register?: PolicyRegister,
): Decision {
  return evaluateModuleReleaseSchedule(
    modules.map((m) => ({
      id: String(m.moduleId),
      sequence: m.position,
      title: `Module ${m.position}`,
      releasedOn: m.releaseDate,
      scheduledStartOn: m.idealWindowStart,
    })),
    register,
    { leadDays },
  );
}

/** The policy's calendar rules over a draft: releases ahead and in order, dates shared in time. */
export function checkDraft(draft: CohortDraft): DraftChecks {
  // Released ahead of schedule (2.2.1.1): each release against its own ideal window and lead time.
  const releases = releaseScheduleDecision(draft.modules, draft.releaseLeadDays, draft.register);
  const checks = [
    ...draft.events.map((e) => ({
      label: `${e.title}, ${e.date}`,
      decision: evaluateEventNotice(
        {
          kind: e.kind,
          eventOn: e.date,
          publishedOn: draft.publishedOn,
          inPerson: e.location !== 'Online',
        },
        draft.register,
      ),
    })),
    ...draft.windows.map((w, i) => ({
      label: `Assessment window ${i + 1}, ${w.opensOn}`,
      decision: evaluateEventNotice(
        {
          kind: 'assessment_window',
          eventOn: w.opensOn,
          publishedOn: draft.publishedOn,
        },
        draft.register,
      ),
    })),
  ];
  const notices = checks.filter((c) => c.decision.outcome !== 'met');
  return {
    releases,
    notices,
    noticesChecked: checks.length,
    ok: releases.outcome === 'met' && notices.length === 0,
  };
}

/** How far from today a cohort may start: a typo such as 1900 or 2099 is refused. */
export const COHORT_START_SENSE_YEARS = 3;

/** A cohort start a person typed makes sense: a real date within a few years of today. */
export function cohortStartProblem(startDate: string, today: string): string | null {
  if (!isIsoDate(startDate)) return 'Enter a real start date';
  const earliest = addDays(today, -365 * COHORT_START_SENSE_YEARS);
  const latest = addDays(today, 365 * COHORT_START_SENSE_YEARS);
  if (startDate < earliest || startDate > latest) {
    return `The start date must be within ${COHORT_START_SENSE_YEARS} years of today (${formatLongDate(earliest)} to ${formatLongDate(latest)})`;
  }
  return null;
}

/** Field problems the database would otherwise refuse less helpfully. */
function validateDraft(draft: CohortDraft, today: string): void {
  const errors: { path: string; message: string }[] = [];
  const dates: [string, string][] = [
    ['startDate', draft.startDate],
    ['engagementDeadline', draft.engagementDeadline],
    ['endDate', draft.endDate],
    ['publishedOn', draft.publishedOn],
  ];
  for (const [path, d] of dates)
    if (!isIsoDate(d)) errors.push({ path, message: 'Enter a real date' });
  if (draft.contractEndDate !== null && !isIsoDate(draft.contractEndDate)) {
    errors.push({ path: 'contractEndDate', message: 'Enter a real contract end date' });
  }
  if (errors.length === 0) {
    const startProblem = cohortStartProblem(draft.startDate, today);
    if (startProblem) errors.push({ path: 'startDate', message: startProblem });
    if (!(draft.startDate < draft.engagementDeadline)) {
      errors.push({
        path: 'engagementDeadline',
        message: 'The engagement deadline must be after the start date',
      });
    }
    if (!(draft.engagementDeadline <= draft.endDate)) {
      errors.push({
        path: 'endDate',
        message: 'The end date must be on or after the engagement deadline',
      });
    }
  }
  if (
    !Number.isInteger(draft.releaseLeadDays) ||
    draft.releaseLeadDays < 0 ||
    draft.releaseLeadDays > MAX_RELEASE_LEAD_DAYS
  ) {
    errors.push({
      path: 'releaseLeadDays',
      message: `Enter how many days ahead modules are released, from 0 to ${MAX_RELEASE_LEAD_DAYS}`,
    });
  }
  draft.modules.forEach((m, i) => {
    if (!isIsoDate(m.releaseDate))
      errors.push({
        path: `release_${i}`,
        message: `Enter a real release date for module ${m.position}`,
      });
    if (!isIsoDate(m.idealWindowStart))
      errors.push({
        path: `window_start_${i}`,
        message: `Enter a real date for the start of module ${m.position}'s ideal window`,
      });
  });
  draft.events.forEach((e, i) => {
    if (!isIsoDate(e.date))
      errors.push({ path: `event_${i}_date`, message: `Enter a real date for ${e.title}` });
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(e.time))
      errors.push({ path: `event_${i}_time`, message: `Enter a time like 15:30 for ${e.title}` });
    if (
      e.kind === 'clinic' &&
      (e.capacity === null || !Number.isInteger(e.capacity) || e.capacity < 1)
    ) {
      errors.push({
        path: `event_${i}_capacity`,
        message: `Enter how many places ${e.title} has (1 or more)`,
      });
    }
  });
  draft.windows.forEach((w, i) => {
    if (!isIsoDate(w.opensOn)) {
      errors.push({
        path: `window_${i}`,
        message: `Enter a real opening date for assessment window ${i + 1}`,
      });
    } else if (isIsoDate(draft.engagementDeadline) && w.opensOn <= draft.engagementDeadline) {
      errors.push({
        path: `window_${i}`,
        message: `Assessment window ${i + 1} must open after the engagement deadline`,
      });
    }
  });
  if (draft.name.trim() === '')
    errors.push({ path: 'name', message: 'Enter a name for the cohort' });
  if (errors.length > 0) throw new ValidationError(errors);
}

/**
 * Saves the cohort and its schedule in one transaction. The policy's calendar rules must be met;
 * a second cohort of the programme in the same year is refused on the start date field.
 */
export async function createCohort(
  { db, clock }: ServiceDeps,
  actor: Actor,
  draft: CohortDraft,
): Promise<{ id: number }> {
  requireCohortSetup(actor);
  validateDraft(draft, londonDateOf(clock.now()));
  const checks = checkDraft(draft);
  if (checks.releases.outcome !== 'met') throw new PolicyRefusalError(checks.releases);
  const late = checks.notices[0];
  if (late) throw new PolicyRefusalError(late.decision);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const { programme, activities, modules } = await loadProgramme(tx, draft.programmeId);
    const leadProviders = await queryRows<{ id: number }>(
      tx,
      actor.leadProviderId !== null
        ? sql`select id from lead_provider where id = ${actor.leadProviderId}`
        : sql`select id from lead_provider order by id`,
    );
    if (leadProviders.length !== 1) {
      throw new ValidationError([
        { path: 'programmeId', message: 'Your account is not linked to one lead provider' },
      ]);
    }
    const leadProviderId = leadProviders[0]!.id;
    const activityIds = new Set(activities.map((a) => a.id));
    const moduleIds = new Set(modules.map((m) => m.id));
    if (
      !draft.events.every((e) => activityIds.has(e.activityId)) ||
      !draft.modules.every((m) => moduleIds.has(m.moduleId))
    ) {
      throw new ValidationError([
        { path: 'programmeId', message: 'The schedule does not belong to this programme' },
      ]);
    }
    const [row] = await queryRows<{ id: number }>(
      tx,
      sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date, is_final, contract_end_date, release_lead_days)
          values (${leadProviderId}, ${programme.id}, ${draft.year}, ${draft.name.trim()}, ${draft.startDate}, ${draft.engagementDeadline},
                  ${draft.endDate}, ${draft.isFinal}, ${draft.contractEndDate}, ${draft.releaseLeadDays})
          on conflict (lead_provider_id, programme_id, year) do nothing
          returning id`,
    );
    if (!row) {
      throw new ValidationError([
        {
          path: 'startDate',
          message: `There is already a ${programme.code} cohort for ${draft.year} to ${draft.year + 1}: there is one cohort of a programme each year`,
        },
      ]);
    }
    const cohortId = row.id;
    await tx.execute(sql`
      insert into cohort_module_release (cohort_id, module_id, release_date, ideal_window_start, ideal_window_end)
      select ${cohortId}, u.module_id, u.release_date, u.window_start, u.window_start + ${IDEAL_WINDOW_DAYS}::int
      from unnest(${arrayParam(draft.modules.map((m) => m.moduleId))}::int[],
                  ${arrayParam(draft.modules.map((m) => m.releaseDate))}::date[],
                  ${arrayParam(draft.modules.map((m) => m.idealWindowStart))}::date[]) as u(module_id, release_date, window_start)`);
    if (draft.events.length > 0) {
      const starts = draft.events.map((e) => londonInstant(e.date, e.time));
      await tx.execute(sql`
        insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, capacity, location, published_on)
        select ${cohortId}, u.activity_id, u.starts_at, u.starts_at + make_interval(mins => u.minutes),
               u.capacity, u.location, ${draft.publishedOn}::date
        from unnest(${arrayParam(draft.events.map((e) => e.activityId))}::int[],
                    ${arrayParam(starts.map((s) => s.toISOString()))}::timestamptz[],
                    ${arrayParam(draft.events.map((e) => e.minutes))}::int[],
                    ${arrayParam(draft.events.map((e) => e.capacity))}::int[],
                    ${arrayParam(draft.events.map((e) => e.location))}::text[])
          as u(activity_id, starts_at, minutes, capacity, location)`);
    }
    if (draft.windows.length > 0) {
      await tx.execute(sql`
        insert into assessment_window (cohort_id, sequence_number, opens_on, closes_on)
        select ${cohortId}, u.n, u.opens_on, u.closes_on
        from unnest(${arrayParam(draft.windows.map((_, i) => i + 1))}::int[],
                    ${arrayParam(draft.windows.map((w) => w.opensOn))}::date[],
                    ${arrayParam(draft.windows.map((w) => assessmentWindowClosesOn(w.opensOn, draft.register)))}::date[])
          as u(n, opens_on, closes_on)`);
    }
    await audit(tx, {
      what: 'COHORT_CREATED',
      who: actor,
      subjectType: 'cohort',
      subjectId: cohortId,
      details: {
        programmeId: programme.id,
        year: draft.year,
        startDate: draft.startDate,
        engagementDeadline: draft.engagementDeadline,
        isFinal: draft.isFinal,
        contractEndDate: draft.contractEndDate,
        releaseLeadDays: draft.releaseLeadDays,
        modules: draft.modules.length,
        events: draft.events.length,
        windows: draft.windows.length,
        policyVersion: checks.releases.policyVersion,
      },
      at,
    });
    return { id: cohortId };
  });
}
