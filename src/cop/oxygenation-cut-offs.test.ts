import { describe, expect, it } from 'vitest';
import type { Measurement } from './facts-types.js';
import { DEFAULT_THRESHOLDS as T } from './knowledge.js';
import { pao2BelowCutOff, spo2BelowCutOff } from './oxygenation-cut-offs.js';

const reading = (value: number, unit: string, original?: Measurement['original']): Measurement => ({ value, unit, ...(original ? { original } : {}) });

describe('the P-RESP-INSUFF cut-offs on one reading', () => {
  it('SpO2: below the cut-off only, not at it', () => {
    expect(spo2BelowCutOff(reading(T.spo2MinPercent, '%'), T)).toBe(false);
    expect(spo2BelowCutOff(reading(T.spo2MinPercent - 0.1, '%'), T)).toBe(true);
  });

  it('PaO2 in mm[Hg]: below pao2MinMmHg only', () => {
    expect(pao2BelowCutOff(reading(T.pao2MinMmHg, 'mm[Hg]'), T)).toBe(false);
    expect(pao2BelowCutOff(reading(T.pao2MinMmHg - 0.1, 'mm[Hg]'), T)).toBe(true);
  });

  it('PaO2 reported in kPa is compared in kPa, whatever its conversion to mm[Hg] gives', () => {
    expect(pao2BelowCutOff(reading(T.pao2MinMmHg - 1, 'mm[Hg]', { value: T.pao2MinKPa, unit: 'kPa' }), T)).toBe(false);
    expect(pao2BelowCutOff(reading(T.pao2MinMmHg + 1, 'mm[Hg]', { value: T.pao2MinKPa - 0.1, unit: 'kPa' }), T)).toBe(true);
  });

  it('follows configured cut-offs', () => {
    const t = { ...T, spo2MinPercent: T.spo2MinPercent + 2 };
    expect(spo2BelowCutOff(reading(T.spo2MinPercent + 1, '%'), t)).toBe(true);
  });
});
