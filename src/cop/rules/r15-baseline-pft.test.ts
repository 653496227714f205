import type { ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { baseFacts, context, daysAgo } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { Measurement, PatientFacts, PftFact, ServiceRequestFact } from '../facts-types.js';
import { r15 } from './r15-baseline-pft.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


const pct = (value: number, reference: string): Measurement => ({ value, unit: '%', date: daysAgo(30), ageDays: 30, reference });
const withPft = (pft: Partial<PftFact>, base: PatientFacts = baseFacts()): PatientFacts => ({ ...base, pft: { ...base.pft, ...pft } });

describe('COP-R15 baseline PFTs missing', () => {
  it('matrix #1: COP without PFTs → info + create ServiceRequest LOINC 81458-2', () => {
    const f = r15.evaluate(baseFacts(), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('No recent PFTs: order spirometry and DLCO, needed to judge severity, monitor response and assess the clarithromycin option.');
    expect(f.detail[0]).toBe('No FVC % predicted and no DLCO within the last 90 days.');
    const action = f.suggestions?.[0]?.actions[0];
    expect(action?.type).toBe('create');
    const resource = (action && action.type === 'create' ? action.resource : undefined) as ServiceRequest | undefined;
    expect(resource).toMatchObject({
      resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' },
      code: { coding: [{ system: 'http://loinc.org', code: '81458-2', display: 'Pulmonary function test panel' }] },
    });
  });

  it('an FVC % predicted or a DLCO within the window (as facts computed it) → no card', () => {
    expect(r15.evaluate(withPft({ fvcPercentPredicted: pct(85, 'Observation/fvc') }), context('order-select'))).toBeUndefined();
    expect(r15.evaluate(withPft({ dlco: pct(64, 'Observation/dlco') }), context('order-select'))).toBeUndefined();
  });

  it('FEV1 % predicted alone does not count as baseline PFTs (it is shown as evidence)', () => {
    const f = r15.evaluate(withPft({ fev1PercentPredicted: pct(75, 'Observation/fev1') }), context('order-select'));
    expectWellFormed(f);
    expect(f.evidence.find((e) => e.label === 'FEV1 % predicted')).toMatchObject({ value: '75%', date: daysAgo(30), ageDays: 30, reference: 'Observation/fev1' });
  });

  it('absolute FVC/FEV1 only → fires and says predicted values are not computed', () => {
    const f = r15.evaluate(withPft({ absoluteOnly: true }), context('order-select'));
    expectWellFormed(f);
    expect(f.detail.join('\n')).toContain('predicted values are not computed');
  });

  it('PFT domain unavailable → says the data could not be read, claims no absence, suggests nothing', () => {
    const f = r15.evaluate(withPft({ domain: 'unavailable' }), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toMatch(/^PFT results could not be read/);
    expect(f.summary).not.toContain('No recent PFTs');
    expect(f.suggestions).toBeUndefined();
  });

  it('the window in the text comes from context.thresholds', () => {
    const f = r15.evaluate(baseFacts(), context('order-select', {}, { pftWindowDays: 60 }));
    expect(f?.detail[0]).toContain('within the last 60 days');
  });

  it('a PFT panel already drafted or requested → card without a second order', () => {
    const pending: ServiceRequestFact = {
      status: 'active', codes: [{ system: 'http://loinc.org', code: '81458-2' }], draft: false,
      reference: 'ServiceRequest/pft1', date: daysAgo(2), ageDays: 2,
    };
    const f = r15.evaluate({ ...baseFacts(), serviceRequests: [pending] }, context('order-select'));
    expectWellFormed(f);
    expect(f.suggestions).toBeUndefined();
    expect(f.detail.join('\n')).toContain('already active');
    expect(f.summary).toBe('No recent PFTs: the requested PFT panel is needed to judge severity, monitor response and assess the clarithromycin option.');
    // A completed request does not stop the suggestion: its result should then be in the PFT data.
    const done = r15.evaluate({ ...baseFacts(), serviceRequests: [{ ...pending, status: 'completed' }] }, context('order-select'));
    expect(done?.suggestions).toHaveLength(1);
  });

  it('longest variant: absolute volumes only, FEV1 alone, a pending panel dated with a time, a long diagnosis name → still a short card', () => {
    const pending: ServiceRequestFact = {
      status: 'on-hold', codes: [{ system: 'http://loinc.org', code: '81458-2' }], draft: false,
      reference: 'ServiceRequest/pft1', date: '2026-11-23T14:05:00-05:00', ageDays: 2,
    };
    const base = baseFacts();
    const f = r15.evaluate({
      ...withPft({ absoluteOnly: true, fev1PercentPredicted: pct(75, 'Observation/fev1') }),
      serviceRequests: [pending],
      cop: { ...base.cop, condition: { ...base.cop.condition!, display: 'Cryptogenic organizing pneumonia (disorder)', code: '719218000' } },
    }, context('patient-view'));
    expect(f?.detail.join('\n')).toContain('already on-hold (2026-11-23)');
    expectShortReadableCard(f);
    expectShortReadableCard(r15.evaluate(withPft({ domain: 'unavailable' }), context('order-select')));
  });

  it('matrix #14: P-COP false → no card; not on order-sign; on patient-view too (decision 5)', () => {
    const noCop = { ...baseFacts(), cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' as const } };
    expect(r15.evaluate(noCop, context('order-select'))).toBeUndefined();
    expect(r15.evaluate(noCop, context('patient-view'))).toBeUndefined();
    expect(r15.evaluate(baseFacts(), context('order-sign'))).toBeUndefined();
    expect(r15.evaluate(baseFacts(), context('patient-view'))).toBeDefined();
  });
});
