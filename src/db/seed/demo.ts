/**
 * The deterministic demo-data generator. The same code makes 100 participants for the demo and
 * 100,000 (millions of engagement records) for benchmarks, so every bulk path is set-based: rows
 * are built in memory per chunk of participants and inserted with `insert … select from unnest(…)`,
 * one array parameter per column, which works unchanged on PGlite and node-postgres.
 *
 * Everything is derived from `seed` (mulberry32 streams per entity, so a participant's data does
 * not depend on chunking) and `now` (records never lie in the future). The whole seed runs in one
 * transaction: it is all or nothing, and on PostgreSQL one commit is faster than many.
 */
import { hash } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';
import {
  type CourseIdentifier,
  type DfeWithdrawalReason,
  type EnrolmentStatus,
  type FundingRoute,
  type Role,
} from '../../domain/catalogue.js';
import {
  CATALOGUE_VERSION,
  PROGRAMME_PLANS,
  seedCatalogue,
  type Executor,
  type ProgrammePlan,
  seedMilestoneSchedules,
} from './catalogue.js';
import { DFE_2025_MILESTONES, type ScheduleMilestones } from '../../domain/dfe-declarations.js';
import {
  FIRST_NAMES,
  LAST_NAMES,
  LEAD_PROVIDER,
  PARTNERS,
  REGIONS,
  SAINTS,
  SCHOOL_PLACES,
  UNCOVERED_REGION_CODE,
  type PartnerSpec,
} from './reference-data.js';
import { Random } from './random.js';
import {
  cohortSchedule,
  DAY,
  HOUR,
  isoDate,
  MINUTE,
  RELEASE_LEAD_DAYS,
  type CohortSchedule,
} from './schedule.js';

export const DEMO_PASSWORD = 'demo-password';
export const DEFAULT_DEMO_SEED = 20_240_901;
/** The demo's default "today": mid-way through the 2025 cohorts, after the 2024 ones finished. */
export const DEFAULT_DEMO_NOW = new Date('2026-03-16T09:00:00Z');

export interface DemoSignIn {
  email: string;
  role: Role;
  description: string;
}

export const DEMO_SIGN_INS: readonly DemoSignIn[] = [
  { email: 'admin@demo.npq-ops.test', role: 'admin', description: 'Administrator' },
  {
    email: 'programme.team@demo.npq-ops.test',
    role: 'programme_team',
    description: 'Ambition Institute programme team (all partners and national cohorts)',
  },
  {
    email: 'partner.north@demo.npq-ops.test',
    role: 'delivery_partner_staff',
    description: 'Staff of North Star Teaching School Hub',
  },
  {
    email: 'partner.south@demo.npq-ops.test',
    role: 'delivery_partner_staff',
    description: 'Staff of South Coast Teaching School Hub',
  },
  { email: 'coach@demo.npq-ops.test', role: 'coach', description: 'Coach (NPQEL and EHCO)' },
  { email: 'assessor@demo.npq-ops.test', role: 'assessor', description: 'Assessor' },
  {
    email: 'participant1@demo.npq-ops.test',
    role: 'participant',
    description: 'NPQSL, South Coast, part-time (0.6), on track',
  },
  {
    email: 'participant2@demo.npq-ops.test',
    role: 'participant',
    description: 'NPQH, North Star, behind on engagement',
  },
  {
    email: 'participant3@demo.npq-ops.test',
    role: 'participant',
    description: 'NPQSENCO, South Coast, deferred once',
  },
  {
    email: 'participant4@demo.npq-ops.test',
    role: 'participant',
    description: 'NPQEL with coaching, North Star, on track',
  },
  {
    email: 'participant5@demo.npq-ops.test',
    role: 'participant',
    description: 'NPQLT, Ambition national cohort',
  },
];

export interface DemoSeedOptions {
  participants: number;
  seed?: number;
  /** Create the demo sign-ins (never in production). */
  withUsers?: boolean;
  /** Called after each chunk of participants. */
  onProgress?: (done: number, total: number) => void;
  /** "Today" for the generated history; defaults to DEFAULT_DEMO_NOW. */
  now?: Date;
  /** Participants per insert chunk (default 2,000). */
  chunkSize?: number;
}

export interface DemoSeedSummary {
  seed: number;
  now: string;
  leadProviderId: number;
  regions: number;
  deliveryPartners: number;
  schools: number;
  cohorts: number;
  participants: number;
  enrolments: number;
  employments: number;
  engagementRecords: number;
  users: number;
}

/** True when nothing has been set up yet (no lead provider): the app seeds on first start. */
export async function isDatabaseEmpty(db: Executor): Promise<boolean> {
  const [row] = await queryRows<{ empty: boolean }>(
    db,
    sql`select not exists (select 1 from lead_provider) as empty`,
  );
  return row?.empty ?? true;
}

// ---------------------------------------------------------------------------------------------
// What is generated

interface DemoProgramme {
  identifier: CourseIdentifier;
  share: number;
}

/** The programmes the demo lead provider runs cohorts of. */
export const DEMO_PROGRAMMES: readonly DemoProgramme[] = [
  { identifier: 'npq-senior-leadership', share: 25 },
  { identifier: 'npq-headship', share: 15 },
  { identifier: 'npq-executive-leadership', share: 8 },
  { identifier: 'npq-senco', share: 17 },
  { identifier: 'npq-leading-teaching', share: 20 },
  { identifier: 'npq-leading-behaviour-culture', share: 15 },
];

export const DEMO_YEARS = [2024, 2025, 2026] as const;
type DemoYear = (typeof DEMO_YEARS)[number];
const YEAR_SHARE: Record<DemoYear, number> = { 2024: 0.3, 2025: 0.5, 2026: 0.2 };

/** NPQLBC's 2026 cohort is its last; NPQH's 2026 cohort runs up to the contract's end. */
const FINAL_COHORTS: readonly string[] = ['npq-leading-behaviour-culture:2026'];
const CONTRACT_END: Readonly<Record<string, string>> = { 'npq-headship:2026': '2028-03-31' };

type Profile = 'on_track' | 'behind' | 'hopeless';

interface FeaturedParticipant {
  ordinal: number;
  email: string;
  identifier: CourseIdentifier;
  year: DemoYear;
  partner: string;
  status: EnrolmentStatus;
  profile: Profile;
  partTimeFraction: number | null;
  fundingRoute: FundingRoute;
}

/**
 * The participants behind participant1…5@demo.npq-ops.test (always ordinals 1–5), in the running
 * cohort of their programme (`year` when none is running: 2025 at the default now).
 */
export const FEATURED_PARTICIPANTS: readonly FeaturedParticipant[] = [
  {
    ordinal: 1,
    email: 'participant1@demo.npq-ops.test',
    identifier: 'npq-senior-leadership',
    year: 2025,
    partner: 'south',
    status: 'active',
    profile: 'on_track',
    partTimeFraction: 0.6,
    fundingRoute: 'dfe_scholarship',
  },
  {
    ordinal: 2,
    email: 'participant2@demo.npq-ops.test',
    identifier: 'npq-headship',
    year: 2025,
    partner: 'north',
    status: 'active',
    profile: 'behind',
    partTimeFraction: null,
    fundingRoute: 'school',
  },
  {
    ordinal: 3,
    email: 'participant3@demo.npq-ops.test',
    identifier: 'npq-senco',
    year: 2025,
    partner: 'south',
    status: 'deferred',
    profile: 'on_track',
    partTimeFraction: null,
    fundingRoute: 'dfe_scholarship',
  },
  {
    ordinal: 4,
    email: 'participant4@demo.npq-ops.test',
    identifier: 'npq-executive-leadership',
    year: 2025,
    partner: 'north',
    status: 'active',
    profile: 'on_track',
    partTimeFraction: null,
    fundingRoute: 'trust',
  },
  {
    ordinal: 5,
    email: 'participant5@demo.npq-ops.test',
    identifier: 'npq-leading-teaching',
    year: 2025,
    partner: 'national',
    status: 'active',
    profile: 'on_track',
    partTimeFraction: null,
    fundingRoute: 'self',
  },
];

// Independent random streams.
const STREAM_SCHOOL = 1;
const STREAM_PARTICIPANT = 2;
const STREAM_IDENTIFIERS = 3;

// ---------------------------------------------------------------------------------------------
// Internal world model built before participants are generated

interface CohortInfo {
  id: number;
  key: string;
  identifier: CourseIdentifier;
  year: number;
  schedule: CohortSchedule;
  /** Activity ids in programme order, with when and how each can be completed. */
  activityIds: number[];
  idealAt: number[];
  slots: (number[] | null)[];
  startMs: number;
  endMs: number;
}

interface World {
  seed: number;
  nowMs: number;
  cohorts: CohortInfo[];
  cohortByKey: Map<string, CohortInfo>;
  partnerIds: Map<string, number>;
  schoolsByRegion: Map<string, number[]>;
  coveredRegionCodes: string[];
}

interface ParticipantRow {
  trn: string | null;
  dfeRegistrationId: string | null;
  fullName: string;
  email: string;
  dfeRegistrationConfirmed: boolean;
  employmentConfirmed: boolean;
  schoolId: number;
  fundingRoute: FundingRoute;
  partTimeFraction: number | null;
  createdAt: number;
  employments: { schoolId: number; startedOn: string; endedOn: string | null }[];
  enrolment: {
    cohortId: number;
    partnerId: number;
    status: EnrolmentStatus;
    deferralCount: number;
    attemptsUsed: number;
    statusChangedAt: number;
    createdAt: number;
    withdrawalReason: DfeWithdrawalReason | null;
  };
  engagement: { activityIds: number[]; times: number[] };
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const p = sql.param;

// ---------------------------------------------------------------------------------------------
// Schools

interface SchoolRow {
  urn: string;
  name: string;
  regionCode: string;
  town: string;
  phase: string;
}

function schoolCount(participants: number): number {
  return Math.max(300, Math.ceil(participants / 8));
}

function makeSchool(seed: number, ordinal: number): SchoolRow {
  const r = Random.for(seed, STREAM_SCHOOL, ordinal);
  // The first school is always outside the network so portability has a case to show.
  const region =
    ordinal === 0
      ? REGIONS.find((x) => x.code === UNCOVERED_REGION_CODE)!
      : r.weighted(REGIONS.map((x) => [x, x.share] as const));
  const town = r.pick(region.towns);
  const place = r.pick(SCHOOL_PLACES);
  const saint = r.pick(SAINTS);
  const phase = r.weighted([
    ['Primary', 60],
    ['Secondary', 22],
    ['All-through', 3],
    ['Nursery', 4],
    ['Special', 7],
    ['16 plus', 4],
  ] as const);
  let name: string;
  switch (phase) {
    case 'Primary':
      name = r.weighted([
        [`St ${saint}'s C of E Primary School`, 15],
        [`St ${saint}'s Catholic Primary School`, 10],
        [`${place} Primary School`, 45],
        [`${place} Infant School`, 10],
        [`${place} Junior School`, 10],
        [`${place} Primary Academy`, 10],
      ] as const);
      break;
    case 'Secondary':
      name = r.weighted([
        [`${place} Academy`, 35],
        [`${place} High School`, 25],
        [`${place} School`, 15],
        [`St ${saint}'s Catholic High School`, 10],
        [`${place} Community College`, 10],
        [`${town} Grammar School`, 5],
      ] as const);
      break;
    case 'All-through':
      name = `${place} All-through Academy`;
      break;
    case 'Nursery':
      name = `${place} Nursery School`;
      break;
    case 'Special':
      name = r.chance(0.5) ? `${place} School` : `${place} Special School`;
      break;
    case '16 plus':
      name = `${town} Sixth Form College`;
      break;
  }
  // A bijection from ordinal to a 6-digit URN (387577 is coprime with 900000).
  const urn = String(100000 + ((ordinal * 387_577 + (seed % 900000)) % 900000));
  return { urn, name, regionCode: region.code, town, phase };
}

// ---------------------------------------------------------------------------------------------
// Participants

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, '');
}

function uuidFrom(seed: number, ordinal: number): string {
  const r = Random.for(seed, STREAM_IDENTIFIERS, ordinal);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
  const rand = (width: number) => hex(Math.floor(r.next() * 16 ** width), width);
  // The last group embeds the ordinal so ids are unique.
  const tail = hex(((ordinal ^ (seed & 0xffff)) >>> 0) & 0xffffffff, 8);
  return `${rand(8)}-${rand(4)}-4${rand(3)}-${(8 + r.int(0, 3)).toString(16)}${rand(3)}-${rand(4)}${tail}`;
}

function pickCohort(r: Random, world: World): CohortInfo {
  const year = r.weighted(DEMO_YEARS.map((y) => [y, YEAR_SHARE[y]] as const));
  const programme = r.weighted(DEMO_PROGRAMMES.map((x) => [x, x.share] as const));
  return world.cohortByKey.get(`${programme.identifier}:${year}`)!;
}

/** The latest running cohort of the featured participant's programme (2025 at the default now). */
function featuredCohort(world: World, featured: FeaturedParticipant): CohortInfo {
  const running = DEMO_YEARS.map((y) =>
    world.cohortByKey.get(`${featured.identifier}:${y}`)!,
  ).filter((c) => cohortPhase(c, world.nowMs) === 'running');
  return running.at(-1) ?? world.cohortByKey.get(`${featured.identifier}:${featured.year}`)!;
}

/** Where a cohort is relative to "now": statuses follow it, so any `now` gives coherent data. */
type CohortPhase = 'finished' | 'running' | 'future';

function cohortPhase(cohort: CohortInfo, nowMs: number): CohortPhase {
  if (nowMs < cohort.startMs) return 'future';
  return nowMs >= cohort.endMs ? 'finished' : 'running';
}

function pickStatus(r: Random, phase: CohortPhase): EnrolmentStatus {
  switch (phase) {
    case 'finished':
      return r.weighted([
        ['completed_passed', 73],
        ['completed_failed', 5],
        ['withdrawn', 13],
        ['deferred', 5],
        ['transferred_out', 4],
      ] as const);
    case 'running':
      return r.weighted([
        ['active', 80],
        ['deferred', 7],
        ['withdrawn', 9],
        ['transferred_out', 2],
        ['accepted', 2],
      ] as const);
    case 'future':
      return r.weighted([
        ['accepted', 65],
        ['applied', 35],
      ] as const);
  }
}

interface EngagementPlan {
  /** Lag behind the ideal date for self-paced activities, in days. */
  lagDays: number;
  /** How many activities (in programme order) at most. */
  limit: number;
}

function engagementPlan(
  r: Random,
  status: EnrolmentStatus,
  profile: Profile,
  total: number,
  partTime: boolean,
): EngagementPlan {
  const extra = partTime ? r.float(0, 4) : 0;
  switch (status) {
    case 'completed_passed':
    case 'completed_failed':
      return { lagDays: r.float(0, 3) + extra, limit: total - r.int(0, 2) };
    case 'withdrawn':
      return { lagDays: r.float(0, 20) + extra, limit: Math.floor(total * r.float(0.05, 0.5)) };
    case 'deferred':
    case 'transferred_out':
      return {
        lagDays: r.float(0, 10) + extra,
        limit: Math.max(1, Math.floor(total * r.float(0.15, 0.6))),
      };
    case 'applied':
    case 'accepted':
      return { lagDays: 0, limit: 0 };
    case 'active':
      switch (profile) {
        case 'on_track':
          return { lagDays: r.float(0, 2) + extra, limit: total };
        case 'behind':
          return {
            lagDays: r.float(12, 45) + extra,
            limit: Math.ceil(total * r.float(0.4, 0.85)),
          };
        case 'hopeless':
          return {
            lagDays: r.float(20, 60) + extra,
            limit: Math.floor(total * r.float(0, 0.2)),
          };
      }
  }
}

/** Completions in programme order, each at a plausible instant, none after now. */
function generateEngagement(
  r: Random,
  cohort: CohortInfo,
  plan: EngagementPlan,
  nowMs: number,
): { activityIds: number[]; times: number[] } {
  const activityIds: number[] = [];
  const times: number[] = [];
  const lag = Math.round(plan.lagDays) * DAY;
  let prev = -Infinity;
  const n = Math.min(plan.limit, cohort.activityIds.length);
  for (let i = 0; i < n; i++) {
    const slots = cohort.slots[i];
    let t: number;
    if (slots) {
      // Any slot after their previous completion; one running behind on self-study still comes to
      // a dated event on its date. Spread evenly, so clinic slots stay within capacity.
      const first = Math.max(
        0,
        slots.findIndex((s) => s >= prev),
      );
      const k = first + r.int(0, slots.length - 1 - first);
      t = slots[k]!;
    } else {
      const jitter = r.int(0, 4) * HOUR + r.int(0, 59) * MINUTE;
      t = Math.max(cohort.idealAt[i]! + lag + jitter, prev + 20 * MINUTE);
      t = Math.ceil(t / MINUTE) * MINUTE;
    }
    if (t > nowMs) break;
    activityIds.push(cohort.activityIds[i]!);
    times.push(t);
    prev = Math.max(prev, t);
  }
  return { activityIds, times };
}

function makeParticipant(world: World, ordinal: number): ParticipantRow {
  const { seed, nowMs } = world;
  const r = Random.for(seed, STREAM_PARTICIPANT, ordinal);
  const featured = FEATURED_PARTICIPANTS.find((f) => f.ordinal === ordinal);

  const first = r.pick(FIRST_NAMES);
  const last = r.pick(LAST_NAMES);
  const fullName = `${first} ${last}`;
  const email = featured?.email ?? `${slug(first)}.${slug(last)}${ordinal}@example.org`;

  // TRNs: a bijection from ordinal to 7 digits (2750159 is coprime with 9000000), so unique.
  const idKind = featured
    ? 'trn'
    : r.weighted([
        ['trn', 74],
        ['both', 20],
        ['dfe', 6],
      ] as const);
  const trn =
    idKind === 'dfe'
      ? null
      : String(1000000 + ((ordinal * 2_750_159 + (seed % 9000000)) % 9000000));
  const dfeRegistrationId = idKind === 'trn' ? null : uuidFrom(seed, ordinal);

  const cohort = featured ? featuredCohort(world, featured) : pickCohort(r, world);
  const partnerSpec: PartnerSpec = featured
    ? PARTNERS.find((x) => x.slug === featured.partner)!
    : r.weighted(PARTNERS.map((x) => [x, x.share] as const));
  const phase = cohortPhase(cohort, nowMs);
  const status = featured?.status ?? pickStatus(r, phase);
  const profile: Profile =
    featured?.profile ??
    r.weighted([
      ['on_track', 55],
      ['behind', 30],
      ['hopeless', 15],
    ] as const);

  const fundingRoute: FundingRoute =
    featured?.fundingRoute ??
    r.weighted([
      ['dfe_scholarship', 55],
      ['school', 22],
      ['trust', 13],
      ['self', 5],
      ['employer', 5],
    ] as const);
  const partTimeFraction = featured
    ? featured.partTimeFraction
    : r.chance(0.15)
      ? r.pick([0.4, 0.5, 0.6, 0.7, 0.8])
      : null;

  let dfeRegistrationConfirmed = true;
  let employmentConfirmed = true;
  if (!featured) {
    if (status === 'applied') {
      dfeRegistrationConfirmed = r.chance(0.5);
      employmentConfirmed = r.chance(0.4);
    } else if (status === 'accepted') {
      dfeRegistrationConfirmed = r.chance(phase === 'future' ? 0.95 : 0.5);
      employmentConfirmed = r.chance(phase === 'future' ? 0.9 : 0.5);
    } else if (status === 'active' && phase === 'running' && r.chance(0.06)) {
      if (r.chance(0.5)) dfeRegistrationConfirmed = false;
      else employmentConfirmed = false;
    }
  }

  // Engagement.
  const plan =
    featured?.status === 'deferred'
      ? { lagDays: 1, limit: 2 * 8 } // two modules, then deferred
      : engagementPlan(r, status, profile, cohort.activityIds.length, partTimeFraction !== null);
  const engagement = generateEngagement(r, cohort, plan, nowMs);
  const lastAt = engagement.times.length
    ? engagement.times[engagement.times.length - 1]!
    : cohort.startMs;

  // Enrolment dates and outcome.
  const plannedEnrolAt = cohort.startMs - r.int(30, 120) * DAY - r.int(8, 18) * HOUR;
  // Nobody is enrolled after the demo's "today": for a cohort starting soon the enrolment is already
  // made (a day to a month ago), so the what-if as of today counts them too (issue 16).
  const enrolCreatedAt = Math.min(plannedEnrolAt, nowMs - DAY - (plannedEnrolAt % (30 * DAY)));
  let statusChangedAt: number;
  let attemptsUsed = 0;
  let deferralCount = 0;
  switch (status) {
    case 'completed_passed':
    case 'completed_failed': {
      attemptsUsed = status === 'completed_failed' || r.chance(0.15) ? 2 : 1;
      const window = cohort.schedule.assessmentWindows[attemptsUsed - 1]!;
      statusChangedAt = Date.parse(`${window.closesOn}T12:00:00Z`) + r.int(28, 42) * DAY;
      break;
    }
    case 'active':
      // Still active after the first window closed: one attempt used, the resit to come.
      attemptsUsed =
        nowMs > Date.parse(`${cohort.schedule.assessmentWindows[0]!.closesOn}T23:59:59Z`) ? 1 : 0;
      statusChangedAt = cohort.startMs + r.int(0, 3) * DAY + 9 * HOUR;
      break;
    case 'withdrawn':
      statusChangedAt = lastAt + r.int(14, 45) * DAY;
      break;
    case 'deferred':
      deferralCount = 1;
      statusChangedAt = lastAt + r.int(7, 30) * DAY;
      break;
    case 'transferred_out':
      statusChangedAt = lastAt + r.int(7, 30) * DAY;
      break;
    default:
      statusChangedAt = Math.max(enrolCreatedAt, nowMs - r.int(10, 120) * DAY);
  }
  statusChangedAt = Math.min(statusChangedAt, nowMs);

  // Schools and employment history.
  const pickSchool = (codes: readonly string[]): number => {
    const code = r.pick(codes);
    const list = world.schoolsByRegion.get(code);
    if (list && list.length > 0) return r.pick(list);
    return r.pick(world.schoolsByRegion.get(r.pick(world.coveredRegionCodes)) ?? []);
  };
  const firstSchool = pickSchool(partnerSpec.regionCodes);
  const startedOn = isoDate(cohort.startMs - r.int(1, 12) * 365 * DAY - r.int(0, 200) * DAY);
  const employments: ParticipantRow['employments'] = [];
  let schoolId = firstSchool;
  const movedOut = status === 'transferred_out';
  const movedWithin = !featured && !movedOut && status === 'active' && r.chance(0.03);
  if (movedOut || movedWithin) {
    const movedAt = movedOut
      ? statusChangedAt - r.int(5, 20) * DAY
      : cohort.startMs +
        r.float(0.2, 0.8) * Math.max(DAY, Math.min(nowMs, cohort.endMs) - cohort.startMs);
    schoolId = movedOut ? pickSchool([UNCOVERED_REGION_CODE]) : pickSchool(partnerSpec.regionCodes);
    const endedOn = isoDate(Math.max(movedAt, Date.parse(`${startedOn}T00:00:00Z`)));
    employments.push({ schoolId: firstSchool, startedOn, endedOn });
    employments.push({ schoolId, startedOn: endedOn, endedOn: null });
  } else {
    employments.push({ schoolId, startedOn, endedOn: null });
  }

  const withdrawalReason =
    status === 'withdrawn'
      ? r.weighted<DfeWithdrawalReason>([
          ['insufficient-capacity-to-undertake-programme', 20],
          ['personal-reason-health-or-pregnancy-related', 15],
          ['disengaged-and-unresponsive', 15],
          ['change-in-school-circumstances', 10],
          ['change-in-developmental-or-personal-priorities', 10],
          ['personal-reason-moving-school', 8],
          ['change-in-career', 8],
          ['personal-reason-other', 8],
          ['other', 6],
        ])
      : null;

  return {
    trn,
    dfeRegistrationId,
    fullName,
    email,
    dfeRegistrationConfirmed,
    employmentConfirmed,
    schoolId,
    fundingRoute,
    partTimeFraction,
    createdAt: enrolCreatedAt - DAY,
    employments,
    enrolment: {
      cohortId: cohort.id,
      partnerId: world.partnerIds.get(partnerSpec.slug)!,
      status,
      deferralCount,
      attemptsUsed,
      statusChangedAt,
      createdAt: enrolCreatedAt,
      withdrawalReason,
    },
    engagement,
  };
}

// ---------------------------------------------------------------------------------------------
// Database writes

async function insertOrganisations(db: Executor) {
  await db.execute(sql`
    insert into region (code, name)
    select * from unnest(${p(REGIONS.map((r) => r.code))}::text[], ${p(REGIONS.map((r) => r.name))}::text[])
    on conflict do nothing`);
  const [lp] = await queryRows<{ id: number }>(
    db,
    sql`insert into lead_provider (slug, name, contact_email, contact_phone)
        values (${LEAD_PROVIDER.slug}, ${LEAD_PROVIDER.name}, ${LEAD_PROVIDER.contactEmail}, ${LEAD_PROVIDER.contactPhone})
        returning id`,
  );
  const leadProviderId = lp!.id;
  const covered = REGIONS.filter((r) => r.code !== UNCOVERED_REGION_CODE).map((r) => r.code);
  await db.execute(sql`
    insert into lead_provider_region (lead_provider_id, region_id)
    select ${leadProviderId}, id from region where code = any(${p(covered)}::text[])`);
  const partners = await queryRows<{ id: number; slug: string }>(
    db,
    sql`insert into delivery_partner (lead_provider_id, slug, name, is_national, contact_email, contact_phone)
        select ${leadProviderId}, * from unnest(
          ${p(PARTNERS.map((x) => x.slug))}::text[],
          ${p(PARTNERS.map((x) => x.name))}::text[],
          ${p(PARTNERS.map((x) => x.isNational))}::boolean[],
          ${p(PARTNERS.map((x) => x.contactEmail))}::text[],
          ${p(PARTNERS.map((x) => x.contactPhone))}::text[])
        returning id, slug`,
  );
  return {
    leadProviderId,
    coveredRegionCodes: covered,
    partnerIds: new Map(partners.map((x) => [x.slug, x.id])),
  };
}

async function insertSchools(db: Executor, seed: number, count: number) {
  const schoolsByRegion = new Map<string, number[]>();
  const regions = await queryRows<{ id: number; code: string }>(
    db,
    sql`select id, code from region`,
  );
  const regionCode = new Map(regions.map((r) => [r.id, r.code]));
  const ordinals = Array.from({ length: count }, (_, i) => i);
  for (const chunk of chunked(ordinals, 5000)) {
    const rows = chunk.map((i) => makeSchool(seed, i));
    const inserted = await queryRows<{ id: number; region_id: number }>(
      db,
      sql`insert into school (urn, name, region_id, town, phase)
          select s.urn, s.name, r.id, s.town, s.phase
          from unnest(${p(rows.map((x) => x.urn))}::text[], ${p(rows.map((x) => x.name))}::text[],
                      ${p(rows.map((x) => x.regionCode))}::text[], ${p(rows.map((x) => x.town))}::text[],
                      ${p(rows.map((x) => x.phase))}::text[]) with ordinality as s(urn, name, region_code, town, phase, n)
          join region r on r.code = s.region_code
          order by s.n
          returning id, region_id`,
    );
    for (const row of inserted) {
      const code = regionCode.get(row.region_id)!;
      const list = schoolsByRegion.get(code) ?? [];
      list.push(row.id);
      schoolsByRegion.set(code, list);
    }
  }
  // Returned order is not guaranteed: sort so picks are deterministic.
  for (const list of schoolsByRegion.values()) list.sort((a, b) => a - b);
  return schoolsByRegion;
}

function clinicCapacity(participants: number, programme: DemoProgramme, year: number): number {
  const totalShare = DEMO_PROGRAMMES.reduce((s, x) => s + x.share, 0);
  const yearShare = (YEAR_SHARE as Record<number, number | undefined>)[year] ?? 0;
  const expected = (participants * yearShare * programme.share) / totalShare;
  // Three slots per clinic with room to spare (half as much again as an even split).
  return Math.max(20, Math.ceil((expected * 1.5) / 3 / 5) * 5);
}

/**
 * Deferring means joining next year's cohort (2.3.5), so the demo also plans, with no one in it yet,
 * the cohort after the one running at "now" — except where the programme's last cohort or the
 * contract's end comes first.
 */
function plannedYears(nowMs: number): number[] {
  const now = new Date(nowMs);
  const runningYear = now.getUTCMonth() >= 9 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const last = DEMO_YEARS[DEMO_YEARS.length - 1]!;
  const years: number[] = [...DEMO_YEARS];
  for (let y = last + 1; y <= runningYear + 1; y += 1) years.push(y);
  return years;
}

function endsBefore(identifier: string, year: number): boolean {
  return DEMO_YEARS.some(
    (y) =>
      y < year &&
      (FINAL_COHORTS.includes(`${identifier}:${y}`) ||
        CONTRACT_END[`${identifier}:${y}`] !== undefined),
  );
}

async function insertCohorts(
  db: Executor,
  leadProviderId: number,
  participants: number,
  nowMs: number,
): Promise<CohortInfo[]> {
  const programmes = await queryRows<{ id: number; identifier: string }>(
    db,
    sql`select p.id, c.identifier from programme p join course c on c.id = p.course_id
        where p.version = ${CATALOGUE_VERSION}`,
  );
  const programmeId = new Map(programmes.map((x) => [x.identifier, x.id]));
  const activities = await queryRows<{ id: number; programme_id: number; position: number }>(
    db,
    sql`select id, programme_id, position from programme_activity order by programme_id, position`,
  );
  const modules = await queryRows<{ id: number; programme_id: number; position: number }>(
    db,
    sql`select id, programme_id, position from programme_module`,
  );
  const activityId = new Map(activities.map((a) => [`${a.programme_id}:${a.position}`, a.id]));
  const moduleId = new Map(modules.map((m) => [`${m.programme_id}:${m.position}`, m.id]));

  // Every cohort is planned in memory first, then each table gets one statement for all of them.
  const planned = plannedYears(nowMs).flatMap((year) =>
    DEMO_PROGRAMMES.filter((programme) => !endsBefore(programme.identifier, year)).map(
      (programme) => {
        const plan: ProgrammePlan = PROGRAMME_PLANS.find(
          (x) => x.course.identifier === programme.identifier,
        )!;
        const pid = programmeId.get(programme.identifier);
        if (pid === undefined) throw new Error(`No programme for ${programme.identifier}`);
        const key = `${programme.identifier}:${year}`;
        const schedule = cohortSchedule(plan, year, clinicCapacity(participants, programme, year));
        const ids = schedule.activities.map((a) =>
          activityId.get(`${pid}:${a.activity.position}`)!,
        );
        return { year, programme, plan, pid, key, schedule, ids };
      },
    ),
  );

  const inserted = await queryRows<{ id: number; programme_id: number; year: number }>(
    db,
    sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date, is_final, contract_end_date)
        select ${leadProviderId}, u.programme_id, u.year, u.name, u.start_date, u.engagement_deadline, u.end_date,
               u.is_final, u.contract_end_date
        from unnest(
          ${p(planned.map((c) => c.pid))}::int[],
          ${p(planned.map((c) => c.year))}::int[],
          ${p(planned.map((c) => `${c.plan.course.code} ${c.year}`))}::text[],
          ${p(planned.map((c) => c.schedule.startDate))}::date[],
          ${p(planned.map((c) => c.schedule.engagementDeadline))}::date[],
          ${p(planned.map((c) => c.schedule.endDate))}::date[],
          ${p(planned.map((c) => FINAL_COHORTS.includes(c.key)))}::boolean[],
          ${p(planned.map((c) => CONTRACT_END[c.key] ?? null))}::date[]
        ) with ordinality as u(programme_id, year, name, start_date, engagement_deadline, end_date, is_final, contract_end_date, n)
        order by u.n
        returning id, programme_id, year`,
  );
  const cohortIdOf = new Map(inserted.map((r) => [`${r.programme_id}:${r.year}`, r.id]));
  const withIds = planned.map((c) => {
    const id = cohortIdOf.get(`${c.pid}:${c.year}`);
    if (id === undefined) throw new Error(`Cohort ${c.key} was not inserted`);
    return { ...c, id };
  });

  const releases = withIds.flatMap((c) =>
    c.plan.modules.map((m, i) => ({
      cohortId: c.id,
      moduleId: moduleId.get(`${c.pid}:${m.position}`)!,
      at: c.schedule.releases[i]!,
    })),
  );
  // Released ahead of schedule (2.2.1.1): the cohort's default lead time before each window.
  await db.execute(sql`
    insert into cohort_module_release (cohort_id, module_id, release_date, ideal_window_start, ideal_window_end)
    select * from unnest(
      ${p(releases.map((r) => r.cohortId))}::int[],
      ${p(releases.map((r) => r.moduleId))}::int[],
      ${p(releases.map((r) => isoDate(r.at - RELEASE_LEAD_DAYS * DAY)))}::date[],
      ${p(releases.map((r) => isoDate(r.at)))}::date[],
      ${p(releases.map((r) => isoDate(r.at + 13 * DAY)))}::date[])`);

  const events = withIds.flatMap((c) =>
    c.schedule.activities.flatMap((a, i) =>
      a.slots.map((s) => ({
        cohortId: c.id,
        activityId: c.ids[i]!,
        publishedOn: c.schedule.publishedOn,
        ...s,
      })),
    ),
  );
  await db.execute(sql`
    insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, capacity, location, published_on)
    select e.cohort_id, e.activity_id, to_timestamp(e.starts_at), to_timestamp(e.ends_at), e.capacity, e.location,
           e.published_on
    from unnest(
      ${p(events.map((e) => e.cohortId))}::int[],
      ${p(events.map((e) => e.activityId))}::int[],
      ${p(events.map((e) => e.startsAt / 1000))}::float8[],
      ${p(events.map((e) => e.endsAt / 1000))}::float8[],
      ${p(events.map((e) => e.capacity))}::int[],
      ${p(events.map((e) => e.location))}::text[],
      ${p(events.map((e) => e.publishedOn))}::date[]
    ) with ordinality as e(cohort_id, activity_id, starts_at, ends_at, capacity, location, published_on, n)
    order by e.n`);

  const windows = withIds.flatMap((c) =>
    c.schedule.assessmentWindows.map((w, i) => ({ cohortId: c.id, sequence: i + 1, ...w })),
  );
  await db.execute(sql`
    insert into assessment_window (cohort_id, sequence_number, opens_on, closes_on)
    select * from unnest(
      ${p(windows.map((w) => w.cohortId))}::int[],
      ${p(windows.map((w) => w.sequence))}::int[],
      ${p(windows.map((w) => w.opensOn))}::date[],
      ${p(windows.map((w) => w.closesOn))}::date[])`);

  return withIds.map((c) => ({
    id: c.id,
    key: c.key,
    identifier: c.programme.identifier,
    year: c.year,
    schedule: c.schedule,
    activityIds: c.ids,
    idealAt: c.schedule.activities.map((a) => a.idealAt),
    slots: c.schedule.activities.map((a) =>
      a.slots.length > 0 ? a.slots.map((s) => s.startsAt) : null,
    ),
    startMs: c.schedule.releases[0]!,
    endMs: Date.parse(`${c.schedule.endDate}T00:00:00Z`),
  }));
}

const ENGAGEMENT_BATCH = 50_000;

async function insertEngagement(
  db: Executor,
  participantIds: number[],
  activityIds: number[],
  seconds: number[],
): Promise<void> {
  await db.execute(sql`
    insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)
    select u.participant_id, u.activity_id, pa.kind, to_timestamp(u.at), 'platform',
           'seed-' || u.participant_id || '-' || u.activity_id, to_timestamp(u.at)
    from unnest(${p(participantIds)}::int[], ${p(activityIds)}::int[], ${p(seconds)}::float8[])
      as u(participant_id, activity_id, at)
    join programme_activity pa on pa.id = u.activity_id`);
}

async function insertParticipantChunk(
  db: Executor,
  rows: ParticipantRow[],
): Promise<{ ids: number[]; employments: number; engagement: number }> {
  const inserted = await queryRows<{ id: number; email: string }>(
    db,
    sql`insert into participant (trn, dfe_registration_id, full_name, email, dfe_registration_confirmed,
          employment_confirmed, current_school_id, funding_route, working_pattern, part_time_fraction, created_at)
        select u.trn, u.dfe_id, u.full_name, u.email, u.dfe_ok, u.emp_ok, u.school_id, u.funding,
               case when u.fraction is null then 'full_time' else 'part_time' end, u.fraction, to_timestamp(u.created_at)
        from unnest(
          ${p(rows.map((x) => x.trn))}::text[],
          ${p(rows.map((x) => x.dfeRegistrationId))}::text[],
          ${p(rows.map((x) => x.fullName))}::text[],
          ${p(rows.map((x) => x.email))}::text[],
          ${p(rows.map((x) => x.dfeRegistrationConfirmed))}::boolean[],
          ${p(rows.map((x) => x.employmentConfirmed))}::boolean[],
          ${p(rows.map((x) => x.schoolId))}::int[],
          ${p(rows.map((x) => x.fundingRoute))}::text[],
          ${p(rows.map((x) => x.partTimeFraction))}::numeric[],
          ${p(rows.map((x) => x.createdAt / 1000))}::float8[]
        ) as u(trn, dfe_id, full_name, email, dfe_ok, emp_ok, school_id, funding, fraction, created_at)
        returning id, email`,
  );
  const idByEmail = new Map(inserted.map((x) => [x.email, x.id]));
  const ids = rows.map((x) => {
    const id = idByEmail.get(x.email);
    if (id === undefined) throw new Error(`Participant ${x.email} was not inserted`);
    return id;
  });

  const emp = rows.flatMap((x, i) => x.employments.map((e) => ({ participantId: ids[i]!, ...e })));
  await db.execute(sql`
    insert into participant_employment (participant_id, school_id, started_on, ended_on)
    select * from unnest(
      ${p(emp.map((e) => e.participantId))}::int[],
      ${p(emp.map((e) => e.schoolId))}::int[],
      ${p(emp.map((e) => e.startedOn))}::date[],
      ${p(emp.map((e) => e.endedOn))}::date[])`);

  const en = rows.map((x) => x.enrolment);
  await db.execute(sql`
    insert into enrolment (participant_id, cohort_id, delivery_partner_id, status, deferral_count,
      assessment_attempts_used, status_changed_at, created_at)
    select u.participant_id, u.cohort_id, u.partner_id, u.status, u.deferral_count, u.attempts,
           to_timestamp(u.changed_at), to_timestamp(u.created_at)
    from unnest(
      ${p(ids)}::int[],
      ${p(en.map((e) => e.cohortId))}::int[],
      ${p(en.map((e) => e.partnerId))}::int[],
      ${p(en.map((e) => e.status))}::text[],
      ${p(en.map((e) => e.deferralCount))}::int[],
      ${p(en.map((e) => e.attemptsUsed))}::int[],
      ${p(en.map((e) => e.statusChangedAt / 1000))}::float8[],
      ${p(en.map((e) => e.createdAt / 1000))}::float8[]
    ) as u(participant_id, cohort_id, partner_id, status, deferral_count, attempts, changed_at, created_at)`);

  // Withdrawn enrolments carry their DfE reason and date.
  const withdrawn = rows.flatMap((x, i) =>
    x.enrolment.withdrawalReason ? [{ participantId: ids[i]!, ...x.enrolment }] : [],
  );
  if (withdrawn.length > 0) {
    await db.execute(sql`
      insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by, created_at)
      select e.id, u.reason, to_timestamp(u.at)::date, 'demo-seed', to_timestamp(u.at)
      from unnest(
        ${p(withdrawn.map((w) => w.participantId))}::int[],
        ${p(withdrawn.map((w) => w.cohortId))}::int[],
        ${p(withdrawn.map((w) => w.withdrawalReason))}::text[],
        ${p(withdrawn.map((w) => w.statusChangedAt / 1000))}::float8[]
      ) as u(participant_id, cohort_id, reason, at)
      join enrolment e on e.participant_id = u.participant_id and e.cohort_id = u.cohort_id`);
  }

  let pIds: number[] = [];
  let aIds: number[] = [];
  let secs: number[] = [];
  let engagement = 0;
  const flush = async () => {
    if (pIds.length === 0) return;
    await insertEngagement(db, pIds, aIds, secs);
    engagement += pIds.length;
    pIds = [];
    aIds = [];
    secs = [];
  };
  for (let i = 0; i < rows.length; i++) {
    const { activityIds, times } = rows[i]!.engagement;
    for (let k = 0; k < activityIds.length; k++) {
      pIds.push(ids[i]!);
      aIds.push(activityIds[k]!);
      secs.push(times[k]! / 1000);
    }
    if (pIds.length >= ENGAGEMENT_BATCH) await flush();
  }
  await flush();
  return { ids, employments: emp.length, engagement };
}

async function insertUsers(
  db: Executor,
  leadProviderId: number,
  partnerIds: Map<string, number>,
): Promise<number> {
  // One hash for everyone: it is the same password, and argon2 is deliberately slow.
  const passwordHash = await hash(DEMO_PASSWORD);
  const participantEmails = FEATURED_PARTICIPANTS.map((f) => f.email);
  const participants = await queryRows<{ id: number; email: string; full_name: string }>(
    db,
    sql`select id, email, full_name from participant where email = any(${p(participantEmails)}::text[])`,
  );
  const byEmail = new Map(participants.map((x) => [x.email, x]));
  const displayNames: Record<string, string> = {
    'admin@demo.npq-ops.test': 'Demo Administrator',
    'programme.team@demo.npq-ops.test': 'Programme Team',
    'partner.north@demo.npq-ops.test': 'North Star Partner',
    'partner.south@demo.npq-ops.test': 'South Coast Partner',
    'coach@demo.npq-ops.test': 'Demo Coach',
    'assessor@demo.npq-ops.test': 'Demo Assessor',
  };
  const users = DEMO_SIGN_INS.flatMap((s) => {
    const participant = byEmail.get(s.email);
    if (s.role === 'participant' && !participant) return []; // too few participants generated
    const partner =
      s.role === 'delivery_partner_staff'
        ? partnerIds.get(s.email.startsWith('partner.north') ? 'north' : 'south')!
        : null;
    const scopedToProvider = !['admin', 'participant', 'delivery_partner_staff'].includes(s.role);
    return [
      {
        email: s.email,
        displayName: participant?.full_name ?? displayNames[s.email] ?? s.email,
        role: s.role,
        leadProviderId: scopedToProvider ? leadProviderId : null,
        partnerId: partner,
        participantId: participant?.id ?? null,
      },
    ];
  });
  await db.execute(sql`
    insert into app_user (email, display_name, password_hash, role, lead_provider_id, delivery_partner_id, participant_id)
    select u.email, u.display_name, ${passwordHash}, u.role, u.lead_provider_id, u.partner_id, u.participant_id
    from unnest(
      ${p(users.map((u) => u.email))}::text[],
      ${p(users.map((u) => u.displayName))}::text[],
      ${p(users.map((u) => u.role))}::text[],
      ${p(users.map((u) => u.leadProviderId))}::int[],
      ${p(users.map((u) => u.partnerId))}::int[],
      ${p(users.map((u) => u.participantId))}::int[]
    ) as u(email, display_name, role, lead_provider_id, partner_id, participant_id)`);
  // The demo coach works with every active participant of a coaching programme (NPQEL, EHCO).
  await db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select distinct u.id, e.participant_id
    from app_user u
    cross join enrolment e
    join cohort c on c.id = e.cohort_id
    join programme pr on pr.id = c.programme_id
    where u.email = 'coach@demo.npq-ops.test' and pr.coaching_entitled and e.status = 'active'`);
  return users.length;
}

/**
 * The demo's DfE milestone dates for its cohort years other than 2025 (whose dates are the DfE's
 * own, added with the catalogue): the 2025 days moved by whole years. Demo data only: a real
 * deployment enters each year's dates from the DfE's published schedule.
 */
export function demoMilestoneSchedules(): ScheduleMilestones[] {
  const shift = (d: string, years: number) => `${Number(d.slice(0, 4)) + years}${d.slice(4)}`;
  return DEMO_YEARS.filter((y) => y !== 2025).flatMap((year) =>
    DFE_2025_MILESTONES.map((m) => ({
      ...m,
      cohortYear: year,
      startedOn: shift(m.startedOn, year - 2025),
      retained1On: shift(m.retained1On, year - 2025),
      retained2On: m.retained2On && shift(m.retained2On, year - 2025),
      completedOn: shift(m.completedOn, year - 2025),
    })),
  );
}

/**
 * Seeds the catalogue (if needed) and a whole demo lead provider. Refuses to run twice: call it on
 * an empty database (see isDatabaseEmpty).
 */
export async function seedDemo(db: Db, options: DemoSeedOptions): Promise<DemoSeedSummary> {
  const seed = (options.seed ?? DEFAULT_DEMO_SEED) >>> 0;
  const nowMs = (options.now ?? DEFAULT_DEMO_NOW).getTime();
  const total = Math.max(0, Math.floor(options.participants));
  const chunkSize = Math.max(1, options.chunkSize ?? 2000);

  return db.transaction(async (tx) => {
    const [exists] = await queryRows<{ found: boolean }>(
      tx,
      sql`select exists (select 1 from lead_provider where slug = ${LEAD_PROVIDER.slug}) as found`,
    );
    if (exists?.found) {
      throw new Error(`Demo data is already present (lead provider "${LEAD_PROVIDER.slug}")`);
    }
    await seedCatalogue(tx);
    const org = await insertOrganisations(tx);
    const schools = schoolCount(total);
    const schoolsByRegion = await insertSchools(tx, seed, schools);
    const cohorts = await insertCohorts(tx, org.leadProviderId, total, nowMs);
    await seedMilestoneSchedules(tx, demoMilestoneSchedules());
    const world: World = {
      seed,
      nowMs,
      cohorts,
      cohortByKey: new Map(cohorts.map((c) => [c.key, c])),
      partnerIds: org.partnerIds,
      schoolsByRegion,
      coveredRegionCodes: org.coveredRegionCodes,
    };

    let participants = 0;
    let employments = 0;
    let engagementRecords = 0;
    for (let start = 1; start <= total; start += chunkSize) {
      const end = Math.min(total, start + chunkSize - 1);
      const rows: ParticipantRow[] = [];
      for (let ordinal = start; ordinal <= end; ordinal++)
        rows.push(makeParticipant(world, ordinal));
      const result = await insertParticipantChunk(tx, rows);
      participants += rows.length;
      employments += result.employments;
      engagementRecords += result.engagement;
      options.onProgress?.(participants, total);
    }

    const users = options.withUsers ? await insertUsers(tx, org.leadProviderId, org.partnerIds) : 0;
    return {
      seed,
      now: new Date(nowMs).toISOString(),
      leadProviderId: org.leadProviderId,
      regions: REGIONS.length,
      deliveryPartners: PARTNERS.length,
      schools,
      cohorts: cohorts.length,
      participants,
      enrolments: participants,
      employments,
      engagementRecords,
      users,
    };
  });
}
