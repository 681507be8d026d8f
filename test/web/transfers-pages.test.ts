import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';
import { multipartBody } from '../support/multipart.js';
import { MOVER, prepareTransfer } from '../support/transfer-worlds.js';

/**
 * Transfers on the web and the API (policy 2.6.4), between two npq-ops installations: the sender's
 * admin creates a signing key and its public key set is published; the receiver's admin registers
 * it; the sender's staff download the signed package from the transfer case; the receiver's
 * programme team uploads it, checks it and imports it; a tampered or unsigned file is refused with
 * the reason. Every new route as every role.
 */
let sender: DemoWorld;
let receiver: DemoWorld;
let transferId: number;
let moveId: number;
let cohortId: number;
let partnerId: number;
const s: Record<string, Session> = {};
const r: Record<string, Session> = {};

const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  north_partner: 'partner.north@demo.npq-ops.test',
  south_partner: 'partner.south@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;
type Role = keyof typeof ROLES;

beforeAll(async () => {
  sender = await createDemoWorld({ participants: 12, ownPglite: true });
  receiver = await createDemoWorld({ participants: 12 });
  ({ transferId } = await prepareTransfer(sender));
  const [move] = await queryRows<{ school_move_id: number }>(
    sender.t.db,
    sql`select school_move_id from transfer_case where id = ${transferId}`,
  );
  moveId = move!.school_move_id;
  for (const [role, email] of Object.entries(ROLES)) {
    s[role] = await sender.signIn(email);
    r[role] = await receiver.signIn(email);
  }
  const [target] = await queryRows<{ cohort_id: number; partner_id: number }>(
    receiver.t.db,
    sql`select c.id as cohort_id, (select id from delivery_partner where slug = 'north') as partner_id
        from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where co.identifier = (select co2.identifier from enrolment e join cohort c2 on c2.id = e.cohort_id
          join programme p2 on p2.id = c2.programme_id join course co2 on co2.id = p2.course_id
          where e.participant_id = 2 order by e.id limit 1)
        order by c.start_date desc limit 1`,
  );
  cohortId = target!.cohort_id;
  partnerId = target!.partner_id;
}, 180_000);
afterAll(async () => {
  await sender?.destroy();
  await receiver?.destroy();
});

const post = (session: Session, url: string, payload: Record<string, string> = {}) =>
  session.request({ method: 'POST', url, payload });

const upload = (session: Session, content: string, fields: Record<string, string> = {}) => {
  const body = multipartBody(
    {
      _csrf: session.csrf,
      cohortId: String(cohortId),
      deliveryPartnerId: String(partnerId),
      ...fields,
    },
    { field: 'package', name: 'transfer.jws', type: 'application/jose', content },
  );
  return session.request({
    method: 'POST',
    url: '/transfers/import',
    payload: body.payload,
    headers: body.headers,
  });
};

/**
 * The transfer's signed package, with the receiver trusting the sender's key: each test that needs
 * one asks for it here (made now if no earlier test has made the keys), instead of reading what an
 * earlier test downloaded.
 */
async function signedPackage(): Promise<string> {
  const [keys] = await queryRows<{ n: number }>(
    sender.t.db,
    sql`select count(*)::int as n from signing_key`,
  );
  if (keys!.n === 0) {
    expect((await post(s.admin!, '/admin/transfer-keys/signing')).statusCode).toBe(303);
  }
  const [trusted] = await queryRows<{ n: number }>(
    receiver.t.db,
    sql`select count(*)::int as n from trusted_sender_key`,
  );
  if (trusted!.n === 0) {
    const jwks = (await sender.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
    const added = await post(r.programme_team!, '/admin/transfer-keys/trusted', {
      senderName: 'Sender LP',
      jwk: jwks,
    });
    expect(added.statusCode).toBe(303);
  }
  const res = await post(
    s.programme_team!,
    `/cases/school-moves/${moveId}/transfers/${transferId}/package`,
  );
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('keys', () => {
  it('publishes no key until an admin creates one, then only public halves', async () => {
    const empty = await sender.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ keys: [] });
    const page = await s.admin!.request({ method: 'GET', url: '/admin/transfer-keys' });
    expect(page.body).toContain('data-testid="no-signing-key"');
    const created = await post(s.admin!, '/admin/transfer-keys/signing');
    expect(created.statusCode).toBe(303);
    const set = (
      await sender.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    ).json() as {
      keys: Record<string, string>[];
    };
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(set.keys[0]).not.toHaveProperty('d');
  });

  it('lets the receiver register the sender key set, refusing a private key with a field error', async () => {
    const [priv] = await queryRows<{ private_jwk: object }>(
      sender.t.db,
      sql`select private_jwk from signing_key`,
    );
    const refused = await post(r.admin!, '/admin/transfer-keys/trusted', {
      senderName: 'Sender LP',
      jwk: JSON.stringify(priv!.private_jwk),
    });
    expect(refused.statusCode).toBe(422);
    expect(pageText(refused.body)).toContain('This is a private key');
    const jwks = (await sender.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
    const added = await post(r.programme_team!, '/admin/transfer-keys/trusted', {
      senderName: 'Sender LP',
      jwk: jwks,
    });
    expect(added.statusCode).toBe(303);
    const list = await r.admin!.request({ method: 'GET', url: '/admin/transfer-keys' });
    expect(pageText(list.body)).toContain('Sender LP');
    const again = await post(r.admin!, '/admin/transfer-keys/trusted', {
      senderName: 'Sender LP',
      jwk: jwks,
    });
    expect(again.statusCode).toBe(409);
  });
});

describe('the package download', () => {
  it('is a signed file, as an attachment, for the staff who may act on the transfer', async () => {
    await signedPackage(); // the keys, whichever tests ran before
    const signedAudits = async () =>
      (
        await queryRows<{ n: number }>(
          sender.t.db,
          sql`select count(*)::int as n from audit_event where what = 'TRANSFER_PACKAGE_SIGNED'`,
        )
      )[0]!.n;
    const before = await signedAudits();
    const url = `/cases/school-moves/${moveId}/transfers/${transferId}/package`;
    const casePage = await s.programme_team!.request({
      method: 'GET',
      url: `/cases/school-moves/${moveId}`,
    });
    expect(casePage.body).toContain('data-testid="download-package"');
    const res = await post(s.programme_team!, url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="transfer-\d+-\d{4}-\d{2}-\d{2}\.jws"$/,
    );
    expect(res.body.split('.')).toHaveLength(3);
    expect(await signedAudits()).toBe(before + 1);
  });
});

describe('the import page', () => {
  it('refuses an unsigned file and a tampered file, saying why, keeping the choices', async () => {
    const jws = await signedPackage();
    const payload = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as {
      participant: { fullName: string };
    };
    const unsigned = await upload(r.programme_team!, JSON.stringify(payload));
    expect(unsigned.statusCode).toBe(422);
    expect(pageText(unsigned.body)).toContain('The package is not signed');
    expect(unsigned.body).toMatch(new RegExp(`<option value="${cohortId}" selected`));
    payload.participant.fullName = 'Someone Else';
    const [h, , sig] = jws.split('.');
    const tampered = await upload(
      r.programme_team!,
      `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`,
    );
    expect(tampered.statusCode).toBe(422);
    expect(pageText(tampered.body)).toContain('has been changed since Sender LP signed it');
    const none = await upload(r.programme_team!, '', {});
    expect(none.statusCode).toBe(422);
  });

  it('checks, then imports once: same package twice adds nothing', async () => {
    const jws = await signedPackage();
    const check = await upload(r.programme_team!, jws);
    expect(check.statusCode).toBe(200);
    const text = pageText(check.body);
    expect(text).toContain('Signature checked: signed by Sender LP');
    expect(text).toContain(MOVER.fullName);
    const count = async () =>
      (
        await queryRows<{ n: number }>(
          receiver.t.db,
          sql`select count(*)::int as n from participant`,
        )
      )[0]!.n;
    const before = await count();
    const fields = formFields(check.body, '/transfers/import/confirm') as Record<string, string>;
    const done = await post(r.programme_team!, '/transfers/import/confirm', fields);
    expect(done.statusCode).toBe(303);
    const confirmation = await r.programme_team!.request({
      method: 'GET',
      url: done.headers.location!,
    });
    expect(pageText(confirmation.body)).toMatch(/Transfer imported Reference: TRI-\d+/);
    expect(await count()).toBe(before + 1);
    // Submitted twice (same token), or the package checked and imported again: one participant.
    const twice = await post(r.programme_team!, '/transfers/import/confirm', fields);
    expect(twice.headers.location).toBe(done.headers.location);
    const recheck = await upload(r.programme_team!, jws);
    expect(pageText(recheck.body)).toContain('was imported before');
    const again = await post(
      r.programme_team!,
      '/transfers/import/confirm',
      formFields(recheck.body, '/transfers/import/confirm') as Record<string, string>,
    );
    expect(again.headers.location).toBe(done.headers.location);
    expect(await count()).toBe(before + 1);
  });
});

describe('the API', () => {
  it('signs a package and imports it (200 on the second time), refusing a tampered one with 422', async () => {
    const jws = await signedPackage();
    const signed = await s.programme_team!.request({
      method: 'POST',
      url: `/api/v1/transfers/${transferId}/package`,
    });
    expect(signed.statusCode).toBe(200);
    const token = (signed.json() as { jws: string }).jws;
    // The package has been imported once already (on the page, or made so here whichever tests ran
    // before), so the API's import is a replay.
    const setup = await r.admin!.request({
      method: 'POST',
      url: '/api/v1/transfers/import',
      payload: { package: jws, cohortId, deliveryPartnerId: partnerId },
    });
    expect(setup.statusCode).toBeLessThan(300);
    const first = await r.admin!.request({
      method: 'POST',
      url: '/api/v1/transfers/import',
      payload: { package: token, cohortId, deliveryPartnerId: partnerId },
    });
    // The clock is fixed and Ed25519 signatures are deterministic: the same bytes as the package
    // already imported, so the import answers 200 with that import, adding nothing.
    expect(token).toBe(jws);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      replayed: true,
      reference: expect.stringMatching(/^TRI-/),
    });
    const replay = await r.admin!.request({
      method: 'POST',
      url: '/api/v1/transfers/import',
      payload: { package: jws, cohortId, deliveryPartnerId: partnerId },
    });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(first.json());
    const [h, p] = token.split('.');
    const tampered = await r.admin!.request({
      method: 'POST',
      url: '/api/v1/transfers/import',
      payload: { package: `${h}.${p}.${'A'.repeat(86)}`, cohortId, deliveryPartnerId: partnerId },
    });
    expect(tampered.statusCode).toBe(422);
  });
});

describe('every route as every role', () => {
  const KEY_ROLES: Role[] = ['admin', 'programme_team'];
  const pages = [
    { method: 'GET', url: () => '/admin/transfer-keys' },
    { method: 'GET', url: () => '/transfers/import' },
    { method: 'GET', url: () => '/transfers/imports/1' },
  ] as const;

  it.each(Object.keys(ROLES) as Role[])('%s', async (role) => {
    const jws = await signedPackage();
    const session = r[role]!;
    for (const p of pages) {
      const res = await session.request({ method: p.method, url: p.url() });
      expect([p.url(), res.statusCode]).toEqual([p.url(), KEY_ROLES.includes(role) ? 200 : 404]);
    }
    // Writes the role may not make are not found; the allowed ones are exercised above.
    if (!KEY_ROLES.includes(role)) {
      for (const url of [
        '/admin/transfer-keys/signing',
        '/admin/transfer-keys/trusted',
        '/admin/transfer-keys/trusted/1/revoke',
        '/transfers/import/confirm',
      ])
        expect([url, (await post(session, url)).statusCode]).toEqual([url, 404]);
      expect((await upload(session, jws)).statusCode).toBe(404);
      const api = await session.request({
        method: 'POST',
        url: '/api/v1/transfers/import',
        payload: { package: jws, cohortId, deliveryPartnerId: partnerId },
      });
      expect(api.statusCode).toBe(403);
    }
    // The download: staff who may act on the participant's transfer (programme team, admin, and
    // the participant's own delivery partner: participant 2 is North). Others cannot.
    const download = await post(
      s[role]!,
      `/cases/school-moves/${moveId}/transfers/${transferId}/package`,
    );
    const mayDownload = ['admin', 'programme_team', 'north_partner'].includes(role);
    expect(download.statusCode).toBe(mayDownload ? 200 : 404);
    const apiDownload = await s[role]!.request({
      method: 'POST',
      url: `/api/v1/transfers/${transferId}/package`,
    });
    expect(apiDownload.statusCode).toBe(mayDownload ? 200 : 404);
  });

  it('signed out: the key set is public, nothing else', async () => {
    expect(
      (await receiver.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode,
    ).toBe(200);
    for (const url of ['/admin/transfer-keys', '/transfers/import', '/transfers/imports/1']) {
      const res = await receiver.app.inject({ method: 'GET', url });
      expect([url, res.statusCode]).toEqual([url, 302]);
    }
    const api = await receiver.app.inject({
      method: 'POST',
      url: '/api/v1/transfers/import',
      payload: {},
    });
    expect(api.statusCode).toBe(401);
  });
});
