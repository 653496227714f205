/**
 * Whatever a client sends, the answer is a well-formed 2xx or 4xx, never a 500: malformed FHIR
 * inside prefetch and draftOrders (wrong types, missing fields) must not crash fact extraction.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import { copCondition, medicationRequest, observation, orderSelectRequest, orderSignRequest, patient, searchset } from '../fixtures/requests.js';
import { bundleOf, resourceOf } from '../fixtures/fhirish.js';
import { useApp } from './harness.js';

const { app } = useApp();

const CLIENT_STATUSES = [200, 400, 404, 412, 413, 415];

async function post(url: string, payload: unknown): Promise<{ statusCode: number; body: string }> {
  const res = await app().inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  return { statusCode: res.statusCode, body: res.body };
}

describe('robustness', () => {
  it('never answers 500 to arbitrary JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        const res = await post('/cds-services/cop-order-select', body);
        expect(CLIENT_STATUSES).toContain(res.statusCode);
      }),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it('never answers 500 when prefetch resources are malformed', async () => {
    const statuses = new Map<number, number>();
    const prefetch = fc.record({
      patient: resourceOf('Patient').map((p) => ({ ...p, id: 'pat-http-1' })),
      conditions: bundleOf('Condition'),
      weight: bundleOf('Observation'),
      oxygenation: bundleOf('Observation'),
      pft: bundleOf('Observation'),
      labs: bundleOf('Observation'),
      bp: bundleOf('Observation'),
      meds: bundleOf('MedicationRequest'),
      pregnancy: bundleOf('Observation'),
      allergies: bundleOf('AllergyIntolerance'),
      followUp: bundleOf('ServiceRequest'),
      encounter: resourceOf('Encounter'),
    });
    await fc.assert(
      fc.asyncProperty(prefetch, resourceOf('MedicationRequest'), fc.boolean(), async (p, draft, sign) => {
        const request = sign
          ? orderSignRequest({ drafts: [draft], prefetch: p })
          : orderSelectRequest({ drafts: [draft], prefetch: p });
        const res = await post(sign ? '/cds-services/cop-order-sign' : '/cds-services/cop-order-select', request);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (!CLIENT_STATUSES.includes(res.statusCode)) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    );
    // The property is only worth something if many cases reach the rules, not just the validator.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(30);
    console.info('status distribution', Object.fromEntries(statuses));
  });

  it('never answers 500 for well-formed resources with extreme values (doses, weights, dates, units)', async () => {
    const number = fc.oneof(fc.constantFrom(0, -1, 0.0001, 29.9, 30, 250, 250.1, 1e9), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }));
    const age = fc.integer({ min: -5, max: 4000 });
    const unit = fc.constantFrom('kg', 'g', '[lb_av]', 'lbs', 'mg', '%', 'mm[Hg]', 'kPa', 'U/L', 'mg/dL', 'mmol/L', '{pill}', '{tbl}', 'TAB', '');
    const loinc = fc.constantFrom('29463-7', '59408-5', '2708-6', '2703-7', '19872-1', '20152-5', '19911-7', '2324-2', '6768-6', '4548-4', '2345-7', '85354-9', '82810-3');
    const obs = fc.tuple(loinc, number, unit, age).map(([code, value, u, d]) => observation(`o${code}${d}`, code, value, u, d));
    const rx = fc.constantFrom('312615', '312617', '198145', '198142', '259966', '197517', '359385', '200060', '197388', '904431', '999999');
    const periodUnit = fc.constantFrom('s', 'min', 'h', 'd', 'wk', 'mo', 'a');
    const med = (status: string) =>
      fc.tuple(rx, number, unit, fc.integer({ min: 0, max: 10 }), number, periodUnit, fc.option(fc.integer({ min: -10, max: 400 })), age)
        .map(([code, dose, u, frequency, period, pu, bounds, started]) =>
          medicationRequest(`m${code}${started}`, code, `drug ${code}`, status, { value: dose, unit: u, system: 'http://unitsofmeasure.org', code: u }, {
            authoredOn: daysAgo(started),
            dosageInstruction: [{
              timing: { repeat: { frequency, period, periodUnit: pu, ...(bounds === null ? {} : { boundsDuration: { value: bounds, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } }) } },
              doseAndRate: [{ doseQuantity: { value: dose, unit: u, system: 'http://unitsofmeasure.org', code: u } }],
            }],
          }));
    const condition = fc.constantFrom('719218000', '129458007', '69896004', '363346000', '73211009', '38341003', '64859006', '386584007', '77386006', '409622000')
      .map((code) => copCondition({ system: 'http://snomed.info/sct', code }, `c${code}`));
    const request = fc.record({
      birth: fc.option(fc.integer({ min: 1900, max: 2030 })),
      gender: fc.constantFrom('male', 'female', 'other', 'unknown'),
      observations: fc.array(obs, { maxLength: 8 }),
      conditions: fc.array(condition, { maxLength: 4 }),
      active: fc.array(med('active'), { maxLength: 2 }),
      draft: med('draft'),
      sign: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const all = searchset(...r.observations);
        const prefetch = {
          patient: patient(r.birth === null ? null : `${r.birth}-06-15`, r.gender),
          conditions: searchset(copCondition(), ...r.conditions),
          weight: all, oxygenation: all, pft: all, labs: all, bp: all, pregnancy: all,
          meds: searchset(...r.active),
        };
        const body = r.sign ? orderSignRequest({ drafts: [r.draft], prefetch }) : orderSelectRequest({ drafts: [r.draft], prefetch });
        const res = await post(r.sign ? '/cds-services/cop-order-sign' : '/cds-services/cop-order-select', body);
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
        // No suggested glucocorticoid dose may exceed the cap, whatever the data.
        for (const card of JSON.parse(res.body).cards) {
          for (const s of card.suggestions ?? []) {
            for (const a of s.actions) {
              for (const d of a.resource?.dosageInstruction ?? []) {
                const mg = d.doseAndRate?.[0]?.doseQuantity;
                if (a.resource.medicationCodeableConcept?.text?.match(/predniso/i) && mg?.code === 'mg') expect(mg.value).toBeLessThanOrEqual(60);
              }
            }
          }
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    );
  });
});
