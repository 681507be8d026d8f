import { EMAIL_TEMPLATE_KEYS } from '../src/domain/email-templates.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has working defaults for a newcomer', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: 'localhost',
      dataDir: './data',
      allowDemoData: true,
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/npq',
      DATABASE_URL: 'postgres://npq@db:5432/npq',
      SESSION_SECRET: 'x'.repeat(40),
      NODE_ENV: 'test',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/npq',
      databaseUrl: 'postgres://npq@db:5432/npq',
      sessionSecret: 'x'.repeat(40),
      env: 'test',
    });
  });

  it('refuses to start in production without SESSION_SECRET, DATABASE_URL and PUBLIC_URL', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      expect.unreachable('production config without secrets must fail');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'DATABASE_URL: DATABASE_URL is required in production',
        'SESSION_SECRET: SESSION_SECRET is required in production',
        'PUBLIC_URL: PUBLIC_URL is required in production',
      ]);
    }
  });

  it('never allows demo data in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://npq@db/npq',
      SESSION_SECRET: 's'.repeat(32),
      PUBLIC_URL: 'https://npq.example.org/',
    });
    expect(config.allowDemoData).toBe(false);
    expect(config.publicUrl).toBe('https://npq.example.org');
  });

  it('keeps emails in the outbox without a Notify key, and needs every template id with one', () => {
    expect(loadConfig({}).notify).toBeNull();
    expect(loadConfig({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
    expect(() => loadConfig({ NOTIFY_API_KEY: 'key' })).toThrow(/NOTIFY_TEMPLATE_IDS/);
    expect(() =>
      loadConfig({ NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_IDS: '{"staff_invitation":"a"}' }),
    ).toThrow(/no template id for participant_invitation/);
    const ids = Object.fromEntries(EMAIL_TEMPLATE_KEYS.map((k) => [k, `id-${k}`]));
    const config = loadConfig({ NOTIFY_API_KEY: 'key', NOTIFY_TEMPLATE_IDS: JSON.stringify(ids) });
    expect(config.notify).toEqual({ apiKey: 'key', templateIds: ids });
  });

  it('turns DfE sync on only with both the API address and its token', () => {
    expect(loadConfig({}).dfeApi).toBeNull();
    expect(() => loadConfig({ DFE_API_URL: 'https://dfe.example' })).toThrow(/DFE_API_TOKEN/);
    expect(() => loadConfig({ DFE_API_TOKEN: 'secret' })).toThrow(/DFE_API_URL/);
    expect(() => loadConfig({ DFE_API_URL: 'ftp://dfe.example', DFE_API_TOKEN: 't' })).toThrow(
      /DFE_API_URL/,
    );
    expect(loadConfig({ DFE_API_URL: 'https://dfe.example', DFE_API_TOKEN: 't' }).dfeApi).toEqual({
      url: 'https://dfe.example',
      token: 't',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({
      databaseUrl: undefined,
      port: 3000,
    });
  });

  it('names the bad field', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(/at least 32/);
  });
});
