/**
 * The deployment files in docker/ are valid and agree with each other and with the service.
 *
 * - Compose files: the Compose Specification JSON schema as shipped by the `dclint` package
 *   (node_modules/dclint/schemas/compose.schema.json), with ajv.
 * - Kubernetes manifests: the validators `kubernetes-models` generates from the Kubernetes OpenAPI
 *   schemas (types, required fields, enums, int-or-string, quantities). Those schemas allow unknown
 *   fields, as the API server's non-strict mode does: the cross-file checks below read every field
 *   that matters by its exact path, so a misspelt probe, port or selector fails here too.
 * - kustomization.yaml: the project's own strict schema (test/deploy/schemas/), as no package ships one.
 * All offline: nothing is fetched.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptNodeFlags } from '../../bench/procs.js';
import { parseAllDocuments } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { assertAuthSettings } from '../../src/auth/settings.js';
import { loadConfig, SECRET_FILE_VARIABLES } from '../../src/config.js';
import { configProblems, testConfig } from '../fixtures/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKER = path.join(ROOT, 'docker');
const K8S = path.join(DOCKER, 'k8s');
/** Where the settings are documented (README.md links to it). */
const settingsDoc = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

/** Every YAML document of a file; any YAML error or warning (duplicate key, …) fails. */
function readYamlDocs(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs) || docs.length === 0) throw new Error(`${file}: no YAML document`);
  for (const doc of docs) expect([...doc.errors, ...doc.warnings].map((e) => e.message), file).toEqual([]);
  return docs.map((doc) => doc.toJS({ maxAliasCount: 0 }) as unknown);
}

/** The one YAML document of a file. */
function readYaml(file: string): unknown {
  const docs = readYamlDocs(file);
  expect(docs, `${file}: one document`).toHaveLength(1);
  return docs[0];
}

/** A Kubernetes memory quantity (`512Mi`, `1Gi`, `192mb` as Redis writes it) in MiB. */
function mebibytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|mb|gb)$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity this test reads: ${quantity}`);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, mb: 1, gb: 1024 };
  return Number(m[1]) * factor[m[2]!]!;
}

/** A container port given by name or number, as the container declares it. */
function containerPort(container: IContainer, port: number | string | undefined): number | undefined {
  return typeof port === 'string' ? container.ports?.find((p) => p.name === port)?.containerPort : port;
}

/** The ports of NetworkPolicy rules, resolved against the container (named ports). */
function policyPorts(container: IContainer, ports: INetworkPolicyPort[] | undefined): { port: number | undefined; protocol: string }[] {
  return (ports ?? []).map((p) => ({ port: containerPort(container, p.port), protocol: p.protocol ?? 'TCP' }));
}

/** Whether some egress rule of the policy lets the pod reach `port` (any address when the rule has no `to`). */
function egressAllows(policy: INetworkPolicy, port: number, protocol = 'TCP'): boolean {
  return (policy.spec!.egress ?? []).some(
    (rule) => (rule.to ?? []).length === 0 && (rule.ports ?? []).some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol),
  );
}

/** The measured memory of bench/big-bodies.ts (sixteen concurrent 8 MiB bodies, --max-old-space-size=320). */
const MEASURED_PEAK_RSS_MIB = 335;
const MEASURED_OLD_SPACE_MIB = 320;

function ajvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

/** A duration as Compose writes it (`15s`, `1m30s`) in seconds. */
function composeSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}

function isSubset(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// ---- Docker Compose ---------------------------------------------------------------------------

type ComposeService = {
  image?: string;
  user?: string;
  command?: string[];
  build?: { context: string; dockerfile?: string };
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  volumes?: string[];
};
type ComposeFile = { name?: string; services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

const COMPOSE_FILES = ['compose.yaml', 'compose.full.yaml'];
/** The service built from this repository in every compose file. */
const APP_SERVICE = 'cop-cds';

/** The script of the Dockerfile's HEALTHCHECK (exec form: node -e "…"). */
function dockerfileHealthcheck(): string[] {
  const m = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
  expect(m, 'an exec-form HEALTHCHECK … CMD').not.toBeNull();
  return JSON.parse(m![1]!) as string[];
}

describe('Dockerfile', () => {
  it('starts the service as `npm start` does, with the same node flags (the ones the benchmark measures)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const flags = startScriptNodeFlags(pkg);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd, 'an exec-form CMD').not.toBeNull();
    expect(JSON.parse(cmd![1]!)).toEqual(['node', ...flags, 'dist/src/main.js']);
  });

  it('reads the node flags of a start script (and refuses one that does not run node)', () => {
    expect(startScriptNodeFlags({ scripts: { start: 'node --heap-growing-percent=50  --max-semi-space-size=8 dist/src/main.js' } }))
      .toEqual(['--heap-growing-percent=50', '--max-semi-space-size=8']);
    expect(startScriptNodeFlags({ scripts: { start: 'node dist/src/main.js' } })).toEqual([]);
    expect(() => startScriptNodeFlags({ scripts: { start: 'tsx src/main.ts' } })).toThrow(/does not run node/);
  });

  it('HEALTHCHECK asks /health/ready (store and Redis), on the port the image listens on', () => {
    const [node, flag, script] = dockerfileHealthcheck();
    expect([node, flag]).toEqual(['node', '-e']);
    expect(script).toMatch(/'\/health\/ready'\)/);
    expect(script).toContain('process.env.PORT || 8080');
    expect(script).not.toMatch(/'\/health'\)/);
  });
});

describe('docker compose files', () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8')) as Record<string, unknown>;
  // The schema names its draft as https://json-schema.org/draft-07/schema, which ajv knows as http://…#.
  const validate = new Ajv({ allErrors: true, strict: false }).compile({ ...schema, $schema: undefined });
  const files = Object.fromEntries(COMPOSE_FILES.map((f) => [f, readYaml(path.join(DOCKER, f)) as ComposeFile]));

  it.each(COMPOSE_FILES)('%s is valid against the Compose Specification schema', (file) => {
    const ok = validate(files[file]);
    expect(ajvErrors(validate.errors), file).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema catches a misspelt key (the check is not vacuous)', () => {
    expect(validate({ services: { a: { image: 'x', helthcheck: {} } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } })).toBe(false);
  });

  it.each(COMPOSE_FILES)('%s builds the service from the Dockerfile and configures it validly', (file) => {
    const app = files[file]!.services[APP_SERVICE]!;
    expect(app.build, file).toBeDefined();
    expect(existsSync(path.join(DOCKER, app.build!.context, app.build!.dockerfile ?? 'Dockerfile'))).toBe(true);
    expect(app.ports).toContain('127.0.0.1:8080:8080');
    const env = app.environment ?? {};
    expect(env.CDS_AUTH).toBe('off');
    // The image's settings plus the file's: what the process would start with.
    const config = loadConfig({ NODE_ENV: 'production', PORT: '8080', ...env });
    expect(() => assertAuthSettings(config.auth, config.publicBaseUrl)).not.toThrow();
    expect(composeSeconds(app.stop_grace_period ?? '10s')).toBeGreaterThan(config.shutdownGraceSeconds);
  });

  it.each(COMPOSE_FILES)('%s publishes ports on the loopback interface only (authentication is off)', (file) => {
    const published = Object.entries(files[file]!.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) expect(p).toMatch(/^\S+ 127\.0\.0\.1:\d+:\d+$/);
  });

  it('the full stack wires the service to PostgreSQL, Redis and HAPI FHIR', () => {
    const { services, volumes } = files['compose.full.yaml']!;
    const app = services[APP_SERVICE]!;
    const env = app.environment!;
    const pg = services.postgres!;
    expect(pg.image).toMatch(/^postgres:16/);
    const db = new URL(env.DATABASE_URL!);
    expect(db.protocol).toBe('postgres:');
    expect(db.hostname).toBe('postgres');
    expect(decodeURIComponent(db.username)).toBe(pg.environment!.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(pg.environment!.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${pg.environment!.POSTGRES_DB}`);
    const pgVolume = pg.volumes!.find((v) => v.endsWith(':/var/lib/postgresql/data'))!;
    expect(volumes).toHaveProperty(pgVolume.split(':')[0]!);

    const hapi = services.hapi!;
    expect(hapi.image).toMatch(/^hapiproject\/hapi:/);
    expect(hapi.environment?.HAPI_FHIR_FHIR_VERSION).toBe('R4');
    expect(hapi.ports).toContain('127.0.0.1:8081:8080');
    // HAPI as the service reaches it, and as a client on the host does (8081 published above).
    const allowed = env.CDS_FHIR_ALLOW_HTTP!.split(',').map((u) => new URL(u.trim()));
    expect(allowed.map((u) => `${u.hostname}:${u.port}${u.pathname}`)).toEqual(['hapi:8080/fhir', 'localhost:8081/fhir']);
    const config = loadConfig({ NODE_ENV: 'production', ...env });
    expect(config.fhir.allowHttp).toHaveLength(2);

    expect(app.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(app.depends_on?.redis?.condition).toBe('service_healthy');
    expect(Object.keys(app.depends_on ?? {}).sort()).toEqual(['hapi', 'postgres', 'redis']);
    for (const [name, dep] of Object.entries(app.depends_on ?? {})) {
      if (dep.condition === 'service_healthy') expect(services[name]?.healthcheck, `${name} needs a healthcheck`).toBeDefined();
    }
    expect(app.healthcheck?.test.join(' ')).toContain("'http://127.0.0.1:8080/health/ready'");
  });

  it('the full stack\'s Redis: pinned, password-protected with the password of REDIS_URL, health-checked, not published', () => {
    const { services } = files['compose.full.yaml']!;
    const redis = services.redis!;
    expect(redis.image).toMatch(/^redis:7\.\d+(\.\d+)?$/);
    expect(redis.ports).toBeUndefined();
    expect(redis.user).toBe('redis');
    const command = redis.command ?? [];
    expect(command[0]).toBe('redis-server');
    const password = command[command.indexOf('--requirepass') + 1];
    expect(command).toContain('--requirepass');
    expect(password).toBeTruthy();
    // The health check's redis-cli authenticates through REDISCLI_AUTH.
    expect(redis.environment?.REDISCLI_AUTH).toBe(password);
    expect(redis.healthcheck?.test.join(' ')).toMatch(/redis-cli ping/);

    const url = new URL(services[APP_SERVICE]!.environment!.REDIS_URL!);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe('redis');
    expect(url.port).toBe('6379');
    expect(decodeURIComponent(url.password)).toBe(password);
    const config = loadConfig({ NODE_ENV: 'production', ...services[APP_SERVICE]!.environment });
    expect(config.redis?.url).toBe(url.href);
  });
});

// ---- Kubernetes -------------------------------------------------------------------------------

type Validating = new (data: object) => { validate(): void };
const MODELS: Record<string, () => Promise<unknown>> = {
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'apps/v1/StatefulSet': async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': async () => (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy,
};

async function k8sProblems(doc: { apiVersion?: string; kind?: string }): Promise<string[]> {
  const load = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!load) return [`no schema for ${doc.apiVersion} ${doc.kind}`];
  const Model = (await load()) as Validating;
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: ErrorObject[] }).errors;
    return errors ? ajvErrors(errors) : [String(e)];
  }
}

type Kustomization = { resources: string[]; images?: { name: string; newName?: string; newTag?: string }[] };
type K8sDoc = { apiVersion?: string; kind?: string; metadata?: { name?: string } };

/** Files applied on their own (placeholders, or an optional dependency), never by `kubectl apply -k`. */
const isExample = (file: string): boolean => file.endsWith('.example.yaml');
/** The files that hold more than one document. */
const MULTI_DOCUMENT = new Set(['redis.example.yaml']);

describe('Kubernetes manifests (docker/k8s)', () => {
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort();
  const allDocs = Object.fromEntries(
    files.map((f) => [f, MULTI_DOCUMENT.has(f) ? (readYamlDocs(path.join(K8S, f)) as K8sDoc[]) : [readYaml(path.join(K8S, f)) as K8sDoc]]),
  );
  const docs = Object.fromEntries(files.map((f) => [f, allDocs[f]![0]!]));
  const deployment = docs['deployment.yaml'] as unknown as IDeployment;
  const service = docs['service.yaml'] as unknown as IService;
  const hpa = docs['hpa.yaml'] as unknown as IHorizontalPodAutoscaler;
  const pdb = docs['pdb.yaml'] as unknown as IPodDisruptionBudget;
  const configMap = docs['configmap.yaml'] as unknown as IConfigMap;
  const secret = docs['secret.example.yaml'] as unknown as ISecret;
  const networkPolicy = docs['networkpolicy.yaml'] as unknown as INetworkPolicy;
  const kustomization = docs['kustomization.yaml'] as unknown as Kustomization;
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const podLabels = deployment.spec!.template.metadata!.labels;
  const redisDocs = allDocs['redis.example.yaml']!;
  const redisOf = <T>(kind: string): T => {
    const found = redisDocs.filter((d) => d.kind === kind);
    expect(found, `redis.example.yaml: one ${kind}`).toHaveLength(1);
    return found[0] as T;
  };
  const secretData = secret.stringData!;

  it('has the expected files', () => {
    expect(files).toEqual([
      'configmap.yaml', 'deployment.yaml', 'hpa.yaml', 'kustomization.yaml', 'networkpolicy.yaml', 'pdb.yaml',
      'redis.example.yaml', 'secret.example.yaml', 'service.yaml',
    ]);
    expect(redisDocs.map((d) => d.kind)).toEqual(['Deployment', 'Service', 'NetworkPolicy']);
  });

  it.each(files.filter((f) => f !== 'kustomization.yaml'))('%s is valid against its Kubernetes schema', async (file) => {
    for (const doc of allDocs[file]!) expect(await k8sProblems(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`).toEqual([]);
  });

  it('the Kubernetes schemas reject a wrong type (the check is not vacuous)', async () => {
    const broken = structuredClone(deployment) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(await k8sProblems(broken as never)).not.toEqual([]);
    const badPolicy = structuredClone(networkPolicy) as unknown as { spec: { policyTypes: unknown } };
    badPolicy.spec.policyTypes = 'Ingress';
    expect(await k8sProblems(badPolicy as never)).not.toEqual([]);
  });

  it('kustomization.yaml is valid against the project schema and lists every manifest but the examples', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'test/deploy/schemas/kustomization.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const ok = validate(kustomization);
    expect(ajvErrors(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml' && !isExample(f)));
    expect(kustomization.resources).toContain('networkpolicy.yaml');
    const imageName = container.image!.split(':')[0];
    expect(kustomization.images?.map((i) => i.name)).toContain(imageName);
  });

  it('the Deployment: image, probes, resources, non-root read-only container, graceful shutdown', () => {
    expect(pod.containers).toHaveLength(1);
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.startupProbe?.httpGet?.path).toBeDefined();
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(probe?.httpGet?.port).toBe('http');
    }
    expect(container.resources?.requests).toEqual({ cpu: '250m', memory: '384Mi' });
    expect(container.resources?.limits).toEqual({ cpu: '1', memory: '512Mi' });
    // Issue 12 #10: probes that outlast a loaded process's slowest /health/live in
    // bench/big-bodies.ts (about 2.4 s).
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(probe?.timeoutSeconds).toBeGreaterThanOrEqual(5);

    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    // The image's USER is the name `node`: the kubelet can only verify runAsNonRoot with a uid.
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(pod.securityContext?.runAsUser).toBe(1000);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();

    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const grace = Number(configMap.data!.SHUTDOWN_GRACE_SECONDS);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + grace);
  });

  it('memory: the request covers the measured peak, and V8\'s heap is computed from the limit, inside it', () => {
    const limitMiB = mebibytes(container.resources!.limits!.memory as string);
    const requestMiB = mebibytes(container.resources!.requests!.memory as string);
    expect(requestMiB).toBeGreaterThanOrEqual(MEASURED_PEAK_RSS_MIB);
    expect(limitMiB).toBeGreaterThanOrEqual(MEASURED_PEAK_RSS_MIB * 1.25);

    // MEMORY_LIMIT_MIB is the container's own memory limit, in MiB (the downward API).
    const limitVar = container.env?.find((e) => e.name === 'MEMORY_LIMIT_MIB');
    expect(limitVar?.valueFrom?.resourceFieldRef).toEqual({ containerName: container.name, resource: 'limits.memory', divisor: '1Mi' });
    // No heap flag in NODE_OPTIONS to contradict the command's.
    expect(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '').not.toMatch(/max-old-space-size/);

    // Run the command's shell with the declared limit and a `node` that prints its arguments.
    const [shell, dashC, script, ...rest] = container.command ?? [];
    expect([shell, dashC, rest]).toEqual(['/bin/sh', '-c', []]);
    expect(container.args).toBeUndefined();
    const bin = mkdtempSync(path.join(tmpdir(), 'cop-cds-node-'));
    try {
      writeFileSync(path.join(bin, 'node'), '#!/bin/sh\nprintf "%s\\n" node "$@"\n');
      chmodSync(path.join(bin, 'node'), 0o755);
      const argvFor = (mib: number): string[] =>
        execFileSync('/bin/sh', ['-c', script!], { env: { PATH: `${bin}:/usr/bin:/bin`, MEMORY_LIMIT_MIB: String(mib) }, encoding: 'utf8' })
          .trimEnd()
          .split('\n');
      const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      const argv = argvFor(limitMiB);
      const heapFlag = argv.find((a) => a.startsWith('--max-old-space-size='));
      // Otherwise what `npm start` (and the Dockerfile's CMD) runs.
      expect(argv).toEqual(['node', ...startScriptNodeFlags(pkg), heapFlag, 'dist/src/main.js']);
      const heapMiB = Number(heapFlag!.split('=')[1]);
      expect(heapMiB).toBeGreaterThanOrEqual(MEASURED_OLD_SPACE_MIB);
      expect(heapMiB).toBeLessThanOrEqual(limitMiB * 0.7);
      // Room above the heap for buffers, code and the young generation.
      expect(limitMiB - heapMiB).toBeGreaterThanOrEqual(128);
      // It follows the limit: a pod given 1Gi gets a heap to match.
      expect(argvFor(1024)).toContain('--max-old-space-size=640');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('ports: the container listens where the image does, and the Service targets that port only', () => {
    const port = container.ports!.find((p) => p.name === 'http')!;
    expect(port.containerPort).toBe(8080);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/PORT=8080/);
    expect(configMap.data?.PORT ?? '8080').toBe('8080');
    expect(service.spec!.type ?? 'ClusterIP').toBe('ClusterIP');
    const sp = service.spec!.ports!;
    expect(sp).toHaveLength(1);
    expect(sp[0]!.port).toBe(80);
    expect(containerPort(container, sp[0]!.targetPort)).toBe(8080);
  });

  it('/metrics: one port in the ConfigMap, the container, the scrape annotation and the NetworkPolicy; not in the Service', () => {
    const metricsPort = Number(configMap.data!.METRICS_PORT);
    expect(metricsPort).toBe(9090);
    expect(configMap.data!.METRICS_ENABLED).toBe('true');
    expect(container.ports!.find((p) => p.name === 'metrics')?.containerPort).toBe(metricsPort);
    expect(deployment.spec!.template.metadata?.annotations?.['prometheus.io/port']).toBe(String(metricsPort));
    const prometheusRules = (networkPolicy.spec!.ingress ?? []).filter((r) => policyPorts(container, r.ports).some((p) => p.port === metricsPort));
    expect(prometheusRules).toHaveLength(1);
    expect(policyPorts(container, prometheusRules[0]!.ports)).toEqual([{ port: metricsPort, protocol: 'TCP' }]);
    // Prometheus alone: its namespace and its pods.
    expect(prometheusRules[0]!.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ]);
    for (const p of service.spec!.ports!) {
      expect(containerPort(container, p.targetPort), `Service port ${p.name}`).not.toBe(metricsPort);
      expect(p.port).not.toBe(metricsPort);
    }
    // Loaded as the pods load it.
    expect(loadConfig({ NODE_ENV: 'production', PORT: '8080', ...configMap.data, CDS_TRUSTED_CLIENTS: secretData.CDS_TRUSTED_CLIENTS }).metricsPort).toBe(metricsPort);
  });

  it('the NetworkPolicy selects the pods, opens the API to the ingress controller and /metrics to Prometheus only, and lets them reach their dependencies', () => {
    expect(isSubset(networkPolicy.spec!.podSelector?.matchLabels, podLabels)).toBe(true);
    expect(networkPolicy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    const ingress = networkPolicy.spec!.ingress ?? [];
    // Every rule names its sources and its ports: none is open to all.
    for (const rule of ingress) {
      expect(rule.from?.length).toBeGreaterThan(0);
      expect(rule.ports?.length).toBeGreaterThan(0);
      for (const p of policyPorts(container, rule.ports)) expect(p.port, 'a port of the container').toBeDefined();
    }
    const opened = ingress.flatMap((r) => policyPorts(container, r.ports).map((p) => p.port)).sort();
    expect(opened).toEqual([8080, Number(configMap.data!.METRICS_PORT)]);
    const apiRule = ingress.find((r) => policyPorts(container, r.ports).some((p) => p.port === 8080))!;
    expect(apiRule.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);

    expect(egressAllows(networkPolicy, 53, 'UDP')).toBe(true);
    expect(egressAllows(networkPolicy, 53, 'TCP')).toBe(true);
    expect(egressAllows(networkPolicy, Number(new URL(secretData.DATABASE_URL!).port || 5432))).toBe(true);
    expect(egressAllows(networkPolicy, Number(new URL(secretData.REDIS_URL!).port || 6379))).toBe(true);
    // The EHRs' FHIR servers and the trusted clients' JWKS URLs.
    const httpsPorts = [
      ...configMap.data!.CDS_FHIR_ALLOWLIST!.split(','),
      ...(JSON.parse(secretData.CDS_TRUSTED_CLIENTS!) as { jwksUrl?: string }[]).flatMap((c) => (c.jwksUrl ? [c.jwksUrl] : [])),
    ].map((u) => Number(new URL(u.trim()).port || 443));
    for (const port of httpsPorts) expect(egressAllows(networkPolicy, port)).toBe(true);
  });

  it('selectors: the Deployment, Service, PodDisruptionBudget and NetworkPolicy select the pod template labels', () => {
    expect(isSubset(deployment.spec!.selector.matchLabels, podLabels)).toBe(true);
    expect(isSubset(service.spec!.selector, podLabels)).toBe(true);
    expect(isSubset(pdb.spec!.selector?.matchLabels, podLabels)).toBe(true);
    expect(isSubset(networkPolicy.spec!.podSelector?.matchLabels, podLabels)).toBe(true);
  });

  it('the HorizontalPodAutoscaler scales the Deployment on CPU, 3 to 10, and is the only one to set its count; the PDB keeps 2', () => {
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBe(3);
    expect(hpa.spec!.maxReplicas).toBe(10);
    expect(hpa.spec!.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    // Utilization is measured against the request: there must be one.
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(pdb.spec!.minAvailable).toBe(2);
    expect(pdb.spec!.minAvailable as number).toBeLessThan(hpa.spec!.minReplicas!);
    // A fixed count would be applied again by every `kubectl apply -k`, against the HPA's.
    const scaled = Object.values(allDocs).flat().filter((d) => d.kind === 'HorizontalPodAutoscaler') as IHorizontalPodAutoscaler[];
    for (const h of scaled) {
      const target = Object.values(allDocs).flat().find((d) => d.kind === h.spec!.scaleTargetRef.kind && d.metadata?.name === h.spec!.scaleTargetRef.name) as IDeployment;
      expect(target, `${h.metadata!.name}'s target`).toBeDefined();
      expect(target.spec!.replicas, `${target.metadata!.name}: no spec.replicas under an HPA`).toBeUndefined();
    }
  });

  it('secrets: the Deployment reads every secret as a file of the Secret, and each key it reads is in the example', () => {
    // Environment variables from the Secret, if any: keys of the example, required.
    for (const ref of (container.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []))) {
      expect(ref.name).toBe(secret.metadata!.name);
      expect(secretData).toHaveProperty(ref.key);
      expect(ref.optional ?? false).toBe(false);
    }
    const volume = pod.volumes!.find((v) => v.secret)!;
    expect(volume.secret!.secretName).toBe(secret.metadata!.name);
    // Required: a pod without the Secret (or one of its keys) does not start, so there is no silent
    // fall-back to a per-pod SQLite store or per-pod limits.
    expect(volume.secret!.optional ?? false).toBe(false);
    expect(volume.secret!.defaultMode).toBe(0o440);
    expect(pod.securityContext?.fsGroup).toBe(1000);
    const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
    expect(mount.readOnly).toBe(true);
    const items = volume.secret!.items ?? [];
    expect(items.map((i) => i.key).sort()).toEqual(['CDS_TRUSTED_CLIENTS', 'DATABASE_URL', 'PATIENT_KEY_SECRET', 'REDIS_URL']);
    for (const item of items) expect(secretData, item.key).toHaveProperty(item.key);

    // Each file is named by the *_FILE variable of the setting it holds, and every *_FILE variable names a file.
    const fileVars = (container.env ?? []).filter((e) => e.name.endsWith('_FILE'));
    expect(fileVars.map((e) => e.name).sort()).toEqual([...SECRET_FILE_VARIABLES, 'CDS_TRUSTED_CLIENTS'].map((n) => `${n}_FILE`).sort());
    for (const e of fileVars) {
      const item = items.find((i) => path.posix.join(mount.mountPath, i.path) === e.value);
      expect(item, `${e.name} names a file of the secret volume`).toBeDefined();
      expect(item!.key).toBe(e.name.replace(/_FILE$/, ''));
    }
  });

  /** The pod's environment, with the secret volume written to a temporary directory from `data`. */
  function podEnvironment(dir: string, data: Record<string, string>): NodeJS.ProcessEnv {
    const volume = pod.volumes!.find((v) => v.secret)!;
    const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
    for (const item of volume.secret!.items!) writeFileSync(path.join(dir, item.path), data[item.key]!);
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', PORT: '8080', ...configMap.data };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value.startsWith(`${mount.mountPath}/`) ? path.join(dir, e.value.slice(mount.mountPath.length + 1)) : e.value;
      else if (e.valueFrom?.resourceFieldRef) env[e.name] = String(mebibytes(container.resources!.limits!.memory as string));
      else if (e.valueFrom?.secretKeyRef) env[e.name] = data[e.valueFrom.secretKeyRef.key];
    }
    return env;
  }

  it('environment: the ConfigMap and the Secret example start the service once the placeholders are replaced, and not before', () => {
    expect(container.envFrom?.map((e) => e.configMapRef?.name)).toEqual([configMap.metadata!.name]);
    const placeholders = Object.entries(secretData).filter(([, v]) => v.includes('CHANGE-ME')).map(([k]) => k).sort();
    expect(placeholders).toEqual(['DATABASE_URL', 'PATIENT_KEY_SECRET', 'REDIS_PASSWORD', 'REDIS_URL']);
    const dir = mkdtempSync(path.join(tmpdir(), 'cop-cds-secrets-'));
    try {
      // As shipped: the example PATIENT_KEY_SECRET is refused (it is published in this repository).
      const problems = configProblems(podEnvironment(dir, secretData) as Record<string, string>);
      expect(problems.join('\n')).toMatch(/^PATIENT_KEY_SECRET: .*example value/m);
      expect(problems.join('\n')).not.toContain(secretData.PATIENT_KEY_SECRET);

      // Real-looking values (the same one for REDIS_URL's password and REDIS_PASSWORD): accepted.
      const real = 'c0ffee5eed'.repeat(4);
      const filled = Object.fromEntries(Object.entries(secretData).map(([k, v]) => [k, v.replace(/CHANGE-ME[-\w]*/g, real)]));
      const config = loadConfig(podEnvironment(dir, filled));
      expect(config.store.databaseUrl).toBe(filled.DATABASE_URL);
      expect(config.store.databaseUrl).toMatch(/^postgres:/);
      expect(config.store.patientKeySecret).toBe(real);
      expect(config.redis?.url).toBe(filled.REDIS_URL);
      expect(config.auth.trustedClients).toHaveLength(1);
      expect(config.auth.enabled).toBe(true);
      expect(config.metricsPort).toBe(Number(configMap.data!.METRICS_PORT));
      expect(() => assertAuthSettings(config.auth, config.publicBaseUrl)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Redis example: one non-root replica with the Secret\'s password, probes and memory bounds, reached as REDIS_URL says, by the service\'s pods only', () => {
    const redis = redisOf<IDeployment>('Deployment');
    const redisService = redisOf<IService>('Service');
    const redisPolicy = redisOf<INetworkPolicy>('NetworkPolicy');
    const redisPod = redis.spec!.template.spec!;
    const redisLabels = redis.spec!.template.metadata!.labels;
    expect(redisPod.containers).toHaveLength(1);
    const c = redisPod.containers[0]!;

    expect(redis.spec!.replicas).toBe(1);
    expect(redis.spec!.strategy?.type).toBe('Recreate');
    // The same pinned image as the compose stack's.
    const composeRedis = (readYaml(path.join(DOCKER, 'compose.full.yaml')) as ComposeFile).services.redis!;
    expect(c.image).toMatch(/^redis:7\.\d+(\.\d+)?$/);
    expect(c.image).toBe(composeRedis.image);

    expect(redisPod.securityContext?.runAsNonRoot).toBe(true);
    expect(redisPod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(redisPod.automountServiceAccountToken).toBe(false);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const data = c.volumeMounts?.find((m) => m.mountPath === '/data');
    expect(redisPod.volumes?.find((v) => v.name === data?.name)?.emptyDir).toBeDefined();

    // requirepass from the Secret (Kubernetes expands $(REDIS_PASSWORD) in args).
    expect(c.command).toEqual(['redis-server']);
    const args = c.args ?? [];
    const arg = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
    expect(arg('--requirepass')).toBe('$(REDIS_PASSWORD)');
    for (const name of ['REDIS_PASSWORD', 'REDISCLI_AUTH']) {
      const ref = c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      expect(ref, name).toEqual({ name: secret.metadata!.name, key: 'REDIS_PASSWORD' });
    }
    expect(secretData).toHaveProperty('REDIS_PASSWORD');
    // Full means refused writes (503), never forgotten jti records; below the container's limit.
    expect(arg('--maxmemory-policy')).toBe('noeviction');
    expect(mebibytes(arg('--maxmemory')!)).toBeLessThan(mebibytes(c.resources!.limits!.memory as string));
    expect(c.resources?.requests?.memory).toBeDefined();
    expect(c.resources?.requests?.cpu).toBeDefined();
    expect(c.resources?.limits?.cpu).toBeDefined();
    for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe?.exec?.command?.join(' ')).toMatch(/redis-cli ping/);

    // The Service selects the Redis pod and is the host and port of the Secret's REDIS_URL, whose
    // password is REDIS_PASSWORD.
    expect(isSubset(redis.spec!.selector.matchLabels, redisLabels)).toBe(true);
    expect(isSubset(redisService.spec!.selector, redisLabels)).toBe(true);
    expect(redisService.spec!.ports).toHaveLength(1);
    const url = new URL(secretData.REDIS_URL!);
    expect(url.hostname).toBe(redisService.metadata!.name);
    expect(Number(url.port)).toBe(redisService.spec!.ports![0]!.port);
    expect(containerPort(c, redisService.spec!.ports![0]!.targetPort)).toBe(6379);
    expect(decodeURIComponent(url.password)).toBe(secretData.REDIS_PASSWORD);

    // Its NetworkPolicy: the service's pods only, to the Redis port; no egress.
    expect(isSubset(redisPolicy.spec!.podSelector?.matchLabels, redisLabels)).toBe(true);
    expect(redisPolicy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(redisPolicy.spec!.egress).toEqual([]);
    expect(redisPolicy.spec!.ingress).toHaveLength(1);
    const from = redisPolicy.spec!.ingress![0]!.from ?? [];
    expect(from).toHaveLength(1);
    expect(from[0]!.namespaceSelector).toBeUndefined();
    expect(isSubset(from[0]!.podSelector?.matchLabels, podLabels)).toBe(true);
    expect(policyPorts(c, redisPolicy.spec!.ingress![0]!.ports)).toEqual([{ port: 6379, protocol: 'TCP' }]);

    // Neither set of selectors takes the other's pods (the service's Service, PDB, HPA and policy).
    for (const selector of [deployment.spec!.selector.matchLabels, service.spec!.selector, pdb.spec!.selector?.matchLabels, networkPolicy.spec!.podSelector?.matchLabels]) {
      expect(isSubset(selector, redisLabels)).toBe(false);
    }
    for (const selector of [redis.spec!.selector.matchLabels, redisService.spec!.selector, redisPolicy.spec!.podSelector?.matchLabels]) {
      expect(isSubset(selector, podLabels)).toBe(false);
    }
  });

  it('every environment variable the deployment files set is documented in docs/configuration.md', () => {
    const names = new Set<string>([
      ...Object.keys(configMap.data ?? {}),
      ...Object.keys(secretData),
      ...(container.env ?? []).map((e) => e.name),
      ...COMPOSE_FILES.flatMap((f) => Object.keys((readYaml(path.join(DOCKER, f)) as ComposeFile).services[APP_SERVICE]!.environment ?? {})),
    ]);
    expect(names.size).toBeGreaterThan(8);
    for (const name of names) expect(settingsDoc, name).toContain(`\`${name}\``);
  });
});

describe('the paths the manifests probe and scrape answer on the service', () => {
  const deployment = readYaml(path.join(K8S, 'deployment.yaml')) as IDeployment;
  const configMap = readYaml(path.join(K8S, 'configmap.yaml')) as IConfigMap;
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(testConfig({ metricsPort: Number(configMap.data!.METRICS_PORT) }));
  });
  afterAll(async () => {
    await app.close();
  });

  it('GET /health/live and /health/ready answer 200 on the API port; /metrics 200 on the METRICS_PORT listener and 404 on the API port', async () => {
    const c = deployment.spec!.template.spec!.containers[0]!;
    const probes = new Set([c.livenessProbe!.httpGet!.path!, c.readinessProbe!.httpGet!.path!, c.startupProbe!.httpGet!.path!]);
    expect([...probes].sort()).toEqual(['/health/live', '/health/ready']);
    for (const url of probes) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    const scrape = deployment.spec!.template.metadata!.annotations!['prometheus.io/path']!;
    expect(scrape).toBe('/metrics');
    expect(app.metricsApp).not.toBeNull();
    const metrics = await app.metricsApp!.inject({ method: 'GET', url: scrape });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('cds_service_calls_total');
    expect((await app.inject({ method: 'GET', url: scrape })).statusCode).toBe(404);
  });
});
