// @ts-check
// The taper-plan page's script (index.html, the SMART redirect URI): after the launch (or, with
// ?demo=1, from the URL alone) it takes the weight, asks GET /smart/plan for the plan and draws the
// calendar, the chart and the data used. Plain ES2019 for the browser, no inline script or style
// (the page's CSP forbids both), no clinical arithmetic (the plan comes from the service). Checked
// by tsc (src/smart/tsconfig.public.json).
(function () {
  'use strict';
  /**
   * One step of the plan and one day of it, as GET /smart/plan answers (PlanResponse in src/smart/routes.ts).
   * @typedef {{ sequence: number, doseMg: number, days: number, fromDay: number, toDay: number, definition: string }} PlanStep
   * @typedef {{ day: number, week: number, doseMg: number, step: number, stepStart: boolean }} PlanDay
   * @typedef {{ weightKg: number, formulary: string, drug: string, maxDailyDoseMg: number, totalDays: number, cumulativeMg: number, steps: PlanStep[], days: PlanDay[] }} Plan
   */
  /**
   * What the plan is for and where each value came from (the "Data used" list).
   * @typedef {{ name?: string, birthDate?: string, gender?: string }} PatientBanner
   * @typedef {{ mode: 'smart' | 'preview', patientId?: string, patientName?: string, banner?: PatientBanner, fhirServer?: string, weightKg: number, weightDate?: string, weightObservation?: string, weightSource: string, formulary?: string }} PlanInput
   * @typedef {{ weightKg: number, weightDate?: string, weightObservation?: string, source: string }} WeightReading
   */
  /**
   * The FHIR shapes read here, only the elements used.
   * @typedef {{ text?: string, given?: string[], family?: string }} HumanName
   * @typedef {{ name?: HumanName[], birthDate?: string, gender?: string }} PatientResource
   * @typedef {{ value?: number, unit?: string, code?: string }} Quantity
   * @typedef {{ resourceType?: string, id?: string, valueQuantity?: Quantity, effectiveDateTime?: string, effectivePeriod?: { start?: string }, effectiveInstant?: string, issued?: string }} ObservationResource
   * @typedef {import('fhirclient/lib/Client').default} FhirClient
   */

  /** fhirclient's browser build (fhir-client.js, loaded before this script) sets window.FHIR. */
  var FHIR = /** @type {typeof import('fhirclient/lib/entry/browser')} */ (/** @type {any} */ (window).FHIR);
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var params = new URLSearchParams(window.location.search);

  /**
   * An element index.html has (a missing one is a bug of this page, not of the data).
   * @param {string} id
   * @returns {HTMLElement}
   */
  function byId(id) { return /** @type {HTMLElement} */ (document.getElementById(id)); }
  /**
   * @param {string} tag
   * @param {string} [className]
   * @param {string} [text]
   */
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  /**
   * @param {string} tag
   * @param {Record<string, string | number>} [attrs]
   * @param {string} [text]
   */
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) { e.setAttribute(k, String(a[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  /**
   * @param {string} message
   * @param {boolean} [isError]
   */
  function setStatus(message, isError) {
    var s = byId('status');
    s.textContent = message;
    s.className = isError ? 'error' : '';
    s.hidden = !message;
  }
  /** @param {unknown} e */
  function fail(e) {
    var error = /** @type {{ message?: string } | null | undefined} */ (e);
    setStatus('Could not show the plan: ' + (error && error.message ? error.message : String(e)), true);
    document.body.setAttribute('data-state', 'error');
  }

  /**
   * The card's appContext (a JSON string in the token answer), or {} when absent or not JSON.
   * @param {unknown} raw
   * @returns {{ weightKg?: unknown, weightDate?: string, weightObservation?: string, formulary?: string }}
   */
  function parseAppContext(raw) {
    if (!raw) return {};
    try {
      var v = typeof raw === 'string' ? JSON.parse(raw) : raw;
      return v && typeof v === 'object' ? v : {};
    } catch (e) { return {}; }
  }

  /**
   * @param {number} weightKg
   * @param {string} [formulary]
   * @returns {Promise<Plan>}
   */
  function loadPlan(weightKg, formulary) {
    var url = 'plan?weightKg=' + encodeURIComponent(String(weightKg)) + (formulary ? '&formulary=' + encodeURIComponent(formulary) : '');
    return fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('the plan service answered HTTP ' + r.status);
      return r.json();
    });
  }

  /** @param {PatientResource | undefined} p */
  function patientName(p) {
    var n = p && p.name && p.name[0];
    if (!n) return undefined;
    if (n.text) return n.text;
    return [(n.given || []).join(' '), n.family].filter(Boolean).join(' ');
  }

  /** @param {ObservationResource} o */
  function observationDate(o) {
    return o.effectiveDateTime || (o.effectivePeriod && o.effectivePeriod.start) || o.effectiveInstant || o.issued;
  }

  /**
   * The latest body weight (LOINC 29463-7) of the launch patient, only when recorded in kg.
   * @param {FhirClient} client
   * @returns {Promise<WeightReading>}
   */
  function latestWeight(client) {
    return client.patient.request('Observation?code=http://loinc.org|29463-7&_sort=-date&_count=10', { flat: true }).then(function (result) {
      // flat: the entries' resources, as an array.
      var list = /** @type {ObservationResource[] | undefined} */ (/** @type {unknown} */ (result));
      var obs = (list || []).filter(function (o) { return o && o.resourceType === 'Observation' && o.valueQuantity && typeof o.valueQuantity.value === 'number'; });
      obs.sort(function (a, b) { return String(observationDate(b) || '').localeCompare(String(observationDate(a) || '')); });
      var o = obs[0];
      if (!o) throw new Error('no body weight is recorded for this patient');
      var q = /** @type {Quantity & { value: number }} */ (o.valueQuantity);
      if (q.code !== 'kg' && q.unit !== 'kg') throw new Error('the latest body weight is not in kg (' + (q.unit || q.code || 'no unit') + '); open the plan from the card instead');
      return { weightKg: q.value, weightDate: observationDate(o), weightObservation: 'Observation/' + o.id, source: 'latest body weight read from the FHIR server' };
    });
  }

  /** @returns {Promise<PlanInput>} */
  function fromSmart() {
    return FHIR.oauth2.ready().then(function (client) {
      var token = /** @type {{ appContext?: unknown, need_patient_banner?: unknown }} */ ((client.state && client.state.tokenResponse) || {});
      var ctx = parseAppContext(token.appContext);
      var patientP = client.patient.read().catch(function () { return undefined; });
      /** @type {Promise<WeightReading>} */
      var weightP = typeof ctx.weightKg === 'number'
        ? Promise.resolve({ weightKg: ctx.weightKg, weightDate: ctx.weightDate, weightObservation: ctx.weightObservation, source: 'the COP-R01 card (appContext)' })
        : latestWeight(client);
      return Promise.all([patientP, weightP]).then(function (r) {
        var patient = /** @type {PatientResource | undefined} */ (r[0]);
        var w = r[1];
        return {
          mode: /** @type {const} */ ('smart'),
          patientId: client.patient.id || undefined,
          patientName: patientName(patient),
          // The EHR asks for a banner when it does not show the patient around the app (SMART need_patient_banner).
          banner: token.need_patient_banner === true ? { name: patientName(patient), birthDate: patient && patient.birthDate, gender: patient && patient.gender } : undefined,
          fhirServer: client.state.serverUrl,
          weightKg: w.weightKg,
          weightDate: w.weightDate,
          weightObservation: w.weightObservation,
          weightSource: w.source,
          formulary: ctx.formulary
        };
      });
    });
  }

  /** @returns {Promise<PlanInput>} */
  function fromPreview() {
    var kg = Number(params.get('weightKg'));
    if (!isFinite(kg) || kg <= 0) return Promise.reject(new Error('preview needs weightKg, e.g. index.html?demo=1&weightKg=60'));
    return Promise.resolve({
      mode: /** @type {const} */ ('preview'),
      patientId: params.get('patient') || undefined,
      weightKg: kg,
      weightDate: params.get('weightDate') || undefined,
      weightObservation: params.get('weightObservation') || undefined,
      weightSource: 'the preview URL (no SMART launch)',
      formulary: params.get('formulary') || undefined
    });
  }

  /** @param {Plan} plan */
  function renderSummary(plan) {
    var steps = plan.steps.map(function (s) { return s.doseMg + ' mg'; }).join(' → ');
    byId('summary').textContent = plan.drug + ' ' + steps + ' over ' + plan.totalDays + ' days (' + (plan.totalDays / 7) +
      ' weeks) for ' + plan.weightKg + ' kg; cumulative ' + plan.cumulativeMg + ' mg.';
  }

  /** @param {Plan} plan */
  function renderChart(plan) {
    var chart = byId('chart');
    var W = 960, H = 300, L = 52, R = 16, T = 16, B = 40;
    var w = W - L - R, h = H - T - B;
    var maxDose = Math.max(plan.maxDailyDoseMg, Math.max.apply(null, plan.days.map(function (d) { return d.doseMg; })));
    var yMax = Math.ceil(maxDose / 10) * 10;
    var n = plan.totalDays;
    /** @param {number} day */
    function x(day) { return L + (day - 1) / n * w; }
    /** @param {number} mg */
    function y(mg) { return T + h - mg / yMax * h; }
    chart.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    chart.setAttribute('width', String(W));
    chart.setAttribute('height', String(H));
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    chart.appendChild(svg('title', {}, 'Daily ' + plan.drug + ' dose (mg) by day, ' + n + ' days'));
    for (var mg = 0; mg <= yMax; mg += 10) {
      chart.appendChild(svg('line', { x1: L, x2: L + w, y1: y(mg), y2: y(mg), 'class': mg === 0 ? 'axis' : 'grid' }));
      chart.appendChild(svg('text', { x: L - 6, y: y(mg) + 4, 'text-anchor': 'end' }, mg + ' mg'));
    }
    for (var wk = 0; wk <= n / 7; wk += 4) {
      var day = wk * 7 + 1;
      chart.appendChild(svg('line', { x1: x(day), x2: x(day), y1: T, y2: T + h, 'class': wk === 0 ? 'axis' : 'grid' }));
      chart.appendChild(svg('text', { x: x(day), y: T + h + 16, 'text-anchor': 'middle' }, wk === 0 ? 'day 1' : wk + ' wk'));
    }
    chart.appendChild(svg('text', { x: L + w, y: T + h + 32, 'text-anchor': 'end' }, 'day ' + n));
    var d = '';
    plan.steps.forEach(function (s, i) {
      d += (i === 0 ? 'M' : 'L') + x(s.fromDay).toFixed(1) + ',' + y(s.doseMg).toFixed(1) + ' L' + x(s.toDay + 1).toFixed(1) + ',' + y(s.doseMg).toFixed(1) + ' ';
    });
    // A plan has at least one step.
    var last = /** @type {PlanStep} */ (plan.steps[plan.steps.length - 1]);
    chart.appendChild(svg('path', { d: d + 'L' + x(last.toDay + 1).toFixed(1) + ',' + y(0) + ' L' + x(1) + ',' + y(0) + ' Z', 'class': 'area' }));
    chart.appendChild(svg('path', { d: d.trim(), 'class': 'dose', 'data-testid': 'dose-line' }));
    plan.steps.forEach(function (s) {
      chart.appendChild(svg('text', { x: (x(s.fromDay) + x(s.toDay + 1)) / 2, y: y(s.doseMg) - 6, 'text-anchor': 'middle', 'class': 'step-label' }, s.doseMg + ' mg'));
    });
  }

  /** @param {Plan} plan */
  function renderCalendar(plan) {
    var cal = byId('calendar');
    while (cal.firstChild) cal.removeChild(cal.firstChild);
    var weeks = Math.ceil(plan.totalDays / 7);
    // Table semantics for screen readers (one row per week, a row header, one cell per day), while
    // the rows are display: contents so the CSS grid lays out labels and days as before.
    cal.setAttribute('role', 'table');
    cal.setAttribute('aria-label', 'Daily doses, one row per week');
    for (var wk = 1; wk <= weeks; wk++) {
      var row = el('div', 'week-row');
      row.setAttribute('role', 'row');
      cal.appendChild(row);
      var label = el('div', 'week', 'Week ' + wk);
      label.setAttribute('data-week', String(wk));
      label.setAttribute('role', 'rowheader');
      row.appendChild(label);
      plan.days.filter(function (d) { return d.week === wk; }).forEach(function (d) {
        var cell = el('div', 'day step-' + d.step + (d.stepStart ? ' step-start' : ''));
        cell.setAttribute('data-day', String(d.day));
        cell.setAttribute('data-week', String(d.week));
        cell.setAttribute('data-dose', String(d.doseMg));
        cell.title = 'Day ' + d.day + ': ' + d.doseMg + ' mg' + (d.stepStart ? ' (new step ' + d.step + ')' : '');
        cell.setAttribute('role', 'cell');
        cell.appendChild(el('span', 'd', 'Day ' + d.day));
        cell.appendChild(el('span', 'mg', d.doseMg + ' mg'));
        row.appendChild(cell);
      });
    }
  }

  /**
   * @param {PlanInput} input
   * @param {Plan} plan
   */
  function renderDataUsed(input, plan) {
    var dl = byId('data-used');
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    /**
     * @param {string} label
     * @param {string | number | undefined} value
     * @param {string} [id]
     */
    function row(label, value, id) {
      if (value === undefined || value === null || value === '') return;
      dl.appendChild(el('dt', '', label));
      var dd = el('dd', '', String(value));
      if (id) dd.id = id;
      dl.appendChild(dd);
    }
    row('Patient', [input.patientName, input.patientId ? '(' + input.patientId + ')' : ''].filter(Boolean).join(' '));
    row('Body weight', input.weightKg + ' kg', 'used-weight');
    row('Weight date', input.weightDate ? String(input.weightDate).slice(0, 10) : 'not given', 'used-weight-date');
    row('Weight observation', input.weightObservation || 'not given', 'used-weight-observation');
    row('Weight taken from', input.weightSource);
    row('FHIR server', input.fhirServer);
    row('Drug (formulary)', plan.drug + ' (' + plan.formulary + ')');
    row('Taper steps', plan.steps.map(function (s) { return 'days ' + s.fromDay + '-' + s.toDay + ': ' + s.doseMg + ' mg (' + s.definition + ')'; }).join('; '));
    row('Daily maximum', plan.maxDailyDoseMg + ' mg');
  }

  function start() {
    var preview = params.get('demo') === '1';
    if (preview) {
      var b = byId('banner');
      b.textContent = 'Preview: not launched from an EHR (no SMART authorization); the weight comes from the URL.';
      b.hidden = false;
    }
    (preview ? fromPreview() : fromSmart()).then(function (input) {
      return loadPlan(input.weightKg, input.formulary).then(function (plan) {
        renderSummary(plan);
        renderChart(plan);
        renderCalendar(plan);
        renderDataUsed(input, plan);
        if (input.banner) {
          var pb = byId('patient-banner');
          pb.textContent = [input.banner.name || 'Name not recorded', input.banner.birthDate ? 'born ' + input.banner.birthDate : 'birth date not recorded', input.banner.gender || 'sex not recorded'].join(' · ');
          pb.hidden = false;
        }
        setStatus('');
        byId('plan').hidden = false;
        document.body.setAttribute('data-state', 'ready');
      });
    }).catch(function (e) {
      if (!preview && e && /state|No state|key/i.test(String(e.message || e))) {
        fail(new Error('this page was not opened through a SMART launch. Launch smart/launch.html from an EHR or SMART launcher, or preview with index.html?demo=1&weightKg=60'));
      } else {
        fail(e);
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
