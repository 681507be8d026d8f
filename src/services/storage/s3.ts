import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { S3Settings } from '../../config.js';
import { checkKey, ObjectStoreError, toBuffer, type ObjectStore } from './index.js';

/**
 * S3-compatible object storage (AWS S3, MinIO, Ceph, Cloudflare R2, …) with plain HTTPS requests
 * signed with AWS Signature Version 4, so no SDK is needed. Objects are addressed path-style:
 * `{endpoint}/{bucket}/{key}`, which every S3-compatible service accepts.
 */
export type { S3Settings };

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding, as Signature Version 4 wants it; '/' kept between path segments. */
const encodePath = (path: string) =>
  path
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');

export interface SignInput {
  method: string;
  url: URL;
  /** Headers to sign besides host; names in any case. */
  headers: Record<string, string>;
  payloadHash: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  now: Date;
}

/** The Authorization header (and x-amz-date) for a request, per AWS Signature Version 4. */
export function signV4(input: SignInput): Record<string, string> {
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: input.url.host };
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v.trim();
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = input.payloadHash;
  const names = Object.keys(headers).sort();
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const canonical = [
    input.method,
    input.url.pathname,
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    input.payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${input.secretAccessKey}`, day);
  for (const part of [input.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export function s3ObjectStore(
  settings: S3Settings,
  options: { fetch?: typeof fetch; now?: () => Date } = {},
): ObjectStore {
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const base = settings.endpoint.replace(/\/+$/, '');
  const request = async (
    method: 'PUT' | 'GET' | 'DELETE',
    key: string,
    body?: Buffer,
    extra: Record<string, string> = {},
  ) => {
    checkKey(key);
    const url = new URL(`${base}/${encodePath(settings.bucket)}/${encodePath(key)}`);
    const headers = signV4({
      method,
      url,
      headers: extra,
      payloadHash: sha256(body ?? ''),
      region: settings.region,
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      now: now(),
    });
    try {
      return await send(url, { method, headers, ...(body ? { body: new Uint8Array(body) } : {}) });
    } catch (error) {
      throw new ObjectStoreError(`Object storage did not answer (${method}): ${String(error)}`);
    }
  };
  const fail = async (what: string, res: Response) => {
    await res.body?.cancel();
    return new ObjectStoreError(`Object storage refused ${what}: HTTP ${res.status}`);
  };
  return {
    kind: 's3',
    async put(key, body, contentType) {
      const bytes = await toBuffer(body);
      const res = await request('PUT', key, bytes, {
        'content-type': contentType,
        'content-length': String(bytes.length),
      });
      if (!res.ok) throw await fail('a file', res);
      await res.body?.cancel();
    },
    async get(key) {
      const res = await request('GET', key);
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok || !res.body) throw await fail('a read', res);
      return {
        body: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        contentType: res.headers.get('content-type') ?? 'application/octet-stream',
        size: Number(res.headers.get('content-length') ?? 0),
      };
    },
    async delete(key) {
      const res = await request('DELETE', key);
      if (!res.ok && res.status !== 404) throw await fail('a delete', res);
      await res.body?.cancel();
    },
  };
}
