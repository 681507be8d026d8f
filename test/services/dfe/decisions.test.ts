import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../src/clock.js';
import { queryRows } from '../../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../../src/db/seed/demo.js';
import type { Actor } from '../../../src/services/actor.js';
import { createDfeClient } from '../../../src/services/dfe/client.js';
import {
  acceptApplication,
  changeFundedPlace,
  rejectApplication,
} from '../../../src/services/dfe/applications/decisions.js';
import { deliverDueDfeRequests } from '../../../src/services/dfe/outbox/delivery.js';
import { pullApplications } from '../../../src/services/dfe/applications/pull.js';
import { getApplication, listApplications } from '../../../src/services/dfe/applications/queue.js';
import { getSyncStatus, retryAction } from '../../../src/services/dfe/applications/sync.js';
import {
  catalogueForFake,
  seedApplications,
  startFakeDfe,
  type FakeApplication,
  type FakeDfe,
} from '../../../src/services/dfe/fake/index.js';
import { createDemoWorld, type DemoWorld } from '../../support/demo-world.js';

// The staff queue's decisions, end to end against the stateful fake DfE: accept creates the
// participant, enrolment, account and invitation and tells the DfE; reject and change of funded
// place reach the DfE; refusals keep the DfE's words; 5xx are retried later.
let w: DemoWorld;
let fake: FakeDfe;
let team: Actor;
let partnerStaff: Actor;
let now = new Date(DEFAULT_DEMO_NOW);
const clock: Clock = { now: () => new Date(now) };
let apps: FakeApplication[] = [];
const ids = new Map<string, { id: number; version: number }>();

const dfe = () => createDfeClient({ url: fake.url, token: 'fake' }, { timeoutMs: 2_000 });
const deps = () => ({ db: w.t.db, clock, publicUrl: 'http://localhost:3000' });
// The one DfE outbox delivery, its report folded to what these decisions need.
const deliver = async () => {
  const r = await deliverDueDfeRequests({ db: w.t.db, clock, client: dfe() });
  return {
    sent: r.sent + r.reconciled,
    retrying: r.retrying,
    failed: r.refused + r.failed + r.parked,
  };
};

async function local(dfeId: string) {
  const [row] = await queryRows<{ id: number; version: number }>(
    w.t.db,
    sql`select id, version from dfe_application where dfe_id = ${dfeId}`,
  );
  return row!;
}

// Each test starts at the same instant: one that moves the clock on does not move the next.
beforeEach(() => {
  now = new Date(DEFAULT_DEMO_NOW);
});

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  team = await w.actor('programme.team@demo.npq-ops.test');
  partnerStaff = await w.actor('partner.north@demo.npq-ops.test');
  fake = await startFakeDfe({ now: () => new Date(now) });
  const catalogue = await catalogueForFake(w.t.db, { fromYear: 2026 });
  apps = seedApplications(fake.state, { count: 8, before: now, ...catalogue });
  for (const a of apps) a.attributes.eligible_for_funding = true;
  await pullApplications({ db: w.t.db, clock, dfe: dfe() }, { startedBy: 'test' });
  for (const a of apps) ids.set(a.id, await local(a.id));
});
afterAll(async () => {
  await fake?.stop();
  await w?.destroy();
});

async function partnerId(slug = 'north') {
  const [p] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from delivery_partner where slug = ${slug}`,
  );
  return p!.id;
}

describe('accepting an application', () => {
  it('creates the participant, enrolment in the matching cohort and partner, account and invitation, and tells the DfE', async () => {
    const app = apps[0]!;
    const { id, version } = ids.get(app.id)!;
    const result = await acceptApplication(deps(), team, id, {
      deliveryPartnerId: await partnerId(),
      fundedPlace: true,
      expectedVersion: version,
    });
    expect(result.invited).toBe(true);
    const [enrolment] = await queryRows<{
      status: string;
      slug: string;
      identifier: string;
      year: number;
      dfe_registration_id: string;
      funding_route: string;
      email: string;
    }>(
      w.t.db,
      sql`select e.status, dp.slug, co.identifier, c.year, p.dfe_registration_id, p.funding_route, p.email
          from enrolment e join participant p on p.id = e.participant_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
          join course co on co.id = pr.course_id where e.id = ${result.enrolmentId}`,
    );
    expect(enrolment).toEqual({
      status: 'accepted',
      slug: 'north',
      identifier: app.attributes.course_identifier,
      year: Number(app.attributes.cohort),
      dfe_registration_id: app.attributes.participant_id,
      funding_route: 'dfe_scholarship',
      email: app.attributes.email,
    });
    const invitations = await queryRows<{ template: string }>(
      w.t.db,
      sql`select template from email_message where lower(to_email) = lower(${app.attributes.email!})`,
    );
    expect(invitations).toEqual([{ template: 'participant_invitation' }]);
    // Not yet with the DfE: the decision waits in the outbox, then is delivered.
    expect(fake.state.applications.get(app.id)!.attributes.status).toBe('pending');
    expect(await deliver()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(fake.state.applications.get(app.id)!.attributes).toMatchObject({
      status: 'accepted',
      funded_place: true,
    });
    expect(
      fake.state.participants.get(app.attributes.participant_id!)!.attributes.npq_enrolments![0]!
        .training_status,
    ).toBe('active');
    // The DfE's answer updates our copy (and its history) at once.
    const detail = await getApplication(w.t.db, team, id);
    expect(detail).toMatchObject({
      dfeStatus: 'accepted',
      decision: 'accepted',
      dfeDelivery: 'sent',
    });
    expect(detail.history).toHaveLength(2);
    expect(detail.history[0]!.changed).toEqual(expect.arrayContaining(['status', 'funded_place']));
  });

  it('refuses a second decision, a stale version, and anyone but the programme team and admins', async () => {
    const first = ids.get(apps[0]!.id)!;
    await expect(
      rejectApplication(deps(), team, first.id, {
        reason: 'x',
        expectedVersion: first.version + 1,
      }),
    ).rejects.toMatchObject({ status: 409 });
    const second = ids.get(apps[1]!.id)!;
    await expect(
      acceptApplication(deps(), team, second.id, {
        deliveryPartnerId: await partnerId(),
        fundedPlace: true,
        expectedVersion: second.version + 5,
      }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(
      acceptApplication(deps(), partnerStaff, second.id, {
        deliveryPartnerId: await partnerId(),
        fundedPlace: true,
        expectedVersion: second.version,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(listApplications(w.t.db, partnerStaff)).rejects.toMatchObject({ status: 404 });
    // An eligible applicant needs a funded-place answer.
    await expect(
      acceptApplication(deps(), team, second.id, {
        deliveryPartnerId: await partnerId(),
        expectedVersion: second.version,
      }),
    ).rejects.toMatchObject({ status: 422, errors: [{ path: 'fundedPlace' }] });
  });

  it('changes the funded place of an accepted application at the DfE', async () => {
    const app = apps[0]!;
    const { id } = ids.get(app.id)!;
    const { version } = await local(app.id);
    await changeFundedPlace(deps(), team, id, { fundedPlace: false, expectedVersion: version });
    expect(await deliver()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(fake.state.applications.get(app.id)!.attributes.funded_place).toBe(false);
  });
});

describe('rejecting an application', () => {
  it('keeps the reason and tells the DfE', async () => {
    const app = apps[1]!;
    const { id, version } = ids.get(app.id)!;
    await rejectApplication(deps(), team, id, {
      reason: 'Not employed at an eligible school',
      expectedVersion: version,
    });
    expect(await deliver()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(fake.state.applications.get(app.id)!.attributes.status).toBe('rejected');
    const detail = await getApplication(w.t.db, team, id);
    expect(detail).toMatchObject({
      decision: 'rejected',
      dfeStatus: 'rejected',
      rejectionReason: 'Not employed at an eligible school',
    });
    await expect(
      rejectApplication(deps(), team, ids.get(apps[2]!.id)!.id, {
        reason: '  ',
        expectedVersion: ids.get(apps[2]!.id)!.version,
      }),
    ).rejects.toMatchObject({ errors: [{ path: 'reason' }] });
  });
});

describe('when the DfE refuses or is unavailable', () => {
  it('keeps a refusal with the DfE’s own words for the sync page, and a retry sends it again', async () => {
    const app = apps[2]!;
    const { id, version } = ids.get(app.id)!;
    await acceptApplication(deps(), team, id, {
      deliveryPartnerId: await partnerId('south'),
      fundedPlace: true,
      expectedVersion: version,
    });
    // Meanwhile the applicant's application was rejected at the DfE.
    fake.state.rejectApplication(app.id);
    expect(await deliver()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    const status = await getSyncStatus(w.t.db, team, { enabled: true });
    expect(status.failures).toEqual([
      expect.objectContaining({
        applicationId: id,
        action: 'accept',
        message: 'npq_application: Once rejected an application cannot change state',
      }),
    ]);
    await retryAction({ db: w.t.db, clock, dfe: dfe() }, team, status.failures[0]!.id);
    expect(await deliver()).toEqual({ sent: 0, retrying: 0, failed: 1 });
  });

  it('retries a 5xx or a timeout later, with backoff, and then sends it once', async () => {
    const app = apps[3]!;
    const { id, version } = ids.get(app.id)!;
    await rejectApplication(deps(), team, id, { reason: 'Duplicate', expectedVersion: version });
    fake.state.faults.push({ kind: 'status', status: 503, pathIncludes: '/reject' });
    expect(await deliver()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    const [action] = await queryRows<{ next_attempt_at: Date; attempts: number }>(
      w.t.db,
      sql`select next_attempt_at, attempts from dfe_outbox where application_id = ${id}`,
    );
    expect(action!.attempts).toBe(1);
    expect(new Date(action!.next_attempt_at).getTime() - now.getTime()).toBe(60_000);
    // Not due yet: nothing is sent.
    expect(await deliver()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    now = new Date(now.getTime() + 61_000);
    expect(await deliver()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(fake.state.applications.get(app.id)!.attributes.status).toBe('rejected');
  });

  it('takes back a claim left by a process that died, and reconciles what the DfE had already done', async () => {
    const app = apps[4]!;
    const { id, version } = ids.get(app.id)!;
    await acceptApplication(deps(), team, id, {
      deliveryPartnerId: await partnerId(),
      fundedPlace: false,
      expectedVersion: version,
    });
    // The process sent the accept, the DfE applied it, and the process died before recording it.
    fake.state.acceptApplication(app.id, { funded_place: false });
    await w.t.db.execute(
      sql`update dfe_outbox set status = 'sending', next_attempt_at = ${new Date(
        now.getTime() - 60_000,
      )} where application_id = ${id}`,
    );
    expect(await deliver()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(
      [...fake.state.applications.values()].filter(
        (a) => a.id === app.id && a.attributes.status === 'accepted',
      ),
    ).toHaveLength(1);
  });
});
