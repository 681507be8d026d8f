import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { addDays } from '../../src/policy/index.js';
import { checkPreWindowDeferral } from '../../src/services/assessment-deferrals.js';
import { bookEvent } from '../../src/services/bookings.js';
import { calendarFeedIcs, issueCalendarFeed } from '../../src/services/calendar-feed.js';
import { previewEventChange } from '../../src/services/cohort-events.js';
import { checkDraft, generateCohortDraft } from '../../src/services/cohort-setup.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { PolicyRefusalError } from '../../src/services/errors.js';
import { withdrawNonReturners } from '../../src/services/daily.js';
import { previewStaffAction } from '../../src/services/participant-record/actions.js';
import { agreeRejoinDate } from '../../src/services/rejoin-date.js';
import { exportTransfer, recordSchoolMove } from '../../src/services/school-moves.js';
import { signTransferPackage } from '../../src/services/transfers/package.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { TEAM, approveVersion } from '../support/policy-versions.js';
import { prepareTransfer } from '../support/transfer-worlds.js';

/**
 * Issue 16, the sites with no test of their own: version 2.4 comes into force on 1 April with other
 * notice periods (clinics 70 days, conferences 60, community sessions 30), intent to return asked
 * 60 days ahead, assessment windows of 10 days (8 in 2.2), 3 attempts (2) and a 95%
 * threshold. On 31 March each site still decides under 2.2; on 1 April
 * under 2.4, and the decision says so.
 */
let w: DemoWorld;
const deps = () => ({ db: w.t.db, clock: w.clock });
const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};
const BEFORE = '2026-03-31T12:00:00Z';
const ON = '2026-04-01T12:00:00Z';
const P1 = 'participant1@demo.npq-ops.test';

beforeAll(async () => {
  w = await createDemoWorld(); // today 2026-03-16
  await approveVersion(
    w,
    '2.4',
    {
      engagementThresholdBp: '95',
      intentContactLeadDays: '60',
      assessmentWindowDays: '10',
      assessmentAttempts: '3',
      'eventNoticeDays.clinic': '70',
      'eventNoticeDays.conference': '60',
      'eventNoticeDays.community_session': '30',
    },
    '2026-04-01',
  );
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('event notice periods (2.1.3)', () => {
  it('a cohort draft is checked against 2.2’s notice periods before 1 April and 2.4’s from then', async () => {
    const [cohort] = await queryRows<{ programme_id: number; start_date: string }>(
      w.t.db,
      sql`select programme_id, start_date::text from cohort where name = 'NPQH 2025'`,
    );
    const draftOn = async (iso: string) => {
      at(iso);
      const draft = await generateCohortDraft(deps(), await w.actor(TEAM), {
        programmeId: cohort!.programme_id,
        startDate: addDays(cohort!.start_date, 365),
        clinicCapacity: 20,
        isFinal: false,
        contractEndDate: null,
      });
      return { draft, checks: checkDraft(draft) };
    };
    const before = await draftOn(BEFORE);
    expect(before.draft.register.version).toBe('2.2');
    expect(before.checks.notices).toEqual([]);
    expect(before.checks.ok).toBe(true);

    const after = await draftOn(ON);
    expect(after.draft.register.version).toBe('2.4');
    // The opening conference was published 42 days ahead and the first three clinics 64 to 66 days:
    // enough under 2.2 (42 days each), short under 2.4 (60 and 70 days). Nothing else changes.
    expect(
      after.checks.notices.map(({ decision }) => {
        const details = decision.details as { requiredDays: number; noticeDays: number };
        return [decision.policyVersion, decision.outcome, details.requiredDays, details.noticeDays];
      }),
    ).toEqual([
      ['2.4', 'not_met', 60, 42],
      ['2.4', 'not_met', 70, 64],
      ['2.4', 'not_met', 70, 65],
      ['2.4', 'not_met', 70, 66],
    ]);
    expect(after.checks.notices[0]!.label).toContain('conference');
    expect(after.checks.noticesChecked).toBe(before.checks.noticesChecked);
    expect(after.checks.ok).toBe(false);
    // The window length (2.2.1.5) of the day too: a window closes 8 days on under 2.2, 10 under 2.4.
    const opensOn = before.draft.windows[0]!.opensOn;
    expect(before.draft.windows[0]!.closesOn).toBe(addDays(opensOn, 7));
    expect(after.draft.windows[0]).toEqual({ opensOn, closesOn: addDays(opensOn, 9) });
  });

  it('booking a community session published 25 days ahead: notice met under 2.2 (14 days), not under 2.4 (30)', async () => {
    // Two active enrolments in one cohort, other than participant 1's, and a session of theirs.
    const pair = await queryRows<{ id: number; cohort_id: number; programme_id: number }>(
      w.t.db,
      sql`select e.id, e.cohort_id, co.programme_id from enrolment e join cohort co on co.id = e.cohort_id
          join participant p on p.id = e.participant_id
          where e.status = 'active' and p.email <> ${P1}
            and e.cohort_id = (select e2.cohort_id from enrolment e2 where e2.status = 'active'
                               group by e2.cohort_id having count(*) >= 3 order by e2.cohort_id limit 1)
          order by e.id limit 2`,
    );
    expect(pair).toHaveLength(2);
    const [activity] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from programme_activity where programme_id = ${pair[0]!.programme_id}
          and kind = 'community_session' order by id limit 1`,
    );
    const [event] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, location, published_on)
          values (${pair[0]!.cohort_id}, ${activity!.id}, '2026-05-20T15:30:00Z', '2026-05-20T16:30:00Z', 'Online', '2026-04-25')
          returning id`,
    );
    const team = await w.actor(TEAM);
    at(BEFORE);
    const first = await bookEvent(deps(), team, {
      enrolmentId: pair[0]!.id,
      cohortEventId: event!.id,
    });
    expect(first.decision).toMatchObject({
      policyVersion: '2.2',
      outcome: 'met',
      details: { requiredDays: 14, noticeDays: 25 },
    });
    at(ON);
    const second = await bookEvent(deps(), team, {
      enrolmentId: pair[1]!.id,
      cohortEventId: event!.id,
    });
    expect(second.decision).toMatchObject({
      policyVersion: '2.4',
      outcome: 'not_met',
      details: { requiredDays: 30, noticeDays: 25 },
    });
  });
});

describe('moving an event to a new date (2.1.3)', () => {
  it('a community session moved to 20 days ahead gives notice under 2.2 (14 days), not under 2.4 (30)', async () => {
    const [cohort] = await queryRows<{ id: number; programme_id: number }>(
      w.t.db,
      sql`select id, programme_id from cohort where name = 'NPQH 2025'`,
    );
    const [activity] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from programme_activity where programme_id = ${cohort!.programme_id}
          and kind = 'community_session' order by id limit 1`,
    );
    const [event] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, location, published_on)
          values (${cohort!.id}, ${activity!.id}, '2026-06-30T15:30:00Z', '2026-06-30T16:30:00Z', 'Online', '2026-03-01')
          returning id`,
    );
    const previewOn = async (iso: string) => {
      at(iso);
      const preview = await previewEventChange(deps(), await w.actor(TEAM), {
        cohortId: cohort!.id,
        eventId: event!.id,
        date: addDays(iso.slice(0, 10), 20),
        startTime: '16:30',
        endTime: '17:30',
        location: 'Online',
        capacity: null,
        shortNoticeReason: '',
      });
      return { notice: preview.notice, refused: preview.refused };
    };
    expect(await previewOn(BEFORE)).toMatchObject({
      notice: { policyVersion: '2.2', outcome: 'met', details: { requiredDays: 14 } },
      refused: false,
    });
    expect(await previewOn(ON)).toMatchObject({
      notice: { policyVersion: '2.4', outcome: 'not_met', details: { requiredDays: 30 } },
      refused: true,
    });
  });
});

describe('intent to return (2.3.7, intentContactLeadDays)', () => {
  it('agreeing the re-join date sets the contact 28 days ahead under 2.2 and 60 days ahead under 2.4', async () => {
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join participant p on p.id = e.participant_id
          where p.email = ${P1} and e.status = 'active' order by e.id limit 1`,
    );
    at('2026-03-16T10:00:00Z');
    const staff = await w.actor('partner.south@demo.npq-ops.test');
    let c = await requestDeferral(deps(), staff, {
      enrolmentId: e!.id,
      circumstance: 'maternity_leave',
      description: 'Baby due in April',
    });
    c = await recordDeferralDiscussion(deps(), staff, c.id, {
      expectedVersion: c.version,
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    c = await approveDeferral(deps(), staff, c.id, { expectedVersion: c.version });
    c = await startDeferral(deps(), staff, c.id, { expectedVersion: c.version });
    const rejoinOn = c.rejoinDate!;
    expect(rejoinOn > '2026-06-01').toBe(true);

    const agreedUnder = async () =>
      (
        await queryRows<{ version: string }>(
          w.t.db,
          sql`select decision->'agreedRejoinDate'->>'policyVersion' as version
              from deferral_case where id = ${c.id}`,
        )
      )[0]!.version;
    at(BEFORE);
    c = await agreeRejoinDate(deps(), staff, c.id, { rejoinOn, expectedVersion: c.version });
    expect(c.intentContactDueOn).toBe(addDays(rejoinOn, -28));
    expect(await agreedUnder()).toBe('2.2');
    at(ON);
    c = await agreeRejoinDate(deps(), staff, c.id, { rejoinOn, expectedVersion: c.version });
    expect(c.intentContactDueOn).toBe(addDays(rejoinOn, -60));
    expect(await agreedUnder()).toBe('2.4');
    const [row] = await queryRows<{ due: string }>(
      w.t.db,
      sql`select intent_contact_due_on::text as due from deferral_case where id = ${c.id}`,
    );
    expect(row!.due).toBe(addDays(rejoinOn, -60));
  });
});

describe('the calendar feed’s engagement deadline (2.1.1)', () => {
  it('reads “90% engagement deadline” on 31 March and “95%” from 1 April', async () => {
    at(BEFORE);
    const { token } = await issueCalendarFeed(deps(), await w.actor(P1));
    const before = await calendarFeedIcs(deps(), token);
    expect(before).toContain('90% engagement deadline');
    expect(before).not.toContain('95% engagement deadline');
    at(ON);
    const after = await calendarFeedIcs(deps(), token);
    expect(after).toContain('95% engagement deadline');
    expect(after).not.toContain('90% engagement deadline');
  });
});

describe('the version stamped on school moves and transfers (2.6)', () => {
  it('a transfer export refused for want of consent says 2.2 on 31 March and 2.4 on 1 April', async () => {
    const { transferId } = await prepareTransfer(w);
    await w.t.db.execute(
      sql`update transfer_case set data_sharing_consent = null, consent_recorded_at = null where id = ${transferId}`,
    );
    const refusedOn = async (iso: string) => {
      at(iso);
      const [row] = await queryRows<{ version: number }>(
        w.t.db,
        sql`select version from transfer_case where id = ${transferId}`,
      );
      const e = await exportTransfer(deps(), await w.actor(TEAM), transferId, {
        expectedVersion: row!.version,
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PolicyRefusalError);
      return (e as PolicyRefusalError).decision;
    };
    const before = await refusedOn(BEFORE);
    expect(before.policyVersion).toBe('2.2');
    expect(before.reasons.map((r) => r.code)).toContain('PORTABILITY.NO_DATA_SHARING_CONSENT');
    expect((await refusedOn(ON)).policyVersion).toBe('2.4');
    // The signed package is refused the same way, before any key is needed, under the day's version.
    const signRefusedOn = async (iso: string) => {
      at(iso);
      const e = await signTransferPackage(deps(), await w.actor(TEAM), transferId).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(PolicyRefusalError);
      return (e as PolicyRefusalError).decision.policyVersion;
    };
    expect(await signRefusedOn(BEFORE)).toBe('2.2');
    expect(await signRefusedOn(ON)).toBe('2.4');
  });

  it('a school move’s decision records 2.2 on 31 March and 2.4 on 1 April', async () => {
    // Two active enrolments other than participant 1's (the deferral test's) and the transfer's (2).
    const movers = await queryRows<{ enrolment_id: number; urn: string }>(
      w.t.db,
      sql`select e.id as enrolment_id,
                 (select s.urn from school s
                  where exists (select 1 from lead_provider_region lr where lr.region_id = s.region_id)
                    and s.id <> p.current_school_id order by s.id limit 1) as urn
          from enrolment e join participant p on p.id = e.participant_id
          where e.status = 'active' and p.email <> ${P1} and p.id <> 2
          order by e.id limit 2`,
    );
    expect(movers).toHaveLength(2);
    const moveOn = async (iso: string, m: { enrolment_id: number; urn: string }) => {
      at(iso);
      const view = await recordSchoolMove(deps(), await w.actor(TEAM), {
        enrolmentId: m.enrolment_id,
        newSchoolUrn: m.urn,
        movedOn: '2026-03-20',
      });
      return view.decision;
    };
    expect(await moveOn(BEFORE, movers[0]!)).toMatchObject({
      policyVersion: '2.2',
      outcome: 'allowed',
    });
    expect(await moveOn(ON, movers[1]!)).toMatchObject({
      policyVersion: '2.4',
      outcome: 'allowed',
    });
  });
});

describe('withdrawals and the pre-window assessment deferral', () => {
  const someEnrolment = async () => {
    const [row] = await queryRows<{ id: number; participant_id: number }>(
      w.t.db,
      sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
          where e.status = 'active' and p.email <> ${P1} and p.id <> 2
            and exists (select 1 from assessment_window aw where aw.cohort_id = e.cohort_id and aw.opens_on > '2026-04-01')
          order by e.id desc limit 1`,
    );
    return row!;
  };

  it('a staff withdrawal’s decision (previewed) records the version of the day', async () => {
    const e = await someEnrolment();
    const previewOn = async (iso: string) => {
      at(iso);
      const preview = await previewStaffAction(deps(), await w.actor(TEAM), e.participant_id, {
        kind: 'withdrawal',
        enrolmentId: e.id,
        reason: 'personal-reason-other',
        withdrawnOn: iso.slice(0, 10),
        note: 'Leaving teaching',
      });
      return preview.decisions.map((d) => [d.decision.policyVersion, d.decision.outcome]);
    };
    expect(await previewOn(BEFORE)).toEqual([['2.2', 'allowed']]);
    expect(await previewOn(ON)).toEqual([['2.4', 'allowed']]);
  });

  it('asking before a window keeps 2 attempts under 2.2 and 3 under 2.4', async () => {
    const e = await someEnrolment();
    const checkOn = async (iso: string) => {
      at(iso);
      const { decision } = await checkPreWindowDeferral(deps(), await w.actor(TEAM), e.id);
      const details = decision.details as { attemptsRemaining: number };
      return {
        version: decision.policyVersion,
        remaining: details.attemptsRemaining,
        text: decision.reasons.map((r) => r.message).join(' '),
      };
    };
    const before = await checkOn(BEFORE);
    expect(before).toMatchObject({ version: '2.2', remaining: 2 });
    expect(before.text).toContain('your right to 2 assessment attempts');
    const after = await checkOn(ON);
    expect(after).toMatchObject({ version: '2.4', remaining: 3 });
    expect(after.text).toContain('your right to 3 assessment attempts');
  });
});

describe('the daily job: no answer after a deferral (2.3.8)', () => {
  it('the withdrawal of a participant who did not return records 2.2 on 31 March and 2.4 on 1 April', async () => {
    // A north participant's enrolment, not among the two lowest the school-move test takes.
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join participant p on p.id = e.participant_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where e.status = 'active' and dp.slug = 'north' and p.id > 2
          order by e.id offset 2 limit 1`,
    );
    at('2026-03-16T10:00:00Z');
    const staff = await w.actor('partner.north@demo.npq-ops.test');
    let c = await requestDeferral(deps(), staff, {
      enrolmentId: e!.id,
      circumstance: 'maternity_leave',
      description: 'Baby due in April',
    });
    c = await recordDeferralDiscussion(deps(), staff, c.id, {
      expectedVersion: c.version,
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    c = await approveDeferral(deps(), staff, c.id, { expectedVersion: c.version });
    c = await startDeferral(deps(), staff, c.id, { expectedVersion: c.version });
    // The restart day has passed with no answer.
    await w.t.db.execute(
      sql`update deferral_case set rejoin_date = '2026-03-30' where id = ${c.id}`,
    );
    const rollback = new Error('rollback');
    const runOn = async (day: string, keep: boolean) => {
      let result: { withdrawn: number; version: string | undefined } | undefined;
      await w.t.db
        .transaction(async (tx) => {
          const withdrawn = await withdrawNonReturners(tx, day, new Date(`${day}T05:00:00Z`));
          const [row] = await queryRows<{ version: string }>(
            tx,
            sql`select decision->'returnFromDeferral'->>'policyVersion' as version
                from deferral_case where id = ${c.id}`,
          );
          result = { withdrawn, version: row?.version };
          if (!keep) throw rollback;
        })
        .catch((x: unknown) => {
          if (x !== rollback) throw x;
        });
      return result;
    };
    // 31 March, rolled back so that the same case can be run again on 1 April.
    expect(await runOn('2026-03-31', false)).toEqual({ withdrawn: 1, version: '2.2' });
    expect(await runOn('2026-04-01', true)).toEqual({ withdrawn: 1, version: '2.4' });
  });
});
