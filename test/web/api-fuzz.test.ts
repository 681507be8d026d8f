import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Every operation of the OpenAPI document, called as an admin and as a participant with bodies,
 * query strings and path ids generated from the document's own schemas: valid ones, and ones
 * broken on purpose (wrong types, missing fields, NUL characters, lone UTF-16 surrogates, long or
 * odd strings, arbitrary JSON). Whatever is sent, no reply may be a 5xx, every 4xx has
 * { error, code }, and every 400/422 lists field errors [{ path, message }].
 *
 * FUZZ_SEED and FUZZ_RUNS (per operation and role) change the exploration; a failure prints the
 * seed to reproduce it.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20260412);
const RUNS = Number(process.env.FUZZ_RUNS ?? 7);

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
};
interface Parameter {
  in: 'path' | 'query';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  parameters: Parameter[];
  body?: { contentType: string; schema: Schema };
}

let w: DemoWorld;
const sessions: Record<string, Session> = {};
let components: Record<string, Schema> = {};
let operations: Operation[] = [];
/** Ids of real records, so that valid requests reach the services, not only the validators. */
let realIds: number[] = [];

beforeAll(async () => {
  w = await createDemoWorld({ participants: 8 });
  sessions.admin = await w.signIn('admin@demo.npq-ops.test');
  sessions.participant = await w.signIn('participant1@demo.npq-ops.test');
  const doc = (await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Parameter[];
          requestBody?: { content?: Record<string, { schema: Schema }> };
        }
      >
    >;
    components: { schemas: Record<string, Schema> };
  };
  components = doc.components.schemas;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      return {
        method: method.toUpperCase() as Operation['method'],
        path,
        parameters: op.parameters ?? [],
        ...(contentType && media ? { body: { contentType, schema: media.schema } } : {}),
      };
    }),
  );
  const rows = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from participant where email = 'participant1@demo.npq-ops.test'
        union select id from enrolment where participant_id in (select id from participant where email = 'participant1@demo.npq-ops.test')
        union select id from cohort union select id from delivery_partner union select id from cohort_event
        union select id from programme_activity union select id from app_user`,
  );
  realIds = [...new Set(rows.map((r) => r.id))].slice(0, 60);
});
afterAll(async () => {
  await w?.destroy();
});

const resolve = (schema: Schema): Schema =>
  schema.$ref ? resolve(components[schema.$ref.split('/').pop() ?? ''] ?? {}) : schema;

/** Strings the database cannot store, and other edges of text. */
const EVIL_STRINGS = [
  'a\u0000b',
  '\u0000',
  'x\ud800',
  '\udfffx',
  '😀\ud83d',
  '',
  ' ',
  'x'.repeat(5000),
  '../../etc/passwd',
  "'; drop table participant; --",
  '<script>alert(1)</script>',
  '\u202e\u200b\ufeff',
  '1e309',
  '-1',
  '2147483648',
  '9999-99-99',
];
const evilString = fc.oneof(
  fc.constantFrom(...EVIL_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`),
);

function idArbitrary(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...realIds) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_147_483_647 }) },
  );
}

/** A value the schema accepts (as far as a generator can tell without the service's rules). */
function valid(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return fc.oneof(...choices.map((c) => valid(c, name, depth + 1)));
  if (s.allOf?.[0]) return valid(s.allOf[0], name, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = s.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of Object.entries(props)) record[key] = valid(value, key, depth + 1);
      const required = (s.required ?? []).filter((k) => k in props);
      return fc.record(record, { requiredKeys: required });
    }
    case 'array':
      return fc.array(valid(s.items ?? {}, name, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 3, Math.max(s.minItems ?? 0, 3)),
      });
    case 'integer':
    case 'number': {
      if (/id$/i.test(name) && realIds.length > 0) return idArbitrary();
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = Math.min(s.maximum ?? 1000, Number.MAX_SAFE_INTEGER);
      return type === 'integer'
        ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
        : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return validString(s, name);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function validString(s: Schema, name: string): fc.Arbitrary<string> {
  if (s.format === 'date')
    return fc
      .date({ min: new Date('2024-01-01'), max: new Date('2028-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'date-time')
    return fc
      .date({ min: new Date('2024-01-01'), max: new Date('2028-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.format === 'email')
    return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254));
  if (s.pattern === '^[1-9][0-9]{0,9}$') return idArbitrary().map(String);
  if (s.pattern) {
    try {
      const max = s.maxLength ?? 60;
      return fc
        .stringMatching(new RegExp(s.pattern, 'u'))
        .filter((v) => v.length <= max && v.length >= (s.minLength ?? 0));
    } catch {
      // A pattern fast-check cannot generate from: plain text, which the validator may refuse.
    }
  }
  if (/participant$/.test(name)) return fc.constantFrom(...realIds.map((id) => `id:${id}`));
  return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) });
}

/** A value the schema should refuse, or one at its edges. */
function invalid(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const wrong = fc.oneof(
    evilString,
    fc.constantFrom(null, true, -1, 0, 1e308, 2 ** 31, [], {}),
    fc.jsonValue({ maxDepth: 2 }),
  );
  if (type === 'object' && s.properties && depth < 3) {
    const props = s.properties;
    const keys = Object.keys(props);
    if (keys.length === 0) return wrong;
    // A valid object with one field broken, or missing, or an unknown field added.
    return fc.oneof(
      fc.tuple(valid(s, name, depth), fc.constantFrom(...keys)).chain(([base, key]) =>
        invalid(props[key]!, key, depth + 1).map((bad) => ({
          ...(base as object),
          [key]: bad,
        })),
      ),
      fc.tuple(valid(s, name, depth), fc.constantFrom(...keys)).map(([base, key]) => {
        const copy = { ...(base as Record<string, unknown>) };
        delete copy[key];
        return copy;
      }),
      fc
        .tuple(valid(s, name, depth), evilString, fc.jsonValue({ maxDepth: 1 }))
        .map(([base, key, value]) => ({ ...(base as object), [key]: value })),
      wrong,
    );
  }
  if (type === 'array' && s.items && depth < 3)
    return fc.oneof(fc.array(invalid(s.items, name, depth + 1), { maxLength: 3 }), wrong);
  return wrong;
}

/** Percent-encodes any string, lone surrogates included (Node writes them as U+FFFD). */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

interface Case {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

type Kind = 'valid' | 'broken' | 'poisoned';

/** A valid case with one of its strings (body, query or path) given a NUL or a lone surrogate. */
function poisoned(op: Operation): fc.Arbitrary<Case> {
  return fc
    .tuple(caseArbitrary(op, 'valid'), fc.nat(), fc.constantFrom('\u0000', '\ud800', '\udc00'))
    .map(([c, n, bad]) => {
      const leaves: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
      const walk = (v: unknown) => {
        if (v === null || typeof v !== 'object') return;
        for (const [k, x] of Object.entries(v)) {
          if (typeof x === 'string')
            leaves.push({ holder: v as Record<string, unknown>, key: Array.isArray(v) ? +k : k });
          else walk(x);
        }
      };
      const copy = structuredClone(c);
      walk(copy);
      const leaf = leaves[n % Math.max(1, leaves.length)];
      if (leaf) {
        const holder = leaf.holder as Record<string | number, string>;
        holder[leaf.key] = `${holder[leaf.key]!.slice(0, 3)}${bad}${holder[leaf.key]!.slice(3)}`;
      }
      return copy;
    });
}

function caseArbitrary(op: Operation, kind: Kind): fc.Arbitrary<Case> {
  if (kind === 'poisoned') return poisoned(op);
  const broken = kind === 'broken';
  const paramArb = (p: Parameter) =>
    (broken
      ? fc.oneof(valid(p.schema, p.name), invalid(p.schema, p.name))
      : valid(p.schema, p.name)
    ).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  return fc.record({
    params: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, paramArb(p)]))),
    query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, paramArb(p)])), {
      requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name),
    }),
    body: op.body
      ? broken
        ? invalid(op.body.schema)
        : valid(op.body.schema)
      : fc.constant(undefined),
  }) as fc.Arbitrary<Case>;
}

function urlOf(op: Operation, c: Case): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encode(c.params[name] ?? '1'));
  const query = Object.entries(c.query)
    .map(([k, v]) => `${k}=${encode(v)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

function payloadOf(op: Operation, body: unknown): { payload?: string; contentType?: string } {
  if (op.method === 'GET' || op.method === 'DELETE' || body === undefined) return {};
  if (op.body?.contentType === 'text/csv') {
    return {
      payload: typeof body === 'string' ? body : `URN,EstablishmentName\n${JSON.stringify(body)}`,
      contentType: 'text/csv',
    };
  }
  return { payload: JSON.stringify(body), contentType: 'application/json' };
}

describe('fuzzing every OpenAPI operation', () => {
  it(
    'answers no 5xx, and well-formed errors with field errors on every 400 and 422',
    { timeout: 600_000 },
    async () => {
      expect(operations.length).toBeGreaterThan(50);
      const problems = new Map<string, string>();
      const statuses = new Map<number, number>();
      let requests = 0;
      let textRefusals = 0;
      const started = Date.now();
      for (const [index, op] of operations.entries()) {
        if (op.path.endsWith('/openapi.json')) continue;
        for (const role of ['admin', 'participant'] as const) {
          for (const [k, kind] of (['valid', 'broken', 'poisoned'] as const).entries()) {
            const cases = fc.sample(caseArbitrary(op, kind), {
              numRuns: RUNS,
              seed: SEED + index * 8 + (role === 'admin' ? 0 : 4) + k,
            });
            for (const c of cases) {
              const url = urlOf(op, c);
              const { payload, contentType } = payloadOf(op, c.body);
              const res = await sessions[role]!.request({
                method: op.method,
                url,
                ...(payload !== undefined ? { payload } : {}),
                headers: contentType ? { 'content-type': contentType } : {},
              });
              requests += 1;
              statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
              const key = `${op.method} ${op.path} ${res.statusCode}`;
              const describe = () =>
                `${role} ${op.method} ${url.slice(0, 200)} ${(payload ?? '').slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
              if (res.statusCode >= 500) {
                if (!problems.has(key)) problems.set(key, describe());
                continue;
              }
              if (res.statusCode < 400) continue;
              let body: { error?: unknown; code?: unknown; errors?: unknown };
              try {
                body = res.json();
              } catch {
                problems.set(`${key} not JSON`, describe());
                continue;
              }
              const fieldErrors = Array.isArray(body.errors)
                ? (body.errors as { path?: unknown; message?: unknown }[])
                : [];
              if (typeof body.error !== 'string' || typeof body.code !== 'string')
                problems.set(`${key} shape`, describe());
              if (
                (res.statusCode === 400 || res.statusCode === 422) &&
                (fieldErrors.length === 0 ||
                  fieldErrors.some(
                    (e) => typeof e.path !== 'string' || typeof e.message !== 'string',
                  ))
              )
                problems.set(`${key} field errors`, describe());
              if (fieldErrors.some((e) => /hidden NUL|lone UTF-16/.test(String(e.message))))
                textRefusals += 1;
            }
          }
        }
      }
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `API fuzz (seed ${SEED}, ${RUNS} runs per operation, role and kind): ${requests} requests to ${operations.length} operations in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; NUL/surrogate refusals ${textRefusals}`,
      );
      expect([...problems.values()], `seed ${SEED}`).toEqual([]);
      expect(requests).toBeGreaterThan(2000);
      expect(textRefusals).toBeGreaterThan(100);
      // Valid requests reach the services: not everything stops at validation.
      expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(requests / 20);
    },
  );
});
