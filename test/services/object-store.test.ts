import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { postgresObjectStore } from '../../src/services/storage/postgres.js';
import { s3ObjectStore, signV4 } from '../../src/services/storage/s3.js';
import { objectStoreFor } from '../../src/services/storage/choose.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const text = async (body: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
};

describe('the PostgreSQL object store (the default)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('puts, gets (as a stream), replaces and deletes bytes by key', async () => {
    const store = postgresObjectStore(t.db);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0x25, 0x50]);
    await store.put(
      'assessment/1/a',
      Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]),
      'application/pdf',
    );
    const got = await store.get('assessment/1/a');
    expect(got?.contentType).toBe('application/pdf');
    expect(got?.size).toBe(bytes.length);
    expect((await text(got!.body)).equals(bytes)).toBe(true);
    await store.put('assessment/1/a', Buffer.from('v2'), 'application/msword');
    expect((await text((await store.get('assessment/1/a'))!.body)).toString()).toBe('v2');
    await store.delete('assessment/1/a');
    expect(await store.get('assessment/1/a')).toBeNull();
    await store.delete('assessment/1/a');
  });

  it('refuses keys that could escape a path', async () => {
    const store = postgresObjectStore(t.db);
    await expect(store.put('../etc/passwd', Buffer.from('x'), 'text/plain')).rejects.toThrow(
      /keys/,
    );
    await expect(store.get('/absolute')).rejects.toThrow(/keys/);
  });
});

describe('S3-compatible storage', () => {
  it('signs requests as AWS Signature Version 4 does (the AWS documentation example, GET object)', () => {
    const headers = signV4({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { Range: 'bytes=0-9' },
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      region: 'us-east-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('puts, gets and deletes with path-style signed requests', async () => {
    const objects = new Map<string, { body: Buffer; type: string }>();
    const calls: { method: string; url: string; auth: string }[] = [];
    const fakeFetch = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? 'GET';
      const h = new Headers(init?.headers);
      calls.push({ method, url, auth: h.get('authorization') ?? '' });
      if (method === 'PUT') {
        objects.set(url, {
          body: Buffer.from(init!.body as Uint8Array),
          type: h.get('content-type')!,
        });
        return new Response(null, { status: 200 });
      }
      const o = objects.get(url);
      if (method === 'DELETE') {
        objects.delete(url);
        return new Response(null, { status: 204 });
      }
      return o
        ? new Response(new Uint8Array(o.body), {
            status: 200,
            headers: { 'content-type': o.type, 'content-length': String(o.body.length) },
          })
        : new Response('<Error/>', { status: 404 });
    }) as typeof fetch;
    const store = s3ObjectStore(
      {
        endpoint: 'https://s3.example.org/',
        bucket: 'npq-files',
        region: 'eu-west-2',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
      },
      { fetch: fakeFetch, now: () => new Date('2026-09-24T10:00:00Z') },
    );
    await store.put('assessment/7/file', Buffer.from('%PDF-1.7'), 'application/pdf');
    expect(calls[0]!.url).toBe('https://s3.example.org/npq-files/assessment/7/file');
    expect(calls[0]!.auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AK\/20260924\/eu-west-2\/s3\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    const got = await store.get('assessment/7/file');
    expect((await text(got!.body)).toString()).toBe('%PDF-1.7');
    expect(got!.contentType).toBe('application/pdf');
    await store.delete('assessment/7/file');
    expect(await store.get('assessment/7/file')).toBeNull();
  });

  it('says what failed when the storage refuses', async () => {
    const store = s3ObjectStore(
      {
        endpoint: 'https://s3.example.org',
        bucket: 'b',
        region: 'r',
        accessKeyId: 'a',
        secretAccessKey: 's',
      },
      { fetch: (async () => new Response('denied', { status: 403 })) as typeof fetch },
    );
    await expect(store.put('k', Buffer.from('x'), 'application/pdf')).rejects.toThrow(
      'Object storage refused a file: HTTP 403',
    );
  });

  it('is chosen by configuration, which needs the whole address and key pair', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).objectStore).toBeNull();
    expect(() =>
      loadConfig({ NODE_ENV: 'test', OBJECT_STORE: 's3', S3_ENDPOINT: 'https://s3.example.org' }),
    ).toThrow(/S3_BUCKET is required when OBJECT_STORE=s3/);
    const config = loadConfig({
      NODE_ENV: 'test',
      OBJECT_STORE: 's3',
      S3_ENDPOINT: 'https://s3.example.org',
      S3_BUCKET: 'npq',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 's',
    });
    expect(config.objectStore).toMatchObject({ kind: 's3', bucket: 'npq', region: 'us-east-1' });
    expect(objectStoreFor(config.objectStore, {} as never).kind).toBe('s3');
  });
});
