/**
 * order-sign's context has no `selections` in CDS Hooks 2.0, but EHRs that reuse their order-select
 * payload send them. A list of references is checked as on order-select; anything else is the
 * client's mistake and gets a 400 naming the field, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { medicationRequest, orderSignRequest } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const { http } = useApp();
const SIGN = '/cds-services/cop-order-sign';
const draft = medicationRequest('draft-1', '198145', 'prednisone 10 MG Oral Tablet', 'draft', { value: 10, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });

function withSelections(selections: unknown): Record<string, unknown> {
  const body = orderSignRequest({ drafts: [draft] }) as { context: Record<string, unknown> };
  return { ...body, context: { ...body.context, selections } };
}

describe('order-sign with selections', () => {
  it.each([['a string', 'MedicationRequest/draft-1'], ['a number', 7], ['an object', { a: 1 }], ['a list of numbers', [1, 2]]])(
    'selections as %s: 400 with the field named',
    async (_label, selections) => {
      const res = await http().post(SIGN).send(withSelections(selections)).expect(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body)).toContain('context.selections');
    },
  );

  it('a selection naming a draft order is accepted; one naming nothing is refused as on order-select', async () => {
    await http().post(SIGN).send(withSelections(['MedicationRequest/draft-1'])).expect(200);
    const res = await http().post(SIGN).send(withSelections(['MedicationRequest/nowhere'])).expect(400);
    expect(JSON.stringify(res.body)).toContain('not in draftOrders: MedicationRequest/nowhere');
  });

  it('no selections at all is the usual order-sign call', async () => {
    await http().post(SIGN).send(withSelections(undefined)).expect(200);
  });
});
