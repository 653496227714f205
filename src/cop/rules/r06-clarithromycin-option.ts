/**
 * COP-R06: clarithromycin as a low-certainty alternative (decision 4: its suggestion deletes the
 * glucocorticoid draft and creates the clarithromycin order).
 *
 * At order-select, when a systemic glucocorticoid is being selected for COP and every gate of
 * clarithromycin-gates.ts is met, the card offers (isRecommended:false) to replace the selected
 * glucocorticoid draft with clarithromycin 500 mg b.d. × 90 days: one suggestion, two actions
 * (delete the draft, create the clarithromycin order). When a gate is unknown there is no card;
 * COP-R01 carries the "not assessed" line. When a gate fails there is no card either.
 */
import type { PatientFacts } from '../facts-types.js';
import type { CitationKey } from '../knowledge.js';
import { glucocorticoidName } from '../formulary.js';
import { buildClarithromycinRequest } from '../order-assembly.js';
import type { Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { assessClarithromycinGates } from './clarithromycin-gates.js';
import { draftsOfClass, durationText, selectedGlucocorticoidDraft } from './shared.js';
import { CLARITHROMYCIN_GATES } from './predicate-thresholds.js';

const CITATIONS: CitationKey[] = ['RADZ-2017', 'RADZ-ERS-2016', 'GERMOP-2018', 'ZHOU-2019'];

/** Already on or drafting clarithromycin: offering it again would create a duplicate order. */
const hasClarithromycin = (facts: PatientFacts): boolean =>
  draftsOfClass(facts, 'clarithromycin').length > 0 || facts.medications.active.some((m) => m.classes.includes('clarithromycin'));

export function evaluateR06(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'order-select') return undefined;
  const selected = selectedGlucocorticoidDraft(facts);
  if (!selected || !facts.cop.present || hasClarithromycin(facts)) return undefined;
  const gates = assessClarithromycinGates(facts, context);
  if (gates.status !== 'eligible') return undefined;

  const t = context.thresholds;
  const regimen = `clarithromycin ${t.clarithromycinDoseMg} mg twice daily for ${t.clarithromycinDays} days`;
  const detail = [
    // Decision 21: each criterion names what it rests on, never a fact that is not recorded. The
    // line states every datum with its date.
    `Criteria met: ${gates.met.join('; ')}.`,
    'Retrospective data: fewer relapses and adverse events than with prednisone, in milder patients, some of whom did not respond (Radzikowska 2017).',
    'Check QTc and drug interactions before signing.',
  ];
  const resourceId = selected.id ? `MedicationRequest/${selected.id}` : undefined;
  const drug = glucocorticoidName(context.formulary);
  const suggestions: FindingSuggestion[] = resourceId
    ? [{
        label: `Use ${regimen} instead of ${drug}`,
        isRecommended: false,
        // Create first: a client that applies only a suggestion's first action (the CDS Hooks
        // Sandbox does) then drafts clarithromycin instead of emptying the order.
        actions: [
          {
            type: 'create',
            description: `Clarithromycin ${t.clarithromycinDoseMg} mg by mouth twice daily for ${durationText(t.clarithromycinDays)}`,
            resource: buildClarithromycinRequest({ patientId: facts.patientId, thresholds: t, intent: context.medicationRequestIntent }),
          },
          { type: 'delete', description: `Remove the selected ${selected.name} draft`, resourceId },
        ],
      }]
    : [];
  // Without an id the glucocorticoid draft cannot be removed, and adding clarithromycin beside it
  // would leave two COP treatments drafted; the card then informs without a suggestion.
  if (!resourceId) detail.push('The selected draft has no id, so replace it by hand.');

  const finding: Finding = {
    ruleId: 'COP-R06',
    indicator: 'info',
    summary: `Option for mild COP (preserved PFTs, no respiratory insufficiency): clarithromycin ${t.clarithromycinDoseMg} mg b.d. for ${t.clarithromycinDays} days (observational data)`,
    detail,
    // The criteria line carries the data with its dates, so they stay off the "Data used" line;
    // the extension still names each Observation the gates read.
    evidence: gates.evidence.map((e) => ({ ...e, statedInDetail: true })),
    citations: CITATIONS,
  };
  if (suggestions.length > 0) finding.suggestions = suggestions;
  return finding;
}

export const r06: Rule = {
  id: 'COP-R06',
  title: 'Clarithromycin as an alternative (low certainty)',
  purpose: 'All clarithromycin gates met (no respiratory insufficiency, preserved PFTs, not pregnant, no macrolide allergy or interacting drug): offers clarithromycin for 3 months instead of the glucocorticoid, not recommended by default (observational data).',
  hooks: ['order-select'],
  reads: ['patient', 'conditions', 'oxygenation', 'pft', 'pregnancy', 'allergies', 'meds'],
  thresholds: ['clarithromycinDoseMg', 'clarithromycinDays', ...CLARITHROMYCIN_GATES],
  citations: CITATIONS,
  background: [
    'Radzikowska 2017 (PLoS ONE) is a retrospective single-centre comparison of clarithromycin with prednisone in organizing pneumonia without respiratory insufficiency; its congress abstract (Radzikowska 2016, ERS) gives the regimen of 500 mg twice daily for 3 months. Relapse was less frequent and adverse events fewer than with prednisone, but the patients treated with clarithromycin had milder disease (confounding by indication), and some did not respond.',
    'A 12-week clarithromycin + prednisone regimen showed no benefit over the standard 24-week prednisone-alone regimen (GERM"O"P 2018). Observational data only: the option is offered, never recommended by default.',
    'Clarithromycin has clinically important interactions (e.g. simvastatin, lovastatin, colchicine, pimozide, ergot alkaloids, lomitapide) and prolongs the QT interval: the card asks for a QTc and interaction check before signing, and the EHR interaction check still applies.',
    'Supportive but small: in Zhou 2019, 11 patients treated with a macrolide had no relapse.',
  ],
  reviewNotes: ['The interacting-drug list is label-based (simvastatin, lovastatin, colchicine, pimozide, ergot alkaloids, lomitapide, QT-prolonging drugs); the EHR interaction check still applies.'],
  evaluate: evaluateR06,
};
