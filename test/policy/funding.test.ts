import { describe, expect, it } from 'vitest';
import { POLICY_REGISTER, evaluateFundingAtDeferral } from '../../src/policy/index.js';
import type { PolicyRegister } from '../../src/policy/index.js';

describe('2.4.1 a DfE scholarship is retained on restart, subject to change by the DfE', () => {
  it('2.4.1 a scholarship participant keeps their funding when they restart', () => {
    const d = evaluateFundingAtDeferral({ fundingRoute: 'dfe_scholarship' });
    expect(d.outcome).toBe('met');
    expect(d.details.fundingRetainedOnRestart).toBe(true);
    expect(d.details.subjectToDfeChange).toBe(true);
    expect(d.reasons[0]?.clause).toBe('2.4.1');
    expect(d.reasons[0]?.message).toContain('may change this');
  });

  it('2.4.1 if the DfE changes this, a new register version says so and the decision follows it', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      version: '2.3-draft',
      parameters: { ...POLICY_REGISTER.parameters, scholarshipRetainedOnRestart: false },
    };
    const d = evaluateFundingAtDeferral({ fundingRoute: 'dfe_scholarship' }, register);
    expect(d.outcome).toBe('not_met');
    expect(d.details.fundingRetainedOnRestart).toBe(false);
    expect(d.policyVersion).toBe('2.3-draft');
  });
});

describe('2.4.2 self, school, trust or employer funding: no refund at deferral', () => {
  it.each([
    { route: 'school' as const, payer: 'your school' },
    { route: 'trust' as const, payer: 'your trust' },
    { route: 'self' as const, payer: 'paid by you' },
    { route: 'employer' as const, payer: 'your employer' },
  ])(
    '2.4.2 $route funding: no refund at the point of deferral, see the NPQ Refund Policy',
    ({ route, payer }) => {
      const d = evaluateFundingAtDeferral({ fundingRoute: route });
      expect(d.details.refundAtDeferral).toBe(false);
      expect(d.details.refundPolicy).toBe('NPQ Refund Policy');
      expect(d.details.fundingRetainedOnRestart).toBeNull();
      const r = d.reasons[0];
      expect(r?.code).toBe('FUNDING.NO_REFUND_AT_DEFERRAL');
      expect(r?.clause).toBe('2.4.2');
      expect(r?.message).toContain(payer);
      expect(r?.message).toContain('re-join');
      expect(r?.message).toContain('NPQ Refund Policy');
    },
  );

  it('2.4.2 the no-refund rule is a register parameter', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, refundAtDeferral: true },
    };
    const d = evaluateFundingAtDeferral({ fundingRoute: 'school' }, register);
    expect(d.details.refundAtDeferral).toBe(true);
    expect(d.reasons[0]?.code).toBe('FUNDING.REFUND_AT_DEFERRAL');
  });
});
