/**
 * COP-R15: baseline PFTs missing.
 *
 * P-COP and neither FVC % predicted nor DLCO within the PFT window → info + a PFT panel order.
 * When the PFT data could not be read at all, the card says so instead of claiming there are
 * none, and suggests no order, because PFTs may well exist (unknown ≠ normal, never infer).
 * Runs on order-select and patient-view (decision 5).
 */
import type { PatientFacts, ServiceRequestFact } from '../facts-types.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { buildServiceRequest, LOINC } from '../service-orders.js';
import { activeGlucocorticoids, compactNumber, conditionEvidence, evidenceOf } from './shared.js';

/** LOINC 81458-2 (C: PFT FHIR IG), as in COP-R14. */
export const PFT_PANEL = { system: LOINC, code: '81458-2', display: 'Pulmonary function test panel' } as const;

const WHY = 'needed to judge severity, monitor response and assess the clarithromycin option';

/** One sentence of evidence: what the PFTs decide in the cited series. */
const EVIDENCE = 'Lung function decided who could take clarithromycin (Radzikowska 2016), and DLCO was used to follow COP (Zhou 2019).';

/** A PFT panel already drafted or requested, so the card does not suggest a second one. */
const OPEN_STATUSES = new Set(['draft', 'active', 'on-hold']);
function openPftRequest(facts: PatientFacts): ServiceRequestFact | undefined {
  return facts.serviceRequests.find(
    (sr) => (sr.status === undefined || OPEN_STATUSES.has(sr.status)) && sr.codes.some((c) => c.system === LOINC && c.code === PFT_PANEL.code),
  );
}

function pftOrderSuggestion(facts: PatientFacts): FindingSuggestion {
  // On patient-view the patient may already be on treatment: then the PFTs monitor the response.
  const onTreatment = activeGlucocorticoids(facts).length > 0;
  return {
    label: 'Order pulmonary function tests',
    isRecommended: false,
    actions: [{
      type: 'create',
      description: 'Pulmonary function test panel (spirometry and DLCO)',
      resource: buildServiceRequest({
        patientId: facts.patientId,
        coding: { ...PFT_PANEL },
        text: 'Pulmonary function test panel (spirometry with FVC/FEV1 % predicted and DLCO)',
        category: 'procedure',
        note: onTreatment
          ? 'CDS COP-R15: PFTs to monitor the response to COP treatment (none in the record window).'
          : 'CDS COP-R15: baseline PFTs before/at the start of COP treatment.',
      }),
    }],
  };
}

function copEvidence(facts: PatientFacts): Evidence[] {
  return facts.cop.condition ? [conditionEvidence('COP diagnosis', facts.cop.condition)] : [];
}

function unreadableFinding(facts: PatientFacts, windowDays: number): Finding {
  return {
    ruleId: 'COP-R15',
    indicator: 'info',
    summary: `PFT results could not be read: check the chart for PFTs from the last ${windowDays} days before ordering.`,
    detail: [
      `PFT observations could not be retrieved, so this service cannot tell whether baseline PFTs exist. Baseline PFTs are ${WHY}.`,
      'No order is suggested, because recent PFTs may exist in the record.',
    ],
    evidence: copEvidence(facts),
    citations: ['RADZ-ERS-2016', 'ZHOU-2019'],
  };
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if ((context.hook !== 'order-select' && context.hook !== 'patient-view') || !facts.cop.present) return undefined;
  const { pft } = facts;
  const windowDays = context.thresholds.pftWindowDays;
  if (pft.domain === 'unavailable') return unreadableFinding(facts, windowDays);
  // FEV1 alone does not count: a baseline needs FVC % predicted or DLCO.
  if (pft.fvcPercentPredicted || pft.dlco) return undefined;

  const pending = openPftRequest(facts);
  const detail = [`No FVC % predicted and no DLCO within the last ${windowDays} days.`];
  if (pft.absoluteOnly) detail.push('Only absolute FVC/FEV1 volumes were found; predicted values are not computed by this service.');
  if (pending) detail.push(`A PFT panel is already ${pending.status ?? 'requested'}${pending.date ? ` (${pending.date.slice(0, 10)})` : ''}, so no new order is suggested.`);
  detail.push(EVIDENCE);

  const evidence: Evidence[] = [...copEvidence(facts)];
  if (pft.fev1PercentPredicted) evidence.push({ ...evidenceOf('FEV1 % predicted', pft.fev1PercentPredicted, 0), value: `${compactNumber(pft.fev1PercentPredicted.value, 0)}%` });
  const finding: Finding = {
    ruleId: 'COP-R15',
    indicator: 'info',
    summary: pending ? `No recent PFTs: the requested PFT panel is ${WHY}.` : `No recent PFTs: order spirometry and DLCO, ${WHY}.`,
    detail,
    evidence,
    citations: ['RADZ-ERS-2016', 'ZHOU-2019'],
  };
  if (!pending) finding.suggestions = [pftOrderSuggestion(facts)];
  return finding;
}

export const r15: Rule = {
  id: 'COP-R15',
  title: 'Baseline PFTs missing',
  purpose: 'No FVC % predicted or DLCO recently: suggests a PFT panel, needed to judge severity, follow the response and assess the clarithromycin option.',
  hooks: ['order-select', 'patient-view'],
  reads: ['conditions', 'pft', 'followUp'],
  thresholds: ['pftWindowDays'],
  citations: ['RADZ-ERS-2016', 'ZHOU-2019'],
  evaluate,
};
