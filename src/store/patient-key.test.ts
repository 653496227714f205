import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePatientKeySecret, patientKey, patientKeyer } from './patient-key.js';

describe('patientKey', () => {
  it('is HMAC-SHA256(secret, patient id) in hex', () => {
    const expected = createHmac('sha256', 'a-secret-of-some-length').update('pat-123').digest('hex');
    expect(patientKey('a-secret-of-some-length', 'pat-123')).toBe(expected);
    expect(patientKey('a-secret-of-some-length', 'pat-123')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depends on both the secret and the id, and never contains the id', () => {
    const k = patientKey('secret-one-xxxxxxxx', 'pat-123');
    expect(patientKey('secret-two-xxxxxxxx', 'pat-123')).not.toBe(k);
    expect(patientKey('secret-one-xxxxxxxx', 'pat-124')).not.toBe(k);
    expect(k).not.toContain('pat-123');
  });

  it('refuses an empty secret', () => {
    expect(() => patientKey('', 'pat-1')).toThrow(/empty secret/);
    expect(() => patientKeyer('')).toThrow(/empty secret/);
  });

  it('patientKeyer binds a secret', () => {
    expect(patientKeyer('s-0123456789abcdef')('p')).toBe(patientKey('s-0123456789abcdef', 'p'));
  });

  it('generates distinct 256-bit secrets', () => {
    const a = generatePatientKeySecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(generatePatientKeySecret()).not.toBe(a);
  });
});
