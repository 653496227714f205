// @ts-check
// The SMART launch URL's script (launch.html): starts the EHR launch (iss + launch) or a direct
// launch against an open FHIR server, through fhirclient, which redirects to index.html. Plain
// ES2019 for the browser, no inline script (the page's CSP forbids it). Checked by tsc
// (src/smart/tsconfig.public.json).
(function () {
  'use strict';
  /** fhirclient's browser build (fhir-client.js, loaded before this script) sets window.FHIR. */
  var FHIR = /** @type {typeof import('fhirclient/lib/entry/browser')} */ (/** @type {any} */ (window).FHIR);
  var params = new URLSearchParams(window.location.search);
  /** @param {string} message */
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
  var server = params.get('iss') || params.get('fhirServiceUrl') || '';
  // The OAuth client id unless the launch names one: launch.html carries the service's default
  // (SMART_CLIENT_ID_DEFAULT in src/smart/constants.ts; a test holds the two together).
  var clientId = params.get('client_id') || document.documentElement.getAttribute('data-client-id') || '';
  // fhirclient prefers an iss in the page URL over fhirServiceUrl: take it out of the URL first.
  if (direct) window.history.replaceState(null, '', window.location.pathname);
  /** @param {unknown} e */
  function launchFailed(e) {
    var error = /** @type {{ message?: string } | null | undefined} */ (e);
    var message = error && error.message ? error.message : String(e);
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
    // completeInTarget: the plan opens where the app was launched (a tab, an EHR's frame or a
    // window another page opened), never in the page that opened it.
    FHIR.oauth2.authorize(direct ? {
      fhirServiceUrl: server,
      patientId: params.get('patient') || undefined,
      redirectUri: 'index.html',
      completeInTarget: true
    } : {
      clientId: clientId,
      scope: scope,
      redirectUri: 'index.html',
      completeInTarget: true
    }).catch(launchFailed);
  } catch (e) {
    launchFailed(e);
  }
})();
