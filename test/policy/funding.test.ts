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

describe('2.4 funding at deferral: the whole decision, route by route', () => {
  it.each([
    {
      route: 'dfe_scholarship' as const,
      outcome: 'met',
      clause: '2.4.1',
      code: 'FUNDING.SCHOLARSHIP_RETAINED',
      details: {
        fundingRetainedOnRestart: true,
        refundAtDeferral: false,
        subjectToDfeChange: true,
        refundPolicy: null,
      },
    },
    ...(['school', 'trust', 'self', 'employer'] as const).map((route) => ({
      route,
      outcome: 'met',
      clause: '2.4.2',
      code: 'FUNDING.NO_REFUND_AT_DEFERRAL',
      details: {
        fundingRetainedOnRestart: null,
        refundAtDeferral: false,
        subjectToDfeChange: false,
        refundPolicy: 'NPQ Refund Policy',
      },
    })),
  ])(
    '$clause $route funding -> $outcome with $code',
    ({ route, outcome, clause, code, details }) => {
      const d = evaluateFundingAtDeferral({ fundingRoute: route });
      expect(d.outcome).toBe(outcome);
      expect(d.details).toEqual(details);
      expect(d.reasons).toHaveLength(1);
      expect(d.reasons[0]).toMatchObject({ code, clause, met: true });
      expect(d.reasons[0]?.evidence['fundingRoute']).toBe(route);
      expect(d.policyVersion).toBe(POLICY_REGISTER.version);
    },
  );

  it('2.4.1 a scholarship is never refunded at deferral, even where fees would be', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, refundAtDeferral: true },
    };
    const d = evaluateFundingAtDeferral({ fundingRoute: 'dfe_scholarship' }, register);
    expect(d.details.refundAtDeferral).toBe(false);
    expect(d.reasons[0]?.clause).toBe('2.4.1');
  });

  it('2.4.1 when the DfE stops carrying scholarships over, the reason is unmet and says so', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, scholarshipRetainedOnRestart: false },
    };
    const d = evaluateFundingAtDeferral({ fundingRoute: 'dfe_scholarship' }, register);
    expect(d.reasons[0]).toMatchObject({
      code: 'FUNDING.SCHOLARSHIP_NOT_RETAINED',
      clause: '2.4.1',
      met: false,
    });
    expect(d.reasons[0]?.message).toContain('does not carry over');
    expect(d.reasons[0]?.evidence).toEqual({
      fundingRoute: 'dfe_scholarship',
      policyVersion: POLICY_REGISTER.version,
    });
    expect(d.details).toEqual({
      fundingRetainedOnRestart: false,
      refundAtDeferral: false,
      subjectToDfeChange: true,
      refundPolicy: null,
    });
  });

  it('2.4.2 the no-refund message names who paid and the refund policy', () => {
    const d = evaluateFundingAtDeferral({ fundingRoute: 'trust' });
    expect(d.reasons[0]?.clause).toBe('2.4.2');
    expect(d.reasons[0]?.message).toBe(
      'No refund is given at deferral of the fee paid by your trust, because you are expected to re-join at a later date; the fee covers your programme when you return. See the NPQ Refund Policy for more about refunds.',
    );
    expect(d.reasons[0]?.evidence).toEqual({
      fundingRoute: 'trust',
      refundPolicy: 'NPQ Refund Policy',
    });
  });

  it('2.4.2 where the register allows a refund, it is met and says so', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, refundAtDeferral: true },
    };
    const d = evaluateFundingAtDeferral({ fundingRoute: 'employer' }, register);
    expect(d.outcome).toBe('met');
    expect(d.reasons[0]).toMatchObject({
      code: 'FUNDING.REFUND_AT_DEFERRAL',
      clause: '2.4.2',
      met: true,
    });
    expect(d.reasons[0]?.message).toBe(
      'A refund of the fee paid by your employer can be made at deferral.',
    );
    expect(d.reasons[0]?.evidence).toEqual({ fundingRoute: 'employer' });
  });
});
