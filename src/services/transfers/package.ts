import { createHash } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { loadEnrolmentFacts } from '../../db/queries/enrolment-facts.js';
import {
  evaluateEngagement,
  londonDateOf,
  POLICY_REGISTER,
  type PolicyRegister,
} from '../../policy/index.js';
import { registerInForce } from '../policy-register.js';
import {
  TRANSFER_CONSENT_COVERS,
  TRANSFER_PACKAGE_JWS_TYP,
  TRANSFER_PACKAGE_LIFETIME_DAYS,
  TRANSFER_PACKAGE_TYPE,
  TRANSFER_PACKAGE_VERSION,
  type TransferPackage,
} from '../../domain/transfer-package.js';
import type { Actor } from '../actor.js';
import type { ServiceDeps, Tx } from '../assessment.js';
import { audit } from '../audit.js';
import { ConflictError, NotFoundError, PolicyRefusalError } from '../errors.js';
import { exportRefusal, loadTransfer, type TransferRow } from '../school-moves.js';
import { currentSigningKey } from './keys.js';

const DAY_MS = 86_400_000;

export class NoSigningKeyError extends ConflictError {
  constructor() {
    super(
      'This service has no signing key yet, so it cannot sign a package. An admin creates one with `npq-ops keys create` or at Administration → Transfer keys.',
    );
  }
}

export interface SignedPackage {
  /** The compact JWS: header.payload.signature, each base64url. */
  jws: string;
  filename: string;
  kid: string;
  /** SHA-256 of the JWS, hex: the receiver's idempotency key, and the reference in our audit. */
  digest: string;
  payload: TransferPackage;
}

export const packageDigest = (jws: string) =>
  createHash('sha256').update(jws.trim(), 'utf8').digest('hex');

/**
 * The signed data-sharing package for a transfer (policy 2.6.4): only with the participant's
 * consent and once their lead provider is chosen, holding exactly what the consent covers. Signing
 * moves the case to 'exported' (if not already) and is audited with the package's digest.
 */
export async function signTransferPackage(
  { db, clock }: ServiceDeps,
  actor: Actor,
  transferId: number,
): Promise<SignedPackage> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'write');
    if (!['provider_chosen', 'exported', 'transferred_out'].includes(row.status))
      throw new ConflictError(
        `This transfer is ${row.status.replace('_', ' ')}, so no package can be made now.`,
      );
    // The version in force on the day of the package decides and is stamped on it.
    const register = await registerInForce(tx, londonDateOf(at));
    const refusal = exportRefusal(row, register);
    if (refusal) throw new PolicyRefusalError(refusal);
    const key = await currentSigningKey(tx);
    if (!key) throw new NoSigningKeyError();
    const payload = await buildPayload(tx, row, key.kid, at, register);
    const privateKey = await importJWK(key.privateJwk, key.alg);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TRANSFER_PACKAGE_JWS_TYP })
      .sign(privateKey);
    const digest = packageDigest(jws);
    await tx.execute(
      sql`update transfer_case set status = 'exported', version = version + 1
          where id = ${row.id} and status in ('opened', 'provider_chosen')`,
    );
    await audit(tx, {
      what: 'TRANSFER_PACKAGE_SIGNED',
      who: actor,
      subjectType: 'transfer_case',
      subjectId: transferId,
      details: {
        kid: key.kid,
        digest,
        receivingLeadProvider: row.receiving_lead_provider,
        covers: payload.consent.covers,
      },
      at,
    });
    return {
      jws,
      filename: `transfer-${transferId}-${at.toISOString().slice(0, 10)}.jws`,
      kid: key.kid,
      digest,
      payload,
    };
  });
}

async function buildPayload(
  tx: Tx,
  row: TransferRow,
  kid: string,
  at: Date,
  register: PolicyRegister,
): Promise<TransferPackage> {
  const facts = await loadEnrolmentFacts(tx, row.enrolment_id);
  if (!facts) throw new NotFoundError('Enrolment not found');
  const participantId = facts.participant.id;
  const [details] = await queryRows<{
    trn: string | null;
    dfe_registration_id: string | null;
    programme_version: string;
    lead_provider: string;
  }>(
    tx,
    sql`select p.trn, p.dfe_registration_id, pr.version as programme_version, lp.name as lead_provider
        from participant p, cohort c
        join programme pr on pr.id = c.programme_id
        join lead_provider lp on lp.id = c.lead_provider_id
        where p.id = ${participantId} and c.id = ${facts.cohort.id}`,
  );
  const schools = await queryRows<{
    urn: string;
    name: string;
    started_on: string;
    ended_on: string | null;
  }>(
    tx,
    sql`select s.urn, s.name, pe.started_on::text, pe.ended_on::text
        from participant_employment pe join school s on s.id = pe.school_id
        where pe.participant_id = ${participantId} order by pe.started_on, pe.id`,
  );
  // What they completed of this programme (any cohort of it counts, 2.3.6), first completion each.
  const completed = await queryRows<{
    kind: TransferPackage['programme']['completed'][number]['kind'];
    sequence_number: number;
    title: string;
    completed_at: Date | string;
  }>(
    tx,
    sql`select a.kind, a.sequence_number, a.title, min(er.occurred_at) as completed_at
        from engagement_record er join programme_activity a on a.id = er.activity_id
        where er.participant_id = ${participantId} and a.programme_id = ${facts.cohort.programmeId}
        group by a.id, a.kind, a.sequence_number, a.title, a.position
        order by a.position`,
  );
  const engagement = evaluateEngagement(
    {
      course: facts.cohort.course,
      activities: facts.activities,
      completedActivityIds: facts.completedActivityIds,
      deadline: facts.cohort.engagementDeadline,
      today: londonDateOf(at),
    },
    register,
  );
  const p = facts.participant;
  return {
    type: TRANSFER_PACKAGE_TYPE,
    version: TRANSFER_PACKAGE_VERSION,
    kid,
    issuedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + TRANSFER_PACKAGE_LIFETIME_DAYS * DAY_MS).toISOString(),
    from: { leadProvider: details?.lead_provider ?? POLICY_REGISTER.leadProviderName },
    to: { leadProvider: row.receiving_lead_provider! },
    consent: {
      givenAt: new Date(row.consent_recorded_at!).toISOString(),
      covers: [...TRANSFER_CONSENT_COVERS],
    },
    participant: {
      fullName: p.fullName,
      email: p.email,
      trn: details?.trn ?? null,
      dfeRegistrationId: details?.dfe_registration_id ?? null,
      fundingRoute: p.fundingRoute as TransferPackage['participant']['fundingRoute'],
      workingPattern: p.workingPattern,
      partTimeFraction: p.partTimeFraction === null ? null : Number(p.partTimeFraction),
      schoolHistory: schools.map((s) => ({
        schoolUrn: s.urn,
        schoolName: s.name,
        startedOn: s.started_on,
        endedOn: s.ended_on,
      })),
    },
    programme: {
      course: facts.cohort.course,
      programmeVersion: details?.programme_version ?? '1',
      cohort: facts.cohort.name,
      cohortStartDate: facts.cohort.startDate,
      engagementPercentage: engagement.details.basisPoints / 100,
      completed: completed.map((c) => ({
        kind: c.kind,
        sequenceNumber: c.sequence_number,
        title: c.title,
        completedAt: new Date(c.completed_at).toISOString(),
      })),
    },
    assessment: { attemptsUsed: facts.enrolment.assessmentAttemptsUsed },
  };
}
