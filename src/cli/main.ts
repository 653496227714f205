/**
 * `cop-cds`: a harness for integration engineers (bin/cop-cds.mjs runs this).
 *
 *   cop-cds call <service-url> …     call a running service like an EHR and print the cards
 *   cop-cds check request|response  check a captured request or a response against CDS Hooks 2.0
 *   cop-cds check-config <file>      validate a site configuration file, print its thresholds
 *
 * `main` takes argv and an IO object and returns the exit code (0 fine; 1 HTTP error, network
 * error or problems found; 2 usage), so tests run it in process.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { call } from './call.js';
import { checkRequest, checkResponse } from './check.js';
import { runCheckConfig } from './check-config.js';
import { processIo, type CliIo } from './io.js';
import { colorEnabled, painter, renderProblems } from './render.js';
import { CliError, createSigner, loadPrivateKey } from './sign.js';

export const HELP = `cop-cds: a harness for integration engineers of the COP CDS Hooks service

Usage:
  cop-cds call <service-url> [--hook <hook> | --service <id>] --patient-file <file> [options]
  cop-cds call <service-url> --hook <hook> --fhir <base> --patient <id> [--draft <file>]… [options]
  cop-cds check request <file|->
  cop-cds check response <file|->
  cop-cds check-config <site-config.json> [--json]
  cop-cds --help

call: does what an EHR does when a hook fires. GET <base>/cds-services (discovery), picks the
service (by id in the URL or --service, else by --hook, else the "hook" of the request file),
builds the request, signs it when --key is given, POSTs it and prints the cards: indicator,
rule id, summary, trimmed detail, suggestions as a table (action, resource, medication, mg/day,
duration) and links. HTTP errors print the OperationOutcome diagnostics and exit 1.

  <service-url>          http://host:port, …/cds-services, or …/cds-services/<id>
  --patient-file <file>  a CDS Hooks request (its context and prefetch are used; a new
                         hookInstance is made) or a prefetch object {"patient": {…}, …}
  --fhir <base>          resolve each prefetch template of the service against this FHIR server
                         with GET, like an EHR (404 on a read → null); fhirServer is sent too
  --patient <id>         the patient (context.patientId)
  --draft <file>         a draft order (MedicationRequest…) or a Bundle of them; repeatable.
                         order-select selects every draft given
  --encounter <id>       context.encounterId
  --user <Type/id>       context.userId (default Practitioner/cop-cds-cli)
  --fhir-token <token>   send fhirAuthorization with this bearer token (and use it for --fhir)
  --omit-fhir-server     with --fhir: do not send fhirServer (the service must not fetch)
  --redate               move the request's dates forward like examples/redate.mjs
  --key <jwk.json>       sign with this private JWK (ES384 P-384 or RS384; or a JWKS holding it)
  --iss <iss>            the JWT issuer (required with --key)
  --kid <kid>            key id (default: the JWK's kid)
  --jku <url>            JWK Set URL for the JWT header
  --tenant <id>          tenant claim
  --aud <base-url>       base URL the service knows itself by (its PUBLIC_BASE_URL) for aud;
                         default: the URL called. aud = <base>/cds-services[/<id>]
  --json                 print the raw JSON response instead of the cards
  --no-check             do not check the response against the CDS Hooks rules
  --timeout <ms>         per HTTP call (default 30000)

check: validates a captured EHR request (POST body) or a service response (or discovery
document) against the CDS Hooks 2.0 rules (numbered R-… by this tool, see docs/cli.md) and prints one line
per problem: the JSON path, the rule id (R-…) and what is wrong. Exit 1 when there are errors
(warnings alone exit 0). --json prints the problems as JSON.

check-config: validates a site configuration file (SITE_CONFIG_FILE) as the service does at
start-up and prints every clinical threshold: value, default, allowed range, whether the file sets
it, and ⚠ where the default needs clinical sign-off. Exit 1 when the file is refused.

Common: --color / --no-color (default: colour on a terminal unless NO_COLOR is set), -h/--help.

Examples:
  cop-cds call http://localhost:8080 --patient-file examples/order-select-request.json --redate
  cop-cds call http://localhost:8080/cds-services/cop-order-sign --patient-file examples/order-sign-request.json --json
  cop-cds call https://cds.example.org --hook order-select --fhir http://localhost:8081/fhir \\
      --patient cop-example-1 --draft draft.json --key ehr-private.jwk.json --iss https://ehr.example.org
  cop-cds check request captured-request.json
  cop-cds check response examples/order-select-response.json
  cop-cds check-config examples/site-config.json

Exit codes: 0 success; 1 HTTP or network error, or problems found; 2 usage error.
`;

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const CALL_OPTIONS = {
  ...COMMON,
  hook: { type: 'string' },
  service: { type: 'string' },
  'patient-file': { type: 'string' },
  fhir: { type: 'string' },
  patient: { type: 'string' },
  encounter: { type: 'string' },
  user: { type: 'string' },
  draft: { type: 'string', multiple: true },
  'fhir-token': { type: 'string' },
  'omit-fhir-server': { type: 'boolean' },
  redate: { type: 'boolean' },
  key: { type: 'string' },
  iss: { type: 'string' },
  kid: { type: 'string' },
  jku: { type: 'string' },
  tenant: { type: 'string' },
  aud: { type: 'string' },
  'no-check': { type: 'boolean' },
  timeout: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nSee cop-cds --help.`);
  }
}

const colorFlag = (values: { color?: boolean | undefined; 'no-color'?: boolean | undefined }): boolean | undefined =>
  values['no-color'] ? false : values.color ? true : undefined;

async function runCall(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, CALL_OPTIONS);
  if (values.help) {
    io.out.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('call needs exactly one <service-url>. See cop-cds --help.');
  const flag = colorFlag(values);
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new CliError('--timeout must be a positive number of milliseconds');
  if (values.key && !values.iss) throw new CliError('--key needs --iss (the issuer the service trusts)');
  if (!values.key && (values.iss || values.kid || values.jku || values.tenant)) throw new CliError('--iss/--kid/--jku/--tenant need --key');
  const signer = values.key
    ? createSigner(await loadPrivateKey(values.key, values.kid), {
        iss: values.iss!,
        ...(values.kid ? { kid: values.kid } : {}),
        ...(values.jku ? { jku: values.jku } : {}),
        ...(values.tenant ? { tenant: values.tenant } : {}),
      })
    : undefined;
  return call({
    url: positionals[0]!,
    ...(values.hook ? { hook: values.hook } : {}),
    ...(values.service ? { service: values.service } : {}),
    ...(values['patient-file'] ? { patientFile: values['patient-file'] } : {}),
    ...(values.fhir ? { fhir: values.fhir } : {}),
    ...(values.patient ? { patient: values.patient } : {}),
    ...(values.encounter ? { encounter: values.encounter } : {}),
    ...(values.user ? { user: values.user } : {}),
    ...(values.draft ? { drafts: values.draft } : {}),
    ...(values['fhir-token'] ? { fhirToken: values['fhir-token'] } : {}),
    ...(values.aud ? { audBase: values.aud } : {}),
    ...(signer ? { signer } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    omitFhirServer: values['omit-fhir-server'] === true,
    json: values.json === true,
    redate: values.redate === true,
    check: values['no-check'] !== true,
    out: io.out,
    err: io.err,
    paint: painter(colorEnabled(io.env, io.outIsTTY, flag)),
    paintErr: painter(colorEnabled(io.env, io.errIsTTY, flag)),
  });
}

function runCheck(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, COMMON);
  if (values.help) {
    io.out.write(HELP);
    return 0;
  }
  const [kind, file] = positionals;
  if ((kind !== 'request' && kind !== 'response') || !file || positionals.length !== 2) {
    throw new CliError('usage: cop-cds check request|response <file|->');
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const problem = { path: '$', rule: 'R-GEN-01', message: `not JSON: ${(error as Error).message}`, severity: 'error' as const };
    io.out.write(values.json ? `${JSON.stringify([problem], null, 2)}\n` : renderProblems([problem], painter(colorEnabled(io.env, io.outIsTTY, colorFlag(values))), file));
    return 1;
  }
  const problems = kind === 'request' ? checkRequest(body) : checkResponse(body);
  if (values.json) io.out.write(`${JSON.stringify(problems, null, 2)}\n`);
  else io.out.write(renderProblems(problems, painter(colorEnabled(io.env, io.outIsTTY, colorFlag(values))), file === '-' ? 'stdin' : file));
  return problems.some((p) => p.severity === 'error') ? 1 : 0;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out.write(HELP);
        return command === undefined ? 2 : 0;
      case 'call':
        return await runCall(rest, io);
      case 'check':
        return runCheck(rest, io);
      case 'check-config':
        return runCheckConfig(rest, io);
      default:
        throw new CliError(`unknown command "${command}". See cop-cds --help.`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.err.write(`cop-cds: ${error.message}\n`);
      return error.exitCode;
    }
    io.err.write(`cop-cds: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
