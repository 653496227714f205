/**
 * The test matrix row "GC 40 mg planned 24 weeks → R10, R11, R12, R13, R14 info cards", at
 * order-sign for an adult COP patient with no recent labs, BP or follow-up booked.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { baseFacts, context, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { Finding, Rule } from '../rule-types.js';
import { r10 } from './r10-bone-protection.js';
import { r11 } from './r11-adrenal-suppression.js';
import { r12 } from './r12-glucose.js';
import { r13 } from './r13-blood-pressure.js';
import { r14 } from './r14-follow-up.js';
import { r17 } from './r17-prolonged-therapy.js';

const rules: Rule[] = [r10, r11, r12, r13, r14, r17];

const prednisone40For24Weeks = prednisoneDraft({
  name: 'prednisone 20 MG Oral Tablet',
  dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '2 x 20 mg tablets once daily = 40 mg/day' },
  plannedDurationDays: 24 * 7,
});

describe('test matrix: GC 40 mg planned 24 weeks', () => {
  const patient = facts({ medications: { ...baseFacts().medications, drafts: [prednisone40For24Weeks] } });
  const findings = rules.map((r) => r.evaluate(patient, context('order-sign'))).filter((f): f is Finding => f !== undefined);

  it('R10, R11, R12, R13 and R14 fire as info cards; R17 does not', () => {
    expect(findings.map((f) => [f.ruleId, f.indicator])).toEqual([
      ['COP-R10', 'info'],
      ['COP-R11', 'info'],
      ['COP-R12', 'info'],
      ['COP-R13', 'info'],
      ['COP-R14', 'info'],
    ]);
  });

  it('every card is well formed, states its evidence and offers a suggestion', () => {
    for (const f of findings) {
      expectWellFormed(f);
      expect(f.evidence.length, f.ruleId).toBeGreaterThan(0);
      expect(f.suggestions?.length, f.ruleId).toBeGreaterThan(0);
    }
  });

  it('no card appears on patient-view or order-select yet', () => {
    for (const hook of ['patient-view', 'order-select'] as const) {
      expect(rules.map((r) => r.evaluate(patient, context(hook))).filter(Boolean)).toEqual([]);
    }
  });
});
