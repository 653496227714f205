/**
 * One pass over the Conditions: each is matched against every condition value set once, and the
 * result sorted into the facts the rules need (P-COP, P-SECONDARY, respiratory failure, steroid
 * adverse-effect conditions, pregnancy).
 */
import type { Coding, Condition } from 'fhir/r4.js';
import { instantMs } from '../../fhir/dates.js';
import { codeIn } from '../../fhir/fhirpath.js';
import type { ConditionFact, CopFact, DomainStatus, SecondaryCauseKind } from '../facts-types.js';
import {
  ADRENAL_INSUFFICIENCY, BOOP, CTD, DIABETES, findCodingInValueSet, FRAGILITY_FRACTURE, HYPERTENSION,
  OSTEOPOROSIS, PREGNANCY, SYSTEMS, WHO_ICD10_J84, type ConditionValueSet, type Terminology,
} from '../valuesets.js';
import { provenance } from './observation-index.js';

const ACTIVE_CLINICAL: ReadonlySet<string> = new Set(['active', 'recurrence', 'relapse']);
const RELAPSE_CLINICAL: ReadonlySet<string> = new Set(['recurrence', 'relapse']);
const DISQUALIFYING_VERIFICATION: ReadonlySet<string> = new Set(['refuted', 'entered-in-error']);

export const clinicalStatusOf = (c: Condition): string | undefined =>
  codeIn(c.clinicalStatus, SYSTEMS.conditionClinical) ?? codeIn(c.clinicalStatus);
export const verificationStatusOf = (c: Condition): string | undefined =>
  codeIn(c.verificationStatus, SYSTEMS.conditionVerification) ?? codeIn(c.verificationStatus);

/** Not refuted or entered in error: the condition was really recorded for this patient. */
export const isRecorded = (c: Condition): boolean => !DISQUALIFYING_VERIFICATION.has(verificationStatusOf(c) ?? '');
/** Recorded and clinically active (active, recurrence or relapse). A missing clinicalStatus is not active. */
export const isActive = (c: Condition): boolean => isRecorded(c) && ACTIVE_CLINICAL.has(clinicalStatusOf(c) ?? '');

/** Clinical statuses of a condition that has ended. */
const ENDED_CLINICAL: ReadonlySet<string> = new Set(['inactive', 'remission', 'resolved']);

/** An ended condition dated by when it ended (abatement), not when it began; undated without one. */
function endedConditionFact(fact: ConditionFact, c: Condition, now: Date): ConditionFact {
  const { date: _began, ageDays: _age, ...rest } = fact;
  return { ...rest, ...provenance(c, c.abatementDateTime ?? c.abatementPeriod?.end ?? c.abatementPeriod?.start, now) };
}

function conditionDate(c: Condition): string | undefined {
  return c.recordedDate ?? c.onsetDateTime ?? c.onsetPeriod?.start;
}

export function conditionFact(c: Condition, coding: Coding, now: Date): ConditionFact {
  const fact: ConditionFact = {
    ...provenance(c, conditionDate(c), now),
    system: coding.system ?? '',
    code: coding.code ?? '',
  };
  const display = coding.display ?? c.code?.text;
  if (display) fact.display = display;
  const clinical = clinicalStatusOf(c);
  if (clinical) fact.clinicalStatus = clinical;
  const verification = verificationStatusOf(c);
  if (verification) fact.verificationStatus = verification;
  const onset = c.onsetDateTime ?? c.onsetPeriod?.start;
  if (onset) fact.onset = onset;
  if (c.recordedDate) fact.recordedDate = c.recordedDate;
  return fact;
}

export interface ConditionFacts {
  cop: CopFact;
  secondaryCauses: (ConditionFact & { kind: SecondaryCauseKind })[];
  respiratoryFailure: ConditionFact[];
  diabetes: ConditionFact[];
  hypertension: ConditionFact[];
  osteoporosis: ConditionFact[];
  fragilityFractures: ConditionFact[];
  adrenalInsufficiency: ConditionFact[];
  /**
   * Pregnancy conditions: active ones (P-PREGNANT = yes), and ended ones (clinicalStatus inactive,
   * remission or resolved) dated by their abatement (`date` absent when no end date is recorded).
   */
  pregnancy: ConditionFact[];
}

/** Newest first by recorded/onset date, so `[0]` is the most recent record. */
const newestFirst = (a: ConditionFact, b: ConditionFact): number => (b.date ?? '').localeCompare(a.date ?? '');

export function extractConditionFacts(
  conditions: readonly Condition[],
  domain: DomainStatus,
  now: Date,
  terminology: Terminology,
): ConditionFacts {
  const copConditions: { fact: ConditionFact; relapse: boolean }[] = [];
  const boopConditions: { fact: ConditionFact; relapse: boolean }[] = [];
  let whoJ84 = false;
  const out: ConditionFacts = {
    cop: { present: false, whoIcdOnly: false, relapseRecords: 0, domain },
    secondaryCauses: [],
    respiratoryFailure: [],
    diabetes: [],
    hypertension: [],
    osteoporosis: [],
    fragilityFractures: [],
    adrenalInsufficiency: [],
    pregnancy: [],
  };
  const { malignancy, respiratoryFailure } = terminology;

  const match = (c: Condition, vs: ConditionValueSet): ConditionFact | undefined => {
    const coding = findCodingInValueSet(c.code?.coding, vs);
    return coding ? conditionFact(c, coding, now) : undefined;
  };

  // Every COP/BOOP-coded record, whatever its clinical status, for the first-labelled date (COP-R20).
  const copRecords: ConditionFact[] = [];
  const boopRecords: ConditionFact[] = [];

  for (const c of conditions) {
    if (!isRecorded(c)) continue;
    const active = isActive(c);
    const relapse = RELAPSE_CLINICAL.has(clinicalStatusOf(c) ?? '');
    const copRecord = match(c, terminology.cop);
    if (copRecord) copRecords.push(copRecord);
    const boopRecord = match(c, BOOP);
    if (boopRecord) boopRecords.push(boopRecord);

    // P-SECONDARY counts historical conditions too (a past cancer can still cause OP).
    const ctd = match(c, CTD);
    if (ctd) out.secondaryCauses.push({ ...ctd, kind: 'ctd' });
    const cancer = match(c, malignancy);
    if (cancer) out.secondaryCauses.push({ ...cancer, kind: 'malignancy' });
    // Osteoporosis and fractures stay risk factors once recorded, whatever their status.
    const osteoporosis = match(c, OSTEOPOROSIS);
    if (osteoporosis) out.osteoporosis.push(osteoporosis);
    const fracture = match(c, FRAGILITY_FRACTURE);
    if (fracture) out.fragilityFractures.push(fracture);

    // P-PREGNANT reads active pregnancy conditions and ended ones: a pregnancy Condition resolved
    // after a positive test says that test no longer holds (decision 15).
    const pregnancy = match(c, PREGNANCY);
    if (pregnancy && active) out.pregnancy.push(pregnancy);
    else if (pregnancy && ENDED_CLINICAL.has(clinicalStatusOf(c) ?? '')) out.pregnancy.push(endedConditionFact(pregnancy, c, now));

    if (!active) continue;
    if (copRecord) copConditions.push({ fact: copRecord, relapse });
    if (boopRecord) boopConditions.push({ fact: boopRecord, relapse });
    if (!copRecord && !boopRecord && match(c, WHO_ICD10_J84)) whoJ84 = true;
    const rf = match(c, respiratoryFailure);
    if (rf) out.respiratoryFailure.push(rf);
    const dm = match(c, DIABETES);
    if (dm) out.diabetes.push(dm);
    const htn = match(c, HYPERTENSION);
    if (htn) out.hypertension.push(htn);
    const ai = match(c, ADRENAL_INSUFFICIENCY);
    if (ai) out.adrenalInsufficiency.push(ai);
  }

  // BOOP counts as COP only when no secondary cause is coded (P-COP).
  const qualifying = out.secondaryCauses.length === 0 ? [...copConditions, ...boopConditions] : copConditions;
  const byDate = (list: { fact: ConditionFact }[]) => list.map((x) => x.fact).sort(newestFirst);
  const present = byDate(qualifying);
  const coded = [...byDate(copConditions), ...byDate(boopConditions)];
  out.cop = {
    present: present.length > 0,
    whoIcdOnly: coded.length === 0 && whoJ84,
    relapseRecords: qualifying.filter((x) => x.relapse).length,
    domain,
  };
  if (present[0]) out.cop.condition = present[0];
  if (coded[0]) out.cop.opCoded = coded[0];
  if (present.length > 0) out.cop.conditions = present;
  const first = earliestRecord(out.secondaryCauses.length === 0 ? [...copRecords, ...boopRecords] : copRecords);
  if (first) out.cop.firstRecord = first;
  return out;
}

/** The date a record was made: recordedDate, else onset (COP-R20). */
export const recordDateOf = (c: ConditionFact): string | undefined => c.recordedDate ?? c.onset;

/** The record with the earliest recordedDate (else onset); undated records cannot be placed. */
function earliestRecord(records: readonly ConditionFact[]): ConditionFact | undefined {
  let best: { fact: ConditionFact; ms: number } | undefined;
  for (const fact of records) {
    const ms = instantMs(recordDateOf(fact));
    if (ms !== undefined && (!best || ms < best.ms)) best = { fact, ms };
  }
  return best?.fact;
}
