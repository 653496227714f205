/**
 * The service checks what it reads. An Observation whose code no rule reads (most of a long chart:
 * temperatures, heart rates, …) is checked only up to its code: a malformed element elsewhere in it
 * costs the call nothing. An Observation the rules do read gets the same 400 as before, and a code
 * that cannot be read is a 400 whatever the Observation is.
 */
import { describe, expect, it } from 'vitest';
import { observation, orderSelectRequest, searchset, weight } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const { http } = useApp();
const SELECT = '/cds-services/cop-order-select';
const BODY_TEMPERATURE = '8310-5';
const broken = { valueQuantity: { value: 'thirty-seven', unit: 'Cel' } };

function withObservations(...extra: Record<string, unknown>[]): Record<string, unknown> {
  return orderSelectRequest({ prefetch: { weight: searchset(weight(72), ...extra) } }) as Record<string, unknown>;
}

describe('observations no rule reads', () => {
  it('a malformed value on an Observation by an unread code: answered as usual (its weight dose)', async () => {
    const res = await http().post(SELECT).send(withObservations({ ...observation('temp-1', BODY_TEMPERATURE, 37, 'Cel', 1), ...broken })).expect(200);
    expect(JSON.stringify(res.body)).toContain('55 mg');
  });

  it('the same malformed value on an Observation the rules read (body weight): 400 naming it', async () => {
    const res = await http().post(SELECT).send(withObservations({ ...observation('weight-2', '29463-7', 70, 'kg', 2), ...broken })).expect(400);
    expect(JSON.stringify(res.body)).toContain('Observation/weight-2');
    expect(JSON.stringify(res.body)).toContain('valueQuantity.value');
  });

  it('a read code among other codings still makes it read', async () => {
    const both = observation('weight-3', '29463-7', 70, 'kg', 2) as { code: { coding: unknown[] } };
    both.code.coding.unshift({ system: 'http://loinc.org', code: BODY_TEMPERATURE });
    await http().post(SELECT).send(withObservations({ ...both, ...broken })).expect(400);
  });

  it('a code that cannot be read is a 400 whatever the Observation is', async () => {
    const res = await http().post(SELECT).send(withObservations({ ...observation('temp-2', BODY_TEMPERATURE, 37, 'Cel', 1), code: { coding: 'not-a-list' } })).expect(400);
    expect(JSON.stringify(res.body)).toContain('Observation/temp-2');
  });
});
