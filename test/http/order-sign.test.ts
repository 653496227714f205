import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import {
  clarithromycinDraft, copCondition, medicationRequest, observation, orderSignRequest, sandboxPrednisoneDraft, searchset,
} from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const { http } = useApp();
const SIGN = '/cds-services/cop-order-sign';
const UCUM = 'http://unitsofmeasure.org';

async function sign(options: Parameters<typeof orderSignRequest>[0] = {}): Promise<{ cards: WireCard[] }> {
  const res = await http().post(SIGN).send(orderSignRequest(options)).expect(200);
  expectWellFormed(res.body);
  return res.body;
}

/** Prednisone 40 mg daily (2 x 20 mg tablets) planned for 24 weeks. */
const prednisone40For24Weeks = medicationRequest('draft-pred-40', '312615', 'prednisone 20 MG Oral Tablet', 'draft', { value: 2, unit: '{tbl}', system: UCUM, code: '{tbl}' }, {
  dosageInstruction: [
    {
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 168, unit: 'days', system: UCUM, code: 'd' } } },
      doseAndRate: [{ doseQuantity: { value: 2, unit: '{tbl}', system: UCUM, code: '{tbl}' } }],
    },
  ],
});

describe('order-sign: the steroid-safety bundle (matrix #17)', () => {
  it('prednisone 40 mg planned 24 weeks → COP-R10, R11, R12, R13, R14 info cards', async () => {
    const body = await sign({ drafts: [prednisone40For24Weeks] });
    for (const id of ['COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R14']) {
      expect(cardFor(body, id).indicator).toBe('info');
    }
  });

  it('COP-R14 suggests PFTs (LOINC 81458-2) at today + 42 days', async () => {
    const r14 = cardFor(await sign({ drafts: [prednisone40For24Weeks] }), 'COP-R14');
    const resources = r14.suggestions!.flatMap((s) => s.actions.map((a) => a.resource!));
    const pft = resources.find((r) => r.code?.coding?.[0]?.code === '81458-2');
    expect(pft).toMatchObject({ resourceType: 'ServiceRequest', occurrenceDateTime: expect.stringMatching(/^2027-01-06/) });
    expect(JSON.stringify(r14)).not.toMatch(/\bBTS\b|British Thoracic/);
  });

  it('an HbA1c of 7.0% turns COP-R12 into a warning', async () => {
    const body = await sign({ drafts: [prednisone40For24Weeks], prefetch: { labs: searchset(observation('a1c', '4548-4', 7.0, '%', 20)) } });
    expect(cardFor(body, 'COP-R12').indicator).toBe('warning');
  });

  it('a recent normal BP and HbA1c silence COP-R13 and the COP-R12 baseline request', async () => {
    const bp = {
      ...observation('bp-1', '85354-9', 0, 'mm[Hg]', 3),
      valueQuantity: undefined,
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 75, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      ],
    };
    delete (bp as Record<string, unknown>).valueQuantity;
    const body = await sign({
      drafts: [prednisone40For24Weeks],
      prefetch: { bp: searchset(bp), labs: searchset(observation('a1c', '4548-4', 5.4, '%', 20)) },
    });
    expect(ruleIds(body)).not.toContain('COP-R13');
    expect(ruleIds(body)).not.toContain('COP-R12');
  });
});

describe('order-sign: duplicates and clarithromycin', () => {
  it('matrix #8: active prednisone 10 mg for RA + a new steroid draft → COP-R04 duplicate warning with delete', async () => {
    const active = medicationRequest('active-pred', '198145', 'prednisone 10 MG Oral Tablet', 'active', { value: 10, unit: 'mg', system: UCUM, code: 'mg' }, { authoredOn: daysAgo(200) });
    const ra = copCondition({ system: 'http://snomed.info/sct', code: '69896004' }, 'ra-1');
    const body = await sign({ prefetch: { meds: searchset(active), conditions: searchset(copCondition(), ra) } });
    const r04 = cardFor(body, 'COP-R04');
    expect(r04.indicator).toBe('warning');
    const del = r04.suggestions![0]!.actions[0]!;
    expect(del).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/draft-pred-1' });
    expect(r04.overrideReasons!.length).toBeGreaterThanOrEqual(2);
  });

  it('matrix #11: clarithromycin drafted with PaO2 55 mm[Hg] → COP-R07 warning', async () => {
    const pao2 = observation('pao2', '2703-7', 55, 'mm[Hg]', 2);
    const body = await sign({ drafts: [clarithromycinDraft()], prefetch: { oxygenation: searchset(pao2) } });
    expect(cardFor(body, 'COP-R07').indicator).toBe('warning');
  });

  it('a sign call with nothing to say returns {"cards": []}', async () => {
    const unrelated = { resourceType: 'ServiceRequest', id: 'sr-1', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-http-1' }, code: { text: 'Chest X-ray' } };
    const res = await http().post(SIGN).send(orderSignRequest({ drafts: [unrelated] })).expect(200);
    expect(res.body).toEqual({ cards: [] });
  });

  it('the Sandbox draft (1 x {pill} of 312615) is read as 20 mg/day in the dose check', async () => {
    const body = await sign({ drafts: [sandboxPrednisoneDraft()] });
    expect(cardFor(body, 'COP-R05').summary).toMatch(/20 mg/);
  });
});
