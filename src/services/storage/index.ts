import type { Readable } from 'node:stream';

/**
 * Where uploaded files live: a small key → bytes store. The default keeps them in PostgreSQL
 * (table stored_object), so the embedded database needs nothing else; a deployment can point it
 * at S3-compatible object storage instead (OBJECT_STORE=s3, see src/config.ts). Files are only
 * ever stored and served as data: nothing opens, parses or renders them.
 */
export interface StoredObject {
  body: Readable;
  contentType: string;
  size: number;
}

export interface ObjectStore {
  /** Which kind of store this is, for logs and the guide ("postgres" or "s3"). */
  readonly kind: 'postgres' | 's3';
  /** Stores the bytes under `key`, replacing anything there. */
  put(key: string, body: Buffer | AsyncIterable<Uint8Array>, contentType: string): Promise<void>;
  /** The stored object, or null when there is nothing under `key`. */
  get(key: string): Promise<StoredObject | null>;
  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** An S3 request failed or the store is misconfigured. */
export class ObjectStoreError extends Error {}

/** Collects a stream (or returns a buffer as it is). */
export async function toBuffer(body: Buffer | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Keys are made by npq-ops itself; this refuses anything that could escape a bucket path. */
export function checkKey(key: string): void {
  if (!/^[a-z0-9][a-z0-9/_.-]{0,500}$/i.test(key) || key.includes('..'))
    throw new ObjectStoreError('Object keys are letters, digits and / _ . - only');
}
