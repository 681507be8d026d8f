/**
 * The NPQ catalogue: the 11 DfE courses and one programme (curriculum version) per course, with
 * its ordered modules, study sessions, clinics, community sessions, coaching and conferences.
 * Idempotent: every insert is `on conflict do nothing` on a natural key, so re-running it (at every
 * start-up, before the demo seed, in tests) changes nothing.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';
import {
  COACHING_COURSES,
  COURSES,
  type ActivityKind,
  type Course,
  type CourseIdentifier,
} from '../../domain/catalogue.js';
import type { ScheduleMilestones } from '../../domain/dfe-declarations.js';

/** Anything that can run SQL: the database or a transaction. */
export type Executor = Pick<Db, 'execute'>;

export const CATALOGUE_VERSION = '2024.1';

export const STUDY_SESSION_MINUTES = 50;
export const SESSIONS_PER_MODULE = 6;
export const CLINIC_MINUTES = 60;
export const COMMUNITY_SESSION_MINUTES = 60;
export const COACHING_MINUTES = 60;
export const CONFERENCE_MINUTES = 360;

/** Module titles per course, drawn from the DfE NPQ frameworks (2020 leadership, 2022 specialist). */
export const MODULE_TITLES: Record<CourseIdentifier, readonly string[]> = {
  'npq-leading-teaching': [
    'Teaching',
    'Curriculum and assessment',
    'Professional development',
    'Implementation',
  ],
  'npq-leading-teaching-development': [
    'Teaching',
    'Professional development',
    'Designing effective professional development',
    'Implementation',
  ],
  'npq-leading-behaviour-culture': [
    'School culture',
    'Behaviour',
    'Professional development',
    'Implementation',
  ],
  'npq-leading-literacy': [
    'Reading and writing',
    'Language and vocabulary',
    'Assessing and responding to literacy needs',
    'Implementation',
  ],
  'npq-leading-primary-mathematics': [
    'Mathematical knowledge for teaching',
    'Teaching for mastery',
    'Curriculum and assessment in mathematics',
    'Implementation',
  ],
  'npq-senco': [
    'The SENCO role and school culture',
    'Identifying and assessing needs',
    'Teaching for all pupils',
    'Curriculum, assessment and adaptation',
    'Working with families and external partners',
    'Leading SEND provision and implementation',
  ],
  'npq-senior-leadership': [
    'Teaching',
    'Curriculum and assessment',
    'Behaviour',
    'Professional development',
    'Implementation',
    'Organisational management',
  ],
  'npq-headship': [
    'School culture',
    'Teaching and curriculum',
    'Behaviour and additional needs',
    'Professional development',
    'Organisational management',
    'Governance, accountability and working in partnership',
  ],
  'npq-executive-leadership': [
    'Strategy and school culture',
    'Teaching and curriculum excellence',
    'Professional development across a trust',
    'Organisational management',
    'Working in partnership',
    'Governance and accountability',
  ],
  'npq-early-years-leadership': [
    'Early years culture',
    "Children's development and learning",
    'Curriculum and pedagogy',
    'Inclusion and special educational needs',
    'Professional development',
    'Organisational management and implementation',
  ],
  'npq-early-headship-coaching-offer': [
    'Leading the school',
    'Leading people and teams',
    'Leading yourself and sustainability',
  ],
};

/** The six study sessions of every module: a title and what the session asks of the participant. */
const SESSION_TEMPLATES: readonly { title: string; body: (module: string) => string }[] = [
  {
    title: 'Introduction',
    body: (m) =>
      `This session introduces **${m}**. You will meet the key ideas of the module, see how they ` +
      `connect to the framework, and set out what you want to get from the next six weeks.`,
  },
  {
    title: 'What the evidence tells us',
    body: (m) =>
      `We look at the best available evidence on ${m.toLowerCase()}: what it says with confidence, ` +
      `where it is less certain, and what that means for leaders making decisions in school.`,
  },
  {
    title: 'Case study',
    body: (m) =>
      `Work through a case study from a school like yours. Note where the leader's choices about ` +
      `${m.toLowerCase()} helped, where they did not, and what you would have done differently.`,
  },
  {
    title: 'Unpacking expert practice',
    body: (m) =>
      `Watch an expert leader talk through their approach to ${m.toLowerCase()} and break it ` +
      `down into the decisions behind it.`,
  },
  {
    title: 'Applying it in your setting',
    body: (m) =>
      `Plan one concrete change to ${m.toLowerCase()} in your own school or setting, and decide ` +
      `how you will know whether it is working.`,
  },
  {
    title: 'Review and reflection',
    body: (m) =>
      `Check your understanding of **${m}** with a short quiz, then reflect on what you will keep, ` +
      `stop and start doing. Bring your notes to the clinic.`,
  },
];

function sessionContent(course: Course, module: string, session: number): string {
  const template = SESSION_TEMPLATES[session - 1];
  if (!template) throw new Error(`No study session ${session}`);
  return [
    `## ${module}: ${template.title.toLowerCase()}`,
    '',
    template.body(module),
    '',
    `- Part of the ${course.name} (${course.code})`,
    `- Study session ${session} of ${SESSIONS_PER_MODULE} · about ${STUDY_SESSION_MINUTES} minutes`,
    '- Complete the sessions in order; any device will do.',
  ].join('\n');
}

export interface PlannedModule {
  position: number;
  title: string;
}

export interface PlannedActivity {
  kind: ActivityKind;
  /** Global order in the programme, from 1. */
  position: number;
  /** Order within its kind, from 1. */
  sequenceNumber: number;
  /** Position of the module a study session (or a module's clinic, coaching…) belongs to. */
  modulePosition: number | null;
  sessionNumber: number | null;
  title: string;
  contentMd: string | null;
  plannedMinutes: number;
}

export interface ProgrammePlan {
  course: Course;
  version: string;
  name: string;
  coachingEntitled: boolean;
  assessmentTitle: string;
  modules: PlannedModule[];
  activities: PlannedActivity[];
}

/** Conferences per course group: leadership has an opening and a mid-programme conference. */
function conferenceCount(course: Course): number {
  return course.group === 'leadership' ? 2 : 1;
}

/** Coaching sessions a module carries (NPQEL one per module, EHCO two per module). */
function coachingPerModule(course: Course): number {
  if (!COACHING_COURSES.includes(course.identifier)) return 0;
  return course.group === 'ehco' ? 2 : 1;
}

/**
 * The shape of a course's programme, in programme order: an opening conference, then per module
 * its six study sessions, its community session, its clinic and any coaching; leadership courses
 * have a second conference half way through.
 */
export function planProgramme(course: Course): ProgrammePlan {
  const titles = MODULE_TITLES[course.identifier];
  const modules = titles.map((title, i) => ({ position: i + 1, title }));
  const activities: PlannedActivity[] = [];
  const sequence = new Map<ActivityKind, number>();
  const add = (a: Omit<PlannedActivity, 'position' | 'sequenceNumber'>) => {
    const next = (sequence.get(a.kind) ?? 0) + 1;
    sequence.set(a.kind, next);
    activities.push({ ...a, position: activities.length + 1, sequenceNumber: next });
  };
  const conferences = conferenceCount(course);
  const midpoint = Math.ceil(modules.length / 2);
  const conference = (n: number) =>
    add({
      kind: 'conference',
      modulePosition: null,
      sessionNumber: null,
      title:
        n === 1 ? `${course.code} opening conference` : `${course.code} mid-programme conference`,
      contentMd:
        n === 1
          ? `A day together to launch the ${course.name}: the programme journey, your cohort and your first module.`
          : `A day together half way through: revisit the modules so far and prepare for the ones ahead.`,
      plannedMinutes: CONFERENCE_MINUTES,
    });

  conference(1);
  for (const module of modules) {
    for (let s = 1; s <= SESSIONS_PER_MODULE; s++) {
      const template = SESSION_TEMPLATES[s - 1]!;
      add({
        kind: 'study_session',
        modulePosition: module.position,
        sessionNumber: s,
        title: `${module.title}: ${template.title}`,
        contentMd: sessionContent(course, module.title, s),
        plannedMinutes: STUDY_SESSION_MINUTES,
      });
    }
    add({
      kind: 'community_session',
      modulePosition: module.position,
      sessionNumber: null,
      title: `Community session: ${module.title}`,
      contentMd: `A one-hour, peer-led conversation about a persistent problem in ${module.title.toLowerCase()}.`,
      plannedMinutes: COMMUNITY_SESSION_MINUTES,
    });
    add({
      kind: 'clinic',
      modulePosition: module.position,
      sessionNumber: null,
      title: `Clinic: ${module.title}`,
      contentMd: `A facilitated clinic to test your plan for ${module.title.toLowerCase()} against other leaders' experience. Book a slot that fits your timetable.`,
      plannedMinutes: CLINIC_MINUTES,
    });
    for (let c = 0; c < coachingPerModule(course); c++) {
      add({
        kind: 'coaching',
        modulePosition: module.position,
        sessionNumber: null,
        title: `Coaching conversation: ${module.title}`,
        contentMd: 'A one-to-one coaching conversation, scheduled with your coach.',
        plannedMinutes: COACHING_MINUTES,
      });
    }
    if (conferences >= 2 && module.position === midpoint) conference(2);
  }
  return {
    course,
    version: CATALOGUE_VERSION,
    name: course.name,
    coachingEntitled: COACHING_COURSES.includes(course.identifier),
    assessmentTitle:
      course.group === 'ehco'
        ? `${course.code} reflective review`
        : `${course.code} summative assessment: case study`,
    modules,
    activities,
  };
}

export const PROGRAMME_PLANS: readonly ProgrammePlan[] = COURSES.map(planProgramme);

let fingerprint: string | undefined;

/** A fingerprint of the catalogue in this code (every plan, in order), worked out once. */
export function catalogueFingerprint(): string {
  fingerprint ??= createHash('sha256')
    .update(JSON.stringify({ version: CATALOGUE_VERSION, plans: PROGRAMME_PLANS }))
    .digest('hex');
  return fingerprint;
}

/**
 * Inserts the courses and their programmes; safe to run any number of times. Runs at every
 * start-up, so it first reads the fingerprint of the catalogue last seeded (catalogue_seed) and
 * does nothing more when it is this code's: one small read instead of four statements that, on a
 * cold database, took about 0.2 s of every restart (issue 13). Otherwise set-based: four statements
 * whatever the catalogue's size, each row keyed by its natural key and inserted in catalogue order
 * (`with ordinality`), so ids follow that order. Activities already there are skipped by an
 * anti-join before the insert: far cheaper than letting hundreds of rows each meet their conflict.
 * The fingerprint is written last, so a seed cut short is run again at the next start.
 */
export async function seedCatalogue(db: Executor): Promise<void> {
  const seeded = await queryRows<{ fingerprint: string }>(
    db,
    sql`select fingerprint from catalogue_seed where name = ${CATALOGUE_NAME}`,
  );
  if (seeded[0]?.fingerprint === catalogueFingerprint()) return;
  await insertCatalogue(db);
  await db.execute(sql`
    insert into catalogue_seed (name, fingerprint) values (${CATALOGUE_NAME}, ${catalogueFingerprint()})
    on conflict (name) do update set fingerprint = excluded.fingerprint, seeded_at = now()`);
}

/** catalogue_seed's row for the NPQ catalogue. */
const CATALOGUE_NAME = 'npq';

async function insertCatalogue(db: Executor): Promise<void> {
  const plans = PROGRAMME_PLANS;
  const p = sql.param;
  await db.execute(sql`
    insert into course (identifier, code, name, course_group)
    select u.identifier, u.code, u.name, u.course_group
    from unnest(
      ${p(plans.map((x) => x.course.identifier))}::text[],
      ${p(plans.map((x) => x.course.code))}::text[],
      ${p(plans.map((x) => x.course.name))}::text[],
      ${p(plans.map((x) => x.course.group))}::text[]
    ) with ordinality as u(identifier, code, name, course_group, n)
    order by u.n
    on conflict do nothing`);

  await db.execute(sql`
    insert into programme (course_id, version, name, coaching_entitled, assessment_title)
    select c.id, u.version, u.name, u.coaching_entitled, u.assessment_title
    from unnest(
      ${p(plans.map((x) => x.course.identifier))}::text[],
      ${p(plans.map((x) => x.version))}::text[],
      ${p(plans.map((x) => x.name))}::text[],
      ${p(plans.map((x) => x.coachingEntitled))}::boolean[],
      ${p(plans.map((x) => x.assessmentTitle))}::text[]
    ) with ordinality as u(identifier, version, name, coaching_entitled, assessment_title, n)
    join course c on c.identifier = u.identifier
    order by u.n
    on conflict do nothing`);

  const modules = plans.flatMap((plan) =>
    plan.modules.map((m) => ({ identifier: plan.course.identifier, version: plan.version, ...m })),
  );
  await db.execute(sql`
    insert into programme_module (programme_id, position, title)
    select pr.id, m.position, m.title
    from unnest(
      ${p(modules.map((m) => m.identifier))}::text[],
      ${p(modules.map((m) => m.version))}::text[],
      ${p(modules.map((m) => m.position))}::int[],
      ${p(modules.map((m) => m.title))}::text[]
    ) with ordinality as m(identifier, version, position, title, n)
    join course c on c.identifier = m.identifier
    join programme pr on pr.course_id = c.id and pr.version = m.version
    order by m.n
    on conflict do nothing`);

  const a = plans.flatMap((plan) =>
    plan.activities.map((x) => ({
      identifier: plan.course.identifier,
      version: plan.version,
      ...x,
    })),
  );
  await db.execute(sql`
    insert into programme_activity
      (programme_id, kind, position, module_id, session_number, sequence_number, title, content_md, planned_minutes)
    select pr.id, a.kind, a.position, pm.id, a.session_number, a.sequence_number, a.title, a.content_md, a.planned_minutes
    from unnest(
      ${p(a.map((x) => x.identifier))}::text[],
      ${p(a.map((x) => x.version))}::text[],
      ${p(a.map((x) => x.kind))}::text[],
      ${p(a.map((x) => x.position))}::int[],
      ${p(a.map((x) => x.modulePosition))}::int[],
      ${p(a.map((x) => x.sessionNumber))}::int[],
      ${p(a.map((x) => x.sequenceNumber))}::int[],
      ${p(a.map((x) => x.title))}::text[],
      ${p(a.map((x) => x.contentMd))}::text[],
      ${p(a.map((x) => x.plannedMinutes))}::int[]
    ) with ordinality as a(identifier, version, kind, position, module_position, session_number, sequence_number, title, content_md, planned_minutes, n)
    join course c on c.identifier = a.identifier
    join programme pr on pr.course_id = c.id and pr.version = a.version
    left join programme_module pm on pm.programme_id = pr.id and pm.position = a.module_position
    where not exists (
      select 1 from programme_activity x where x.programme_id = pr.id and x.position = a.position)
    order by a.n
    on conflict do nothing`);
}

/**
 * Adds DfE milestone dates for schedules that have none yet (a person's later edit is kept). The
 * DfE's 2025 dates come with the migration that made the table; the demo adds its other years.
 */
export async function seedMilestoneSchedules(
  db: Executor,
  rows: readonly ScheduleMilestones[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into dfe_milestone_schedule
      (cohort_year, schedule_identifier, started_on, retained_1_on, retained_2_on, completed_on)
    select * from unnest(
      ${sql.param(rows.map((r) => r.cohortYear))}::int[],
      ${sql.param(rows.map((r) => r.schedule))}::text[],
      ${sql.param(rows.map((r) => r.startedOn))}::date[],
      ${sql.param(rows.map((r) => r.retained1On))}::date[],
      ${sql.param(rows.map((r) => r.retained2On))}::date[],
      ${sql.param(rows.map((r) => r.completedOn))}::date[])
    on conflict do nothing`);
}
