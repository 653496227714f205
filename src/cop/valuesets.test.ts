/**
 * The terminology is one immutable value per deployment, built at start-up and passed in: what one
 * terminology matches never depends on another having been built, and the site's local codes
 * reach the facts only through the terminology they were built into.
 */
import { describe, expect, it } from 'vitest';
import { NOW } from '../../test/fixtures/facts.js';
import {
  allergy, condition, dailyMg, dosage, emptyPool, medicationRequest, patient, RXNORM,
} from '../../test/fixtures/fhir.js';
import { isMacrolideAllergy } from './extract/medication-facts.js';
import { medicationFactFromRequest } from './extract/medication-record.js';
import { extractFacts } from './facts.js';
import { DEFAULT_THRESHOLDS } from './knowledge.js';
import { buildTerminology, COP, DEFAULT_TERMINOLOGY, DEFAULT_UNCONFIRMED_CODES, type UnconfirmedCodes } from './valuesets.js';

const LOCAL_COP = { system: 'https://ehr.example/codes', code: 'OP-77' };
const SITE_ROUTE = { system: 'https://ehr.example/routes', code: 'EYE-DROPS-X' };

const withUnconfirmed = (overrides: Partial<UnconfirmedCodes>): UnconfirmedCodes => ({ ...DEFAULT_UNCONFIRMED_CODES, ...overrides });

describe('buildTerminology', () => {
  it('is frozen, and without local codes uses the shared COP value set', () => {
    expect(Object.isFrozen(DEFAULT_TERMINOLOGY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TERMINOLOGY.ingredients)).toBe(true);
    expect(DEFAULT_TERMINOLOGY.ingredients.every((i) => Object.isFrozen(i))).toBe(true);
    expect(DEFAULT_TERMINOLOGY.cop).toBe(COP);
    expect(buildTerminology({}).cop).toBe(COP);
    expect(() => {
      (DEFAULT_TERMINOLOGY as { cop: unknown }).cop = undefined;
    }).toThrow(TypeError);
  });

  it('matches an ingredient by name through the terminology it was built into', () => {
    const prednisone = DEFAULT_TERMINOLOGY.ingredients.find((i) => i.ingredient === 'prednisone');
    expect(prednisone?.namedIn('Prednisone 5 mg tablet')).toBe(true);
    expect(prednisone?.namedIn('methylprednisolone 4 mg')).toBe(false);
  });

  it('a local COP code counts only in the terminology built with it', () => {
    const site = buildTerminology({ cop: [LOCAL_COP] });
    const pool = emptyPool({ patient: patient({ birthDate: '1970-01-01' }), conditions: [condition({ ...LOCAL_COP, display: 'Organising pneumonia (local)' })] });
    const input = { patientId: 'pat-1', selections: [] };
    expect(extractFacts(pool, input, NOW, DEFAULT_THRESHOLDS, site).cop.present).toBe(true);
    expect(extractFacts(pool, input, NOW, DEFAULT_THRESHOLDS).cop.present).toBe(false);
    expect(extractFacts(pool, input, NOW, DEFAULT_THRESHOLDS, DEFAULT_TERMINOLOGY).cop.present).toBe(false);
  });

  it('a deployment\'s route codes mark a route local in its terminology only; the default is untouched', () => {
    const site = buildTerminology({}, withUnconfirmed({ nonSystemicRouteCodes: [`${SITE_ROUTE.system}|${SITE_ROUTE.code}`] }));
    const order = medicationRequest({ rxnorm: '198145', dosages: [dailyMg(10, { route: { coding: [SITE_ROUTE] } })] });
    expect(medicationFactFromRequest(order, { terminology: site }).classes).not.toContain('systemic-glucocorticoid');
    expect(medicationFactFromRequest(order).classes).toContain('systemic-glucocorticoid');
    expect(medicationFactFromRequest(order, { terminology: DEFAULT_TERMINOLOGY }).classes).toContain('systemic-glucocorticoid');
    expect(DEFAULT_TERMINOLOGY.nonSystemicRouteCodes.size).toBe(0);
  });

  it('unconfirmed ingredient codes are read from the terminology (clarithromycin orders and allergies)', () => {
    const replaced = buildTerminology({}, withUnconfirmed({ rxnormIngredients: { ...DEFAULT_UNCONFIRMED_CODES.rxnormIngredients, clarithromycin: ['999001'] } }));
    const coded = { system: RXNORM, code: '999001' };
    const order = medicationRequest({ codings: [coded], dosages: [dosage()] });
    expect(medicationFactFromRequest(order, { terminology: replaced }).classes).toContain('clarithromycin');
    expect(medicationFactFromRequest(order).classes).not.toContain('clarithromycin');
    expect(isMacrolideAllergy(allergy({ code: coded }), replaced)).toBe(true);
    expect(isMacrolideAllergy(allergy({ code: coded }), DEFAULT_TERMINOLOGY)).toBe(false);
    const defaultCode = { system: RXNORM, code: DEFAULT_UNCONFIRMED_CODES.rxnormIngredients.clarithromycin[0]! };
    expect(isMacrolideAllergy(allergy({ code: defaultCode }), DEFAULT_TERMINOLOGY)).toBe(true);
  });
});
