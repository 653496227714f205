/**
 * How much drug one countable unit of a product holds, from a Medication resource's
 * `ingredient.strength` and `form`: mg per tablet, or mg per mL for an oral solution. A dose in
 * tablets or mL becomes mg only through this (or the product table, medication-identity.ts).
 */
import type { CodeableConcept, Medication, Quantity } from 'fhir/r4.js';
import { UCUM_SYSTEM } from '../../fhir/ucum.js';
import type { GlucocorticoidIngredient } from '../facts-types.js';
import { roundedText } from '../text.js';
import {
  DEFAULT_TERMINOLOGY, SYSTEMS, TABLET_FORM_CODES, TABLET_ORDERABLE_FORM, TABLET_UCUM_ANNOTATIONS, wordMatcher, type Terminology,
} from '../valuesets.js';
import { conceptOfMedication, identifyMedication, type ProductStrength } from './medication-identity.js';

const MG_PER_MASS_UNIT: Record<string, number> = { mg: 1, g: 1000, ug: 0.001, mcg: 0.001 };
const isTabletWord = wordMatcher(['tab', 'tabs', 'tablets?']);

/** mg in a strength numerator (UCUM mg, g, ug; or the same as unit text), else undefined. */
function massInMg(q: Quantity | undefined): number | undefined {
  if (!q || typeof q.value !== 'number' || !(q.value > 0) || !Number.isFinite(q.value)) return undefined;
  if (q.system !== undefined && q.system !== UCUM_SYSTEM) return undefined;
  const factor = MG_PER_MASS_UNIT[(q.code ?? q.unit ?? '').trim()];
  return factor === undefined ? undefined : q.value * factor;
}

/** The Medication's dose form is a tablet (v3 TAB, SNOMED CT tablet forms, or the word). */
function isTabletForm(form: CodeableConcept | undefined): boolean {
  if (!form) return false;
  if ((form.coding ?? []).some((c) => c.code !== undefined && TABLET_FORM_CODES.has(`${c.system ?? ''}|${c.code}`))) return true;
  return [form.text, ...(form.coding ?? []).map((c) => c.display)].some((t) => !!t && isTabletWord(t));
}

/** What one unit of a strength denominator is: a tablet, a mL, or something the dose cannot be counted in. */
function denominatorKind(q: Quantity | undefined, form: CodeableConcept | undefined): 'tablet' | 'mL' | undefined {
  const code = (q?.code ?? q?.unit ?? '').trim();
  if (q && isTabletCount(q)) return 'tablet';
  if (code === 'mL' && (q?.system === undefined || q.system === UCUM_SYSTEM)) return 'mL';
  // "5 mg per 1" (unit 1 or none): per unit of the dose form, so per tablet when the form is one.
  if ((code === '' || code === '1') && isTabletForm(form)) return 'tablet';
  return undefined;
}

/**
 * Strength from `Medication.ingredient[].strength`: the one ingredient that states one, or the one
 * that names the glucocorticoid when several do. Anything ambiguous (two strengths, an unreadable
 * ratio) stays unknown: a dose in tablets is then not turned into mg.
 */
export function strengthFromMedication(
  medication: Medication | undefined,
  glucocorticoid?: GlucocorticoidIngredient,
  terminology: Terminology = DEFAULT_TERMINOLOGY,
): ProductStrength | undefined {
  const ingredients = (medication?.ingredient ?? []).filter((i) => i.strength);
  let chosen = ingredients.length === 1 ? ingredients[0] : undefined;
  if (!chosen && ingredients.length > 1 && glucocorticoid) {
    const named = ingredients.filter((i) => identifyMedication(i.itemCodeableConcept, terminology).glucocorticoid === glucocorticoid);
    chosen = named.length === 1 ? named[0] : undefined;
  }
  const ratio = chosen?.strength;
  if (!ratio) return undefined;
  const mg = massInMg(ratio.numerator);
  const denominator = ratio.denominator;
  const perCount = denominator?.value ?? 1;
  const per = denominatorKind(denominator, medication?.form);
  if (mg === undefined || per === undefined || !(perCount > 0) || !Number.isFinite(perCount)) return undefined;
  const strengthMg = mg / perCount;
  if (!Number.isFinite(strengthMg) || !(strengthMg > 0)) return undefined;
  const name = conceptOfMedication(medication as Medication)?.text ?? `${roundedText(strengthMg, 3)} mg per ${per}`;
  return { strengthMg, per, name };
}

/** A quantity counted in tablets: UCUM annotations ({tbl}, {tablet}, {pill}) or v3-orderableDrugForm TAB. */
export function isTabletCount(q: Quantity): boolean {
  if (q.system === SYSTEMS.orderableDrugForm) return q.code === TABLET_ORDERABLE_FORM;
  const code = q.code ?? q.unit;
  return (q.system === undefined || q.system === UCUM_SYSTEM) && code !== undefined && TABLET_UCUM_ANNOTATIONS.has(code);
}
