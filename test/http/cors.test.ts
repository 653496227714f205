import { describe, expect, it } from 'vitest';
import { useApp } from './harness.js';

const SANDBOX = 'https://sandbox.cds-hooks.org';
const { http } = useApp({ corsOrigins: [SANDBOX, 'http://localhost:3000'] });

describe('CORS with configured origins (CORS_ORIGINS)', () => {
  it('answers the preflight of an allowed origin without credentials, allowing Authorization and Content-Type', async () => {
    const res = await http()
      .options('/cds-services/cop-order-select')
      .set('Origin', SANDBOX)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(SANDBOX);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
  });

  it('allows the origin on discovery and feedback too', async () => {
    const discovery = await http().get('/cds-services').set('Origin', 'http://localhost:3000').expect(200);
    expect(discovery.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const feedback = await http()
      .options('/cds-services/cop-order-select/feedback')
      .set('Origin', SANDBOX)
      .set('Access-Control-Request-Method', 'POST');
    expect(feedback.headers['access-control-allow-origin']).toBe(SANDBOX);
  });

  it('gives other origins no CORS grant', async () => {
    const res = await http().get('/cds-services').set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
