// NETATLAS_KUBERNETES (config.ts) and building the client configuration for each mode: what stops the
// API at start (a kubeconfig that cannot be loaded or names files that cannot be read), and plain-http
// servers (kubectl proxy) that client-node refuses on its own.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../settings.js';
import { KubeApiServer, kubeconfigYaml, testNode } from '../testing/kube-api-server.js';
import { buildKubeConfig, kubeServer, plainHttpWarning, SERVICE_ACCOUNT_DIR } from './kube-client.js';

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

  it('a kubeconfig that is not YAML, or names a CA it cannot read, stops the API at start', async () => {
    const garbage = join(dir, 'garbage');
    await writeFile(garbage, 'clusters: [\n  - {name: x\n');
    expect(() => loadConfig({ KUBECONFIG: garbage })).toThrow(`NETATLAS_KUBERNETES=kubeconfig: cannot load the kubeconfig ${garbage}: `);
    const noCa = join(dir, 'no-ca');
    await writeFile(noCa, kubeconfigYaml('https://10.0.0.1:6443', 't').replace('    server:', `    certificate-authority: ${join(dir, 'ca.crt')}\n    server:`));
    expect(() => loadConfig({ KUBECONFIG: noCa })).toThrow(`NETATLAS_KUBERNETES=kubeconfig: the certificate-authority file ${join(dir, 'ca.crt')} cannot be read: ENOENT`);
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

  it('kubeconfig: a client certificate or key it cannot read is an error that names it', async () => {
    const file = join(dir, 'client-cert');
    await writeFile(file, kubeconfigYaml('https://10.0.0.1:6443', 't').replace('    token: t', `    client-certificate: ${join(dir, 'nope.crt')}\n    client-key: ${join(dir, 'nope.key')}`));
    expect(() => buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: file })).toThrow(
      `NETATLAS_KUBERNETES=kubeconfig: the client-certificate file ${join(dir, 'nope.crt')} cannot be read: ENOENT`,
    );
    await writeFile(join(dir, 'nope.crt'), 'x');
    expect(() => buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: file })).toThrow(`the client-key file ${join(dir, 'nope.key')} cannot be read`);
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
    // the CA is mounted with the token; without it every request would fail
    expect(() => buildKubeConfig({ kubernetes: 'in-cluster', kubeconfig: null }, { serviceAccountPrefix: prefix })).toThrow(
      `NETATLAS_KUBERNETES=in-cluster: the certificate-authority file ${prefix}${SERVICE_ACCOUNT_DIR}/ca.crt cannot be read: ENOENT`,
    );
    await writeFile(`${prefix}${SERVICE_ACCOUNT_DIR}/ca.crt`, 'ca');
    const kc = buildKubeConfig({ kubernetes: 'in-cluster', kubeconfig: null }, { serviceAccountPrefix: prefix })!;
    expect(kubeServer(kc)).toBe('https://10.96.0.1:443');
    expect(kc.getCurrentCluster()?.caFile).toBe(`${prefix}${SERVICE_ACCOUNT_DIR}/ca.crt`);
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(false);
    // a port client-node takes for plain http is used as such
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '8001');
    const http = buildKubeConfig({ kubernetes: 'in-cluster', kubeconfig: null }, { serviceAccountPrefix: prefix })!;
    expect(http.getCurrentCluster()).toMatchObject({ server: 'http://10.96.0.1:8001', skipTLSVerify: true });
  });
});

describe('plain-http servers (kubectl proxy)', () => {
  let dir: string;
  let server: KubeApiServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-http-'));
    server = await KubeApiServer.start({ token: null });
    server.add('nodes', testNode('node-a'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('client-node alone refuses an http server; the API’s configuration lists over it, without credentials', async () => {
    const file = await server.writeKubeconfig(dir);
    const raw = new KubeConfig();
    raw.loadFromFile(file);
    // what the API did before: every request refused, whatever the server
    await expect(raw.makeApiClient(CoreV1Api).listNode()).rejects.toThrow('HTTP protocol is not allowed when skipTLSVerify is not set or false');
    const kc = buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: file })!;
    expect(kc.getCurrentCluster()).toMatchObject({ server: server.url, skipTLSVerify: true });
    expect(kc.getCurrentUser()).toBeNull();
    const list = await kc.makeApiClient(CoreV1Api).listNode();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['node-a']);
    expect(server.requests.at(-1)).toMatchObject({ path: '/api/v1/nodes', authorization: null });
    expect(plainHttpWarning(kc)).toBeNull();
  });

  it('https servers are left as they are', async () => {
    const file = join(dir, 'https');
    await writeFile(file, kubeconfigYaml('https://10.0.0.1:6443', 't'));
    expect(buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: file })!.getCurrentCluster()?.skipTLSVerify).toBe(false);
  });

  it('warns when credentials would go in clear text to another machine', async () => {
    const at = async (url: string, token: string | null) => {
      const file = join(dir, `w-${Math.random()}`);
      await writeFile(file, kubeconfigYaml(url, token));
      return plainHttpWarning(buildKubeConfig({ kubernetes: 'kubeconfig', kubeconfig: file }));
    };
    expect(await at('http://10.0.0.1:8080', 'secret')).toBe(
      'the kubeconfig sends credentials in clear text to http://10.0.0.1:8080 (plain http); use https, or kubectl proxy on this machine',
    );
    expect(await at('http://127.0.0.1:8001', 'secret')).toBeNull();
    expect(await at('http://localhost:8001', 'secret')).toBeNull();
    expect(await at('http://[::1]:8001', 'secret')).toBeNull();
    expect(await at('http://10.0.0.1:8080', null)).toBeNull();
    expect(await at('https://10.0.0.1:6443', 'secret')).toBeNull();
    expect(plainHttpWarning(null)).toBeNull();
  });
});
