/**
 * COP-R01: initial glucocorticoid dose suggestion: the weight-based initial phase, the sequenced
 * 24-week taper, and the reasons a clinician may give for overriding them.
 *
 * order-select: when the clinician selects a systemic glucocorticoid draft for an untreated adult
 * COP patient with a usable weight, the card offers to rewrite that draft (same id, decision 4) as
 * the weight-based initial phase, or as the sequenced 24-week taper.
 * patient-view: the untreated-COP reminder, information only (no suggestion, no weight needed).
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import { ageInWords } from '../cards.js';
import type { Measurement, MedicationFact, PatientFacts } from '../facts-types.js';
import type { CitationKey } from '../knowledge.js';
import { taperPlan } from '../dosing.js';
import { glucocorticoidName, initialPhasePlan, tabletCountText, type InitialPhasePlan } from '../formulary.js';
import { buildInitialPhaseRequest, buildTaperRequest, type GlucocorticoidOrderSpec } from '../order-assembly.js';
import { MAX_SUMMARY_LENGTH, type Evidence, type Finding, type FindingLink, type FindingSuggestion, type OverrideReason, type Rule, type RuleContext } from '../rule-types.js';
import { assessClarithromycinGates, notAssessedLine } from './clarithromycin-gates.js';
import {
  activeGlucocorticoids, cardReasonText, compactNumber, conditionRecordDay, draftGlucocorticoids, durationText, evidenceOf,
  fitSummary, isAdult, isUnidentified, mgPerKgText, oneDecimal, selectedGlucocorticoidDraft, shortConditionEvidence,
  shortMedicationEvidence, unidentifiedActiveOrders, unidentifiedOrdersText, unitText, usableWeight,
} from './shared.js';
import { CLARITHROMYCIN_GATES, DOSING, P_WEIGHT } from './predicate-thresholds.js';

const CITATIONS: CitationKey[] = ['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022'];

/** Why a clinician may decline the suggested dose: a specialist regimen, or mild disease to observe. */
export const R01_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'specialist-plan', display: 'Specialist regimen in place' },
  { code: 'observation-mild', display: 'Mild disease – observe' },
];

/**
 * When COP-R01 fires at order-select: P-COP, P-ADULT, P-WEIGHT fresh or stale, no P-GC-ACTIVE,
 * and no draft systemic glucocorticoid other than the one selected (two drafts are R04's).
 */
function selectedDraftForInitialDose(facts: PatientFacts): MedicationFact | undefined {
  const selected = selectedGlucocorticoidDraft(facts);
  if (!selected || !facts.cop.present || !isAdult(facts) || !usableWeight(facts)) return undefined;
  if (activeGlucocorticoids(facts).length > 0) return undefined;
  const otherDrafts = draftGlucocorticoids(facts).filter((d) => d !== selected && d.reference !== selected.reference);
  return otherDrafts.length > 0 ? undefined : selected;
}

/** "0.75 mg/kg × 60 kg" (the summary's dose basis). */
const basisText = (plan: InitialPhasePlan): string => `${mgPerKgText(plan.dose.mgPerKg)} mg/kg × ${compactNumber(plan.dose.kg)} kg`;

/** "usual range 30–60 mg", or "usual range capped at 60 mg" for a weight whose whole range is capped. */
const usualRangeText = ({ lowMg, highMg }: InitialPhasePlan['range']): string =>
  lowMg === highMg ? `usual range capped at ${highMg} mg` : `usual range ${lowMg}–${highMg} mg`;

/** The first option that fits the summary limit (the last always does). */
const firstFitting = (...options: string[]): string => options.find((o) => o.length <= MAX_SUMMARY_LENGTH) ?? options[options.length - 1]!;

function summaryFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string {
  const weight = facts.weight.kg;
  const drug = glucocorticoidName(context.formulary);
  const { dose } = plan;
  const capped = dose.capped ? 'capped; ' : '';
  if (facts.weight.state === 'stale') {
    // The age of the weight is the one thing the clinician must act on before accepting the dose.
    const confirm = weight?.ageDays !== undefined
      ? `Weight is ${weight.ageDays} days old – confirm before ordering`
      : 'Weight date unknown – confirm before ordering';
    return firstFitting(
      `${confirm}. Suggested starting ${drug} ${dose.doseMg} mg once daily (${capped}${basisText(plan)}).`,
      `${confirm}. Suggested starting ${drug} ${dose.doseMg} mg once daily.`,
      confirm,
    );
  }
  // The card's gist: the starting dose, its basis and the usual range.
  const range = usualRangeText(plan.range);
  const start = `COP: suggested starting ${drug} ${dose.doseMg} mg once daily`;
  return firstFitting(
    `${start} (${capped}${basisText(plan)}); ${range}. Taper over months; total 6–12 months.`,
    `${start} (${capped}${basisText(plan)}); ${range.replace('usual range ', 'usual ')}. Taper over months; total 6–12 months.`,
    `${start} (${capped}${basisText(plan)}); ${range}. Taper over months.`,
    `${start}; ${range}. Taper over months.`,
  );
}

/**
 * "0.75 mg/kg × 59.9 kg = 44.9 mg, rounded to 45 mg": the card's arithmetic (the order note keeps
 * every digit). A stale weight says how old it is where it is used: "× 60.0 kg (45 days old)".
 */
function cardComputationText(facts: PatientFacts, plan: InitialPhasePlan): string {
  const d = plan.dose;
  const age = facts.weight.state === 'stale' ? ` (${facts.weight.kg?.ageDays ?? 'an unknown number of'} days old)` : '';
  let text = `${mgPerKgText(d.mgPerKg)} mg/kg × ${oneDecimal(d.kg)} kg${age} = ${compactNumber(d.rawMg, 1)} mg`;
  if (d.capped) text += `, capped at ${d.doseMg} mg/day`;
  else if (Math.abs(d.roundedMg - d.rawMg) > 1e-9) text += `, rounded to ${d.roundedMg} mg`;
  return text;
}

/** The freshness window that applies to this patient (inpatient or not). */
const freshDays = (facts: PatientFacts, t: RuleContext['thresholds']): number =>
  facts.inpatient ? t.weightFreshDaysInpatient : t.weightFreshDays;

/**
 * A gate text short enough for R01's one line (COP-R06's card gives the full basis when the option
 * is offered): the phrase before its values, dates and parenthesised detail. Interacting drugs
 * keep their names.
 */
function shortGateText(text: string): string {
  if (text.startsWith('interacting drug active: ')) return text.length > 80 ? `${text.slice(0, 79).trimEnd()}…` : text;
  return cardReasonText(text.split(/ \(|: |, (?=\d{4}-)|; /)[0] ?? text).replace(/^recent /, '').replace(/ ≤(\d+) days/, ' in $1 days');
}

/**
 * What is missing, up to two gates (each is something to collect), or the first gate that rules
 * the option out (one is enough); the rest are counted.
 */
function gateItems(texts: string[], named: number): { items: string[]; more: number } {
  const items = [...new Set(texts.map(shortGateText))];
  return { items: items.slice(0, named), more: Math.max(0, items.length - named) };
}

function gateLine(facts: PatientFacts, context: RuleContext): string | undefined {
  const gates = assessClarithromycinGates(facts, context);
  if (gates.status === 'not-assessed') {
    const { items, more } = gateItems(gates.missing, 2);
    return notAssessedLine(more > 0 ? [...items.slice(0, -1), `${items.at(-1)}, and ${more} more`] : items);
  }
  if (gates.status === 'not-eligible') {
    const { items, more } = gateItems(gates.reasons, 1);
    return `Clarithromycin option ruled out: ${items[0]}${more > 0 ? ` (and ${more} more)` : ''}.`;
  }
  return undefined;
}

function detailFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string[] {
  const t = context.thresholds;
  const drug = glucocorticoidName(context.formulary);
  const { dose, tablet } = plan;
  const lines = [
    `Start ${drug} **${dose.doseMg} mg once daily** for ${durationText(plan.days)}, then taper: ` +
      `${cardComputationText(facts, plan)} (${tabletCountText(dose.doseMg, tablet).replace(' x ', ' × ')}); ` +
      `usual ${mgPerKgText(t.minMgPerKg)}–${mgPerKgText(t.maxMgPerKg)} mg/kg/day.`,
  ];
  if (dose.kg < t.lowBodyWeightKg) lines.push(`Low body weight (< ${t.lowBodyWeightKg} kg): check the dose.`);
  lines.push('Delayed treatment was linked to more relapses; a standardised taper cut cumulative dose without worse outcomes (Lazor 2000).');
  const gates = gateLine(facts, context);
  if (gates) lines.push(gates);
  return lines;
}

function evidenceFor(facts: PatientFacts, draft: MedicationFact, now: Date): Evidence[] {
  const evidence: Evidence[] = [];
  const kg = facts.weight.kg;
  if (kg) {
    const weight = evidenceOf('Weight', kg);
    if (kg.original && kg.original.unit !== kg.unit) weight.value += ` (${kg.original.value} ${unitText(kg.original.unit)})`;
    evidence.push(weight);
  }
  if (facts.cop.condition) evidence.push(shortConditionEvidence('COP diagnosis', facts.cop.condition));
  // The order the suggestions rewrite (its reference goes to the card's evidence extension).
  evidence.push(shortMedicationEvidence('Selected order', draft, now));
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
 * The link to the taper-plan app, by name (the CDS layer knows its launch URL): its appContext
 * carries the plan's inputs (the weight the card used, where it came from, the formulary), so the
 * app shows the same plan as the card.
 */
export function taperAppLink(kg: Measurement, context: RuleContext): FindingLink {
  const appContext = {
    weightKg: kg.value,
    ...(kg.reference ? { weightObservation: kg.reference } : {}),
    ...(kg.date ? { weightDate: kg.date } : {}),
    formulary: context.formulary,
  };
  return { app: 'taper-plan', label: TAPER_APP_LABEL, appContext: JSON.stringify(appContext) };
}

// ---------------------------------------------------------------------------------------------
// patient-view variant: the untreated-COP reminder

/** The weight line of the reminder, when the weight needs attention (a fresh one is in the data used). */
function reminderWeightLine(facts: PatientFacts, context: RuleContext): string | undefined {
  const w = facts.weight;
  if (w.domain === 'unavailable') return 'Body weight could not be read here; it is checked when a glucocorticoid is ordered.';
  if (w.state === 'fresh' && w.kg) return undefined;
  if (w.state === 'stale' && w.kg) {
    return `Weight is ${w.kg.ageDays ?? 'an unknown number of'} days old (fresh ≤ ${freshDays(facts, context.thresholds)} days): re-measure before ordering.`;
  }
  return `No usable body weight: ${cardReasonText(w.reason ?? `weight ${w.state}`)}. Record one before ordering.`;
}

function reminderEvidence(facts: PatientFacts): Evidence[] {
  const evidence: Evidence[] = [];
  if (facts.cop.condition) evidence.push(shortConditionEvidence('COP diagnosis', facts.cop.condition));
  if (facts.age.status === 'known') evidence.push({ label: 'Age', value: `${facts.age.years} years` });
  const kg = usableWeight(facts);
  if (kg) evidence.push(evidenceOf('Weight', kg));
  else if (facts.weight.latest) {
    const { value, unit } = facts.weight.latest.original ?? facts.weight.latest;
    evidence.push({ ...evidenceOf('Last weight', facts.weight.latest), value: `${compactNumber(value)} ${unitText(unit)}` });
  }
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
 * COP-R01's patient-view variant: P-COP, P-ADULT, no P-GC-ACTIVE and no draft → info "COP recorded,
 * no treatment ordered", never a suggestion (the clinician starts the order-select flow).
 * Suppressed while clarithromycin is active (that is a treatment). No weight is needed: the card
 * only says whether ordering will be able to compute a dose.
 */
function untreatedReminder(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present || !isAdult(facts)) return undefined;
  // Without the medication list, "no treatment ordered" cannot be known.
  if (facts.medications.domain === 'unavailable') return undefined;
  if (activeGlucocorticoids(facts).length > 0 || draftGlucocorticoids(facts).length > 0) return undefined;
  if (facts.medications.active.some((m) => m.classes.includes('clarithromycin'))) return undefined;
  // Decision 10: an order nothing identifies may be the treatment; "no treatment ordered" is then unknown.
  const unidentified = unidentifiedActiveOrders(facts);
  if (unidentified.length > 0) return unidentifiedOrdersFinding(facts, unidentified, 'patient-view', context.now);
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
  const when = recorded ? ` ${recorded}${recordedAgo !== undefined && recordedAgo >= 0 ? ` (${ageInWords(recordedAgo)})` : ''}` : '';
  const next = facts.weight.domain === 'unavailable'
    ? ''
    : kg ? `: select a ${drug} order to get a weight-based starting dose` : `: record a body weight, then select a ${drug} order`;
  const summary = history.readable
    ? firstFitting(`COP recorded${when}, no treatment ordered${next}.`, `COP recorded${when}, no treatment ordered.`, 'COP recorded, no treatment ordered.')
    : firstFitting(
      `COP recorded${when}: no active treatment order; past orders could not be read. Check for an earlier course.`,
      `COP recorded${when}: no active treatment order; past orders could not be read.`,
      'COP recorded: no active treatment order; past orders could not be read.',
    );
  const weightLine = reminderWeightLine(facts, context);
  return {
    ruleId: 'COP-R01',
    indicator: 'info',
    summary,
    detail: [
      history.readable
        ? 'No systemic glucocorticoid or clarithromycin order since the COP began (active or past).'
        : 'No active systemic glucocorticoid or clarithromycin order; past orders could not be read, so an earlier course cannot be ruled out.',
      ...(weightLine ? [weightLine] : []),
      `Usual start ${mgPerKgText(t.minMgPerKg)}–${mgPerKgText(t.maxMgPerKg)} mg/kg/day ${drug} (at most ${t.maxDailyDoseMg} mg/day), tapered over months; ` +
        'delayed treatment was associated with more relapses (Lazor 2000).',
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
function unidentifiedOrdersFinding(facts: PatientFacts, orders: MedicationFact[], where: 'patient-view' | 'active' | 'selected', now: Date): Finding {
  const what = where === 'selected'
    ? 'the selected order\'s medication could not be identified'
    : orders.length === 1 ? 'an active medication order could not be identified' : `${orders.length} active medication orders could not be identified`;
  const summary = where === 'patient-view'
    ? fitSummary(`COP recorded; treatment unknown: ${what}. Check the medication list.`, 'COP recorded; an active medication order could not be identified.')
    : fitSummary(`No COP starting dose suggested: ${what}. Check the medication list.`, `No COP starting dose suggested: ${what}.`);
  const noun = where === 'selected' ? 'The selected order' : orders.length === 1 ? 'The active order' : `The ${orders.length} active orders`;
  const { sharedReason: shared, evidence } = unidentifiedOrdersText(orders, where === 'selected' ? 'Selected order' : 'Unidentified order', now);
  if (facts.cop.condition) evidence.push(shortConditionEvidence('COP diagnosis', facts.cop.condition));
  const detail = [
    `${noun} could not be identified${shared ? `: ${shared}` : ''}.`,
    where === 'selected'
      ? 'Without the drug no weight-based dose can be computed: choose a coded glucocorticoid order to get a dose suggestion.'
      : 'It may be a systemic glucocorticoid or clarithromycin already running: if so, adjust that order rather than starting a new course.',
  ];
  return { ruleId: 'COP-R01', indicator: where === 'patient-view' ? 'info' : 'warning', summary, detail, evidence, overrideReasons: R01_OVERRIDE_REASONS, citations: CITATIONS };
}

/** order-select with an unidentified order in play: the selected draft itself, or an active order beside a selected glucocorticoid. */
function unidentifiedAtSelect(facts: PatientFacts, now: Date): Finding | undefined {
  if (!facts.cop.present || !isAdult(facts)) return undefined;
  const selectedUnidentified = facts.medications.drafts.filter((d) => d.selected && isUnidentified(d));
  if (selectedUnidentified.length > 0) return unidentifiedOrdersFinding(facts, selectedUnidentified, 'selected', now);
  if (!selectedGlucocorticoidDraft(facts) || activeGlucocorticoids(facts).length > 0) return undefined;
  const unidentified = unidentifiedActiveOrders(facts);
  return unidentified.length > 0 ? unidentifiedOrdersFinding(facts, unidentified, 'active', now) : undefined;
}

export function evaluateR01(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook === 'patient-view') return untreatedReminder(facts, context);
  if (context.hook !== 'order-select') return undefined;
  const unidentified = unidentifiedAtSelect(facts, context.now);
  if (unidentified) return unidentified;
  const draft = selectedDraftForInitialDose(facts);
  const kg = facts.weight.kg;
  if (!draft || !kg) return undefined;
  const plan = initialPhasePlan(kg.value, context.thresholds, context.formulary);
  const detail = detailFor(facts, plan, context);
  const suggestions = suggestionsFor(facts, draft, plan, context);
  if (suggestions.length === 0) {
    detail.push('This draft has no id to update: enter the dose in the order.');
  }
  const finding: Finding = {
    ruleId: 'COP-R01',
    indicator: facts.weight.state === 'stale' ? 'warning' : 'info',
    summary: summaryFor(facts, plan, context),
    detail,
    evidence: evidenceFor(facts, draft, context.now),
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
  background: [
    'Starting dose: 0.75 mg/kg/day prednisone (or prednisolone, 1:1), rounded to 5 mg and capped at 60 mg/day; usual range 0.5–1.0 mg/kg/day, typically 40–60 mg/day, ' +
      'for 4–8 weeks, then a gradual taper; total 6–12 months. This matches cohort practice (about 50 mg/day in Lohr 1997; mean 0.73 mg/kg/day in the ' +
      'Radzikowska 2016 prednisone arm; a standard 24-week prednisone regimen in GERM"O"P 2018), but no guideline text recommends exactly this range.',
    'Lazor 2000 (48 patients): patients with three or more relapses had longer delays from first symptoms to treatment (22 ± 17 vs 11 ± 8 weeks, group ' +
      'means; retrospective, 9 vs 20 patients), so the authors concluded that delayed treatment increases the risk of relapse; a standardised treatment ' +
      'in 14 patients reduced cumulative prednisone doses without affecting outcome or relapse rate. Relapses did not adversely affect outcome.',
    'The optional 24-week taper steps down from the starting dose to 2/3 of it, then 20, 10 and 5 mg (never rising: a step equal to the one before merges into it).',
    'The untreated reminder (patient-view) suggests no order: whether and when to treat stays with the clinician, and selecting a glucocorticoid order gives ' +
      'the weight-based dose and taper. It reads past orders, so a COP already treated (a completed or stopped course) gets no reminder.',
    'The clarithromycin alternative (COP-R06) is offered only when all its gates are met; this card names what was missing when a gate could not be assessed, ' +
      'or which gate rules the option out.',
  ],
  reviewNotes: ['The taper steps (§2.2: 2/3 of the starting dose, then 20, 10 and 5 mg) are the catalog\'s, not a published regimen.'],
  evaluate: evaluateR01,
};
