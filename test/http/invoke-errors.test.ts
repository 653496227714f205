import { describe, expect, it } from 'vitest';
import { orderSelectRequest, orderSignRequest, patient, sandboxPrednisoneDraft, searchset } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const { http } = useApp({ maxJsonDepth: 64, maxJsonArrayLength: 20_000 });
const SELECT = '/cds-services/cop-order-select';

const expectOutcome = (body: { resourceType: string; issue: { diagnostics: string }[] }, pattern: RegExp) => {
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue.map((i) => i.diagnostics).join('\n')).toMatch(pattern);
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
};

describe('POST /cds-services/{id}: client errors are 4xx with a JSON OperationOutcome', () => {
  it('404 for an unknown service id', async () => {
    const res = await http().post('/cds-services/no-such-service').send(orderSelectRequest()).expect(404);
    expectOutcome(res.body, /no-such-service/);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await http().post(SELECT).set('Content-Type', 'application/json').send('{"hook": ').expect(400);
    expectOutcome(res.body, /not valid JSON/);
  });

  it('400 for an empty JSON body', async () => {
    const res = await http().post(SELECT).set('Content-Type', 'application/json').send('').expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('415 for a body that is not JSON by content type', async () => {
    const res = await http().post(SELECT).set('Content-Type', 'text/plain').send('hello').expect(415);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('accepts application/json with a charset', async () => {
    await http().post(SELECT).set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(orderSelectRequest())).expect(200);
  });

  it('400 naming each missing required field', async () => {
    const { hook: _hook, hookInstance: _hi, ...rest } = orderSelectRequest();
    const res = await http().post(SELECT).send(rest).expect(400);
    expectOutcome(res.body, /hook[\s\S]*hookInstance/);
  });

  it('400 when hook does not match the service', async () => {
    const res = await http().post(SELECT).send({ ...orderSelectRequest(), hook: 'order-sign' }).expect(400);
    expectOutcome(res.body, /answers hook "order-select", not "order-sign"/);
  });

  it('400 when the order-select context lacks selections or draftOrders', async () => {
    const req = orderSelectRequest();
    const context = req.context as Record<string, unknown>;
    const { selections: _s, ...noSelections } = context;
    expectOutcome((await http().post(SELECT).send({ ...req, context: noSelections }).expect(400)).body, /context\.selections/);
    const { draftOrders: _d, ...noDrafts } = context;
    expectOutcome((await http().post(SELECT).send({ ...req, context: noDrafts }).expect(400)).body, /context\.draftOrders/);
  });

  it('400 when a selection names no entry in draftOrders', async () => {
    const res = await http().post(SELECT).send(orderSelectRequest({ selections: ['MedicationRequest/elsewhere'] })).expect(400);
    expectOutcome(res.body, /not in draftOrders: MedicationRequest\/elsewhere/);
  });

  it('400 for a patientId that is a reference instead of a bare id', async () => {
    const req = orderSignRequest();
    const res = await http().post('/cds-services/cop-order-sign').send({ ...req, context: { ...(req.context as object), patientId: 'Patient/1' } }).expect(400);
    expectOutcome(res.body, /context\.patientId/);
  });

  it('400 when fhirAuthorization comes without fhirServer', async () => {
    const fhirAuthorization = { access_token: 'secret-token', token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read', subject: 'cop-cds' };
    const res = await http().post(SELECT).send({ ...orderSelectRequest(), fhirAuthorization }).expect(400);
    expectOutcome(res.body, /fhirServer is required/);
    expect(JSON.stringify(res.body)).not.toContain('secret-token');
  });

  it('400 when the prefetched Patient is not the context patient', async () => {
    const other = { ...patient(), id: 'someone-else' };
    const res = await http().post(SELECT).send(orderSelectRequest({ prefetch: { patient: other } })).expect(400);
    expectOutcome(res.body, /different patient/);
  });

  it('412 when a required prefetch key is missing and the FHIR server cannot be used', async () => {
    const res = await http().post(SELECT).send(orderSelectRequest({ omitPrefetch: ['weight', 'meds'] })).expect(412);
    expectOutcome(res.body, /weight, meds/);
  });

  it('412 when a required key holds the EHR\'s error OperationOutcome', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const res = await http().post(SELECT).send(orderSelectRequest({ prefetch: { conditions: outcome } })).expect(412);
    expectOutcome(res.body, /conditions/);
  });

  it('200 (not 412) when an optional key is missing, and when a required key is null (no data)', async () => {
    await http().post(SELECT).send(orderSelectRequest({ omitPrefetch: ['pft', 'labs', 'oxygenation'] })).expect(200);
    await http().post(SELECT).send(orderSelectRequest({ prefetch: { meds: null, weight: null } })).expect(200);
  });
});

describe('payload limits', () => {
  it('accepts a 5 MB prefetch', async () => {
    const labs = Array.from({ length: 5200 }, (_, i) => ({
      resourceType: 'Observation',
      id: `lab-${i}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' }] },
      subject: { reference: 'Patient/pat-http-1' },
      effectiveDateTime: '2024-01-01T08:00:00Z',
      valueQuantity: { value: 100 + (i % 50), unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      referenceRange: [{ low: { value: 70, unit: 'mg/dL' }, high: { value: 99, unit: 'mg/dL' }, text: 'fasting reference range' }],
      note: [{ text: 'Synthetic observation padding to reach the size of a long chart, sample '.repeat(8) }],
    }));
    const body = JSON.stringify(orderSelectRequest({ prefetch: { labs: searchset(...labs) } }));
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    await http().post(SELECT).set('Content-Type', 'application/json').send(body).expect(200);
  });

  it('413 for nesting deeper than the limit', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const res = await http().post(SELECT).send({ ...orderSelectRequest(), extension: { deep } }).expect(413);
    expectOutcome(res.body, /deeper than 64/);
  });

  it('413 for an array longer than the limit', async () => {
    const res = await http().post(SELECT).send({ ...orderSelectRequest(), extension: { big: new Array(20_001).fill(0) } }).expect(413);
    expectOutcome(res.body, /more than 20000 items/);
  });
});

describe('POST /cds-services/{id}/feedback', () => {
  const feedback = (overrides: Record<string, unknown> = {}) => ({
    feedback: [{ card: 'card-uuid', outcome: 'accepted', acceptedSuggestions: [{ id: 'sugg-uuid' }], outcomeTimestamp: '2026-11-25T10:00:00Z', ...overrides }],
  });

  it('200 with an empty body for valid feedback, repeatedly (idempotent)', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await http().post(`${SELECT}/feedback`).send(feedback()).expect(200);
      expect(res.text).toBe('');
    }
    await http().post(`${SELECT}/feedback`).send(feedback({ outcome: 'overridden', acceptedSuggestions: undefined, overrideReason: { reason: { code: 'client-own', system: 'x' } } })).expect(200);
  });

  it('400 when accepted feedback has no acceptedSuggestions', async () => {
    const res = await http().post(`${SELECT}/feedback`).send(feedback({ acceptedSuggestions: undefined })).expect(400);
    expectOutcome(res.body, /acceptedSuggestions/);
  });

  it('404 for feedback to an unknown service', async () => {
    await http().post('/cds-services/nope/feedback').send(feedback()).expect(404);
  });
});

describe('malformed FHIR where the service reads it', () => {
  it('400 naming the draft and the element', async () => {
    const draft = { ...sandboxPrednisoneDraft(), dosageInstruction: { text: 'not an array' } };
    const res = await http().post(SELECT).send(orderSelectRequest({ drafts: [draft] })).expect(400);
    expectOutcome(res.body, /context\.draftOrders\.entry\.0: MedicationRequest\/draft-pred-1: dosageInstruction/);
  });

  it('400 naming the prefetch key and the resource', async () => {
    const bad = { ...patient(), birthDate: '15/03/1970' };
    const res = await http().post(SELECT).send(orderSelectRequest({ prefetch: { patient: bad } })).expect(400);
    expectOutcome(res.body, /prefetch\.patient: Patient\/pat-http-1: birthDate: must be a FHIR date/);
  });
});

describe('issue 12: malformed prefetch envelopes, dot ids, control characters', () => {
  const bundle = (extra: Record<string, unknown>) => ({ resourceType: 'Bundle', type: 'searchset', ...extra });
  const cases: [string, unknown, RegExp][] = [
    ['entry a string', bundle({ entry: 'x' }), /prefetch\.weight\.entry/],
    ['entry a number', bundle({ entry: 7 }), /prefetch\.weight\.entry/],
    ['entry [null]', bundle({ entry: [null] }), /prefetch\.weight\.entry\.0/],
    ['entry [1]', bundle({ entry: [1] }), /prefetch\.weight\.entry\.0/],
    ['entry without resource', bundle({ entry: [{ fullUrl: 'x' }] }), /prefetch\.weight\.entry\.0\.resource/],
    ['link a string', bundle({ link: 'x' }), /prefetch\.weight\.link/],
    ['link [null]', bundle({ link: [null] }), /prefetch\.weight\.link\.0/],
    ['issue a string', { resourceType: 'OperationOutcome', issue: 'x' }, /prefetch\.weight\.issue/],
    ['issue [null]', bundle({ entry: [{ resource: { resourceType: 'OperationOutcome', issue: [null] } }] }), /prefetch\.weight\.entry\.0\.resource\.issue\.0/],
    ['resourceType constructor', bundle({ entry: [{ resource: { resourceType: 'constructor' } }] }), /resourceType/],
    ['resourceType __proto__', bundle({ entry: [{ resource: { resourceType: '__proto__' } }] }), /resourceType/],
    ['id an object', bundle({ entry: [{ resource: { resourceType: 'Observation', id: { a: 1 } } }] }), /entry\.0\.resource\.id/],
  ];
  for (const [name, value, pattern] of cases) {
    it(`400 naming key and element: ${name}`, async () => {
      const res = await http().post(SELECT).send(orderSelectRequest({ prefetch: { weight: value as Record<string, unknown> } })).expect(400);
      expectOutcome(res.body, pattern);
    });
  }

  it('an Observation without code (required in FHIR, absent in some feeds) is not read as any measurement: 200, the weight stays missing', async () => {
    const uncoded = { resourceType: 'Observation', id: 'no-code', status: 'final', effectiveDateTime: '2026-11-20', valueQuantity: { value: 60, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } };
    for (const key of ['weight', 'labs', 'pregnancy']) {
      const res = await http().post(SELECT).send(orderSelectRequest({ prefetch: { [key]: searchset(uncoded), ...(key === 'weight' ? {} : { weight: null }) } })).expect(200);
      const rules = (res.body.cards as { source: { topic?: { code?: string } } }[]).map((c) => c.source.topic?.code);
      expect(rules, key).toContain('COP-R02'); // no usable weight: said so, not guessed from a value of unknown meaning
    }
  });

  it('400 for a patientId or user id of dots only', async () => {
    for (const [field, value] of [['patientId', '.'], ['patientId', '..'], ['encounterId', '..'], ['userId', 'Practitioner/..']] as const) {
      const req = orderSelectRequest();
      const res = await http().post(SELECT).send({ ...req, context: { ...(req.context as object), [field]: value } }).expect(400);
      expectOutcome(res.body, new RegExp(`context\\.${field}`));
    }
  });

  it('400 for control characters in hookInstance and stored feedback strings', async () => {
    expectOutcome((await http().post(SELECT).send({ ...orderSelectRequest(), hookInstance: 'x\u0000' }).expect(400)).body, /hookInstance: must not contain control characters/);
    const fb = (f: Record<string, unknown>) => ({ feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: '2026-11-25T10:00:00Z', ...f }] });
    expectOutcome((await http().post(`${SELECT}/feedback`).send(fb({ card: 'c\u0000' })).expect(400)).body, /card/);
    expectOutcome((await http().post(`${SELECT}/feedback`).send(fb({ overrideReason: { reason: { code: 'r\u001f' } } })).expect(400)).body, /code/);
    await http().post(`${SELECT}/feedback`).send(fb({ card: 'x'.repeat(257) })).expect(400);
    await http().post(`${SELECT}/feedback`).send(fb({ overrideReason: { userComment: 'line one\nline two\twith a tab' } })).expect(200);
  });
});
