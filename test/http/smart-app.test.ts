/**
 * The taper-plan SMART app (issue 6): GET /smart/plan computes the plan with taperPlan, the static
 * pages are served with their own CSP, and COP-R01's card links to the app (`type: smart`, with the
 * plan's inputs as appContext) while citations stay absolute links.
 */
import { describe, expect, it } from 'vitest';
import { orderSelectRequest, searchset, weight } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, stepDoses, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const { http } = useApp({ publicBaseUrl: 'https://cds.example.org' });

describe('GET /smart/plan', () => {
  it('gives the 24-week plan for 60 kg: 45/30/20/10/5 mg over 168 days, never above 60 mg', async () => {
    const res = await http().get('/smart/plan?weightKg=60&formulary=us').expect(200);
    const plan = res.body;
    expect(plan.steps.map((s: { doseMg: number }) => s.doseMg)).toEqual([45, 30, 20, 10, 5]);
    expect(plan.totalDays).toBe(168);
    expect(plan.days).toHaveLength(168);
    expect(plan.days[0]).toMatchObject({ day: 1, week: 1, doseMg: 45, step: 1, stepStart: true });
    expect(plan.days[167]).toMatchObject({ day: 168, week: 24, doseMg: 5 });
    expect(plan.drug).toBe('prednisone');
    expect(Math.max(...plan.days.map((d: { doseMg: number }) => d.doseMg))).toBeLessThanOrEqual(60);
    expect(plan.cumulativeMg).toBe(plan.days.reduce((n: number, d: { doseMg: number }) => n + d.doseMg, 0));
  });

  it('caps a heavy patient at 60 mg and follows the formulary', async () => {
    const plan = (await http().get('/smart/plan?weightKg=140&formulary=uk').expect(200)).body;
    expect(plan.drug).toBe('prednisolone');
    expect(Math.max(...plan.days.map((d: { doseMg: number }) => d.doseMg))).toBe(60);
  });

  it.each([
    [30, [25, 15, 10, 5], [1, 29, 85, 127]],
    [250, [60, 40, 20, 10, 5], [1, 29, 57, 85, 127]],
  ])('%i kg: the plan never rises and still lasts 168 days (decision 13): %j', async (kg, doses, starts) => {
    const plan = (await http().get(`/smart/plan?weightKg=${kg}&formulary=us`).expect(200)).body;
    expect(plan.steps.map((s: { doseMg: number }) => s.doseMg)).toEqual(doses);
    expect(plan.totalDays).toBe(168);
    expect(plan.days.filter((d: { stepStart: boolean }) => d.stepStart).map((d: { day: number }) => d.day)).toEqual(starts);
    const daily = plan.days.map((d: { doseMg: number }) => d.doseMg);
    for (let i = 1; i < daily.length; i++) expect(daily[i]).toBeLessThanOrEqual(daily[i - 1]);
    expect(plan.initialDose.doseMg).toBe(doses[0]);
  });

  it.each([30, 39.9, 53, 80.1, 250])('%f kg: the app shows the same steps as the COP-R01 card and its sequenced order', async (kg) => {
    const plan = (await http().get(`/smart/plan?weightKg=${kg}&formulary=us`).expect(200)).body;
    const body = (await http().post('/cds-services/cop-order-select').send(orderSelectRequest({ prefetch: { weight: searchset(weight(kg)) } })).expect(200)).body;
    const r01 = cardFor(body, 'COP-R01');
    const taper = r01.suggestions![1]!.actions[0]!.resource!;
    expect(stepDoses(taper)).toEqual(plan.steps.map((s: { doseMg: number }) => s.doseMg));
    expect(taper.dosageInstruction.map((d: any) => d.timing.repeat.boundsDuration.value)).toEqual(plan.steps.map((s: { days: number }) => s.days));
  });

  it.each(['', 'weightKg=abc', 'weightKg=-3', 'weightKg=60&formulary=fr', 'weightKg=9999', 'weightKg=0.1', 'weightKg=29.9', 'weightKg=250.1', 'weightKg=500'])('refuses %j with 400', async (query) => {
    const res = await http().get(`/smart/plan?${query}`).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('issue 12 #14: names the plausible weight range a charted weight has (30–250 kg by default)', async () => {
    const res = await http().get('/smart/plan?weightKg=0.1').expect(400);
    expect(JSON.stringify(res.body)).toMatch(/weightKg must be a plausible adult weight in kilograms \(30–250/);
  });
});

describe('SMART app files', () => {
  it.each([
    ['/smart/launch.html', /text\/html/, /fhir-client\.js/],
    ['/smart/index.html', /text\/html/, /app\.js/],
    ['/smart/app.js', /javascript/, /FHIR\.oauth2\.ready\(\)/],
    ['/smart/launch.js', /javascript/, /FHIR\.oauth2\.authorize\(/],
    ['/smart/app.css', /text\/css/, /\.calendar/],
    ['/smart/fhir-client.js', /javascript/, /oauth2/],
  ])('serves %s with its own CSP', async (url, type, body) => {
    const res = await http().get(url).expect(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.text).toMatch(body);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self' https:");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('launch.js asks for the launch scope and the narrow read scopes, and redirects to index.html', async () => {
    const res = await http().get('/smart/launch.js').expect(200);
    // Issue 13 #6: only what it reads (Patient, Observation), v2 scopes with their v1 forms; no openid/fhirUser.
    expect(res.text).toContain("'patient/Patient.r patient/Observation.rs patient/Patient.read patient/Observation.read'");
    expect(res.text).toContain("params.get('launch') ? 'launch ' : 'launch/patient '");
    expect(res.text).not.toMatch(/patient\/\*\.read|openid|fhirUser/);
    expect(res.text).toContain("redirectUri: 'index.html'");
  });

  it('keeps the API CSP everywhere else', async () => {
    const res = await http().get('/evidence/cop').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['content-security-policy']).not.toContain("script-src 'self'");
  });
});

describe('COP-R01 links to the taper-plan app', () => {
  it('carries a smart link with the plan inputs as appContext; citations stay absolute', async () => {
    const res = await http().post('/cds-services/cop-order-select').send(orderSelectRequest()).expect(200);
    const body: { cards: WireCard[] } = res.body;
    expectWellFormed(body);
    const r01 = cardFor(body, 'COP-R01');
    const smart = r01.links!.filter((l) => l.type === 'smart');
    expect(smart).toHaveLength(1);
    expect(smart[0]).toMatchObject({ label: 'Open taper plan (SMART app)', url: 'https://cds.example.org/smart/launch.html' });
    const appContext = JSON.parse(smart[0]!.appContext!);
    expect(appContext).toMatchObject({ weightKg: 60, weightObservation: 'Observation/weight-1', formulary: 'us' });
    expect(typeof appContext.weightDate).toBe('string');
    const absolute = r01.links!.filter((l) => l.type === 'absolute');
    expect(absolute.length).toBeGreaterThan(0);
    for (const l of absolute) expect(l).not.toHaveProperty('appContext');
    // No other card links to the app.
    for (const card of body.cards.filter((c) => c !== r01)) {
      expect(card.links!.every((l) => l.type === 'absolute' && /^https:\/\//.test(l.url))).toBe(true);
    }
  });
});
