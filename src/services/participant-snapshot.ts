/**
 * One snapshot of an enrolment, as its participant's My programme page shows it (issue 13): the
 * policy's facts (enrolment, participant, cohort, dated plan, completed work), the module schedule,
 * the bookings, the open engagement alerts, the agreed deferral with who to contact, and the cohort
 * a deferred participant re-joins. ONE statement: the facts statement of loadEnrolmentFacts with
 * the page's parts nested as JSON, each the same select its own service runs on its own, and who
 * may see the enrolment as its condition (an enrolment the actor may not see is not found).
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRowsPrepared } from '../db/client.js';
import {
  enrolmentFactsStatement,
  factsFromRow,
  moduleScheduleOf,
  type CohortFacts,
  type EnrolmentFacts,
  type FactsRow,
  type ModuleSchedule,
} from '../db/queries/enrolment-facts.js';
import { londonDateOf } from '../policy/index.js';
import type { Actor } from './actor.js';
import { enrolmentVisibleTo } from './authorisation.js';
import {
  BOOKING_SELECT,
  bookingsOf,
  COACHING_SELECT,
  type BookingRow,
  type BookingView,
  type CoachingRow,
  type CoachingSessionView,
} from './bookings.js';
import {
  CURRENT_DEFERRAL_SELECT,
  toCurrentDeferral,
  type CurrentDeferral,
  type CurrentDeferralRow,
} from './deferral-status.js';
import { registerInForce } from './policy-register.js';
import { engagementOf, type EnrolmentEngagement } from './engagement/read.js';
import {
  OPEN_ALERTS_SELECT,
  toOpenAlert,
  type OpenAlert,
  type OpenAlertRow,
} from './engagement-alerts.js';
import { NotFoundError } from './errors.js';
import {
  CONTACT_SELECT,
  toContactDetails,
  type ContactDetails,
  type ContactRow,
} from './organisations/contacts.js';
import type { ServiceDeps } from './participants.js';

export type { ModuleSchedule } from '../db/queries/enrolment-facts.js';

export interface ParticipantSnapshot {
  facts: EnrolmentFacts;
  cohort: CohortFacts;
  /** Where the enrolment stands against 2.1.1, as getEnrolmentEngagement answers. */
  engagement: EnrolmentEngagement;
  /** The cohort's modules with their release and ideal windows, in programme order. */
  modules: ModuleSchedule[];
  /** As listBookings answers: events and coaching, soonest first. */
  bookings: { events: BookingView[]; coaching: CoachingSessionView[] };
  /** The open alerts the daily job raised (2.1.1), as openAlertsForEnrolments answers. */
  alerts: OpenAlert[];
  /** As currentDeferralOf answers, and with it (only) who to contact, as contactDetailsFor. */
  currentDeferral: CurrentDeferral | null;
  contact: ContactDetails | null;
  /** A deferred enrolment's re-joined cohort and day (its deadline and pace come from there). */
  rejoin: { cohortName: string; on: string } | null;
  /**
   * The version (xmin) of the engagement answer stored for today, read in the same statement as
   * everything above, or null when none is stored: what the page was worked out from stays the
   * same exactly as long as that row does (its triggers, drizzle/0028 and 0030, delete it with any
   * change to what the page shows). src/web/held-pages.ts holds the page under it.
   */
  answerVersion: string | null;
}

interface SnapshotRow extends FactsRow {
  booking_rows: BookingRow[] | null;
  coaching_rows: CoachingRow[] | null;
  alert_rows: OpenAlertRow[] | null;
  deferral_row: CurrentDeferralRow | null;
  contact_row: ContactRow | null;
  rejoin_row: { cohort_name: string; rejoin_date: string } | null;
  answer_version: string | null;
}

/**
 * Each part is wrapped as `(select … from (THE SELECT) x where x.enrolment_id = e.id)`: the inner
 * select keeps its own aliases, and only `x` meets the snapshot's enrolment `e`.
 */
const SNAPSHOT_COLUMNS = sql`
  (select json_agg(x order by x.starts_at, x.id) from (${BOOKING_SELECT}) x where x.enrolment_id = e.id) as booking_rows,
  (select json_agg(x order by x.starts_at, x.id) from (${COACHING_SELECT}) x where x.enrolment_id = e.id) as coaching_rows,
  (select json_agg(x order by x.raised_on, x.kind) from (${OPEN_ALERTS_SELECT}) x where x.enrolment_id = e.id) as alert_rows,
  (select row_to_json(x) from (${CURRENT_DEFERRAL_SELECT}) x where x.enrolment_id = e.id
   order by x.id desc nulls last limit 1) as deferral_row,
  (select row_to_json(x) from (${CONTACT_SELECT}) x where x.enrolment_id = e.id) as contact_row,
  (select row_to_json(x) from (
     select c.name as cohort_name, dc.rejoin_date::text from deferral_case dc join cohort c on c.id = dc.target_cohort_id
     where dc.enrolment_id = e.id and dc.rejoin_date is not null
       and dc.status in ('deferred', 'intent_contact_due', 'confirmed')
     order by dc.id desc limit 1) x) as rejoin_row`;

/** The version of the answer stored for `today` (see ParticipantSnapshot.answerVersion). */
const answerVersionColumn = (today: string) => sql`
  (select s.xmin::text from enrolment_engagement_answer s
   where s.enrolment_id = e.id and s.answered_on = ${today}::date) as answer_version`;

/** The snapshot's one statement: no row when the actor may not see the enrolment. */
export function participantSnapshotStatement(
  actor: Actor,
  enrolmentId: number,
  today: string,
): SQL {
  return enrolmentFactsStatement(enrolmentId, {
    columns: sql`${SNAPSHOT_COLUMNS}, ${answerVersionColumn(today)}`,
    where: enrolmentVisibleTo(actor),
  });
}

/** The snapshot of an enrolment the actor may see, in one statement; else NotFoundError. */
export async function loadParticipantSnapshot(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<ParticipantSnapshot> {
  const today = londonDateOf(clock.now());
  // A named statement: each PostgreSQL connection plans it once (it planned in about 3 ms).
  const [row] = await queryRowsPrepared<SnapshotRow>(
    db,
    participantSnapshotStatement(actor, enrolmentId, today),
  );
  // The version of the policy in force today decides (3.1.1). Read after the snapshot, never
  // beside it: a change to the register deletes the stored answer, so a register read later than
  // the answer's version is never older than it (a page held under that version is never worked
  // out from a register replaced before the version was stored).
  const register = await registerInForce(db, today);
  const facts = row ? factsFromRow(row) : null;
  if (!row || !facts) throw new NotFoundError('Enrolment not found');
  const currentDeferral = row.deferral_row ? toCurrentDeferral(row.deferral_row, today) : null;
  return {
    facts,
    cohort: facts.cohort,
    engagement: engagementOf(facts, today, register),
    modules: moduleScheduleOf(row),
    bookings: bookingsOf(actor, row.booking_rows ?? [], row.coaching_rows ?? []),
    alerts: (row.alert_rows ?? []).map(toOpenAlert),
    currentDeferral,
    contact: currentDeferral && row.contact_row ? toContactDetails(row.contact_row) : null,
    rejoin:
      facts.enrolment.status === 'deferred' && row.rejoin_row
        ? { cohortName: row.rejoin_row.cohort_name, on: row.rejoin_row.rejoin_date }
        : null,
    answerVersion: row.answer_version,
  };
}
