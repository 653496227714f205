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
const { http } = useApp(
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
    expect(forCall.map((l) => l.msg)).toEqual(expect.arrayContaining(['rules evaluated', 'request completed']));
  });
});
