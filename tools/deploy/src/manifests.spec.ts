// deploy/kubernetes: rendered like `kubectl apply -k` would, validated against the Kubernetes schemas
// (kubernetes-models), and checked against what the apps really read and serve.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGetRoutes, appContract, type AppContract } from './apps.js';
import { kubectlKustomize, objectId, parseYamlDocuments, renderKustomization, type KubeObject } from './kustomize.js';
import { argReferences, flagsOf, packageVersion, readRepoFile, repoPath, ROOT } from './repo.js';

const BASE = 'deploy/kubernetes/base';
const POSTGRES = 'deploy/kubernetes/postgres';
const NAMESPACE = 'netatlas';

// --- a typed view of the objects these manifests hold (the schema check below is the real one) ---
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  securityContext?: {
    runAsUser?: number;
    runAsNonRoot?: boolean;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  dnsPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{
    name: string;
    hostPath?: { path: string; type?: string };
    emptyDir?: object;
    projected?: { sources: Array<{ serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }> };
  }>;
}
interface Workload extends KubeObject {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
  resourceNames?: string[];
}

const rendered: Record<string, KubeObject[]> = {
  [BASE]: renderKustomization(repoPath(BASE)),
  [POSTGRES]: renderKustomization(repoPath(POSTGRES)),
};
const secretExamples = parseYamlDocuments(readRepoFile(BASE, 'secrets.example.yaml'), 'secrets.example.yaml');

function find<T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map(objectId).join(', ')}`);
  return found as T;
}

const base = rendered[BASE]!;
const apiDeployment = find<Workload>(base, 'Deployment', 'netatlas-api');
const apiService = find(base, 'Service', 'netatlas-api') as KubeObject & {
  spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
};
const collector = find<Workload>(base, 'DaemonSet', 'netatlas-collector');
const apiContainer = apiDeployment.spec.template.spec.containers[0]!;
const collectorContainer = collector.spec.template.spec.containers[0]!;

function envOf(container: Container): Map<string, EnvVar> {
  return new Map((container.env ?? []).map((e) => [e.name, e]));
}

let contract: AppContract;
beforeAll(async () => {
  contract = await appContract();
});

describe('rendering deploy/kubernetes', () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  const hasKubectl = !kubectl.error && kubectl.status === 0;

  it.skipIf(!hasKubectl)('renders the same objects as kubectl kustomize', () => {
    for (const dir of [BASE, POSTGRES]) {
      const real = kubectlKustomize(repoPath(dir))!;
      const byId = (list: KubeObject[]) => Object.fromEntries(list.map((o) => [objectId(o), o]));
      expect(byId(rendered[dir]!), dir).toEqual(byId(real));
    }
  });
  if (!hasKubectl) it('(kubectl is not installed: the objects come from tools/deploy/src/kustomize.ts alone)', () => undefined);

  it('base holds the namespace, RBAC, the API and the collector; the postgres overlay adds Postgres', () => {
    expect(base.map(objectId).sort()).toEqual(
      [
        'v1/Namespace/-/netatlas',
        'v1/ServiceAccount/netatlas/netatlas-api',
        'v1/ServiceAccount/netatlas/netatlas-collector',
        'rbac.authorization.k8s.io/v1/ClusterRole/-/netatlas-api',
        'rbac.authorization.k8s.io/v1/ClusterRoleBinding/-/netatlas-api',
        'apps/v1/Deployment/netatlas/netatlas-api',
        'v1/Service/netatlas/netatlas-api',
        'apps/v1/DaemonSet/netatlas/netatlas-collector',
      ].sort(),
    );
    const extra = rendered[POSTGRES]!.map(objectId).filter((id) => !base.map(objectId).includes(id));
    expect(extra.sort()).toEqual(
      [
        'apps/v1/StatefulSet/netatlas/netatlas-postgres',
        'v1/Service/netatlas/netatlas-postgres',
        'networking.k8s.io/v1/NetworkPolicy/netatlas/netatlas-postgres',
      ].sort(),
    );
  });

  it('puts every namespaced object in the netatlas namespace', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of [...rendered[POSTGRES]!, ...secretExamples]) {
      expect(o.metadata.namespace, objectId(o)).toBe(clusterScoped.has(o.kind) ? undefined : NAMESPACE);
    }
  });
});

describe('Kubernetes schemas', () => {
  const all = [...new Map([...rendered[POSTGRES]!, ...base, ...secretExamples].map((o) => [objectId(o), o])).values()];

  it('validates every object with kubernetes-models', async () => {
    for (const o of all) {
      const specifier = `kubernetes-models/${o.apiVersion}/${o.kind}`;
      const module = (await import(/* @vite-ignore */ specifier)) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = module[o.kind];
      expect(Model, `kubernetes-models has no ${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), objectId(o)).not.toThrow();
    }
  });

  it('catches a wrong field type (the validator is live)', async () => {
    const { DaemonSet } = await import('kubernetes-models/apps/v1/DaemonSet');
    const broken = structuredClone(collector) as Workload;
    (broken.spec.template.spec as unknown as Record<string, unknown>)['hostNetwork'] = 'yes';
    expect(() => new DaemonSet(broken as never).validate()).toThrow(/hostNetwork must be boolean/);
  });

  it('has no unknown fields: each object type-checks as its kubernetes-models interface (excess properties are errors)', () => {
    // the schemas accept unknown properties (a typo such as `readinesProbe` would pass); TypeScript's
    // excess property check on object literals does not
    const dir = join(ROOT, 'tmp', 'deploy-manifest-types');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    all.forEach((o, i) => {
      lines.push(`import type { I${o.kind} as T${i} } from 'kubernetes-models/${o.apiVersion}/${o.kind}';`);
    });
    all.forEach((o, i) => lines.push(`// ${objectId(o)}\nexport const o${i}: T${i} = ${JSON.stringify(o, null, 2)};`));
    writeFileSync(join(dir, 'manifests.ts'), lines.join('\n') + '\n');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] },
        files: ['manifests.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr, 'tsc on tmp/deploy-manifest-types/manifests.ts').toBe('');
    expect(tsc.status).toBe(0);
  });
});

describe('the collector DaemonSet', () => {
  const pod = collector.spec.template.spec;

  it('runs in the node’s network namespace and resolves cluster names from there', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.hostIPC ?? false).toBe(false);
  });

  it('names the node from the downward API (spec.nodeName) through --node-name', () => {
    const args = collectorContainer.args ?? [];
    const i = args.indexOf('--node-name');
    expect(i).toBeGreaterThanOrEqual(0);
    const [ref] = argReferences([args[i + 1]!]);
    expect(ref).toBeDefined();
    expect(envOf(collectorContainer).get(ref!)?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
  });

  it('streams to the API Service, proving its node with a projected service-account token for the API’s audience', () => {
    const args = collectorContainer.args ?? [];
    const api = new URL(args[args.indexOf('--api') + 1]!);
    const port = apiService.spec.ports[0]!.port;
    expect(api.origin).toBe(`http://${apiService.metadata.name}.${apiService.metadata.namespace}.svc:${port}`);
    // no shared secret anywhere: the token file is the kubelet's projected token, rotated and re-read
    expect(envOf(collectorContainer).has('NETATLAS_TOKEN')).toBe(false);
    expect(envOf(apiContainer).has('NETATLAS_TOKEN')).toBe(false);
    const file = envOf(collectorContainer).get('NETATLAS_TOKEN_FILE')?.value ?? '';
    const mount = collectorContainer.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
    expect(mount, `a mount holding ${file}`).toBeDefined();
    expect(mount!.readOnly).toBe(true);
    const sources = pod.volumes?.find((v) => v.name === mount!.name)?.projected?.sources ?? [];
    const projected = sources.find((x) => x.serviceAccountToken)?.serviceAccountToken;
    expect(`${mount!.mountPath}/${projected?.path}`).toBe(file);
    // the audience the API reviews tokens for (its default: the Deployment does not change it)
    expect(envOf(apiContainer).has('NETATLAS_COLLECTOR_AUDIENCE')).toBe(false);
    const defaults = contract.loadApiConfig({ DATABASE_URL: 'postgresql://netatlas@db/netatlas', NETATLAS_KUBERNETES: 'off' }) as { collectorAudience: string; collectorServiceAccount: string };
    expect(projected?.audience).toBe(defaults.collectorAudience);
    expect(projected?.expirationSeconds).toBeLessThanOrEqual(3600);
    // the service account the API accepts tokens of is the DaemonSet's
    expect(envOf(apiContainer).has('NETATLAS_COLLECTOR_SERVICE_ACCOUNT')).toBe(false);
    expect(defaults.collectorServiceAccount).toBe(`${NAMESPACE}:${pod.serviceAccountName}`);
  });

  it('runs on every node: tolerates every taint', () => {
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
  });

  it('has NET_ADMIN and nothing else: uid 0, every other capability dropped, not privileged, read-only root', () => {
    const sc = collectorContainer.securityContext!;
    expect(sc.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.runAsUser).toBe(0);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('mounts Calico’s BIRD socket folder read-only where the collector looks for it', () => {
    const calicoSocket = contract.birdSockets.find((s) => s.includes('calico'))!;
    const folder = calicoSocket.slice(0, calicoSocket.lastIndexOf('/'));
    const mount = collectorContainer.volumeMounts?.find((m) => m.mountPath === folder);
    expect(mount, `a mount at ${folder}`).toBeDefined();
    expect(mount!.readOnly).toBe(true);
    const volume = pod.volumes?.find((v) => v.name === mount!.name);
    expect(volume?.hostPath?.path).toBe(folder);
    // no other host folders than it and the CNI records' (below)
    expect(pod.volumes?.filter((v) => v.hostPath).map((v) => v.hostPath!.path).sort()).toEqual([folder, '/var/lib/cni'].sort());
  });

  it('mounts the CNI records read-only where the cni reader looks by default (no --cni-dir, no NETATLAS_CNI_DIR)', () => {
    const cni = readRepoFile('apps/collector/src/readers/cni.reader.ts');
    const dir = /DEFAULT_CNI_DIR = '([^']+)'/.exec(cni)![1]!;
    const mount = collectorContainer.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount, `a mount at ${dir}`).toBeDefined();
    expect(mount!.readOnly).toBe(true);
    expect(pod.volumes?.find((v) => v.name === mount!.name)?.hostPath?.path).toBe(dir);
    expect(flagsOf(collectorContainer.args ?? [])).not.toContain('cni-dir');
    expect(envOf(collectorContainer).has('NETATLAS_CNI_DIR')).toBe(false);
  });

  it('reaches GoBGP’s API on the node’s loopback (the --gobgp-api default) through hostNetwork', () => {
    expect(flagsOf(collectorContainer.args ?? [])).not.toContain('gobgp-api');
    expect(envOf(collectorContainer).has('NETATLAS_GOBGP_API')).toBe(false);
    expect(readRepoFile('apps/collector/src/readers/gobgp.reader.ts')).toContain("DEFAULT_GOBGP_API = '127.0.0.1:50051'");
  });

  it('passes only flags the collector accepts and sets only env it reads (or expands into args)', () => {
    const flags = flagsOf(collectorContainer.args ?? []);
    expect(flags.filter((f) => !contract.collectorFlags.includes(f))).toEqual([]);
    const refs = argReferences([...(collectorContainer.args ?? []), ...(collectorContainer.command ?? [])]);
    const unknown = [...envOf(collectorContainer).keys()].filter((name) => !contract.collectorEnv.includes(name) && !refs.includes(name));
    expect(unknown).toEqual([]);
    expect(collectorContainer.command, 'the image ENTRYPOINT runs the collector').toBeUndefined();
  });

  it('has resource requests and a memory limit', () => {
    expect(collectorContainer.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(collectorContainer.resources?.limits?.['memory']).toBeDefined();
  });
});

describe('the API Deployment and Service', () => {
  const pod = apiDeployment.spec.template.spec;

  it('probes real endpoints: readiness /api/health/ready, liveness and startup /api/health', () => {
    const routes = apiGetRoutes();
    expect(routes).toContain('/api/health');
    expect(routes).toContain('/api/health/ready');
    expect(apiContainer.readinessProbe?.httpGet?.path).toBe('/api/health/ready');
    expect(apiContainer.livenessProbe?.httpGet?.path).toBe('/api/health');
    expect(apiContainer.startupProbe?.httpGet?.path).toBe('/api/health');
    const portNames = (apiContainer.ports ?? []).map((p) => p.name);
    for (const probe of [apiContainer.readinessProbe, apiContainer.livenessProbe, apiContainer.startupProbe]) {
      expect(portNames).toContain(probe!.httpGet!.port);
      expect(routes).toContain(probe!.httpGet!.path);
    }
  });

  it('listens where the Service sends traffic', () => {
    const env = envOf(apiContainer);
    expect(env.get('HOST')?.value).toBe('0.0.0.0');
    const port = Number(env.get('PORT')?.value);
    const named = apiContainer.ports!.find((p) => p.name === apiService.spec.ports[0]!.targetPort)!;
    expect(named.containerPort).toBe(port);
    expect(apiService.spec.selector).toEqual(apiDeployment.spec.template.metadata.labels);
    expect(apiDeployment.spec.selector.matchLabels).toEqual(apiDeployment.spec.template.metadata.labels);
    expect(collector.spec.selector.matchLabels).not.toEqual(apiDeployment.spec.selector.matchLabels);
  });

  it('sets only env the API reads, with the database URL from a Secret', () => {
    const env = envOf(apiContainer);
    expect([...env.keys()].filter((name) => !contract.apiEnv.includes(name))).toEqual([]);
    expect(env.get('DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'netatlas-database', key: 'url' });
    expect(contract.kubernetesModes).toContain(env.get('NETATLAS_KUBERNETES')?.value);
    expect(env.get('NETATLAS_KUBERNETES')?.value).toBe('in-cluster');
  });

  it('runs as non-root with a read-only root filesystem, no capabilities and a writable /tmp', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).not.toBe(0);
    const sc = apiContainer.securityContext!;
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    const tmp = apiContainer.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(pod.hostNetwork ?? false).toBe(false);
  });
});

describe('the apps accept the settings the manifests give them', () => {
  const secrets: Record<string, string> = {
    'netatlas-collector-token/token': 'a-token-of-at-least-16-characters',
    'netatlas-database/url': 'postgresql://netatlas:secret@db.internal:5432/netatlas',
  };
  /** A container's environment as the kubelet would set it (Secrets and the downward API resolved). */
  function resolvedEnv(container: Container): Record<string, string> {
    const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      env[e.name] = ref ? secrets[`${ref.name}/${ref.key}`]! : e.valueFrom?.fieldRef ? 'node-1' : e.value!;
    }
    return env;
  }

  it('the API starts with the Deployment’s environment, with no shared collector token', () => {
    const env = resolvedEnv(apiContainer);
    expect(contract.loadApiConfig(env)).toMatchObject({ host: '0.0.0.0', port: 3000, kubernetes: 'in-cluster', databaseUrl: secrets['netatlas-database/url'], token: null });
  });

  it('the collector accepts the DaemonSet’s arguments', () => {
    const env = resolvedEnv(collectorContainer);
    const argv = (collectorContainer.args ?? []).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name: string) => env[name]!));
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'deploy-token-')), 'token');
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n');
    const options = contract.parseCollectorArgs(argv, { ...env, NETATLAS_TOKEN_FILE: tokenFile }) as { token: unknown };
    expect(options).toMatchObject({ mode: 'watch', nodeName: 'node-1' });
    expect((options.token as () => string)()).toBe('eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
  });
});

describe('RBAC', () => {
  const roles = base.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  const bindings = base.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');

  it('grants get, list and watch on nodes, pods and Calico block affinities, creating token reviews, and nothing else', () => {
    expect(roles.map((r) => r.metadata.name)).toEqual(['netatlas-api']);
    const rules = (roles[0] as KubeObject & { rules: PolicyRule[] }).rules;
    const granted = new Set<string>();
    for (const rule of rules) {
      expect(rule.apiGroups).toHaveLength(1);
      expect(rule.nonResourceURLs).toBeUndefined();
      expect(rule.resourceNames).toBeUndefined();
      const group = rule.apiGroups![0];
      for (const resource of rule.resources ?? []) for (const verb of rule.verbs) granted.add(`${group ? `${resource}.${group}` : resource}:${verb}`);
    }
    expect([...granted].sort()).toEqual([
      'blockaffinities.crd.projectcalico.org:get',
      'blockaffinities.crd.projectcalico.org:list',
      'blockaffinities.crd.projectcalico.org:watch',
      'nodes:get',
      'nodes:list',
      'nodes:watch',
      'pods:get',
      'pods:list',
      'pods:watch',
      'tokenreviews.authentication.k8s.io:create',
    ]);
  });

  it('binds the role to the API’s service account only; the collector’s service account has no rights', () => {
    expect(bindings).toHaveLength(1);
    const binding = bindings[0] as KubeObject & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> };
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'netatlas-api' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: apiDeployment.spec.template.spec.serviceAccountName, namespace: NAMESPACE }]);
    expect(collector.spec.template.spec.serviceAccountName).toBe('netatlas-collector');
    expect(bindings.flatMap((b) => (b as KubeObject & { subjects: Array<{ name: string }> }).subjects.map((x) => x.name))).not.toContain('netatlas-collector');
    // the default token (for the Kubernetes API) is not mounted: only the projected one, for netatlas
    expect(collector.spec.template.spec.automountServiceAccountToken).toBe(false);
  });
});

describe('images and Secrets', () => {
  it('use the images the Dockerfiles build, at package.json’s version', () => {
    const version = packageVersion();
    expect(apiContainer.image).toBe(`netatlas/api:${version}`);
    expect(collectorContainer.image).toBe(`netatlas/collector:${version}`);
    const compose = readRepoFile('docker-compose.yml');
    expect(compose).toContain(`image: netatlas/api:\${NETATLAS_IMAGE_TAG:-${version}}`);
    expect(compose).toContain(`image: netatlas/collector:\${NETATLAS_IMAGE_TAG:-${version}}`);
    for (const app of ['api', 'collector']) {
      expect(readRepoFile('deploy/docker', `${app}.Dockerfile`)).toContain(`-t netatlas/${app}:${version} .`);
    }
  });

  it('read Secrets that secrets.example.yaml documents (placeholders only) and that the base does not apply', () => {
    const refs = new Set<string>();
    for (const o of rendered[POSTGRES]!) {
      const spec = (o as Workload).spec?.template?.spec;
      for (const c of spec?.containers ?? []) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    }
    expect([...refs].sort()).toEqual([
      'netatlas-database/password',
      'netatlas-database/url',
      'netatlas-metrics/token',
      'netatlas-oidc/client-id',
      'netatlas-oidc/client-secret',
      'netatlas-oidc/issuer',
      'netatlas-session/secret',
    ]);
    expect(rendered[POSTGRES]!.filter((o) => o.kind === 'Secret')).toEqual([]);
    const documented = new Set(
      secretExamples.flatMap((s) => Object.keys((s['stringData'] as Record<string, string>) ?? {}).map((k) => `${s.metadata.name}/${k}`)),
    );
    for (const ref of refs) if (!ref.endsWith('/password')) expect(documented.has(ref), ref).toBe(true);
    for (const s of secretExamples) {
      for (const value of Object.values(s['stringData'] as Record<string, string>)) expect(value).toContain('REPLACE-ME');
    }
    // the overlay's kustomization says how to create the password
    expect(readRepoFile(POSTGRES, 'kustomization.yaml')).toContain('--from-literal=password=');
  });
});
