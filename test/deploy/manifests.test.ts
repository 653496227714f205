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
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptNodeFlags } from '../../bench/procs.js';
import { parseAllDocuments } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { assertAuthSettings } from '../../src/auth/plugin.js';
import { loadConfig } from '../../src/config.js';
import { testConfig } from '../fixtures/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKER = path.join(ROOT, 'docker');
const K8S = path.join(DOCKER, 'k8s');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

/** The one YAML document of a file; any YAML error or warning (duplicate key, …) fails. */
function readYaml(file: string): unknown {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML document`);
  expect(docs, `${file}: one document`).toHaveLength(1);
  const doc = docs[0]!;
  expect([...doc.errors, ...doc.warnings].map((e) => e.message), file).toEqual([]);
  return doc.toJS({ maxAliasCount: 0 }) as unknown;
}

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
    expect(app.ports).toContain('8080:8080');
    const env = app.environment ?? {};
    expect(env.CDS_AUTH).toBe('off');
    // The image's settings plus the file's: what the process would start with.
    const config = loadConfig({ NODE_ENV: 'production', PORT: '8080', ...env });
    expect(() => assertAuthSettings(config.auth, config.publicBaseUrl)).not.toThrow();
    expect(composeSeconds(app.stop_grace_period ?? '10s')).toBeGreaterThan(config.shutdownGraceSeconds);
  });

  it('the full stack wires the service to PostgreSQL and HAPI FHIR', () => {
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
    expect(hapi.ports).toContain('8081:8080');
    // HAPI as the service reaches it, and as a client on the host does (8081 published above).
    const allowed = env.CDS_FHIR_ALLOW_HTTP!.split(',').map((u) => new URL(u.trim()));
    expect(allowed.map((u) => `${u.hostname}:${u.port}${u.pathname}`)).toEqual(['hapi:8080/fhir', 'localhost:8081/fhir']);
    expect(loadConfig({ NODE_ENV: 'production', ...env }).fhir.allowHttp).toHaveLength(2);

    expect(app.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(Object.keys(app.depends_on ?? {}).sort()).toEqual(['hapi', 'postgres']);
    for (const [name, dep] of Object.entries(app.depends_on ?? {})) {
      if (dep.condition === 'service_healthy') expect(services[name]?.healthcheck, `${name} needs a healthcheck`).toBeDefined();
    }
    expect(app.healthcheck?.test.join(' ')).toContain('/health/ready');
  });
});

// ---- Kubernetes -------------------------------------------------------------------------------

type Validating = new (data: object) => { validate(): void };
const MODELS: Record<string, () => Promise<Validating>> = {
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
};

async function k8sProblems(doc: { apiVersion?: string; kind?: string }): Promise<string[]> {
  const load = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!load) return [`no schema for ${doc.apiVersion} ${doc.kind}`];
  const Model = await load();
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: ErrorObject[] }).errors;
    return errors ? ajvErrors(errors) : [String(e)];
  }
}

type Kustomization = { resources: string[]; images?: { name: string; newName?: string; newTag?: string }[] };

describe('Kubernetes manifests (docker/k8s)', () => {
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort();
  const docs = Object.fromEntries(files.map((f) => [f, readYaml(path.join(K8S, f)) as Record<string, unknown>]));
  const deployment = docs['deployment.yaml'] as unknown as IDeployment;
  const service = docs['service.yaml'] as unknown as IService;
  const hpa = docs['hpa.yaml'] as unknown as IHorizontalPodAutoscaler;
  const pdb = docs['pdb.yaml'] as unknown as IPodDisruptionBudget;
  const configMap = docs['configmap.yaml'] as unknown as IConfigMap;
  const secret = docs['secret.example.yaml'] as unknown as ISecret;
  const kustomization = docs['kustomization.yaml'] as unknown as Kustomization;
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('has the expected files', () => {
    expect(files).toEqual(['configmap.yaml', 'deployment.yaml', 'hpa.yaml', 'kustomization.yaml', 'pdb.yaml', 'secret.example.yaml', 'service.yaml']);
  });

  it.each(files.filter((f) => f !== 'kustomization.yaml'))('%s is valid against its Kubernetes schema', async (file) => {
    expect(await k8sProblems(docs[file]!)).toEqual([]);
  });

  it('the Kubernetes schemas reject a wrong type (the check is not vacuous)', async () => {
    const broken = structuredClone(deployment) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(await k8sProblems(broken as never)).not.toEqual([]);
  });

  it('kustomization.yaml is valid against the project schema and lists every manifest but the example Secret', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'test/deploy/schemas/kustomization.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const ok = validate(kustomization);
    expect(ajvErrors(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml'));
    const imageName = container.image!.split(':')[0];
    expect(kustomization.images?.map((i) => i.name)).toContain(imageName);
  });

  it('the Deployment: replicas, image, probes, resources, non-root read-only container, graceful shutdown', () => {
    expect(deployment.spec!.replicas).toBe(3);
    expect(pod.containers).toHaveLength(1);
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.startupProbe?.httpGet?.path).toBeDefined();
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(probe?.httpGet?.port).toBe('http');
    }
    expect(container.resources?.requests).toEqual({ cpu: '250m', memory: '256Mi' });
    expect(container.resources?.limits).toEqual({ cpu: '1', memory: '512Mi' });
    // Issue 12 #10: V8's old space well inside the memory limit, probes that outlast a loaded
    // process's slowest /health/live in bench/big-bodies.ts (about 2.4 s).
    const oldSpace = /--max-old-space-size=(\d+)/.exec(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '');
    expect(oldSpace, 'NODE_OPTIONS sets --max-old-space-size').not.toBeNull();
    expect(Number(oldSpace![1])).toBeLessThanOrEqual(512 * 0.7);
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

  it('ports: the container listens where the image does, and the Service targets that port', () => {
    const port = container.ports!.find((p) => p.name === 'http')!;
    expect(port.containerPort).toBe(8080);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/PORT=8080/);
    expect(configMap.data?.PORT ?? '8080').toBe('8080');
    expect(service.spec!.type ?? 'ClusterIP').toBe('ClusterIP');
    const sp = service.spec!.ports!;
    expect(sp).toHaveLength(1);
    expect(sp[0]!.port).toBe(80);
    const target = sp[0]!.targetPort;
    expect(typeof target === 'string' ? container.ports!.find((p) => p.name === target)?.containerPort : target).toBe(8080);
    expect(deployment.spec!.template.metadata?.annotations?.['prometheus.io/port']).toBe('8080');
  });

  it('selectors: the Deployment, Service and PodDisruptionBudget select the pod template labels', () => {
    const labels = deployment.spec!.template.metadata!.labels;
    expect(isSubset(deployment.spec!.selector.matchLabels, labels)).toBe(true);
    expect(isSubset(service.spec!.selector, labels)).toBe(true);
    expect(isSubset(pdb.spec!.selector?.matchLabels, labels)).toBe(true);
  });

  it('the HorizontalPodAutoscaler scales the Deployment on CPU, 3 to 10; the PDB keeps 2', () => {
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBe(3);
    expect(hpa.spec!.maxReplicas).toBe(10);
    expect(hpa.spec!.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    // Utilization is measured against the request: there must be one.
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(pdb.spec!.minAvailable).toBe(2);
    expect(pdb.spec!.minAvailable as number).toBeLessThan(hpa.spec!.minReplicas!);
    expect(deployment.spec!.replicas).toBe(hpa.spec!.minReplicas);
  });

  it('environment: the ConfigMap and Secret the Deployment names exist, and their values start the service', () => {
    expect(container.envFrom?.map((e) => e.configMapRef?.name)).toEqual([configMap.metadata!.name]);
    const secretRefs = (container.env ?? []).filter((e) => e.valueFrom).map((e) => e.valueFrom?.secretKeyRef);
    expect(secretRefs.map((r) => r?.key).sort()).toEqual(['CDS_TRUSTED_CLIENTS', 'DATABASE_URL', 'PATIENT_KEY_SECRET']);
    for (const ref of secretRefs) {
      expect(ref?.name).toBe(secret.metadata!.name);
      expect(secret.stringData).toHaveProperty(ref!.key);
      // Required: a pod without the Secret does not start (no silent fall-back to a per-pod SQLite).
      expect(ref?.optional ?? false).toBe(false);
    }
    const env = { NODE_ENV: 'production', PORT: '8080', ...configMap.data, ...secret.stringData };
    const config = loadConfig(env);
    expect(config.store.databaseUrl).toMatch(/^postgres:/);
    expect(() => assertAuthSettings(config.auth, config.publicBaseUrl)).not.toThrow();
    expect(Object.values(secret.stringData!).join(' ')).toContain('CHANGE-ME');
  });

  it('every environment variable the deployment files set is documented in README.md', () => {
    const names = new Set<string>([
      ...Object.keys(configMap.data ?? {}),
      ...Object.keys(secret.stringData ?? {}),
      ...(container.env ?? []).map((e) => e.name),
      ...COMPOSE_FILES.flatMap((f) => Object.keys((readYaml(path.join(DOCKER, f)) as ComposeFile).services[APP_SERVICE]!.environment ?? {})),
    ]);
    expect(names.size).toBeGreaterThan(8);
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe('the paths the manifests probe and scrape answer on the service', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(testConfig());
  });
  afterAll(async () => {
    await app.close();
  });

  it('GET /health/live, /health/ready and /metrics answer 200', async () => {
    const deployment = readYaml(path.join(K8S, 'deployment.yaml')) as IDeployment;
    const c = deployment.spec!.template.spec!.containers[0]!;
    const paths = new Set([
      c.livenessProbe!.httpGet!.path!,
      c.readinessProbe!.httpGet!.path!,
      c.startupProbe!.httpGet!.path!,
      deployment.spec!.template.metadata!.annotations!['prometheus.io/path']!,
    ]);
    expect([...paths].sort()).toEqual(['/health/live', '/health/ready', '/metrics']);
    for (const url of paths) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
  });
});
