// Kubernetes in the real API (Nest, real Postgres) with a KUBECONFIG pointing at the test harness's
// list/watch server (plain http): GET /api/kubernetes and /api/kubernetes/health, the source's
// series on /metrics (and what they say when the server goes away), and Kubernetes node
// added/deleted as lifecycle events in the history (once, across API restarts), on the collector's
// node when it matches by InternalIP, and live to browsers.
import { makeFact, type KubernetesHealthStatus, type NodeEvent, type NodeSummary } from '@netatlas/wire';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectLive, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { KubeApiServer, testBlockAffinity, testNode, testPod } from '../testing/kube-api-server.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import type { KubeStatus } from './kube-types.js';

const addr = (address: string, ifname = 'eth0') =>
  makeFact('addr', { ifname, family: 'inet', address, prefixLen: 24, scope: 'global', broadcast: null, label: ifname, flags: [] });

describe('Kubernetes in the API', () => {
  let dir: string;
  let server: KubeApiServer;
  let db: TestDatabase;
  let t: TestApi;
  let kubeconfig: string;
  const open: Array<{ close(): void }> = [];

  const start = async () => {
    t = await startTestApi('kube', { kubernetes: 'kubeconfig', kubeconfig }, db);
  };

  setupOnce(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-api-'));
    server = await KubeApiServer.start({ crds: ['blockaffinities'] });
    server.add('blockaffinities', testBlockAffinity('node-a', '10.48.12.0/26'));
    server.add('blockaffinities', testBlockAffinity('node-b', '10.48.7.192/26', { state: 'pending' }));
    server.add('nodes', testNode('node-a', { internalIP: '172.20.0.11', podCIDRs: ['10.233.1.0/24'] }));
    server.add('nodes', testNode('node-b', { internalIP: '172.20.0.12', podCIDRs: ['10.233.2.0/24'] }));
    server.add('pods', testPod('default', 'web-1', { ip: '10.233.1.5', node: 'node-a' }));
    kubeconfig = await server.writeKubeconfig(dir);
    db = await createTestDatabase('kube');
    await start();
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.stop();
    await db?.drop();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const events = async (node?: string) =>
    (await t.get<{ events: NodeEvent[] }>(`/api/events?from=2000-01-01T00:00:00Z${node ? `&node=${node}` : ''}`)).body.events;
  const k8sEvents = async (node?: string) => (await events(node)).filter((e) => e.type.startsWith('k8s_') || e.type === 'first_seen');
  const statusOf = async (name: string) => (await t.get<{ nodes: NodeSummary[] }>('/api/nodes')).body.nodes.find((n) => n.name === name)?.status;

  it('GET /api/kubernetes: the mode, the server, synced, and the Nodes and Pods', async () => {
    await expect.poll(async () => (await t.get<KubeStatus>('/api/kubernetes')).body.synced, { timeout: 10_000 }).toBe(true);
    const { status, body } = await t.get<KubeStatus>('/api/kubernetes');
    expect(status).toBe(200);
    expect(body).toMatchObject({ mode: 'kubeconfig', server: server.url, synced: true, error: null, health: { state: 'synced', error: null }, blockAffinitiesCrd: 'installed' });
    expect(body.blockAffinities).toEqual([
      expect.objectContaining({ node: 'node-a', cidr: '10.48.12.0/26', state: 'confirmed', deleted: false, type: 'host' }),
      expect.objectContaining({ node: 'node-b', cidr: '10.48.7.192/26', state: 'pending', deleted: false, type: 'host' }),
    ]);
    expect(body.nodes).toEqual([
      expect.objectContaining({ name: 'node-a', internalIPs: ['172.20.0.11'], podCIDRs: ['10.233.1.0/24'], ready: true }),
      expect.objectContaining({ name: 'node-b', internalIPs: ['172.20.0.12'], podCIDRs: ['10.233.2.0/24'], ready: true }),
    ]);
    expect(body.pods).toEqual([expect.objectContaining({ namespace: 'default', name: 'web-1', ip: '10.233.1.5', node: 'node-a', phase: 'Running' })]);
    const doc = await t.get<{ paths: Record<string, unknown> }>('/api/docs/openapi.json');
    expect(doc.body.paths).toHaveProperty(['/api/kubernetes']);
    expect(doc.body.paths).toHaveProperty(['/api/kubernetes/health']);
  });

  it('GET /api/kubernetes/health and /metrics: synced, up', async () => {
    const { status, body } = await t.get<KubernetesHealthStatus>('/api/kubernetes/health');
    expect(status).toBe(200);
    expect(body).toEqual({ mode: 'kubeconfig', server: server.url, state: 'synced', error: null, since: expect.any(String), lastSyncAt: expect.any(String) });
    expect(Math.abs(Date.parse(body.lastSyncAt!) - Date.now())).toBeLessThan(5000);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE netatlas_kubernetes_up gauge$/m);
    expect(metrics).toMatch(/^netatlas_kubernetes_up 1$/m);
    expect(metrics).toMatch(/^netatlas_kubernetes_last_sync_seconds 0(\.0\d*)?$/m);
  });

  it('records the nodes it lists as k8s_added, creating them as pending', async () => {
    await expect.poll(async () => (await k8sEvents()).map((e) => `${e.node} ${e.type}`), { timeout: 10_000 }).toEqual([
      'node-a first_seen',
      'node-a k8s_added',
      'node-b first_seen',
      'node-b k8s_added',
    ]);
    const added = (await events('node-a')).find((e) => e.type === 'k8s_added');
    expect(added?.detail).toEqual({ k8sNode: 'node-a', internalIPs: ['172.20.0.11'], podCIDRs: ['10.233.1.0/24'], ready: true });
    expect((await events('node-a')).find((e) => e.type === 'first_seen')?.detail).toEqual({ source: 'kubernetes' });
    expect(await statusOf('node-a')).toBe('pending');
    expect(await statusOf('node-b')).toBe('pending');
  });

  it('a node added and deleted later: k8s_added, then k8s_deleted (pending -> left), live to browsers', async () => {
    const live = await connectLive(t.url, { topology: false });
    open.push(live);
    const received: Array<NodeEvent & { status: string }> = [];
    live.on('nodeEvent', (e) => received.push(e));
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13', podCIDRs: ['10.233.3.0/24'] }));
    await expect.poll(() => received.filter((e) => e.node === 'node-c').map((e) => `${e.type} ${e.status}`), { timeout: 5000 }).toEqual([
      'first_seen pending',
      'k8s_added pending',
    ]);
    server.delete('nodes', 'node-c');
    await expect.poll(() => received.filter((e) => e.node === 'node-c').map((e) => `${e.type} ${e.status}`), { timeout: 5000 }).toEqual([
      'first_seen pending',
      'k8s_added pending',
      'k8s_deleted left',
    ]);
    expect((await k8sEvents('node-c')).map((e) => e.type)).toEqual(['first_seen', 'k8s_added', 'k8s_deleted']);
    expect(await statusOf('node-c')).toBe('left');
    // it comes back: added again, pending again
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13' }));
    await expect.poll(async () => (await k8sEvents('node-c')).map((e) => e.type), { timeout: 5000 }).toEqual([
      'first_seen',
      'k8s_added',
      'k8s_deleted',
      'k8s_added',
    ]);
    expect(await statusOf('node-c')).toBe('pending');
  });

  it('a Kubernetes node whose InternalIP a collector has is recorded on the collector’s node', async () => {
    const collector = await FakeCollector.connect(t.url, 'lab-host7');
    open.push(collector);
    expect(await collector.snapshot([addr('172.20.0.17'), addr('10.233.7.1', 'kube-bridge')])).toMatchObject({ ok: true });
    server.add('nodes', testNode('k8s-node7', { internalIP: '172.20.0.17' }));
    // the collector's own first_seen, then Kubernetes' add, on the same node
    await expect.poll(async () => (await k8sEvents('lab-host7')).map((e) => e.type), { timeout: 5000 }).toEqual(['first_seen', 'k8s_added']);
    expect((await k8sEvents('lab-host7'))[1]?.detail).toMatchObject({ k8sNode: 'k8s-node7', internalIPs: ['172.20.0.17'] });
    expect(await statusOf('k8s-node7')).toBeUndefined();
    // deleted from Kubernetes while its collector streams: recorded, and the node stays connected
    server.delete('nodes', 'k8s-node7');
    await expect.poll(async () => (await k8sEvents('lab-host7')).map((e) => e.type), { timeout: 5000 }).toEqual(['first_seen', 'k8s_added', 'k8s_deleted']);
    expect(await statusOf('lab-host7')).toBe('connected');
    collector.close();
  });

  it('a node with a collector of the same name keeps its status; the collector’s hello finds it', async () => {
    const collector = await FakeCollector.connect(t.url, 'node-b');
    open.push(collector);
    expect(await statusOf('node-b')).toBe('connected');
    expect((await events('node-b')).map((e) => e.type)).toEqual(['first_seen', 'k8s_added', 'connected']);
    collector.close();
  });

  it('an API restart records nothing twice, and records nodes deleted while it was down', async () => {
    const before = (await events()).length;
    await t.stop();
    server.delete('nodes', 'node-a');
    server.add('nodes', testNode('node-d', { internalIP: '172.20.0.14' }));
    await start();
    await expect.poll(async () => (await t.get<KubeStatus>('/api/kubernetes')).body.synced, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await k8sEvents('node-d')).map((e) => e.type), { timeout: 5000 }).toEqual(['first_seen', 'k8s_added']);
    await expect.poll(async () => (await k8sEvents('node-a')).map((e) => e.type), { timeout: 5000 }).toEqual(['first_seen', 'k8s_added', 'k8s_deleted']);
    expect((await k8sEvents('node-a')).at(-1)?.detail).toEqual({ k8sNode: 'node-a', reason: 'absent from the list when the API started watching' });
    expect(await statusOf('node-a')).toBe('left');
    // node-b and node-c (still in Kubernetes) and lab-host7 (deleted before) got nothing new
    const fresh = (await events()).slice(before).filter((e) => e.type.startsWith('k8s_') || e.type === 'first_seen');
    expect(fresh.map((e) => `${e.node} ${e.type}`).sort()).toEqual(['node-a k8s_deleted', 'node-d first_seen', 'node-d k8s_added']);
  });

  it('the Kubernetes API going away: failing on /api/kubernetes/health and /metrics, synced again when it is back', async () => {
    await expect.poll(async () => (await t.get<KubernetesHealthStatus>('/api/kubernetes/health')).body.state, { timeout: 10_000 }).toBe('synced');
    await server.pause();
    await expect.poll(async () => (await t.get<KubernetesHealthStatus>('/api/kubernetes/health')).body.state, { timeout: 10_000 }).toBe('failing');
    const { body } = await t.get<KubernetesHealthStatus>('/api/kubernetes/health');
    expect(body.error).toMatch(/ECONNREFUSED/);
    expect(body.lastSyncAt).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^netatlas_kubernetes_up 0$/m);
    const since = Number(/^netatlas_kubernetes_last_sync_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(since).toBeGreaterThanOrEqual(1);
    // what was listed is still served meanwhile
    expect((await t.get<KubeStatus>('/api/kubernetes')).body).toMatchObject({ synced: true, health: { state: 'failing' } });
    await server.resume();
    await expect.poll(async () => (await t.get<KubernetesHealthStatus>('/api/kubernetes/health')).body.state, { timeout: 10_000 }).toBe('synced');
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/^netatlas_kubernetes_up 1$/m);
  });
});
