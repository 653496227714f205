/**
 * The SMART app's static files, kept in a module so that they ship inside dist/ with the server
 * (no separate static directory to copy). Plain ES2019 for the browser: no inline script or style
 * (the pages' CSP forbids both), no clinical arithmetic (the plan comes from GET /smart/plan).
 * NB: the scripts below are inside template literals: they must not use backticks or "${".
 */
import { SMART_CLIENT_ID_DEFAULT } from './constants.js';

export const LAUNCH_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>COP taper plan: launching</title>
<link rel="stylesheet" href="app.css">
<link rel="icon" href="data:,">
<script src="fhir-client.js"></script>
<script src="launch.js" defer></script>
</head>
<body><main><h1>COP taper plan</h1><p id="status">Launching (SMART authorization)…</p></main></body></html>
`;

export const LAUNCH_JS = `(function () {
  'use strict';
  var params = new URLSearchParams(window.location.search);
  function fail(message) {
    var status = document.getElementById('status');
    if (status) status.textContent = message;
    document.body.setAttribute('data-state', 'error');
  }
  if (!params.get('iss') && !params.get('fhirServiceUrl')) {
    fail('Open this page from a SMART launcher or an EHR (it needs the iss and launch parameters). For a preview without SMART, open index.html?demo=1&weightKg=60.');
    return;
  }
  // The least the app needs: it reads the Patient (banner) and their Observations (weight). SMART v2
  // scopes, with the v1 forms beside them for servers that know only those. EHR launch (iss +
  // launch) asks for the launch context; a standalone launch (iss only) for a patient picker.
  var reads = 'patient/Patient.r patient/Observation.rs patient/Patient.read patient/Observation.read';
  var scope = (params.get('launch') ? 'launch ' : 'launch/patient ') + reads;
  // A patient named without a launch id is a direct launch against an open FHIR server (the demo
  // /demo/fhir, the README's link): no authorization step. Otherwise the standard SMART flow.
  var direct = params.get('patient') && !params.get('launch');
  var server = params.get('iss') || params.get('fhirServiceUrl');
  // fhirclient prefers an iss in the page URL over fhirServiceUrl: take it out of the URL first.
  if (direct) window.history.replaceState(null, '', window.location.pathname);
  function launchFailed(e) {
    var message = e && e.message ? e.message : String(e);
    // "Failed to fetch" says nothing a person can act on: name what usually causes it.
    // fhirclient keeps the launch state in sessionStorage, which browsers deny to a frame from another site.
    if (/sessionStorage|localStorage|Access is denied/i.test(message)) {
      message += '. This browser does not let the app keep its launch state inside a frame from another site: open the app in a tab, or serve the EHR and the app from the same site.';
    } else if (/fetch|network|conformance|smart-configuration/i.test(message)) {
      message += '. The FHIR server (' + server + ') could not be read from this page: check that it is running, that it answers CORS for this origin, and, for a plain-http server, that this service is not in production mode (its pages allow https servers only there).';
    }
    fail('Launch failed: ' + message);
  }
  // A storage refusal is thrown at once, not as a rejected promise: both end up here.
  try {
    FHIR.oauth2.authorize(direct ? {
      fhirServiceUrl: server,
      patientId: params.get('patient'),
      redirectUri: 'index.html'
    } : {
      clientId: params.get('client_id') || '${SMART_CLIENT_ID_DEFAULT}',
      scope: scope,
      redirectUri: 'index.html'
    }).catch(launchFailed);
  } catch (e) {
    launchFailed(e);
  }
})();
`;

export const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>COP taper plan</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="app.css">
<link rel="icon" href="data:,">
<script src="fhir-client.js"></script>
<script src="app.js" defer></script>
</head>
<body data-state="loading">
<main>
<header id="patient-banner" class="patient-banner" aria-label="Patient" hidden></header>
<h1>COP: 24-week glucocorticoid taper plan</h1>
<p id="banner" class="banner" hidden></p>
<p id="status">Loading…</p>
<section id="plan" hidden>
  <p id="summary"></p>
  <h2>Daily dose over 24 weeks</h2>
  <div class="chart-wrap"><svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Daily dose chart"></svg></div>
  <h2>Calendar</h2>
  <p class="legend">Each cell is one day of the course (day 1 = first dose). Outlined cells start a new step (a dose change).</p>
  <div id="calendar" class="calendar"></div>
  <h2>Data used</h2>
  <dl id="data-used"></dl>
  <p class="note">Decision support only: the taper steps await local clinical sign-off. Doses are computed by the COP CDS service (GET /smart/plan), rounded and capped like the card's suggestion.</p>
</section>
</main>
</body></html>
`;

export const APP_CSS = `body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1b1f24; background: #ffffff; }
main { max-width: 1040px; margin: 0 auto; padding: 16px 24px 32px; }
h1 { font-size: 22px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 20px 0 8px; }
.patient-banner { background: #eef3f8; border-bottom: 2px solid #2b5797; padding: 6px 12px; font-weight: 600; }
.banner { background: #fff4ce; border: 1px solid #e0b400; padding: 8px 12px; border-radius: 4px; }
.error { color: #a4000f; font-weight: 600; }
.chart-wrap { border: 1px solid #d0d7de; border-radius: 4px; padding: 8px; }
#chart { width: 100%; height: auto; display: block; }
#chart .axis { stroke: #57606a; stroke-width: 1; }
#chart .grid { stroke: #d8dee4; stroke-width: 1; }
#chart .dose { fill: none; stroke: #0969da; stroke-width: 3; }
#chart .area { fill: #0969da; fill-opacity: 0.12; stroke: none; }
#chart text { font-size: 11px; fill: #24292f; }
#chart .step-label { font-weight: 600; fill: #0550ae; }
.calendar { display: grid; grid-template-columns: max-content repeat(7, 1fr); gap: 2px; }
.calendar .week-row { display: contents; }
.calendar .week { font-weight: 600; align-self: center; color: #57606a; white-space: nowrap; padding-right: 6px; }
.calendar .day { border: 1px solid #d0d7de; border-radius: 3px; padding: 2px 4px; font-size: 11px; }
.calendar .day .d { color: #57606a; display: block; }
.calendar .day .mg { font-weight: 600; }
.calendar .step-start { border: 2px solid #1b1f24; }
.calendar .step-1 { background: #ffd8b5; }
.calendar .step-2 { background: #fff1a8; }
.calendar .step-3 { background: #d2f4c8; }
.calendar .step-4 { background: #c8ecf4; }
.calendar .step-5 { background: #d8d4fa; }
.calendar .step-6 { background: #f4d0ea; }
.calendar .step-7 { background: #eaeef2; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { font-weight: 600; }
dd { margin: 0; }
.note { color: #57606a; font-size: 12px; }
`;

export const APP_JS = `(function () {
  'use strict';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var params = new URLSearchParams(window.location.search);

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setStatus(message, isError) {
    var s = byId('status');
    s.textContent = message;
    s.className = isError ? 'error' : '';
    s.hidden = !message;
  }
  function fail(e) {
    setStatus('Could not show the plan: ' + (e && e.message ? e.message : String(e)), true);
    document.body.setAttribute('data-state', 'error');
  }

  function parseAppContext(raw) {
    if (!raw) return {};
    try {
      var v = typeof raw === 'string' ? JSON.parse(raw) : raw;
      return v && typeof v === 'object' ? v : {};
    } catch (e) { return {}; }
  }

  function loadPlan(weightKg, formulary) {
    var url = 'plan?weightKg=' + encodeURIComponent(String(weightKg)) + (formulary ? '&formulary=' + encodeURIComponent(formulary) : '');
    return fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('the plan service answered HTTP ' + r.status);
      return r.json();
    });
  }

  function patientName(p) {
    var n = p && p.name && p.name[0];
    if (!n) return undefined;
    if (n.text) return n.text;
    return [(n.given || []).join(' '), n.family].filter(Boolean).join(' ');
  }

  function observationDate(o) {
    return o.effectiveDateTime || (o.effectivePeriod && o.effectivePeriod.start) || o.effectiveInstant || o.issued;
  }

  /** The latest body weight (LOINC 29463-7) of the launch patient, only when recorded in kg. */
  function latestWeight(client) {
    return client.patient.request('Observation?code=http://loinc.org|29463-7&_sort=-date&_count=10', { flat: true }).then(function (list) {
      var obs = (list || []).filter(function (o) { return o && o.resourceType === 'Observation' && o.valueQuantity && typeof o.valueQuantity.value === 'number'; });
      obs.sort(function (a, b) { return String(observationDate(b) || '').localeCompare(String(observationDate(a) || '')); });
      var o = obs[0];
      if (!o) throw new Error('no body weight is recorded for this patient');
      var q = o.valueQuantity;
      if (q.code !== 'kg' && q.unit !== 'kg') throw new Error('the latest body weight is not in kg (' + (q.unit || q.code || 'no unit') + '); open the plan from the card instead');
      return { weightKg: q.value, weightDate: observationDate(o), weightObservation: 'Observation/' + o.id, source: 'latest body weight read from the FHIR server' };
    });
  }

  function fromSmart() {
    return FHIR.oauth2.ready().then(function (client) {
      var token = (client.state && client.state.tokenResponse) || {};
      var ctx = parseAppContext(token.appContext);
      var patientP = client.patient.read().catch(function () { return undefined; });
      var weightP = typeof ctx.weightKg === 'number'
        ? Promise.resolve({ weightKg: ctx.weightKg, weightDate: ctx.weightDate, weightObservation: ctx.weightObservation, source: 'the COP-R01 card (appContext)' })
        : latestWeight(client);
      return Promise.all([patientP, weightP]).then(function (r) {
        var patient = r[0];
        var w = r[1];
        return {
          mode: 'smart',
          patientId: client.patient.id,
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

  function fromPreview() {
    var kg = Number(params.get('weightKg'));
    if (!isFinite(kg) || kg <= 0) return Promise.reject(new Error('preview needs weightKg, e.g. index.html?demo=1&weightKg=60'));
    return Promise.resolve({
      mode: 'preview',
      patientId: params.get('patient') || undefined,
      weightKg: kg,
      weightDate: params.get('weightDate') || undefined,
      weightObservation: params.get('weightObservation') || undefined,
      weightSource: 'the preview URL (no SMART launch)',
      formulary: params.get('formulary') || undefined
    });
  }

  function renderSummary(plan) {
    var steps = plan.steps.map(function (s) { return s.doseMg + ' mg'; }).join(' → ');
    byId('summary').textContent = plan.drug + ' ' + steps + ' over ' + plan.totalDays + ' days (' + (plan.totalDays / 7) +
      ' weeks) for ' + plan.weightKg + ' kg; cumulative ' + plan.cumulativeMg + ' mg.';
  }

  function renderChart(plan) {
    var chart = byId('chart');
    var W = 960, H = 300, L = 52, R = 16, T = 16, B = 40;
    var w = W - L - R, h = H - T - B;
    var maxDose = Math.max(plan.maxDailyDoseMg, Math.max.apply(null, plan.days.map(function (d) { return d.doseMg; })));
    var yMax = Math.ceil(maxDose / 10) * 10;
    var n = plan.totalDays;
    function x(day) { return L + (day - 1) / n * w; }
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
    var last = plan.steps[plan.steps.length - 1];
    chart.appendChild(svg('path', { d: d + 'L' + x(last.toDay + 1).toFixed(1) + ',' + y(0) + ' L' + x(1) + ',' + y(0) + ' Z', 'class': 'area' }));
    chart.appendChild(svg('path', { d: d.trim(), 'class': 'dose', 'data-testid': 'dose-line' }));
    plan.steps.forEach(function (s) {
      chart.appendChild(svg('text', { x: (x(s.fromDay) + x(s.toDay + 1)) / 2, y: y(s.doseMg) - 6, 'text-anchor': 'middle', 'class': 'step-label' }, s.doseMg + ' mg'));
    });
  }

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

  function renderDataUsed(input, plan) {
    var dl = byId('data-used');
    while (dl.firstChild) dl.removeChild(dl.firstChild);
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
`;
