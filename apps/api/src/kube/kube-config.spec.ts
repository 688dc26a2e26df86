// NETATLAS_KUBERNETES (config.ts) and building the client configuration for each mode.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config.js';
import { kubeconfigYaml } from '../testing/kube-api-server.js';
import { buildKubeConfig, kubeServer, SERVICE_ACCOUNT_DIR } from './kube-client.js';

describe('NETATLAS_KUBERNETES', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-env-'));
    file = join(dir, 'config');
    await writeFile(file, kubeconfigYaml('http://127.0.0.1:1', 't'));
    await mkdir(join(dir, 'home', '.kube'), { recursive: true });
    await writeFile(join(dir, 'home', '.kube', 'config'), kubeconfigYaml('http://127.0.0.1:1', 't'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const kube = (env: Record<string, string>) => {
    const c = loadConfig(env);
    return { kubernetes: c.kubernetes, kubeconfig: c.kubeconfig };
  };

  it('auto (the default): in-cluster inside a pod, else KUBECONFIG when set, else off', () => {
    expect(kube({})).toEqual({ kubernetes: 'off', kubeconfig: null });
    expect(kube({ NETATLAS_KUBERNETES: 'auto' })).toEqual({ kubernetes: 'off', kubeconfig: null });
    expect(kube({ KUBECONFIG: file })).toEqual({ kubernetes: 'kubeconfig', kubeconfig: file });
    expect(kube({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: file })).toEqual({
      kubernetes: 'in-cluster',
      kubeconfig: null,
    });
  });

  it('off, in-cluster and kubeconfig when asked; kubeconfig defaults to ~/.kube/config', () => {
    expect(kube({ NETATLAS_KUBERNETES: 'off', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' })).toEqual({
      kubernetes: 'off',
      kubeconfig: null,
    });
    expect(kube({ NETATLAS_KUBERNETES: 'in-cluster', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }).kubernetes).toBe('in-cluster');
    const home = join(dir, 'home');
    expect(kube({ NETATLAS_KUBERNETES: 'kubeconfig', HOME: home })).toEqual({ kubernetes: 'kubeconfig', kubeconfig: join(home, '.kube', 'config') });
    const list = `${file}${delimiter}${join(home, '.kube', 'config')}`;
    expect(kube({ NETATLAS_KUBERNETES: 'kubeconfig', KUBECONFIG: list }).kubeconfig).toBe(list);
  });

  it('says what is wrong', () => {
    expect(() => loadConfig({ NETATLAS_KUBERNETES: 'yes' })).toThrow('NETATLAS_KUBERNETES must be one of auto, off, in-cluster, kubeconfig, got "yes"');
    expect(() => loadConfig({ NETATLAS_KUBERNETES: 'in-cluster' })).toThrow(
      /NETATLAS_KUBERNETES=in-cluster needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/,
    );
    expect(() => loadConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toThrow(/NETATLAS_KUBERNETES=auto found KUBERNETES_SERVICE_HOST but KUBERNETES_SERVICE_PORT/);
    // the kubeconfig is read at once, so a wrong path stops the API before anything starts
    expect(() => loadConfig({ KUBECONFIG: join(dir, 'nope') })).toThrow(`NETATLAS_KUBERNETES=kubeconfig: cannot load the kubeconfig ${join(dir, 'nope')}: ENOENT`);
    expect(() => loadConfig({ NETATLAS_KUBERNETES: 'kubeconfig', HOME: join(dir, 'nobody') })).toThrow(/cannot load the kubeconfig .*nobody\/\.kube\/config/);
  });
});

describe('buildKubeConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kubeconfig-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('off: none', () => {
    expect(buildKubeConfig({ kubernetes: 'off', kubeconfig: null })).toBeNull();
    expect(kubeServer(null)).toBeNull();
  });

  it('kubeconfig: the file’s current context; a KUBECONFIG list is merged, the first file winning', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, kubeconfigYaml('http://127.0.0.1:1', 'token-a'));
    await writeFile(b, kubeconfigYaml('http://127.0.0.1:2', 'token-b').replaceAll('test', 'other'));
    expect(kubeServer(buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: a }))).toBe('http://127.0.0.1:1');
    const merged = buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: `${a}${delimiter}${b}` })!;
    expect(kubeServer(merged)).toBe('http://127.0.0.1:1');
    expect(merged.getContexts().map((c) => c.name)).toEqual(['test', 'other']);
    // the same names in both: the first file's, no error; a first file without a current context takes the next one's
    const again = buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: `${b}${delimiter}${a}${delimiter}${a}` })!;
    expect(kubeServer(again)).toBe('http://127.0.0.1:2');
    const c = join(dir, 'c');
    await writeFile(c, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(kubeServer(buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: `${c}${delimiter}${a}` }))).toBe('http://127.0.0.1:1');
  });

  it('kubeconfig: a missing or unusable file is an error that names it', async () => {
    const missing = join(dir, 'missing');
    expect(() => buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: missing })).toThrow(
      new RegExp(`NETATLAS_KUBERNETES=kubeconfig: cannot load the kubeconfig ${missing}: .*ENOENT`),
    );
    const noContext = join(dir, 'no-context');
    await writeFile(noContext, kubeconfigYaml('http://127.0.0.1:1', 't').replace('current-context: test', 'current-context: elsewhere'));
    expect(() => buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: noContext })).toThrow(/has no current context naming a cluster \(current-context: "elsewhere"\)/);
  });

  it('in-cluster: the service account token and the KUBERNETES_SERVICE_* address', async () => {
    const prefix = join(dir, 'root');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(() => buildKubeConfig({ kubernetes: 'in-cluster', kubeconfig: null }, { serviceAccountPrefix: prefix })).toThrow(
      `NETATLAS_KUBERNETES=in-cluster: no service account token at ${prefix}${SERVICE_ACCOUNT_DIR}/token`,
    );
    await mkdir(`${prefix}${SERVICE_ACCOUNT_DIR}`, { recursive: true });
    await writeFile(`${prefix}${SERVICE_ACCOUNT_DIR}/token`, 'sa-token');
    const kc = buildKubeConfig({ kubernetes: 'in-cluster', kubeconfig: null }, { serviceAccountPrefix: prefix })!;
    expect(kubeServer(kc)).toBe('https://10.96.0.1:443');
    expect(kc.getCurrentCluster()?.caFile).toBe(`${prefix}${SERVICE_ACCOUNT_DIR}/ca.crt`);
  });
});
