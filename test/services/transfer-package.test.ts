import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { CompactSign, generateKeyPair } from 'jose';
import { queryRows } from '../../src/db/client.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import {
  importTransferPackage,
  previewTransferImport,
} from '../../src/services/transfers/import.js';
import { revokeTrustedKey, listTrustedKeys } from '../../src/services/transfers/keys.js';
import { signTransferPackage } from '../../src/services/transfers/package.js';
import { PackageRefusedError } from '../../src/services/transfers/verify.js';
import { SYSTEM } from '../../src/services/actor.js';
import { TRANSFER_CONSENT_COVERS } from '../../src/domain/transfer-package.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { exchangeKeys, MOVER, prepareTransfer } from '../support/transfer-worlds.js';

/**
 * The signed transfer package between two npq-ops databases (policy 2.6.4): the sender signs
 * exactly what the consent covers; the receiver verifies it against the sender's registered key
 * and creates the participant with their engagement as prior learning; a package that is unsigned,
 * tampered, signed by an unknown or revoked key, of another version or expired is refused with its
 * reason; the same package twice adds nothing.
 */
let sender: DemoWorld;
let receiver: DemoWorld;
let transferId: number;
let senderEnrolment: number;
let jws: string;
let cohortId: number;
let partnerId: number;

const deps = (w: DemoWorld) => ({ db: w.t.db, clock: w.clock, publicUrl: 'https://receiver.test' });
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

beforeAll(async () => {
  // Two installations: on PGlite the sender has an instance of its own (one session each).
  sender = await createDemoWorld({ participants: 12, ownPglite: true });
  receiver = await createDemoWorld({ participants: 12 });
  ({ transferId, enrolmentId: senderEnrolment } = await prepareTransfer(sender));
  await exchangeKeys(sender, receiver);
  const team = await sender.actor('programme.team@demo.npq-ops.test');
  jws = (await signTransferPackage(deps(sender), team, transferId)).jws;
  // The receiver's cohort of the same NPQ as the sender's enrolment, and a partner.
  const [course] = await queryRows<{ identifier: string }>(
    sender.t.db,
    sql`select co.identifier from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id where e.id = ${senderEnrolment}`,
  );
  const [target] = await queryRows<{ cohort_id: number; partner_id: number }>(
    receiver.t.db,
    sql`select c.id as cohort_id, (select id from delivery_partner where slug = 'north') as partner_id
        from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where co.identifier = ${course!.identifier} order by c.start_date desc limit 1`,
  );
  cohortId = target!.cohort_id;
  partnerId = target!.partner_id;
}, 120_000);
afterAll(async () => {
  await Promise.all([sender?.destroy(), receiver?.destroy()]);
});

const importAs = async (token: string) =>
  importTransferPackage(
    deps(receiver),
    await receiver.actor('programme.team@demo.npq-ops.test'),
    token,
    {
      cohortId,
      deliveryPartnerId: partnerId,
    },
  );

async function refusal(token: string): Promise<string> {
  try {
    await importAs(token);
  } catch (error) {
    if (error instanceof PackageRefusedError) return error.reason;
    throw error;
  }
  return 'imported';
}

describe('the signed package', () => {
  it('is a compact JWS naming the sender key, with exactly what the consent covers', async () => {
    const [header] = jws.split('.');
    const h = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
    expect(h).toMatchObject({ alg: 'EdDSA', typ: 'npq-transfer+jws' });
    const p = payloadOf(jws);
    expect(p.kid).toBe(h.kid);
    expect(p.version).toBe(1);
    expect(Object.keys(p).sort()).toEqual(
      [
        'assessment',
        'consent',
        'expiresAt',
        'from',
        'issuedAt',
        'kid',
        'participant',
        'programme',
        'to',
        'type',
        'version',
      ].sort(),
    );
    expect((p.consent as { covers: string[] }).covers).toEqual([...TRANSFER_CONSENT_COVERS]);
    expect(p.participant).toMatchObject({
      trn: MOVER.trn,
      email: MOVER.email,
      fullName: MOVER.fullName,
    });
    // Nothing outside the consent: no decisions, case notes, delivery partner or audit trail.
    const text = JSON.stringify(p);
    for (const absent of ['decision', 'deliveryPartner', 'audit', 'reasons', 'North'])
      expect(text).not.toContain(absent);
  });

  it('is refused without consent, and signing is audited', async () => {
    const [trail] = await queryRows<{ n: number }>(
      sender.t.db,
      sql`select count(*)::int as n from audit_event where what = 'TRANSFER_PACKAGE_SIGNED' and subject_id = ${String(transferId)}`,
    );
    expect(trail!.n).toBe(1);
    await sender.t.db.execute(
      sql`update transfer_case set data_sharing_consent = false where id = ${transferId}`,
    );
    const team = await sender.actor('programme.team@demo.npq-ops.test');
    await expect(signTransferPackage(deps(sender), team, transferId)).rejects.toMatchObject({
      code: 'POLICY_REFUSED',
    });
    await sender.t.db.execute(
      sql`update transfer_case set data_sharing_consent = true where id = ${transferId}`,
    );
  });
});

describe('refusals', () => {
  it('refuses an unsigned package (plain JSON, or alg none)', async () => {
    expect(await refusal(JSON.stringify(payloadOf(jws)))).toBe('unsigned');
    const none = `${b64(JSON.stringify({ alg: 'none', typ: 'npq-transfer+jws' }))}.${jws.split('.')[1]}.`;
    expect(await refusal(none)).toBe('unsigned');
  });

  it('refuses a tampered package', async () => {
    const p = payloadOf(jws);
    (p.assessment as { attemptsUsed: number }).attemptsUsed = 0;
    (p.programme as { engagementPercentage: number }).engagementPercentage = 100;
    const [h, , s] = jws.split('.');
    expect(await refusal(`${h}.${b64(JSON.stringify(p))}.${s}`)).toBe('tampered');
  });

  it('refuses a package signed by a key it does not trust', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new CompactSign(Buffer.from(jws.split('.')[1]!, 'base64url'))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'someone-else', typ: 'npq-transfer+jws' })
      .sign(privateKey);
    expect(await refusal(forged)).toBe('unknown_key');
    // The right kid with another key's signature is tampering.
    const h = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as {
      kid: string;
    };
    const impostor = await new CompactSign(Buffer.from(jws.split('.')[1]!, 'base64url'))
      .setProtectedHeader({ alg: 'EdDSA', kid: h.kid, typ: 'npq-transfer+jws' })
      .sign(privateKey);
    expect(await refusal(impostor)).toBe('tampered');
  });

  it('refuses malformed files', async () => {
    expect(await refusal('')).toBe('malformed');
    expect(await refusal('hello, world')).toBe('malformed');
    expect(await refusal('a.b.c')).toBe('malformed');
  });

  it('refuses an expired package and another version', async () => {
    const team = await sender.actor('programme.team@demo.npq-ops.test');
    const later = {
      ...deps(receiver),
      clock: { now: () => new Date(receiver.clock.now().getTime() + 31 * 86_400_000) },
    };
    await expect(
      importTransferPackage(later, await receiver.actor('programme.team@demo.npq-ops.test'), jws, {
        cohortId,
        deliveryPartnerId: partnerId,
      }),
    ).rejects.toMatchObject({ reason: 'expired' });
    // Version 2, properly signed by the sender: refused for its version, not its signature.
    const [keyRow] = await queryRows<{ private_jwk: object; kid: string }>(
      sender.t.db,
      sql`select private_jwk, kid from signing_key limit 1`,
    );
    const { importJWK } = await import('jose');
    const p = { ...payloadOf(jws), version: 2 };
    const v2 = await new CompactSign(Buffer.from(JSON.stringify(p)))
      .setProtectedHeader({ alg: 'EdDSA', kid: keyRow!.kid, typ: 'npq-transfer+jws' })
      .sign(await importJWK(keyRow!.private_jwk, 'EdDSA'));
    expect(await refusal(v2)).toBe('unsupported_version');
    expect(team.role).toBe('programme_team');
  });
});

describe('the import', () => {
  it('previews without writing, then creates the participant with prior learning and an invitation', async () => {
    const team = await receiver.actor('programme.team@demo.npq-ops.test');
    const preview = await previewTransferImport(deps(receiver), team, jws, {
      cohortId,
      deliveryPartnerId: partnerId,
    });
    expect(preview.alreadyImported).toBeNull();
    expect(preview.priorLearning.matched).toBeGreaterThan(0);
    const [before] = await queryRows<{ n: number }>(
      receiver.t.db,
      sql`select count(*)::int as n from participant`,
    );

    const result = await importAs(jws);
    expect(result.replayed).toBe(false);
    expect(result.reference).toMatch(/^TRI-\d+$/);
    expect(result.priorLearningRecords).toBe(preview.priorLearning.matched);
    const [after] = await queryRows<{ n: number }>(
      receiver.t.db,
      sql`select count(*)::int as n from participant`,
    );
    expect(after!.n).toBe(before!.n + 1);
    // The enrolment exists from the import's time (the what-if leaves it out before then).
    const [enrolment] = await queryRows<{ created_at: Date }>(
      receiver.t.db,
      sql`select created_at from enrolment where id = ${result.enrolmentId}`,
    );
    expect(new Date(enrolment!.created_at)).toEqual(receiver.clock.now());

    // Prior learning counts towards engagement here as it did at the sender (same programme).
    const senderTeam = await sender.actor('programme.team@demo.npq-ops.test');
    const there = await getEnrolmentEngagement(deps(sender), senderTeam, senderEnrolment);
    const here = await getEnrolmentEngagement(deps(receiver), team, result.enrolmentId);
    expect(here.decision.details.percentage).toBe(there.decision.details.percentage);
    expect(here.byKind.map((k) => [k.kind, k.completed])).toEqual(
      there.byKind.map((k) => [k.kind, k.completed]),
    );
    const [records] = await queryRows<{ n: number; sources: string }>(
      receiver.t.db,
      sql`select count(*)::int as n, string_agg(distinct source, ',') as sources from engagement_record where participant_id = ${result.participantId}`,
    );
    expect(records).toEqual({ n: result.priorLearningRecords, sources: 'prior_learning' });
    const [email] = await queryRows<{ template: string; to_email: string }>(
      receiver.t.db,
      sql`select template, to_email from email_message where to_email = ${MOVER.email}`,
    );
    expect(email).toMatchObject({ template: 'participant_invitation' });
    const [trail] = await queryRows<{ what: string }>(
      receiver.t.db,
      sql`select what from audit_event where what = 'TRANSFER_PACKAGE_IMPORTED' and subject_id = ${String(result.participantId)}`,
    );
    expect(trail).toBeDefined();
  });

  it('adds nothing when the same package is imported again', async () => {
    const counts = () =>
      queryRows<{ p: number; e: number; m: number }>(
        receiver.t.db,
        sql`select (select count(*)::int from participant) as p, (select count(*)::int from engagement_record) as e,
                   (select count(*)::int from email_message) as m`,
      );
    const before = await counts();
    const again = await importAs(jws);
    expect(again.replayed).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it('refuses a new package for someone who already has a record here', async () => {
    const team = await sender.actor('programme.team@demo.npq-ops.test');
    const nextDay = {
      ...deps(sender),
      clock: { now: () => new Date(sender.clock.now().getTime() + 86_400_000) },
    };
    const fresh = (await signTransferPackage(nextDay, team, transferId)).jws;
    expect(fresh).not.toBe(jws);
    expect(await refusal(fresh)).toBe('already_known');
  });

  it('refuses a package of a revoked key', async () => {
    const [key] = await listTrustedKeys(receiver.t.db);
    await revokeTrustedKey(receiver.t.db, SYSTEM, key!.id, receiver.clock.now());
    expect(await refusal(jws)).toBe('revoked_key');
  });
});
