import { z } from 'zod';
import { EMAIL_TEMPLATE_KEYS } from './domain/email-templates.js';
import { DEFAULT_RETENTION_YEARS_AFTER_END } from './policy/retention.js';

/**
 * Configuration is read from the environment once, at start-up, and passed in from there:
 * nothing else reads process.env.
 */
const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('localhost'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    NOTIFY_API_KEY: z.string().min(1).optional(),
    NOTIFY_TEMPLATE_IDS: z.string().optional(),
    DFE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    DFE_API_TOKEN: z.string().min(1).optional(),
    RETENTION_YEARS_AFTER_END: z.coerce
      .number()
      .int()
      .min(1, 'RETENTION_YEARS_AFTER_END must be at least 1')
      .max(100)
      .default(DEFAULT_RETENTION_YEARS_AFTER_END),
    OBJECT_STORE: z.enum(['postgres', 's3']).default('postgres'),
    S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    S3_BUCKET: z.string().min(1).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .superRefine((env, ctx) => {
    // DfE sync needs both; one without the other is a mistake worth stopping for.
    if (Boolean(env.DFE_API_URL) !== Boolean(env.DFE_API_TOKEN)) {
      const missing = env.DFE_API_URL ? 'DFE_API_TOKEN' : 'DFE_API_URL';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `${missing} is required when ${missing === 'DFE_API_URL' ? 'DFE_API_TOKEN' : 'DFE_API_URL'} is set (DfE sync needs both)`,
      });
    }
    // Files in S3-compatible storage need the whole address and a key pair.
    if (env.OBJECT_STORE === 's3') {
      for (const key of [
        'S3_ENDPOINT',
        'S3_BUCKET',
        'S3_ACCESS_KEY_ID',
        'S3_SECRET_ACCESS_KEY',
      ] as const) {
        if (!env[key])
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} is required when OBJECT_STORE=s3`,
          });
      }
    }
    if (env.NODE_ENV !== 'production') return;
    // A production deployment must never fall back to demo secrets or an embedded database.
    for (const key of ['DATABASE_URL', 'SESSION_SECRET', 'PUBLIC_URL'] as const) {
      if (!env[key])
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required in production` });
    }
  });

/** S3-compatible object storage for uploaded files (src/services/storage/s3.ts). */
export interface S3Settings {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** null keeps uploaded files in PostgreSQL (the default). */
export type ObjectStoreConfig = ({ readonly kind: 's3' } & S3Settings) | null;

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly sessionSecret: string;
  readonly logLevel: string;
  /** The address people reach the app at; links in emails start with it. */
  readonly publicUrl: string;
  /** GOV.UK Notify: with no key, emails stay in the outbox and are read at the mailbox page. */
  readonly notify: {
    readonly apiKey: string;
    readonly templateIds: Readonly<Record<string, string>>;
  } | null;
  /** The DfE lead provider API: with no address and token, DfE sync is off. */
  readonly dfeApi: { readonly url: string; readonly token: string } | null;
  /** Demo data and demo sign-ins are only ever created outside production. */
  readonly allowDemoData: boolean;
  /** Years after a participant's last enrolment ended before the daily job anonymises them. */
  readonly retentionYearsAfterEnd: number;
  /** Where uploaded files live: null is PostgreSQL (the default), or S3-compatible storage. */
  readonly objectStore: ObjectStoreConfig;
}

// Only for development and tests: production refuses to start without SESSION_SECRET.
const DEVELOPMENT_SESSION_SECRET = 'npq-ops-development-session-secret-not-for-production';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`DATABASE_URL=`) means "not set", as shells and .env files use it.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const notify = e.NOTIFY_API_KEY
    ? { apiKey: e.NOTIFY_API_KEY, templateIds: parseTemplateIds(e.NOTIFY_TEMPLATE_IDS) }
    : null;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    sessionSecret: e.SESSION_SECRET ?? DEVELOPMENT_SESSION_SECRET,
    logLevel: e.LOG_LEVEL,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    notify,
    dfeApi:
      e.DFE_API_URL && e.DFE_API_TOKEN ? { url: e.DFE_API_URL, token: e.DFE_API_TOKEN } : null,
    allowDemoData: e.NODE_ENV !== 'production',
    retentionYearsAfterEnd: e.RETENTION_YEARS_AFTER_END,
    objectStore:
      e.OBJECT_STORE === 's3' &&
      e.S3_ENDPOINT &&
      e.S3_BUCKET &&
      e.S3_ACCESS_KEY_ID &&
      e.S3_SECRET_ACCESS_KEY
        ? {
            kind: 's3',
            endpoint: e.S3_ENDPOINT,
            bucket: e.S3_BUCKET,
            region: e.S3_REGION,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          }
        : null,
  };
}

/** NOTIFY_TEMPLATE_IDS is JSON: {"staff_invitation": "<Notify template id>", …}, one for every email. */
function parseTemplateIds(raw: string | undefined): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? '');
  } catch {
    throw new ConfigError([
      'NOTIFY_TEMPLATE_IDS: with NOTIFY_API_KEY set, give the Notify template ids as JSON, e.g. {"staff_invitation":"…"}',
    ]);
  }
  const ids = z.record(z.string(), z.string().min(1)).safeParse(parsed);
  if (!ids.success)
    throw new ConfigError(['NOTIFY_TEMPLATE_IDS: must map email names to template ids']);
  const missing = EMAIL_TEMPLATE_KEYS.filter((k) => !ids.data[k]);
  if (missing.length)
    throw new ConfigError([`NOTIFY_TEMPLATE_IDS: no template id for ${missing.join(', ')}`]);
  return ids.data;
}
