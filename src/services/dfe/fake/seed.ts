/**
 * Realistic applications and statements for the fake DfE API: deterministic (the same seed gives
 * the same applications), using the schools, courses and cohorts of the catalogue it is given so
 * that accepting one in npq-ops finds its school and cohort.
 */
import { Random } from '../../../db/seed/random.js';
import {
  schedulesFor,
  type CourseIdentifier,
  type FakeApplication,
  type FakeDfeState,
  type FakeStatement,
} from './state.js';
import { MONTH_NAMES } from '../../../policy/dates.js';

export interface FakeOffer {
  courseIdentifier: CourseIdentifier;
  cohortYear: number;
}

export interface SeedOptions {
  count: number;
  seed?: number;
  /** Schools the applicants work at (GIAS URNs known to npq-ops). */
  schoolUrns: readonly string[];
  /** The course and cohort pairs applied for (npq-ops cohorts). */
  offers: readonly FakeOffer[];
  /** Applications are created and updated over the days before this instant. */
  before: Date;
  /** Over how many days before `before` (default 60). */
  spreadDays?: number;
}

const FIRST = [
  'Amara',
  'Ben',
  'Chloe',
  'Dev',
  'Eilidh',
  'Femi',
  'Grace',
  'Hamza',
  'Isla',
  'Jonah',
  'Kiran',
  'Lena',
  'Mo',
  'Niamh',
  'Oscar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
  'Una',
  'Vik',
  'Wren',
  'Yusuf',
  'Zara',
] as const;
const LAST = [
  'Adeyemi',
  'Brown',
  'Campbell',
  'Davies',
  'Evans',
  'Fraser',
  'Green',
  'Hussain',
  'Iqbal',
  'Jones',
  'Khan',
  'Lewis',
  'Morgan',
  'Nowak',
  "O'Neill",
  'Patel',
  'Roberts',
  'Singh',
  'Taylor',
  'Walker',
  'Williams',
  'Wright',
  'Young',
] as const;
const ROLES = [
  'Class teacher',
  'Head of year',
  'Deputy headteacher',
  'Assistant headteacher',
  'SENCO',
  'Headteacher',
  'Subject lead',
] as const;

/** A UUID (version 4 layout) drawn from the seeded stream, so seeds are repeatable. */
function uuid(r: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => r.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + r.int(0, 3)).toString(16)}${hex(3)}-${hex(12)}`;
}

/** Builds `count` pending applications (a few already decided by the DfE's other providers). */
export function seedApplications(state: FakeDfeState, options: SeedOptions): FakeApplication[] {
  if (options.schoolUrns.length === 0 || options.offers.length === 0)
    throw new Error('The fake DfE needs at least one school URN and one course and cohort');
  const seed = options.seed ?? 1;
  const spreadMs = (options.spreadDays ?? 60) * 86_400_000;
  const made: FakeApplication[] = [];
  for (let n = 0; n < options.count; n += 1) {
    const r = Random.for(seed, 77, n);
    const offer = r.pick(options.offers);
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const created = new Date(options.before.getTime() - spreadMs + Math.floor(r.next() * spreadMs));
    const updated = new Date(
      Math.min(options.before.getTime() - 1000, created.getTime() + r.int(0, 3) * 3_600_000),
    );
    const eligible = r.chance(0.8);
    const trn = String(r.int(1_000_000, 9_999_999));
    const course = offer.courseIdentifier;
    const app: FakeApplication = {
      id: uuid(r),
      type: 'npq_application',
      attributes: {
        course_identifier: course,
        email:
          `${first}.${last}.${n}`.toLowerCase().replace(/[^a-z0-9.]/g, '') + '@school.example.org',
        email_validated: true,
        employer_name: null,
        employment_role: r.pick(ROLES),
        full_name: `${first} ${last}`,
        funding_choice: eligible ? null : r.pick(['school', 'trust', 'self', 'employer'] as const),
        headteacher_status: course === 'npq-headship' ? 'yes_when_course_starts' : 'no',
        ineligible_for_funding_reason: eligible
          ? null
          : r.pick(['previously-funded', 'establishment-ineligible'] as const),
        participant_id: uuid(r),
        private_childcare_provider_urn: null,
        teacher_reference_number: trn,
        teacher_reference_number_validated: r.chance(0.9),
        school_urn: r.pick(options.schoolUrns),
        school_ukprn: String(r.int(10_000_000, 10_099_999)),
        status: 'pending',
        reason_for_rejection: null,
        works_in_school: true,
        cohort: String(offer.cohortYear),
        cohort_suffix: 'a',
        eligible_for_funding: eligible,
        targeted_delivery_funding_eligibility: r.chance(0.2),
        teacher_catchment: true,
        teacher_catchment_country: 'United Kingdom of Great Britain and Northern Ireland',
        teacher_catchment_iso_country_code: 'GBR',
        itt_provider: null,
        lead_mentor: false,
        funded_place: null,
        created_at: created.toISOString(),
        updated_at: updated.toISOString(),
        schedule_identifier: r.pick(schedulesFor(course)),
        works_as_senco: course === 'npq-senco',
        senco_start_date: course === 'npq-senco' ? `${offer.cohortYear - 1}-09-01` : null,
      },
    };
    state.addApplication(app);
    made.push(app);
  }
  return made;
}

/** Monthly statements for each cohort year: cut-off at the month's end, paid on the 25th after. */
export function seedStatements(
  state: FakeDfeState,
  cohortYears: readonly number[],
  seed = 1,
): FakeStatement[] {
  const made: FakeStatement[] = [];
  const months = MONTH_NAMES;
  for (const year of [...new Set(cohortYears)]) {
    // Statements run from the cohort's autumn to the end of its third year.
    for (let i = 0; i < 30; i += 1) {
      const r = Random.for(seed, 91, year * 100 + i);
      const month = (8 + i) % 12;
      const calendarYear = year + Math.floor((8 + i) / 12);
      const cutOff = new Date(Date.UTC(calendarYear, month + 1, 0));
      const payment = new Date(Date.UTC(calendarYear, month + 1, 25));
      const statement: FakeStatement = {
        id: uuid(r),
        type: 'statement',
        attributes: {
          month: months[month]!,
          year: String(calendarYear),
          cohort: String(year),
          cut_off_date: cutOff.toISOString().slice(0, 10),
          payment_date: payment.toISOString().slice(0, 10),
          paid: payment.getTime() < state.now().getTime(),
          created_at: new Date(Date.UTC(year, 5, 1)).toISOString(),
          updated_at: new Date(Date.UTC(year, 5, 1)).toISOString(),
        },
      };
      state.addStatement(statement);
      made.push(statement);
    }
  }
  return made;
}
