import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CENSOR, loggerOptions, scrubLogFields } from './logging.js';

describe('scrubLogFields', () => {
  it('censors sensitive keys at the top level and one level down', () => {
    const out = scrubLogFields({ name: 'Halina', rules: ['COP-R01'], fhir: { identifier: 'MRN-1', status: 'final' } });
    expect(out).toEqual({ name: CENSOR, rules: ['COP-R01'], fhir: { identifier: CENSOR, status: 'final' } });
  });

  it('censors credential headers whatever their case, top level or one level down', () => {
    const out = scrubLogFields({ headers: { Authorization: 'Bearer x', accept: 'json' }, req: { headers: { cookie: 'sid=1' } } });
    expect(out).toEqual({ headers: { Authorization: CENSOR, accept: 'json' }, req: { headers: { cookie: CENSOR } } });
  });

  it('returns the same object, untouched, when nothing is sensitive; never modifies its input', () => {
    const clean = { statusCode: 200, url: '/cds-services', nested: { responseTime: 3 } };
    expect(scrubLogFields(clean)).toBe(clean);
    const dirty = { nested: { birthDate: '1960-01-01' } };
    const before = JSON.stringify(dirty);
    expect(scrubLogFields(dirty)).not.toBe(dirty);
    expect(JSON.stringify(dirty)).toBe(before);
  });

  it('leaves class instances to their serializers and ignores undefined values', () => {
    const err = new Error('boom');
    const out = scrubLogFields({ err, token: undefined });
    expect(out.err).toBe(err);
    expect(out).not.toHaveProperty('token', CENSOR);
  });
});

describe('loggerOptions', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } });
    return { lines, log: pino(loggerOptions('info'), stream) };
  };

  it('scrubs every line, child bindings and serialized errors', () => {
    const { lines, log } = capture();
    log.child({ patientId: 'pat-PHI-1', hookInstance: 'h-1' }).info({ prefetch: { patient: 'PHI-2' }, fhir: { note: 'PHI-3' } }, 'line');
    log.error({ err: Object.assign(new Error('failed'), { access_token: 'PHI-4' }) }, 'error line');
    const text = lines.join('');
    for (const secret of ['pat-PHI-1', 'PHI-2', 'PHI-3', 'PHI-4']) expect(text).not.toContain(secret);
    expect(text).toContain('"hookInstance":"h-1"');
    expect(text).toContain('"message":"failed"');
  });
});
