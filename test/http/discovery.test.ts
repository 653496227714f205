import { describe, expect, it } from 'vitest';
import { emptyValuePaths } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const { http } = useApp();

describe('GET /cds-services', () => {
  it('lists the three COP services with hook, id, title, description and prefetch', async () => {
    const res = await http().get('/cds-services').expect(200).expect('content-type', /application\/json/);
    const services = res.body.services as { id: string; hook: string; title: string; description: string; prefetch: Record<string, string> }[];
    expect(services.map((s) => [s.id, s.hook])).toEqual([
      ['cop-order-select', 'order-select'],
      ['cop-order-sign', 'order-sign'],
      ['cop-patient-view', 'patient-view'],
    ]);
    for (const s of services) {
      expect(s.title.length).toBeGreaterThan(0);
      expect(s.description.length).toBeGreaterThan(0);
      expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
    }
    expect(emptyValuePaths(res.body)).toEqual([]);
  });

  it('uses root-level tokens and _sort=-date in its templates', async () => {
    const res = await http().get('/cds-services').expect(200);
    const select = res.body.services[0].prefetch as Record<string, string>;
    expect(select.weight).toBe('Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7&_sort=-date&_count=3');
    for (const template of Object.values(select)) {
      expect(template).not.toMatch(/sort:desc/);
      for (const [, token] of template.matchAll(/\{\{([^}]+)\}\}/g)) {
        expect(['context.patientId', 'context.encounterId', 'context.userId']).toContain(token);
      }
    }
  });

  it('answers CORS preflight without credentials, allowing Authorization and Content-Type', async () => {
    const res = await http()
      .options('/cds-services/cop-order-select')
      .set('Origin', 'http://localhost:3000')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
  });
});

describe('operational endpoints', () => {
  it('GET /health reports ok', async () => {
    const res = await http().get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', services: 3, pressure: { underPressure: false }, fhirCircuitsOpen: 0 });
  });

  it('GET /evidence/cop serves the page cards link to', async () => {
    const res = await http().get('/evidence/cop').expect(200).expect('content-type', /text\/html/);
    expect(res.text).toContain('doi.org/10.1164/ajrccm.162.2.9909015');
    expect(res.text).not.toMatch(/American Thoracic Society|\bATS\b/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await http().get('/nope').expect(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
