import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { defaultConfig } from '../../src/config.js';
import { orderSelectRequest, patient } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

// The request names https://ehr.example/fhir with a token: allowed, never called (no fetching).
const { http, app } = useApp(
  { logLevel: 'debug', fhir: { ...defaultConfig().fhir, allowlist: ['https://ehr.example/fhir'] } },
  { logStream: sink, fhirFallback: noFhirFallback },
);

describe('logging', () => {
  it('writes structured lines that carry the hookInstance and no PHI or token', async () => {
    const named = {
      ...patient('1961-04-02', 'female'),
      name: [{ family: 'Zebrowska', given: ['Halina'] }],
      identifier: [{ system: 'urn:mrn', value: 'MRN-998877' }],
    };
    const request: Record<string, unknown> = {
      ...orderSelectRequest({ prefetch: { patient: named } }),
      fhirServer: 'https://ehr.example/fhir',
      fhirAuthorization: { access_token: 'tok-SECRET-123', token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read', subject: 'cop-cds' },
    };
    lines.length = 0;
    await http().post('/cds-services/cop-order-select').set('Authorization', 'Bearer jwt-SECRET-456').send(request).expect(200);
    const text = lines.join('\n');
    for (const secret of ['Zebrowska', 'Halina', 'MRN-998877', '1961-04-02', 'tok-SECRET-123', 'jwt-SECRET-456']) {
      expect(text).not.toContain(secret);
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const forCall = parsed.filter((l) => l.hookInstance === request.hookInstance);
    // One line per call at info (the level production runs at): the rules that fired ride on the access line.
    const infoLines = forCall.filter((l) => (l.level as number) >= 30);
    expect(infoLines.map((l) => l.msg)).toEqual(['request completed']);
    expect(infoLines[0]).toMatchObject({ serviceId: 'cop-order-select', statusCode: 200, suppressed: 0 });
    expect(infoLines[0]!.rules).toEqual(expect.arrayContaining([expect.stringMatching(/^COP-R\d\d:(info|warning|critical)$/)]));
  });
});

/** Every kind of PHI a request can carry, each a unique string that must never reach a log line. */
const PHI = {
  family: 'Wiśniewska-PHI', given: 'Bożena-PHI', mrn: 'MRN-PHI-4711', ssn: '999-PHI-1234', birthDate: '1957-08-19',
  street: '17 Lindenallee-PHI', city: 'Gdańsk-PHI', phone: '+48-PHI-555-0199', email: 'bozena@phi.example',
  note: 'PHI-note: lives alone, daughter Ewa visits on Sundays', comment: 'PHI-comment: patient refused, see Dr Nowak',
  bodyToken: 'tok-PHI-body-0042', headerToken: 'jwt-PHI-header-0043', cookie: 'session-PHI-0044', queryName: 'Query-PHI-Name',
};

function phiPatient(id = 'pat-http-1'): Record<string, unknown> {
  return {
    ...patient(PHI.birthDate, 'female'),
    id,
    name: [{ family: PHI.family, given: [PHI.given], text: `${PHI.given} ${PHI.family}` }],
    identifier: [{ system: 'urn:mrn', value: PHI.mrn }, { system: 'http://hl7.org/fhir/sid/us-ssn', value: PHI.ssn }],
    address: [{ line: [PHI.street], city: PHI.city }],
    telecom: [{ system: 'phone', value: PHI.phone }, { system: 'email', value: PHI.email }],
    text: { status: 'generated', div: `<div>${PHI.note}</div>` },
  };
}

function phiRequest(prefetch: Record<string, unknown>): Record<string, unknown> {
  return {
    ...orderSelectRequest({ prefetch }),
    fhirServer: 'https://ehr.example/fhir',
    fhirAuthorization: { access_token: PHI.bodyToken, token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read', subject: 'cop-cds' },
    extension: { note: PHI.note },
  };
}

describe('logging: a request full of PHI leaves none of it in the log, whatever the answer', () => {
  const send = (url: string, body: unknown) =>
    http()
      .post(`${url}?name=${encodeURIComponent(PHI.queryName)}`)
      .set('Authorization', `Bearer ${PHI.headerToken}`)
      .set('Cookie', `sid=${PHI.cookie}`)
      .send(body as object);

  const expectNoPhi = () => {
    // Random request and card ids are not PHI, and a UUID may hold a fragment like "4711" by chance
    // (it did, about once in a few hundred runs): they are blanked before the fragments are looked for.
    const text = lines.join('\n').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
    expect(text.length).toBeGreaterThan(0);
    for (const [kind, secret] of Object.entries(PHI)) expect(text, kind).not.toContain(secret);
    for (const fragment of ['Wiśniewska', 'Bożena', '4711', '1957-08-19', 'Lindenallee', '555-0199', 'daughter Ewa', 'Dr Nowak']) {
      expect(text).not.toContain(fragment);
    }
  };

  it('200: cards for a named patient with notes', async () => {
    lines.length = 0;
    await send('/cds-services/cop-order-select', phiRequest({ patient: phiPatient() })).expect(200);
    expectNoPhi();
  });

  it('400: a malformed resource in prefetch (its problems are answered, not logged)', async () => {
    lines.length = 0;
    const broken = { ...phiPatient(), birthDate: `${PHI.birthDate} (${PHI.note})` };
    const res = await send('/cds-services/cop-order-select', phiRequest({ patient: broken })).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expectNoPhi();
  });

  it('400: a body that is not valid JSON, quoting PHI', async () => {
    lines.length = 0;
    await http()
      .post('/cds-services/cop-order-select')
      .set('Content-Type', 'application/json')
      .set('Authorization', `Bearer ${PHI.headerToken}`)
      .send(`{"name": "${PHI.family}", "note": "${PHI.note}"`)
      .expect(400);
    expectNoPhi();
  });

  it('412: required data missing, nothing to fetch it from', async () => {
    lines.length = 0;
    // No fhirServer (and so no fhirAuthorization, which needs one): nothing to fetch the weight from.
    const { fhirServer: _s, fhirAuthorization: _a, ...noServer } = phiRequest({ patient: phiPatient() });
    delete (noServer.prefetch as Record<string, unknown>).weight;
    await send('/cds-services/cop-order-select', noServer).expect(412);
    expectNoPhi();
  });

  it('403: the same patient sent to a server that is not allowed', async () => {
    lines.length = 0;
    await send('/cds-services/cop-order-select', { ...phiRequest({ patient: phiPatient() }), fhirServer: 'https://elsewhere.example/fhir' }).expect(403);
    expectNoPhi();
  });

  it('feedback with a free-text userComment', async () => {
    lines.length = 0;
    await send('/cds-services/cop-order-select/feedback', {
      feedback: [{
        card: 'card-phi-1', outcome: 'overridden', outcomeTimestamp: '2026-11-25T10:00:00Z',
        overrideReason: { reason: { code: 'patient-refused', system: 'https://example.org/override' }, userComment: PHI.comment },
      }],
    }).expect(200);
    expectNoPhi();
    // The line that records feedback is there, and it says which card and why, not what was written.
    expect(lines.some((l) => l.includes('card-phi-1') && l.includes('patient-refused'))).toBe(true);
  });

  it('redaction catches PHI that a careless log call would write (second line of defence)', async () => {
    lines.length = 0;
    const body = phiRequest({ patient: phiPatient() });
    app().log.info({ body, prefetch: body.prefetch, context: body.context, resource: phiPatient(), patient: phiPatient(), userComment: PHI.comment, headers: { authorization: `Bearer ${PHI.headerToken}`, cookie: PHI.cookie } }, 'careless');
    app().log.info({ fhir: { name: PHI.family, identifier: PHI.mrn, birthDate: PHI.birthDate, address: PHI.street, telecom: PHI.phone, note: PHI.note, access_token: PHI.bodyToken, token: PHI.headerToken } }, 'careless nested');
    expectNoPhi();
    expect(lines.filter((l) => l.includes('"careless')).length).toBe(2);
  });
});
