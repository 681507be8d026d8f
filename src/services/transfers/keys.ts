import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db/client.js';
import type { Actor } from '../actor.js';
import { actorLabel, SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';

/**
 * Signing keys for transfer packages (policy 2.6.4), made with jose (the maintained JOSE library
 * already used by the app's dependencies). Our own key pairs sign what we send; their public
 * halves are published as a JSON Web Key Set. Other lead providers' public keys are registered
 * here as trusted senders, and only a package signed by one of them is imported.
 *
 * Key ids are RFC 7638 thumbprints, so the same key has the same id in every installation.
 */

export type KeyAlgorithm = 'EdDSA' | 'ES256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['EdDSA', 'ES256'];

const KEY_ROLES: readonly Actor['role'][] = ['admin', 'programme_team'];

/** Only admins and the programme team manage keys (and so trust). */
export function requireKeyManager(actor: Actor): void {
  if (!KEY_ROLES.includes(actor.role))
    throw new ForbiddenError('Only admins and the programme team manage signing keys.');
}

type Who = Actor | typeof SYSTEM;
const allowed = (who: Who) => {
  if (who !== SYSTEM) requireKeyManager(who);
};

export interface SigningKeyView {
  id: number;
  kid: string;
  alg: KeyAlgorithm;
  createdAt: Date;
  retiredAt: Date | null;
  /** The key that signs now: the newest one not retired. */
  current: boolean;
}

/** A new key pair; it signs from now on (the previous one stays published until retired). */
export async function createSigningKey(
  db: Db,
  who: Who,
  input: { alg?: KeyAlgorithm; at: Date },
): Promise<SigningKeyView> {
  allowed(who);
  const alg = input.alg ?? 'EdDSA';
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ id: number }>(
      tx,
      sql`insert into signing_key (kid, alg, public_jwk, private_jwk, created_by, created_at)
          values (${kid}, ${alg}, ${JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' })}::jsonb,
                  ${JSON.stringify(privateJwk)}::jsonb, ${actorLabel(who)}, ${input.at})
          returning id`,
    );
    await audit(tx, {
      what: 'SIGNING_KEY_CREATED',
      who,
      subjectType: 'signing_key',
      subjectId: row!.id,
      details: { kid, alg },
      at: input.at,
    });
    return { id: row!.id, kid, alg, createdAt: input.at, retiredAt: null, current: true };
  });
}

export async function listSigningKeys(db: Pick<Db, 'execute'>): Promise<SigningKeyView[]> {
  const rows = await queryRows<{
    id: number;
    kid: string;
    alg: KeyAlgorithm;
    created_at: Date | string;
    retired_at: Date | string | null;
  }>(
    db,
    sql`select id, kid, alg, created_at, retired_at from signing_key order by created_at desc, id desc`,
  );
  const currentId = rows.find((r) => r.retired_at === null)?.id;
  return rows.map((r) => ({
    id: r.id,
    kid: r.kid,
    alg: r.alg,
    createdAt: new Date(r.created_at),
    retiredAt: r.retired_at === null ? null : new Date(r.retired_at),
    current: r.id === currentId,
  }));
}

/** Retired keys sign nothing and leave the published key set. */
export async function retireSigningKey(db: Db, who: Who, kid: string, at: Date): Promise<void> {
  allowed(who);
  await db.transaction(async (tx) => {
    const [row] = await queryRows<{ id: number }>(
      tx,
      sql`update signing_key set retired_at = ${at} where kid = ${kid} and retired_at is null returning id`,
    );
    if (!row) throw new NotFoundError('No such signing key in use');
    await audit(tx, {
      what: 'SIGNING_KEY_RETIRED',
      who,
      subjectType: 'signing_key',
      subjectId: row.id,
      details: { kid },
      at,
    });
  });
}

/** The public JSON Web Key Set: every key not retired. Public halves only. */
export async function publishedKeySet(db: Pick<Db, 'execute'>): Promise<{ keys: JWK[] }> {
  const rows = await queryRows<{ public_jwk: JWK }>(
    db,
    sql`select public_jwk from signing_key where retired_at is null order by created_at desc, id desc`,
  );
  return { keys: rows.map((r) => r.public_jwk) };
}

/** The key that signs now; none until a key has been created (`npq-ops keys create`). */
export async function currentSigningKey(
  db: Pick<Db, 'execute'>,
): Promise<{ kid: string; alg: KeyAlgorithm; privateJwk: JWK } | null> {
  const [row] = await queryRows<{ kid: string; alg: KeyAlgorithm; private_jwk: JWK }>(
    db,
    sql`select kid, alg, private_jwk from signing_key where retired_at is null
        order by created_at desc, id desc limit 1`,
  );
  return row ? { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk } : null;
}

// ---------------------------------------------------------------------------------------------
// Trusted senders

const PublicJwk = z
  .object({
    kty: z.enum(['OKP', 'EC']),
    crv: z.enum(['Ed25519', 'P-256']),
    x: z.string().min(1),
    y: z.string().min(1).optional(),
    kid: z.string().optional(),
    alg: z.string().optional(),
    use: z.string().optional(),
  })
  .passthrough();

export interface TrustedKeyView {
  id: number;
  kid: string;
  senderName: string;
  alg: KeyAlgorithm;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * Parses a public key as text: one JWK, or a key set (`{"keys": [...]}`, as published at the
 * sender's /.well-known/jwks.json) of which every key is taken. A private key is refused: it must
 * never leave the sender.
 */
export async function parsePublicKeys(text: string): Promise<{ jwk: JWK; alg: KeyAlgorithm }[]> {
  const fail = (message: string): never => {
    throw new ValidationError([{ path: 'jwk', message }]);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('Enter the public key as JSON (a JWK, or the key set from the sender’s address)');
  }
  const list =
    value && typeof value === 'object' && Array.isArray((value as { keys?: unknown }).keys)
      ? (value as { keys: unknown[] }).keys
      : [value];
  if (list.length === 0 || list.length > 10) fail('The key set must hold 1 to 10 keys');
  const keys: { jwk: JWK; alg: KeyAlgorithm }[] = [];
  for (const item of list) {
    if (item && typeof item === 'object' && 'd' in item)
      fail('This is a private key. Ask the sender for their public key only');
    const parsed = PublicJwk.safeParse(item);
    if (!parsed.success) return fail('Enter an Ed25519 or P-256 public key as a JWK');
    const alg: KeyAlgorithm = parsed.data.crv === 'Ed25519' ? 'EdDSA' : 'ES256';
    const { kty, crv, x, y } = parsed.data;
    const jwk: JWK = { kty, crv, x, ...(y ? { y } : {}) };
    try {
      await importJWK(jwk, alg);
    } catch {
      fail('This public key cannot be read: check it was copied whole');
    }
    keys.push({ jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg }, alg });
  }
  return keys;
}

/** Registers another lead provider's public key(s); a key already trusted is refused as a conflict. */
export async function trustSenderKeys(
  db: Db,
  who: Who,
  input: { senderName: string; keysText: string; at: Date },
): Promise<TrustedKeyView[]> {
  allowed(who);
  const senderName = input.senderName.trim();
  if (senderName.length === 0 || senderName.length > 200)
    throw new ValidationError([
      { path: 'senderName', message: 'Enter the name of the lead provider who sends the packages' },
    ]);
  const keys = await parsePublicKeys(input.keysText);
  return db.transaction(async (tx) => {
    const added: TrustedKeyView[] = [];
    for (const { jwk, alg } of keys) {
      const [row] = await queryRows<{ id: number }>(
        tx,
        sql`insert into trusted_sender_key (kid, sender_name, alg, public_jwk, added_by, created_at)
            values (${jwk.kid!}, ${senderName}, ${alg}, ${JSON.stringify(jwk)}::jsonb, ${actorLabel(who)}, ${input.at})
            on conflict (kid) do nothing returning id`,
      );
      if (!row) throw new ConflictError(`The key ${jwk.kid} is already registered.`);
      await audit(tx, {
        what: 'TRUSTED_SENDER_KEY_ADDED',
        who,
        subjectType: 'trusted_sender_key',
        subjectId: row.id,
        details: { kid: jwk.kid, senderName },
        at: input.at,
      });
      added.push({
        id: row.id,
        kid: jwk.kid!,
        senderName,
        alg,
        createdAt: input.at,
        revokedAt: null,
      });
    }
    return added;
  });
}

export async function listTrustedKeys(db: Pick<Db, 'execute'>): Promise<TrustedKeyView[]> {
  const rows = await queryRows<{
    id: number;
    kid: string;
    sender_name: string;
    alg: KeyAlgorithm;
    created_at: Date | string;
    revoked_at: Date | string | null;
  }>(
    db,
    sql`select id, kid, sender_name, alg, created_at, revoked_at from trusted_sender_key
        order by sender_name, created_at desc, id`,
  );
  return rows.map((r) => ({
    id: r.id,
    kid: r.kid,
    senderName: r.sender_name,
    alg: r.alg,
    createdAt: new Date(r.created_at),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
  }));
}

/** A revoked key verifies nothing from now on. */
export async function revokeTrustedKey(db: Db, who: Who, id: number, at: Date): Promise<void> {
  allowed(who);
  await db.transaction(async (tx) => {
    const [row] = await queryRows<{ kid: string }>(
      tx,
      sql`update trusted_sender_key set revoked_at = ${at} where id = ${id} and revoked_at is null returning kid`,
    );
    if (!row) throw new NotFoundError('No such trusted key in use');
    await audit(tx, {
      what: 'TRUSTED_SENDER_KEY_REVOKED',
      who,
      subjectType: 'trusted_sender_key',
      subjectId: id,
      details: { kid: row.kid },
      at,
    });
  });
}

export async function findTrustedKey(
  db: Pick<Db, 'execute'>,
  kid: string,
): Promise<{ senderName: string; alg: KeyAlgorithm; jwk: JWK; revoked: boolean } | null> {
  const [row] = await queryRows<{
    sender_name: string;
    alg: KeyAlgorithm;
    public_jwk: JWK;
    revoked_at: unknown;
  }>(
    db,
    sql`select sender_name, alg, public_jwk, revoked_at from trusted_sender_key where kid = ${kid}`,
  );
  return row
    ? {
        senderName: row.sender_name,
        alg: row.alg,
        jwk: row.public_jwk,
        revoked: row.revoked_at !== null,
      }
    : null;
}
