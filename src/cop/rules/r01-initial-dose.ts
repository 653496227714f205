/**
 * COP-R01: initial glucocorticoid dose suggestion (cop-rules §R01, §2.1, §2.2, §2.4).
 *
 * order-select: when the clinician selects a systemic glucocorticoid draft for an untreated adult
 * COP patient with a usable weight, the card offers to rewrite that draft (same id, decision 4) as
 * the weight-based initial phase, or as the sequenced 24-week taper.
 * patient-view: the untreated-COP reminder, information only (no suggestion, no weight needed).
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import { SMART_LAUNCH_PATH } from '../../smart/constants.js';
import type { Measurement, MedicationFact, PatientFacts } from '../facts-types.js';
import type { CitationKey } from '../knowledge.js';
import {
  buildInitialPhaseRequest, buildTaperRequest, doseComputationText, glucocorticoidName, initialPhasePlan,
  tabletCountText, taperPlan, type GlucocorticoidOrderSpec, type InitialPhasePlan,
} from '../orders.js';
import type { Evidence, Finding, FindingLink, FindingSuggestion, OverrideReason, Rule, RuleContext } from '../rule-types.js';
import { assessClarithromycinGates, notAssessedLine, notEligibleLine } from './clarithromycin-gates.js';
import {
  activeGlucocorticoids, compactNumber, conditionEvidence, conditionRecordDay, draftGlucocorticoids, durationText, evidenceOf,
  fitSummary, isAdult, isUnidentified, measurementText, medicationEvidence, mgPerKgText, selectedGlucocorticoidDraft,
  unidentifiedActiveOrders, unidentifiedOrderText, usableWeight,
} from './shared.js';
import { CLARITHROMYCIN_GATES, DOSING, P_WEIGHT } from './predicate-thresholds.js';

const CITATIONS: CitationKey[] = ['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022'];

/** cop-rules §2.4. */
export const R01_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'specialist-plan', display: 'Specialist regimen in place' },
  { code: 'observation-mild', display: 'Mild disease – observe' },
];

/**
 * "Fires when" of §R01 at order-select: P-COP, P-ADULT, P-WEIGHT fresh or stale, no P-GC-ACTIVE,
 * and no draft systemic glucocorticoid other than the one selected (two drafts are R04's).
 */
function selectedDraftForInitialDose(facts: PatientFacts): MedicationFact | undefined {
  const selected = selectedGlucocorticoidDraft(facts);
  if (!selected || !facts.cop.present || !isAdult(facts) || !usableWeight(facts)) return undefined;
  if (activeGlucocorticoids(facts).length > 0) return undefined;
  const otherDrafts = draftGlucocorticoids(facts).filter((d) => d !== selected && d.reference !== selected.reference);
  return otherDrafts.length > 0 ? undefined : selected;
}

function summaryFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string {
  const weight = facts.weight.kg;
  if (facts.weight.state === 'stale') {
    // The age of the weight is the one thing the clinician must act on before accepting the dose.
    return weight?.ageDays !== undefined
      ? `Weight is ${weight.ageDays} days old – confirm before ordering`
      : 'Weight date unknown – confirm before ordering';
  }
  const drug = glucocorticoidName(context.formulary);
  const { dose, range } = plan;
  const basis = `${mgPerKgText(dose.mgPerKg)} mg/kg x ${compactNumber(dose.kg)} kg`;
  const cappedNote = dose.capped ? `capped; ` : '';
  return fitSummary(
    `COP: suggested ${drug} ${dose.doseMg} mg once daily (${cappedNote}${basis}); usual ${range.lowMg}-${range.highMg} mg`,
    `COP: suggested ${drug} ${dose.doseMg} mg once daily; usual ${range.lowMg}-${range.highMg} mg`,
  );
}

function detailFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string[] {
  const t = context.thresholds;
  const drug = glucocorticoidName(context.formulary);
  const { dose, range, tablet } = plan;
  const lines = [
    `Suggested start: ${drug} **${dose.doseMg} mg once daily** for ${durationText(plan.days)} ` +
      `(${doseComputationText(dose, t)}; ${tabletCountText(dose.doseMg, tablet)}).`,
    `Usual start ${mgPerKgText(t.minMgPerKg)}-${mgPerKgText(t.maxMgPerKg)} mg/kg/day ` +
      `(${range.lowMg}-${range.highMg} mg for this weight, at most ${t.maxDailyDoseMg} mg/day); ` +
      'taper over months (total ~6-12 months).',
  ];
  const kg = facts.weight.kg;
  if (facts.weight.state === 'stale' && kg) {
    lines.push(`Weight is ${kg.ageDays ?? 'an unknown number of'} days old (fresh is ≤ ${facts.inpatient ? t.weightFreshDaysInpatient : t.weightFreshDays} d): confirm or re-measure before ordering.`);
  }
  if (dose.kg < t.lowBodyWeightKg) {
    lines.push(`Low body weight (< ${t.lowBodyWeightKg} kg): check the dose.`);
  }
  lines.push(
    'Delayed treatment was associated with more relapses; a standardised taper lowered cumulative dose without worse outcomes (Lazor 2000).',
  );
  const steps = taperPlan(dose.kg, t).map((s) => `${s.doseMg} mg x ${durationText(s.days)}`).join(' → ');
  lines.push(`Optional sequenced taper: ${steps}.`);
  const gates = assessClarithromycinGates(facts, context);
  if (gates.status === 'not-assessed') lines.push(notAssessedLine(gates.missing));
  if (gates.status === 'not-eligible') lines.push(notEligibleLine(gates.reasons));
  return lines;
}

function evidenceFor(facts: PatientFacts, draft: MedicationFact): Evidence[] {
  const evidence: Evidence[] = [];
  const kg = facts.weight.kg;
  if (kg) {
    const weight = evidenceOf('Weight', kg);
    if (kg.original && kg.original.unit !== kg.unit) weight.value += ` (recorded as ${kg.original.value} ${kg.original.unit})`;
    evidence.push(weight);
  }
  if (facts.age.status === 'known') evidence.push({ label: 'Age', value: `${facts.age.years} years` });
  if (facts.cop.condition) evidence.push(conditionEvidence('COP diagnosis', facts.cop.condition));
  evidence.push(medicationEvidence('Selected order', draft));
  return evidence;
}

function suggestionsFor(facts: PatientFacts, draft: MedicationFact, plan: InitialPhasePlan, context: RuleContext): FindingSuggestion[] {
  const kg = facts.weight.kg;
  // Decision 4: the suggestions rewrite the selected draft; without an id there is nothing to update.
  if (!kg || !(draft.draftResource?.id ?? draft.id)) return [];
  const spec: GlucocorticoidOrderSpec = {
    patientId: facts.patientId,
    weight: kg,
    thresholds: context.thresholds,
    formulary: context.formulary,
    intent: context.medicationRequestIntent,
    draft: { ...(draft.draftResource ? { resource: draft.draftResource } : {}), ...(draft.id ? { id: draft.id } : {}) },
  };
  const drug = glucocorticoidName(context.formulary);
  const steps = taperPlan(kg.value, context.thresholds);
  return [
    {
      label: `Order ${drug} ${plan.dose.doseMg} mg daily x ${durationText(plan.days)}`,
      isRecommended: true,
      actions: [{
        type: 'update',
        description: `Initial phase ${drug} ${plan.dose.doseMg} mg once daily for ${plan.days} days`,
        resource: buildInitialPhaseRequest(spec),
      }],
    },
    {
      label: `Order ${drug} 24-week taper (${steps.map((s) => s.doseMg).join(' → ')} mg)`,
      isRecommended: false,
      actions: [{
        type: 'update',
        description: `Sequenced ${drug} taper over ${steps.reduce((n, s) => n + s.days, 0)} days`,
        resource: buildTaperRequest(spec),
      }],
    },
  ];
}

export const TAPER_APP_LABEL = 'Open taper plan (SMART app)';

/**
 * The smart link to the taper-plan app: its appContext carries the plan's inputs (the weight the
 * card used, where it came from, the formulary), so the app shows the same plan as the card.
 */
export function taperAppLink(kg: Measurement, context: RuleContext): FindingLink {
  const appContext = {
    weightKg: kg.value,
    ...(kg.reference ? { weightObservation: kg.reference } : {}),
    ...(kg.date ? { weightDate: kg.date } : {}),
    formulary: context.formulary,
  };
  return { label: TAPER_APP_LABEL, type: 'smart', path: SMART_LAUNCH_PATH, appContext: JSON.stringify(appContext) };
}

// ---------------------------------------------------------------------------------------------
// patient-view variant: the untreated-COP reminder

/** The weight line of the reminder: no dose is computed here, only whether ordering will have one. */
function reminderWeightLine(facts: PatientFacts, context: RuleContext): string {
  const t = context.thresholds;
  const w = facts.weight;
  if (w.domain === 'unavailable') return 'Body weight was not read for this view; it is checked when a glucocorticoid is ordered.';
  if (w.state === 'fresh' && w.kg) return `Weight ${measurementText(w.kg)}: a weight-based starting dose will be suggested when a glucocorticoid is selected.`;
  if (w.state === 'stale' && w.kg) {
    return `Weight ${measurementText(w.kg)} is ${w.kg.ageDays ?? 'an unknown number of'} days old (fresh is ≤ ${facts.inpatient ? t.weightFreshDaysInpatient : t.weightFreshDays} d): re-measure before ordering.`;
  }
  const last = w.latest ? `last: ${measurementText(w.latest)}` : 'none recorded';
  return `No usable body weight (${w.reason ?? w.state}; ${last}): record a weight so that a starting dose can be suggested when ordering.`;
}

/** The summary's second sentence: whether ordering will be able to compute a dose. */
function reminderWeightHint(facts: PatientFacts): string {
  if (facts.weight.domain === 'unavailable') return '';
  return usableWeight(facts) ? ' Selecting a glucocorticoid order gives a weight-based dose.' : ' Record a body weight before ordering.';
}

function reminderEvidence(facts: PatientFacts): Evidence[] {
  const evidence: Evidence[] = [];
  if (facts.cop.condition) evidence.push(conditionEvidence('COP diagnosis', facts.cop.condition));
  if (facts.age.status === 'known') evidence.push({ label: 'Age', value: `${facts.age.years} years` });
  const kg = usableWeight(facts);
  if (kg) evidence.push(evidenceOf('Weight', kg));
  evidence.push({ label: 'Active systemic glucocorticoid or clarithromycin', value: 'none' });
  return evidence;
}

/**
 * Decision 18: past glucocorticoid or clarithromycin orders (completed, stopped, …; `medsHistory`)
 * since the COP began: the earliest of its onset and recorded date. An undated past order cannot be
 * placed before the COP, so it counts. A past order nothing identifies makes the history unreadable.
 */
function pastCourses(facts: PatientFacts): { treated: boolean; readable: boolean } {
  const c = facts.cop.condition;
  const since = [c?.onset, c?.recordedDate].map((d) => d?.slice(0, 10)).filter((d): d is string => !!d && /^\d{4}/.test(d)).sort()[0];
  const past = (facts.medications.past ?? []).filter((m) => !since || !m.start || m.start.slice(0, 10) >= since);
  const treated = past.some((m) => m.classes.includes('systemic-glucocorticoid') || m.classes.includes('clarithromycin'));
  const readable = facts.medications.pastDomain === 'available' && !past.some(isUnidentified);
  return { treated, readable };
}

/**
 * §R01 patient-view variant: P-COP, P-ADULT, no P-GC-ACTIVE and no draft → info "COP recorded,
 * no treatment ordered", never a suggestion (the clinician starts the order-select flow).
 * Suppressed while clarithromycin is active (that is a treatment). No weight is needed: the card
 * only says whether ordering will be able to compute a dose.
 */
function untreatedReminder(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present || !isAdult(facts)) return undefined;
  // §0.4.3: without the medication list, "no treatment ordered" cannot be known.
  if (facts.medications.domain === 'unavailable') return undefined;
  if (activeGlucocorticoids(facts).length > 0 || draftGlucocorticoids(facts).length > 0) return undefined;
  if (facts.medications.active.some((m) => m.classes.includes('clarithromycin'))) return undefined;
  // Decision 10: an order nothing identifies may be the treatment; "no treatment ordered" is then unknown.
  const unidentified = unidentifiedActiveOrders(facts);
  if (unidentified.length > 0) return unidentifiedOrdersFinding(facts, unidentified, 'patient-view');
  const t = context.thresholds;
  const c = facts.cop.condition;
  const recorded = c ? conditionRecordDay(c) : undefined;
  // Decision 18: a course since the COP began (completed or stopped) means it was treated.
  const history = pastCourses(facts);
  if (history.treated) return undefined;
  const recordedAgo = calendarDaysAgo(recorded, context.now);
  if (!history.readable && !(recordedAgo !== undefined && recordedAgo <= t.untreatedReminderMaxCopAgeDays)) return undefined;
  const drug = glucocorticoidName(context.formulary);
  const kg = usableWeight(facts);
  const diagnosis = c
    ? `COP diagnosis ${c.display ? `${c.display} (${c.code})` : c.code}${recorded ? `, recorded ${recorded}` : ''}${c.onset ? `; symptom onset ${c.onset.slice(0, 10)}` : ''}`
    : 'COP diagnosis recorded';
  return {
    ruleId: 'COP-R01',
    indicator: 'info',
    summary: history.readable
      ? fitSummary(`COP recorded${recorded ? ` (${recorded})` : ''}, no treatment ordered.${reminderWeightHint(facts)}`, 'COP recorded, no treatment ordered.')
      : fitSummary(`COP recorded${recorded ? ` (${recorded})` : ''}: no active treatment order; past orders could not be read.`, 'COP recorded: no active treatment order; past orders could not be read.'),
    detail: [
      history.readable
        ? `${diagnosis}. No systemic glucocorticoid or clarithromycin order since then (active or past).`
        : `${diagnosis}. No active systemic glucocorticoid or clarithromycin order; past orders could not be read, so an earlier course cannot be ruled out.`,
      reminderWeightLine(facts, context),
      `Usual start ${mgPerKgText(t.minMgPerKg)}-${mgPerKgText(t.maxMgPerKg)} mg/kg/day ${drug} (at most ${t.maxDailyDoseMg} mg/day), taper over months (total ~6-12 months).`,
      'Delayed treatment was associated with more relapses (Lazor 2000). Whether and when to treat stays with the clinician.',
      `No order is suggested here: select a ${drug} order to get the starting dose and taper.`,
    ],
    evidence: reminderEvidence(facts),
    overrideReasons: R01_OVERRIDE_REASONS,
    citations: CITATIONS,
    ...(kg ? { links: [taperAppLink(kg, context)] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Unidentified orders (decision 10): no dose, and the card names the order it could not identify

/**
 * An order whose drug nothing identifies could be a glucocorticoid already running (a second full
 * starting course would then be offered) or the selected order itself: no dose is offered, and the
 * card says which order could not be read so that the clinician can check it.
 */
function unidentifiedOrdersFinding(facts: PatientFacts, orders: MedicationFact[], where: 'patient-view' | 'active' | 'selected'): Finding {
  const kind = where === 'selected' ? 'selected' : 'active';
  const what = where === 'selected'
    ? 'the selected order\'s medication could not be identified'
    : orders.length === 1 ? 'an active medication order could not be identified' : `${orders.length} active medication orders could not be identified`;
  const summary = where === 'patient-view'
    ? fitSummary(`COP recorded; treatment unknown: ${what}. Check the medication list.`, 'COP recorded; an active medication order could not be identified.')
    : fitSummary(`No COP starting dose suggested: ${what}. Check the medication list.`, `No COP starting dose suggested: ${what}.`);
  const detail = [
    ...orders.map((m) => `- ${capitalise(unidentifiedOrderText(m, kind))}.`),
    where === 'selected'
      ? 'Without knowing the drug, no weight-based dose can be computed for it; choose a coded glucocorticoid order to get a dose suggestion.'
      : 'It may be a systemic glucocorticoid or clarithromycin already running: if so, adjust that order rather than starting a new course.',
  ];
  const evidence: Evidence[] = orders.map((m) => medicationEvidence(where === 'selected' ? 'Selected order' : 'Active order (not identified)', m));
  if (facts.cop.condition) evidence.push(conditionEvidence('COP diagnosis', facts.cop.condition));
  return { ruleId: 'COP-R01', indicator: where === 'patient-view' ? 'info' : 'warning', summary, detail, evidence, overrideReasons: R01_OVERRIDE_REASONS, citations: CITATIONS };
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** order-select with an unidentified order in play: the selected draft itself, or an active order beside a selected glucocorticoid. */
function unidentifiedAtSelect(facts: PatientFacts): Finding | undefined {
  if (!facts.cop.present || !isAdult(facts)) return undefined;
  const selectedUnidentified = facts.medications.drafts.filter((d) => d.selected && isUnidentified(d));
  if (selectedUnidentified.length > 0) return unidentifiedOrdersFinding(facts, selectedUnidentified, 'selected');
  if (!selectedGlucocorticoidDraft(facts) || activeGlucocorticoids(facts).length > 0) return undefined;
  const unidentified = unidentifiedActiveOrders(facts);
  return unidentified.length > 0 ? unidentifiedOrdersFinding(facts, unidentified, 'active') : undefined;
}

export function evaluateR01(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook === 'patient-view') return untreatedReminder(facts, context);
  if (context.hook !== 'order-select') return undefined;
  const unidentified = unidentifiedAtSelect(facts);
  if (unidentified) return unidentified;
  const draft = selectedDraftForInitialDose(facts);
  const kg = facts.weight.kg;
  if (!draft || !kg) return undefined;
  const plan = initialPhasePlan(kg.value, context.thresholds, context.formulary);
  const detail = detailFor(facts, plan, context);
  const suggestions = suggestionsFor(facts, draft, plan, context);
  if (suggestions.length === 0) {
    detail.push('The selected draft has no id, so it cannot be updated from this card: enter the dose in the order.');
  }
  const finding: Finding = {
    ruleId: 'COP-R01',
    indicator: facts.weight.state === 'stale' ? 'warning' : 'info',
    summary: summaryFor(facts, plan, context),
    detail,
    evidence: evidenceFor(facts, draft),
    overrideReasons: R01_OVERRIDE_REASONS,
    citations: CITATIONS,
    links: [taperAppLink(kg, context)],
  };
  if (suggestions.length > 0) finding.suggestions = suggestions;
  return finding;
}

export const r01: Rule = {
  id: 'COP-R01',
  title: 'Initial glucocorticoid dose suggestion',
  purpose: 'order-select: for an untreated adult with COP and a usable weight, offers the weight-based starting dose (rounded, capped) as an update of the selected draft, or the sequenced 24-week taper. patient-view: reminds that COP is recorded and untreated.',
  hooks: ['order-select', 'patient-view'],
  reads: ['patient', 'conditions', 'weight', 'encounter', 'meds'],
  readsOn: { 'order-select': ['oxygenation', 'pft', 'pregnancy', 'allergies'], 'patient-view': ['medsHistory'] },
  thresholds: [...DOSING, 'lowBodyWeightKg', 'initialPhaseDays', ...P_WEIGHT, 'untreatedReminderMaxCopAgeDays', ...CLARITHROMYCIN_GATES],
  citations: CITATIONS,
  overrideReasons: R01_OVERRIDE_REASONS,
  reviewNotes: ['The taper steps (§2.2: 2/3 of the starting dose, then 20, 10 and 5 mg) are the catalog\'s, not a published regimen.'],
  evaluate: evaluateR01,
};
