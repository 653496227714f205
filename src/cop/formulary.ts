/**
 * The products COP suggestions prescribe, per formulary profile (US: RxNorm prednisone; UK:
 * prednisolone with a site-mapped code), and which tablet makes up a dose. The dose itself comes
 * from dosing.ts; order-assembly.ts puts the product on the MedicationRequest.
 */
import type { CodeableConcept } from 'fhir/r4.js';
import { SYSTEMS } from '../fhir/systems.js';
import { usualDoseRangeMg, weightBasedDose, type TaperStepPlan, type WeightBasedDose } from './dosing.js';
import type { Thresholds } from './knowledge.js';
import type { FormularyProfile } from './rule-types.js';
import { RXNORM_PRODUCTS } from './valuesets.js';

/**
 * Placeholder system for site formulary codes the project cannot know (UK dm+d). Deliberately on
 * the project's example domain so that it can never be mistaken for a real terminology; a UK site
 * replaces it with its dm+d VMP/AMP code when it configures the `uk` profile.
 */
export const LOCAL_FORMULARY_PLACEHOLDER_SYSTEM = 'https://cop-cds.example.org/fhir/CodeSystem/local-formulary-PLACEHOLDER';

/** Freezes a constant and everything in it, so resources can share it safely. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export interface TabletProduct {
  ingredient: 'prednisone' | 'prednisolone' | 'clarithromycin';
  strengthMg: number;
  medication: CodeableConcept;
}

/** A suggested product from the one RxNorm product table the facts layer also reads. */
function rxnormTablet(code: string): TabletProduct {
  const product = RXNORM_PRODUCTS[code];
  if (!product || product.doseForm !== 'oral-tablet') throw new Error(`RxNorm ${code} is not a known oral tablet`);
  const ingredient = product.ingredient as TabletProduct['ingredient'];
  return {
    ingredient,
    strengthMg: product.strengthMg,
    medication: {
      coding: [{ system: SYSTEMS.rxnorm, code, display: product.name }],
      text: `${ingredient} ${product.strengthMg} mg tablet`,
    },
  };
}

/** US prednisone SCDs (20, 10 and 5 mg, all three codes confirmed), largest first. */
export const US_PREDNISONE_TABLETS: readonly TabletProduct[] = deepFreeze(['312615', '198145', '312617'].map(rxnormTablet));

/**
 * UK prednisolone 5 mg plain tablets. Why not the US SCD 198142 ("prednisolone 5 MG Oral Tablet")?
 * RxNorm does not cover UK products: a dm+d-based EHR cannot resolve an RxNorm code, and a US code
 * in a UK prescription would silently claim a US-marketed product. So the order carries the
 * ingredient class (ATC H02AB06, confirmed by MHRA records) that lets any system, including our own
 * facts extractor, recognise a systemic glucocorticoid, plus a clearly marked placeholder for the
 * site's dm+d code, and plain text the prescriber can read. The dose itself is in mg, not tablets.
 */
export const UK_PREDNISOLONE_5MG: TabletProduct = deepFreeze({
  ingredient: 'prednisolone',
  strengthMg: 5,
  medication: {
    coding: [
      { system: SYSTEMS.atc, code: 'H02AB06', display: 'prednisolone' },
      {
        system: LOCAL_FORMULARY_PLACEHOLDER_SYSTEM,
        code: 'PLACEHOLDER-prednisolone-5mg-tablet',
        display: 'Prednisolone 5 mg tablets (site must map to its dm+d code)',
      },
    ],
    text: 'prednisolone 5 mg tablets',
  },
});

/** Clarithromycin immediate-release tablets (500 and 250 mg). Never 359385, the 24-hour extended-release tablet. */
export const CLARITHROMYCIN_TABLETS: readonly TabletProduct[] = deepFreeze(['197517', '197516'].map(rxnormTablet));

/**
 * The tablet for a glucocorticoid dose: US → 20 mg tablets when the dose is a multiple of 20, else
 * 10 mg when a multiple of 10, else 5 mg (the fewest tablets a day); UK → prednisolone 5 mg always.
 */
export function glucocorticoidTablet(doseMg: number, formulary: FormularyProfile): TabletProduct {
  if (formulary === 'uk') return UK_PREDNISOLONE_5MG;
  const fits = US_PREDNISONE_TABLETS.find((t) => doseMg % t.strengthMg === 0);
  if (!fits) throw new RangeError(`No prednisone tablet composes ${doseMg} mg (doses are whole multiples of 5 mg)`);
  return fits;
}

/** The glucocorticoid ingredient a formulary profile prescribes; prednisone and prednisolone doses are equal mg for mg. */
export const glucocorticoidName = (formulary: FormularyProfile): 'prednisone' | 'prednisolone' =>
  formulary === 'uk' ? 'prednisolone' : 'prednisone';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * One MedicationRequest has one product, so the taper uses the largest tablet that composes every
 * step: the glucocorticoid tablet of the greatest common divisor of the step doses (with a 5 mg
 * last step, 5 mg tablets).
 */
export const taperTablet = (steps: TaperStepPlan[], formulary: FormularyProfile): TabletProduct =>
  glucocorticoidTablet(steps.map((s) => s.doseMg).reduce(gcd), formulary);

/** The clarithromycin tablet that composes a dose (500 mg → one 500 mg tablet). */
export function clarithromycinTablet(doseMg: number): TabletProduct {
  const tablet = CLARITHROMYCIN_TABLETS.find((p) => doseMg % p.strengthMg === 0);
  if (!tablet) throw new RangeError(`No clarithromycin tablet composes ${doseMg} mg`);
  return tablet;
}

/** "9 x 5 mg tablets", "1 x 20 mg tablet". */
export const tabletCountText = (doseMg: number, tablet: TabletProduct): string => {
  const n = doseMg / tablet.strengthMg;
  return `${n} x ${tablet.strengthMg} mg ${n === 1 ? 'tablet' : 'tablets'}`;
};

/** The initial phase as prescribed: the weight-based dose, its usual range, the tablet and how many a day. */
export interface InitialPhasePlan {
  dose: WeightBasedDose;
  range: { lowMg: number; highMg: number };
  tablet: TabletProduct;
  tabletsPerDay: number;
  days: number;
}

export function initialPhasePlan(kg: number, t: Thresholds, formulary: FormularyProfile): InitialPhasePlan {
  const dose = weightBasedDose(kg, t.mgPerKg, t);
  const tablet = glucocorticoidTablet(dose.doseMg, formulary);
  return {
    dose,
    range: usualDoseRangeMg(kg, t),
    tablet,
    tabletsPerDay: dose.doseMg / tablet.strengthMg,
    days: t.initialPhaseDays,
  };
}
