import { compactVerify, decodeProtectedHeader, errors as joseErrors, importJWK } from 'jose';
import type { Db } from '../../db/client.js';
import {
  TRANSFER_PACKAGE_JWS_TYP,
  TRANSFER_PACKAGE_TYPE,
  TRANSFER_PACKAGE_VERSION,
  TransferPackagePayload,
  type PackageRefusal,
  type TransferPackage,
} from '../../domain/transfer-package.js';
import { ValidationError } from '../errors.js';
import { findTrustedKey } from './keys.js';
import { packageDigest } from './package.js';

/** A package refused as a whole, with the reason: a field error on the package (the file field). */
export class PackageRefusedError extends ValidationError {
  constructor(
    readonly reason: PackageRefusal,
    message: string,
  ) {
    super([{ path: 'package', message }]);
  }
}

/** The largest package accepted: a participant's record is a few kilobytes. */
export const MAX_PACKAGE_BYTES = 256 * 1024;

export interface VerifiedPackage {
  payload: TransferPackage;
  kid: string;
  senderName: string;
  digest: string;
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies a transfer package against the trusted senders' keys, then validates its payload.
 * Every refusal says why: malformed, unsigned, an unknown or revoked key, tampered (the signature
 * does not match the content), another version, or expired.
 */
export async function verifyTransferPackage(
  db: Pick<Db, 'execute'>,
  text: string,
  now: Date,
): Promise<VerifiedPackage> {
  const jws = text.trim();
  if (jws.length === 0) throw new PackageRefusedError('malformed', 'The file is empty');
  if (Buffer.byteLength(jws, 'utf8') > MAX_PACKAGE_BYTES)
    throw new PackageRefusedError('malformed', 'The file is larger than a transfer package can be');
  if (jws.startsWith('{'))
    throw new PackageRefusedError(
      'unsigned',
      'The package is not signed: it is plain JSON. Ask the sending lead provider for the signed file (.jws) from npq-ops',
    );
  if (!COMPACT.test(jws))
    throw new PackageRefusedError('malformed', 'The file is not a transfer package (.jws)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new PackageRefusedError('malformed', 'The file is not a transfer package (.jws)');
  }
  if (header.alg === 'none' || jws.endsWith('.') || header.alg === undefined)
    throw new PackageRefusedError(
      'unsigned',
      'The package is not signed. Ask the sending lead provider for the signed file',
    );
  if (header.typ !== TRANSFER_PACKAGE_JWS_TYP)
    throw new PackageRefusedError('malformed', 'The file is not a transfer package (.jws)');
  if (typeof header.kid !== 'string' || header.kid.length === 0)
    throw new PackageRefusedError(
      'unknown_key',
      'The package does not say which key signed it, so it cannot be checked',
    );
  const trusted = await findTrustedKey(db, header.kid);
  if (!trusted)
    throw new PackageRefusedError(
      'unknown_key',
      `The package was signed with a key we do not trust (key id ${header.kid}). Register the sending lead provider’s public key first`,
    );
  if (trusted.revoked)
    throw new PackageRefusedError(
      'revoked_key',
      `The package was signed with a key of ${trusted.senderName} that has been revoked here`,
    );
  let payloadBytes: Uint8Array;
  try {
    const key = await importJWK(trusted.jwk, trusted.alg);
    ({ payload: payloadBytes } = await compactVerify(jws, key, { algorithms: [trusted.alg] }));
  } catch (error) {
    if (
      error instanceof joseErrors.JWSSignatureVerificationFailed ||
      error instanceof joseErrors.JWSInvalid ||
      error instanceof joseErrors.JOSEAlgNotAllowed
    )
      throw new PackageRefusedError(
        'tampered',
        `The package has been changed since ${trusted.senderName} signed it: its signature does not match its content`,
      );
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    throw new PackageRefusedError('malformed', 'The package’s content is not readable');
  }
  const object = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (object.type !== TRANSFER_PACKAGE_TYPE)
    throw new PackageRefusedError('malformed', 'The file is not a transfer package');
  if (object.version !== TRANSFER_PACKAGE_VERSION)
    throw new PackageRefusedError(
      'unsupported_version',
      `The package is version ${String(object.version)}; this service reads version ${TRANSFER_PACKAGE_VERSION}. Ask the sender to make it again from an up-to-date npq-ops`,
    );
  const parsed = TransferPackagePayload.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PackageRefusedError(
      'malformed',
      `The package’s content is not valid: ${issue.path.join('.') || 'package'} (${issue.message})`,
    );
  }
  if (parsed.data.kid !== header.kid)
    throw new PackageRefusedError(
      'malformed',
      'The package names a different key from its signature',
    );
  if (new Date(parsed.data.expiresAt).getTime() <= now.getTime())
    throw new PackageRefusedError(
      'expired',
      `The package expired on ${parsed.data.expiresAt.slice(0, 10)}. Ask the sending lead provider for a new one`,
    );
  return {
    payload: parsed.data,
    kid: header.kid,
    senderName: trusted.senderName,
    digest: packageDigest(jws),
  };
}
