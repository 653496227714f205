import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import { basePrefetch, copCondition, medicationRequest, observation, PATIENT_ID, searchset } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const { http } = useApp();
const VIEW = '/cds-services/cop-patient-view';
const UCUM = 'http://unitsofmeasure.org';

type Json = Record<string, unknown>;

let viewCount = 0;

/**
 * Each call is for a patient of its own: patient-view remembers what it showed (COP-R20 at most
 * once per 90 days), so two tests about "the same" chart must not see each other's history.
 */
function patientViewRequest(prefetch: Json = {}, omit: string[] = []): Json {
  const patientId = `${PATIENT_ID}-pv${++viewCount}`;
  const all: Json = { ...basePrefetch(), ...prefetch };
  all.patient = { ...(all.patient as Json), id: patientId };
  delete all.allergies; // not a patient-view prefetch key
  for (const key of omit) delete all[key];
  return {
    hook: 'patient-view',
    hookInstance: `2b6f1d7e-5c3a-4f0e-9d8b-${String(viewCount).padStart(12, '0')}`,
    context: { userId: 'Practitioner/COREPRACTITIONER1', patientId },
    prefetch: all,
  };
}

async function view(prefetch: Json = {}, omit: string[] = []): Promise<{ cards: WireCard[] }> {
  const res = await http().post(VIEW).send(patientViewRequest(prefetch, omit)).expect(200);
  expectWellFormed(res.body);
  return res.body;
}

/** Prednisone 40 mg once daily (2 x 20 mg tablets), active since `startDaysAgo`, open-ended. */
const activePrednisone40 = (startDaysAgo: number): Json =>
  medicationRequest('pred-active-1', '312615', 'prednisone 20 MG Oral Tablet', 'active', { value: 40, unit: 'mg', system: UCUM, code: 'mg' }, {
    authoredOn: daysAgo(startDaysAgo),
  });

describe('patient-view: untreated adult with COP', () => {
  it('gets the COP-R01 "no treatment ordered" info card with no suggestions', async () => {
    const body = await view();
    const r01 = cardFor(body, 'COP-R01');
    expect(r01.indicator).toBe('info');
    expect(r01.summary).toMatch(/^COP recorded \d{4}-\d{2}-\d{2} \(\d+ days ago\), no treatment ordered: select a prednisone order/);
    expect(r01.suggestions).toBeUndefined();
    expect(r01.selectionBehavior).toBeUndefined();
    expect(r01.detail).toContain('60.0 kg');
    expect(r01.detail).not.toMatch(/45 mg/);
    expect(r01.source.topic).toMatchObject({ code: 'COP-R01' });
  });

  it('also shows the onset interval (R09), missing PFTs (R15) and surveillance (R20), and no steroid-safety cards', async () => {
    const ids = ruleIds(await view());
    expect(ids).toEqual(['COP-R01', 'COP-R09', 'COP-R15', 'COP-R20']);
  });

  it('works without a weight key (weight is optional on this hook)', async () => {
    const r01 = cardFor(await view({}, ['weight']), 'COP-R01');
    expect(r01.suggestions).toBeUndefined();
    expect(r01.detail).toMatch(/Body weight could not be read here/);
  });

  it('no R01 card while clarithromycin is active', async () => {
    const cla = medicationRequest('cla-active-1', '197517', 'clarithromycin 500 MG Oral Tablet', 'active', { value: 500, unit: 'mg', system: UCUM, code: 'mg' }, { authoredOn: daysAgo(10) });
    expect(ruleIds(await view({ meds: searchset(cla) }))).not.toContain('COP-R01');
  });

  it('answers 412 without the required meds data (no FHIR fallback)', async () => {
    await http().post(VIEW).send(patientViewRequest({}, ['meds'])).expect(412);
  });
});

describe('patient-view: matrix #18, on GC 8 weeks with FVC % unchanged', () => {
  const prefetch = {
    meds: searchset(activePrednisone40(56)),
    pft: searchset(observation('fvc-base', '19872-1', 70, '%', 58), observation('fvc-now', '19872-1', 70, '%', 2)),
  };

  it('gives a COP-R16 warning (poor response → look for a secondary cause)', async () => {
    const body = await view(prefetch);
    const r16 = cardFor(body, 'COP-R16');
    expect(r16.indicator).toBe('warning');
    expect(r16.summary).toMatch(/^Limited response after 8 weeks of steroids/);
    expect(r16.detail).toContain(`70% (${daysAgo(58)}) → 70% (${daysAgo(2)}, week 7), 0 points: has not improved by ≥ 5 points`);
    expect(r16.suggestions).toBeUndefined();
    expect(r16.links!.map((l) => l.url)).toEqual(expect.arrayContaining(['https://pubmed.ncbi.nlm.nih.gov/39703446/', 'https://doi.org/10.1093/rheumatology/keq410']));
  });

  it('shows the treated-patient cards and no untreated reminder', async () => {
    const ids = ruleIds(await view(prefetch));
    expect(ids).toContain('COP-R04');
    expect(ids).toContain('COP-R18');
    for (const id of ['COP-R10', 'COP-R11', 'COP-R12', 'COP-R13']) expect(ids).toContain(id);
    expect(ids).not.toContain('COP-R01');
    expect(ids).not.toContain('COP-R15');
    // Warnings first (card order of the service definition).
    expect(ids.indexOf('COP-R16')).toBeLessThan(ids.indexOf('COP-R04'));
  });

  it('an FVC rise of 5 points silences COP-R16', async () => {
    const improved = { ...prefetch, pft: searchset(observation('fvc-base', '19872-1', 70, '%', 58), observation('fvc-now', '19872-1', 75, '%', 2)) };
    expect(ruleIds(await view(improved))).not.toContain('COP-R16');
  });
});

describe('patient-view: secondary cause on record', () => {
  it('COP with rheumatoid arthritis → COP-R08 warning and no surveillance card', async () => {
    const ra = { ...copCondition({ system: 'http://snomed.info/sct', code: '69896004' }, 'ra-1') };
    const ids = ruleIds(await view({ conditions: searchset(copCondition(), ra) }));
    expect(ids[0]).toBe('COP-R08');
    expect(ids).not.toContain('COP-R20');
  });
});
