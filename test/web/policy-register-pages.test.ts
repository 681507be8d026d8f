import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFields } from '../support/forms.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * The policy register pages (issue 16): the programme team drafts a version (edit, check answers,
 * save), someone else approves it, the policy page publishes it with its version table from its
 * issue date, and the what-if shows who would change outcome.
 */
let w: DemoWorld;
const sessions: Record<string, Session> = {};
const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  north_partner: 'partner.north@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;
type Role = keyof typeof ROLES;
const call = (role: Role, method: 'GET' | 'POST', url: string, payload?: object) =>
  sessions[role]!.request({ method, url, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
});
afterAll(async () => {
  await w.destroy();
});

describe('policy register pages', () => {
  it('lists the four versions for the programme team; a partner reads it; a participant is told it does not exist', async () => {
    const res = await call('programme_team', 'GET', '/policy-register');
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    for (const v of ['Insertion of NPQ-specific deferral policy', 'Annual review, minor changes'])
      expect(text).toContain(v);
    expect(text).toContain('In force');
    expect(text).toContain('Start a new version');
    const partner = await call('north_partner', 'GET', '/policy-register');
    expect(partner.statusCode).toBe(200);
    expect(pageText(partner.body)).not.toContain('Start a new version');
    expect((await call('north_partner', 'GET', '/policy-register/what-if')).statusCode).toBe(404);
    expect((await call('participant', 'GET', '/policy-register')).statusCode).toBe(404);
  });

  it('drafts a version: field errors, check answers, save', async () => {
    const empty = await call('programme_team', 'POST', '/policy-register/drafts', {
      version: 'two',
      summary: '',
    });
    expect(empty.statusCode).toBe(422);
    expect(pageText(empty.body)).toContain('Enter a version number');
    const created = await call('programme_team', 'POST', '/policy-register/drafts', {
      version: '2.3',
      summary: 'Threshold raised to 95%',
    });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/policy-register/versions/2.3/edit');

    const form = await call('programme_team', 'GET', '/policy-register/versions/2.3/edit');
    const fields = formFields(form.body, '/policy-register/versions/2.3/edit');
    expect(fields.engagementThresholdBp).toBe('90');
    const bad = await call('programme_team', 'POST', '/policy-register/versions/2.3/edit', {
      ...fields,
      engagementThresholdBp: '49',
      assessmentAttempts: '0',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('href="#engagementThresholdBp"');
    expect(bad.body).toContain('href="#assessmentAttempts"');

    const check = await call('programme_team', 'POST', '/policy-register/versions/2.3/edit', {
      ...fields,
      engagementThresholdBp: '95',
    });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toContain('95% (was 90%)');
    const saved = await call(
      'programme_team',
      'POST',
      '/policy-register/versions/2.3/edit',
      formFields(check.body, '/policy-register/versions/2.3/edit') as Record<string, string>,
    );
    expect(saved.statusCode).toBe(303);
    const detail = await call('programme_team', 'GET', saved.headers.location as string);
    expect(pageText(detail.body)).toContain('Draft saved');
    expect(pageText(detail.body)).toMatch(/Changed 95%\s+90%/);
    expect(detail.body).toContain('data-testid="approve-by-someone-else"');
  });

  it('the what-if lists who would change, with the clause; a bad date is a field error', async () => {
    const res = await call(
      'programme_team',
      'GET',
      '/policy-register/what-if?version=2.3&scope=all&asOf=2026-03-16',
    );
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('Version 2.3 against version 2.2');
    expect(text).toContain('Engagement needed to sit the assessment 90% → 95%');
    expect(text).toContain('nothing was written');
    const bad = await call(
      'programme_team',
      'GET',
      '/policy-register/what-if?version=2.3&scope=all&asOf=2026-02-30',
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('href="#asOf"');
  });

  it('an admin approves it; the policy page publishes it with its version table', async () => {
    const detail = await call('admin', 'GET', '/policy-register/versions/2.3');
    const fields = formFields(detail.body, '/policy-register/versions/2.3/approve') as Record<
      string,
      string
    >;
    const missing = await call('admin', 'POST', '/policy-register/versions/2.3/approve', {
      ...fields,
      approver: '',
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('href="#approver"');
    const approved = await call('admin', 'POST', '/policy-register/versions/2.3/approve', {
      ...fields,
      approver: 'Programme Operations Committee',
    });
    expect(approved.statusCode).toBe(303);
    const done = await call('admin', 'GET', approved.headers.location as string);
    expect(pageText(done.body)).toContain('Your reference POLICY-2.3');

    const policy = await w.app.inject({ method: 'GET', url: '/policy' });
    const text = pageText(policy.body);
    expect(text).toContain('Version 2.3, in force');
    expect(text).toContain('Threshold raised to 95%');
    expect(text).toMatch(/Engagement needed to sit the assessment\s+95%/);
    expect(text).toContain('Annual review, minor changes');

    const api = await call('programme_team', 'GET', '/api/v1/policy-versions/2.3');
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({
      standing: 'in_force',
      parameters: { engagementThresholdBp: 9500 },
    });
  });
});
