import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import type { Actor } from '../../src/services/actor.js';
import { previewDeferral } from '../../src/services/deferral-cases.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../src/services/errors.js';
import { addArea } from '../../src/services/organisations/areas.js';
import { contactDetailsFor } from '../../src/services/organisations/contacts.js';
import { createDeliveryPartner } from '../../src/services/organisations/delivery-partners.js';
import {
  findLeadProvider,
  getLeadProvider,
  saveLeadProvider,
} from '../../src/services/organisations/lead-provider.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const actor = (role: Actor['role'], extra: Partial<Actor> = {}): Actor => ({
  userId: 1,
  email: `${role}@example.test`,
  displayName: role,
  role,
  leadProviderId: null,
  deliveryPartnerId: null,
  participantId: null,
  ...extra,
});

describe('setting up an empty database', () => {
  let t: TestDatabase;
  const deps = () => ({ db: t.db, clock: fixedClock('2026-09-01T09:00:00Z') });
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('an admin creates the lead provider; the programme team cannot; then it is edited with its version', async () => {
    expect(await findLeadProvider(deps(), actor('admin'))).toBeNull();
    await expect(getLeadProvider(deps(), actor('admin'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      saveLeadProvider(deps(), actor('programme_team'), {
        name: 'Ambition Institute',
        slug: 'ambition',
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      saveLeadProvider(deps(), actor('admin'), { name: '', slug: 'Not A Slug' }),
    ).rejects.toMatchObject({ errors: [{ path: 'name' }, { path: 'slug' }] });
    const { leadProvider, created } = await saveLeadProvider(deps(), actor('admin'), {
      name: 'Ambition Institute',
      slug: 'ambition',
      contractEndDate: '2029-03-31',
      contactEmail: 'programmes@ambition.example',
    });
    expect(created).toBe(true);
    expect(leadProvider).toMatchObject({
      slug: 'ambition',
      contractEndDate: '2029-03-31',
      version: 1,
    });
    await expect(
      saveLeadProvider(deps(), actor('admin'), { name: 'Second' }),
    ).rejects.toBeInstanceOf(ValidationError);
    const team = actor('programme_team', { leadProviderId: leadProvider.id });
    const edited = await saveLeadProvider(deps(), team, {
      name: 'Ambition Institute',
      contractEndDate: null,
      expectedVersion: 1,
    });
    expect(edited).toMatchObject({
      created: false,
      leadProvider: { contractEndDate: null, version: 2 },
    });
    await expect(findLeadProvider(deps(), actor('participant'))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const [audited] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from audit_event where what in ('LEAD_PROVIDER_CREATED', 'LEAD_PROVIDER_UPDATED')`,
    );
    expect(audited!.n).toBe(2);
  });

  it('allows one national arm, and areas by a code not yet imported', async () => {
    const admin = actor('admin');
    await createDeliveryPartner(deps(), admin, {
      name: 'Ambition national',
      slug: 'national',
      isNational: true,
    });
    await expect(
      createDeliveryPartner(deps(), admin, { name: 'Another', slug: 'another', isNational: true }),
    ).rejects.toMatchObject({ errors: [{ path: 'isNational' }] });
    const hub = await createDeliveryPartner(deps(), admin, { name: 'Fens Hub', slug: 'fens' });
    const { area, added } = await addArea(
      deps(),
      admin,
      { deliveryPartnerId: hub.id },
      { code: '873', name: 'Cambridgeshire' },
    );
    expect(added).toBe(true);
    expect(area).toMatchObject({
      code: '873',
      name: 'Cambridgeshire',
      region: null,
      deliveryPartnerId: hub.id,
    });
    await expect(
      addArea(deps(), admin, { deliveryPartnerId: 999_999 }, { code: '874', name: 'Peterborough' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("the lead provider's contract end date limits deferral (2.3.10)", () => {
  let w: DemoWorld;
  beforeAll(async () => {
    w = await createDemoWorld();
  });
  afterAll(async () => {
    await w.destroy();
  });

  it('a contract ending before any later cohort would finish refuses deferral; cleared, deferral is open again', async () => {
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
          join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
          join delivery_partner dp on dp.id = e.delivery_partner_id join participant p on p.id = e.participant_id
          where co.identifier = 'npq-leading-teaching' and c.year = 2025 and e.status = 'active' and dp.slug = 'north'
            and p.dfe_registration_confirmed and p.employment_confirmed
            and exists (select 1 from engagement_record r where r.participant_id = p.id)
          order by e.id limit 1`,
    );
    const team = await w.actor('programme.team@demo.npq-ops.test');
    const deps = { db: w.t.db, clock: w.clock };
    const codes = async () =>
      (
        await previewDeferral(deps, team, {
          enrolmentId: e!.id,
          circumstance: 'illness_or_health',
          description: '',
        })
      ).deferral.reasons.map((r) => `${r.code}@${r.clause}:${r.met}`);
    expect(await codes()).not.toContain('DEFERRAL.CONTRACT_ENDS_FIRST@2.3.10:false');
    const lp = await getLeadProvider(deps, team);
    await saveLeadProvider(deps, team, {
      name: lp.name,
      contractEndDate: '2027-01-31',
      expectedVersion: lp.version,
    });
    expect(await codes()).toContain('DEFERRAL.CONTRACT_ENDS_FIRST@2.3.10:false');
    await saveLeadProvider(deps, team, {
      name: lp.name,
      contractEndDate: null,
      expectedVersion: lp.version + 1,
    });
    expect(await codes()).not.toContain('DEFERRAL.CONTRACT_ENDS_FIRST@2.3.10:false');
  });

  it('tells a national-cohort participant to contact the lead provider, with its details', async () => {
    const participant = await w.actor('participant5@demo.npq-ops.test');
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from enrolment where participant_id = ${participant.participantId} order by id desc limit 1`,
    );
    await w.t.db.execute(sql`update lead_provider set contact_phone = '020 3960 0000'`);
    const contact = await contactDetailsFor({ db: w.t.db, clock: w.clock }, participant, e!.id);
    expect(contact).toMatchObject({ kind: 'lead_provider', phone: '020 3960 0000', email: null });
    expect(contact.description).toContain('national cohort');
  });
});
