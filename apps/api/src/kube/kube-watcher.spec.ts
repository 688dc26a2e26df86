// The Node and Pod informers: the real @kubernetes/client-node against the test harness's server,
// which speaks the Kubernetes list/watch protocol over plain http (testing/kube-api-server.ts), with
// a kubeconfig as a user writes one (http, a token, no insecure-skip-tls-verify). Initial list, watch
// events, BOOKMARKs, 410 Gone and the relist, dropped watches resumed without a relist, failures
// retried with back-off, and matching collector nodes and IPs. Health: kube-health.spec.ts; Calico
// block affinities: kube-blocks.spec.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiServer, kubeconfigYaml, testNode, testPod } from '../testing/kube-api-server.js';
import type { KubeChange, KubeNode, KubePod } from './kube-types.js';
import { describeError, KubeWatcher } from './kube-watcher.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('KubeWatcher against a list/watch server', () => {
  let dir: string;
  let server: KubeApiServer;
  let watcher: KubeWatcher;
  let nodeEvents: Array<{ change: KubeChange; node: KubeNode; previous: KubeNode | null }>;
  let podEvents: Array<{ change: KubeChange; pod: KubePod }>;
  let warnings: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const startWatcher = async (options: { token?: string } = {}) => {
    const file = join(dir, `kubeconfig-${Date.now()}-${Math.random()}`);
    await writeFile(file, kubeconfigYaml(server.url, options.token ?? server.token));
    warnings = [];
    watcher = new KubeWatcher(
      { kubernetes: 'kubeconfig', kubeconfig: file },
      { backoffMs: 50, maxBackoffMs: 400, healthyAfterMs: 200, logger: { ...quiet, warn: (m: string) => warnings.push(m) } },
    );
    nodeEvents = [];
    podEvents = [];
    watcher.onNode((change, node, previous) => nodeEvents.push({ change, node, previous }));
    watcher.onPod((change, pod) => podEvents.push({ change, pod }));
    watcher.start();
  };

  beforeEach(async () => {
    server = await KubeApiServer.start();
    server.add('nodes', testNode('node-a', { internalIP: '172.20.0.11', podCIDRs: ['10.233.1.0/24'], labels: { zone: 'a' } }));
    server.add('nodes', testNode('node-b', { internalIP: ['172.20.0.12', 'fd00::12'], podCIDRs: ['10.233.2.0/24', 'fd10:2::/64'], ready: false }));
    server.add('pods', testPod('default', 'web-1', { ip: '10.233.1.5', node: 'node-a' }));
    server.add('pods', testPod('kube-system', 'kube-router-x', { ip: '172.20.0.11', node: 'node-a', hostNetwork: true }));
    server.add('pods', testPod('default', 'pending-1', { phase: 'Pending' }));
  });

  afterEach(async () => {
    await watcher?.stop();
    await server?.close();
  });

  const names = () => watcher.nodes().map((n) => n.name);

  it('lists Nodes and Pods, then watches from the list’s resourceVersion with bookmarks, sending the token', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    expect(watcher.synced).toBe(true);
    expect(watcher.nodes()).toEqual([
      { name: 'node-a', internalIPs: ['172.20.0.11'], podCIDRs: ['10.233.1.0/24'], ready: true, labels: { zone: 'a' }, resourceVersion: '101' },
      {
        name: 'node-b',
        internalIPs: ['172.20.0.12', 'fd00::12'],
        podCIDRs: ['10.233.2.0/24', 'fd10:2::/64'],
        ready: false,
        labels: { 'kubernetes.io/hostname': 'node-b', 'kubernetes.io/os': 'linux' },
        resourceVersion: '102',
      },
    ]);
    expect(watcher.pods()).toEqual([
      { namespace: 'default', name: 'pending-1', ip: '', ips: [], node: '', phase: 'Pending', hostNetwork: false, resourceVersion: '105' },
      { namespace: 'default', name: 'web-1', ip: '10.233.1.5', ips: ['10.233.1.5'], node: 'node-a', phase: 'Running', hostNetwork: false, resourceVersion: '103' },
      {
        namespace: 'kube-system',
        name: 'kube-router-x',
        ip: '172.20.0.11',
        ips: ['172.20.0.11'],
        node: 'node-a',
        phase: 'Running',
        hostNetwork: true,
        resourceVersion: '104',
      },
    ]);
    expect(nodeEvents.map((e) => `${e.change} ${e.node.name}`).sort()).toEqual(['added node-a', 'added node-b']);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    expect(server.lists('nodes')).toHaveLength(1);
    expect(server.lists('pods')).toHaveLength(1);
    expect(server.watchRequests('nodes')).toMatchObject([{ resourceVersion: '105', allowWatchBookmarks: true }]);
    expect(server.watchRequests('pods')).toMatchObject([{ resourceVersion: '105', allowWatchBookmarks: true }]);
    expect(server.requests.every((r) => r.authorization === `Bearer ${server.token}`)).toBe(true);
    expect(watcher.status()).toMatchObject({
      mode: 'kubeconfig',
      server: server.url,
      synced: true,
      error: null,
      health: { state: 'synced', error: null },
      resourceVersions: { nodes: '105', pods: '105', blockaffinities: '' },
      // this cluster has no Calico: its block affinities CRD answers 404, which is no error
      blockAffinitiesCrd: 'absent',
      blockAffinities: [],
    });
  });

  it('streams ADDED, MODIFIED and DELETED to the state and the listeners', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    nodeEvents.length = 0;
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13', podCIDRs: ['10.233.3.0/24'] }));
    server.modify('nodes', 'node-b', (n) => {
      (n['status'] as { conditions: Array<{ type: string; status: string }> }).conditions[1]!.status = 'True';
    });
    server.delete('nodes', 'node-a');
    server.add('pods', testPod('default', 'web-2', { ip: '10.233.3.7', node: 'node-c' }));
    server.modify('pods', 'pending-1', (p) => Object.assign(p, { spec: { nodeName: 'node-c' }, status: { phase: 'Running', podIP: '10.233.3.8', podIPs: [{ ip: '10.233.3.8' }] } }), 'default');
    server.delete('pods', 'web-1', 'default');
    await expect.poll(() => names(), { timeout: 5000 }).toEqual(['node-b', 'node-c']);
    await expect.poll(() => watcher.pods().map((p) => `${p.namespace}/${p.name}@${p.ip}`), { timeout: 5000 }).toEqual([
      'default/pending-1@10.233.3.8',
      'default/web-2@10.233.3.7',
      'kube-system/kube-router-x@172.20.0.11',
    ]);
    expect(watcher.node('node-b')).toMatchObject({ ready: true, resourceVersion: '107' });
    expect(nodeEvents.map((e) => `${e.change} ${e.node.name}`)).toEqual(['added node-c', 'modified node-b', 'deleted node-a']);
    expect(nodeEvents[1]!.previous).toMatchObject({ ready: false });
    expect(podEvents.filter((e) => e.change !== 'added' || e.pod.name === 'web-2').map((e) => `${e.change} ${e.pod.name}`)).toEqual([
      'added web-2',
      'modified pending-1',
      'deleted web-1',
    ]);
    expect(watcher.status().resourceVersions).toEqual({ nodes: '108', pods: '111', blockaffinities: '' });
    // one list each: everything came over the watches
    expect(server.lists('nodes')).toHaveLength(1);
    expect(server.lists('pods')).toHaveLength(1);
  });

  it('a BOOKMARK moves the resourceVersion on, and the next watch resumes from it', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches('nodes'), { timeout: 5000 }).toBe(1);
    server.add('pods', testPod('default', 'other', { ip: '10.233.2.9', node: 'node-b' }));
    server.add('pods', testPod('default', 'other-2', { ip: '10.233.2.10', node: 'node-b' }));
    const bookmark = server.bookmark('nodes');
    expect(bookmark).toBe('108');
    await expect.poll(() => watcher.status().resourceVersions.nodes, { timeout: 5000 }).toBe('108');
    expect(names()).toEqual(['node-a', 'node-b']);
    // the server ends the watch (its watch timeout): the client watches again from the bookmark
    const next = server.nextWatch('nodes');
    expect(server.closeWatches('nodes')).toBe(1);
    expect((await next).resourceVersion).toBe('108');
    expect(server.lists('nodes')).toHaveLength(1);
    await expect.poll(() => server.openWatches('nodes'), { timeout: 5000 }).toBe(1);
    server.add('nodes', testNode('node-c'));
    await expect.poll(() => names(), { timeout: 5000 }).toEqual(['node-a', 'node-b', 'node-c']);
  });

  it('410 Gone (ERROR event with a Status) makes it relist; objects deleted in the gap are reported deleted', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    const lastRv = watcher.status().resourceVersions.nodes;
    // the watch is lost; meanwhile node-a goes, node-c comes, node-b changes, and the server forgets
    // that history: resuming from lastRv is answered with 410 Gone
    server.dropWatches('nodes');
    server.delete('nodes', 'node-a');
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13' }));
    server.modify('nodes', 'node-b', (n) => Object.assign(n['metadata'] as object, { labels: { zone: 'b' } }));
    server.compact();
    nodeEvents.length = 0;
    await expect.poll(() => server.lists('nodes').length, { timeout: 5000 }).toBe(2);
    await expect.poll(() => names(), { timeout: 5000 }).toEqual(['node-b', 'node-c']);
    // the resume from the old resourceVersion was refused, then the relist's watch started from its
    // list (that watch starts after the list is taken in: wait for it)
    await expect.poll(() => server.watchRequests('nodes').map((w) => w.resourceVersion), { timeout: 5000 }).toEqual(['105', lastRv, server.resourceVersion]);
    expect(nodeEvents.map((e) => `${e.change} ${e.node.name}`).sort()).toEqual(['added node-c', 'deleted node-a', 'modified node-b']);
    expect(watcher.node('node-b')?.labels).toEqual({ zone: 'b' });
    expect(watcher.k8sNodeFor('x', ['172.20.0.11'])).toBeNull();
    await expect.poll(() => watcher.error, { timeout: 5000 }).toBeNull();
    expect(warnings.join('\n')).toMatch(/nodes: Premature close; resuming from resourceVersion 105/);
  });

  it('410 Gone as an HTTP status on the watch also makes it relist', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches('pods'), { timeout: 5000 }).toBe(1);
    server.goneOnNextWatch('pods', 'status');
    server.delete('pods', 'web-1', 'default');
    server.closeWatches('pods');
    await expect.poll(() => server.lists('pods').length, { timeout: 5000 }).toBe(2);
    await expect.poll(() => watcher.pods().map((p) => p.name), { timeout: 5000 }).toEqual(['pending-1', 'kube-router-x']);
    expect(podEvents.filter((e) => e.change === 'deleted').map((e) => e.pod.name)).toEqual(['web-1']);
    expect(server.lists('nodes')).toHaveLength(1);
  });

  it('a dropped watch is resumed from the last resourceVersion, without a relist, and gets what it missed', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    server.modify('nodes', 'node-a', (n) => Object.assign(n['metadata'] as object, { labels: { zone: 'a2' } }));
    await expect.poll(() => watcher.node('node-a')?.labels, { timeout: 5000 }).toEqual({ zone: 'a2' });
    const rv = watcher.status().resourceVersions.nodes;
    expect(rv).toBe('106');
    const resumed = server.nextWatch('nodes');
    expect(server.dropWatches('nodes')).toBe(1);
    // changes while the connection is down arrive when the watch resumes
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13' }));
    expect((await resumed).resourceVersion).toBe('106');
    await expect.poll(() => names(), { timeout: 5000 }).toEqual(['node-a', 'node-b', 'node-c']);
    expect(server.lists('nodes')).toHaveLength(1);
    expect(server.lists('pods')).toHaveLength(1);
    await expect.poll(() => watcher.error, { timeout: 5000 }).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^nodes: Premature close; resuming from resourceVersion 106 in \d+ ms$/);
  });

  it('matches collector nodes by name, else by InternalIP, and pod IPs to pods', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    expect(watcher.k8sNodeFor('node-a', [])?.name).toBe('node-a');
    expect(watcher.k8sNodeFor('node-a', ['172.20.0.12'])?.name).toBe('node-a');
    expect(watcher.k8sNodeFor('lab-node2', ['127.0.0.1', '172.20.0.12/24'])?.name).toBe('node-b');
    expect(watcher.k8sNodeFor('lab-node2', ['FD00::12'])?.name).toBe('node-b');
    expect(watcher.k8sNodeFor('lab-node9', ['172.20.0.99'])).toBeNull();
    expect(watcher.nodeByInternalIp('172.20.0.11')?.name).toBe('node-a');
    expect(watcher.podByIp('10.233.1.5')).toMatchObject({ namespace: 'default', name: 'web-1', node: 'node-a' });
    // a host-network pod's IP is its node's, not the pod's
    expect(watcher.podByIp('172.20.0.11')).toBeNull();
    expect(watcher.podByIp('10.233.9.9')).toBeNull();
    // a finished pod keeps its IP; a running pod that got the same IP wins
    server.modify('pods', 'web-1', (p) => Object.assign(p['status'] as object, { phase: 'Succeeded' }), 'default');
    server.add('pods', testPod('default', 'web-3', { ip: '10.233.1.5', node: 'node-a' }));
    await expect.poll(() => watcher.podByIp('10.233.1.5')?.name, { timeout: 5000 }).toBe('web-3');
    server.delete('pods', 'web-3', 'default');
    await expect.poll(() => watcher.podByIp('10.233.1.5')?.name, { timeout: 5000 }).toBe('web-1');
    // a changed InternalIP moves the match
    server.modify('nodes', 'node-b', (n) => {
      (n['status'] as { addresses: unknown[] }).addresses = [{ type: 'InternalIP', address: '172.20.0.22' }];
    });
    await expect.poll(() => watcher.k8sNodeFor('lab-node2', ['172.20.0.22'])?.name, { timeout: 5000 }).toBe('node-b');
    expect(watcher.k8sNodeFor('lab-node2', ['172.20.0.12'])).toBeNull();
  });

  it('a refused list (401) is retried with back-off, said once, and shown as the error', async () => {
    await startWatcher({ token: 'wrong-token' });
    await expect.poll(() => watcher.error, { timeout: 5000 }).toMatch(/^nodes: HTTP 401/);
    await expect.poll(() => watcher.health(), { timeout: 5000 }).toMatchObject({
      state: 'failing',
      error: 'nodes: HTTP 401 Unauthorized; pods: HTTP 401 Unauthorized; blockaffinities: HTTP 401 Unauthorized',
      lastSyncAt: null,
    });
    await expect.poll(() => server.lists('nodes').length, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    expect(watcher.synced).toBe(false);
    expect(watcher.status()).toMatchObject({ synced: false, nodes: [], pods: [] });
    // one warning per resource, not one per attempt
    expect(warnings.filter((w) => w.startsWith('nodes:'))).toHaveLength(1);
    // the back-off grows: the gaps between attempts do not shrink to nothing
    const at = server.lists('nodes').map((r) => r.at);
    expect(at.at(-1)! - at.at(-2)!).toBeGreaterThanOrEqual(at[1]! - at[0]! - 20);
  });

  it('stop() closes every watch and nothing restarts', async () => {
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    await watcher.stop();
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(0);
    const requests = server.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requests.length).toBe(requests);
  });
});

describe('KubeWatcher when off', () => {
  it('starts nothing and says so', async () => {
    const watcher = new KubeWatcher({ kubernetes: 'off', kubeconfig: null }, { logger: quiet });
    watcher.start();
    expect(watcher.status()).toEqual({
      mode: 'off',
      server: null,
      synced: false,
      error: null,
      health: { state: 'off', error: null, since: expect.any(String), lastSyncAt: null },
      resourceVersions: { nodes: '', pods: '', blockaffinities: '' },
      nodes: [],
      pods: [],
      blockAffinitiesCrd: 'unknown',
      blockAffinities: [],
    });
    expect(watcher.health().state).toBe('off');
    expect(watcher.blockAffinities()).toEqual([]);
    expect(watcher.k8sNodeFor('a', ['10.0.0.1'])).toBeNull();
    await expect(watcher.whenSynced(10)).rejects.toThrow(/off/);
    await watcher.stop();
  });
});

describe('describeError', () => {
  it('gives the HTTP status and the server’s message in one line', () => {
    expect(describeError(Object.assign(new Error('Unauthorized'), { statusCode: 401 }))).toBe('HTTP 401 Unauthorized');
    expect(
      describeError(
        Object.assign(new Error('HTTP-Code: 403\nMessage: Unknown API Status Code!\nBody: ...\nHeaders: {}'), {
          code: 403,
          body: JSON.stringify({ kind: 'Status', message: 'nodes is forbidden: User "x" cannot list resource "nodes"' }),
        }),
      ),
    ).toBe('HTTP 403 nodes is forbidden: User "x" cannot list resource "nodes"');
    expect(describeError(new Error('request to http://x failed,\n reason: connect ECONNREFUSED'))).toBe('request to http://x failed, reason: connect ECONNREFUSED');
    // the generated client's ApiException for a status its API documents (no body)
    expect(describeError(Object.assign(new Error('HTTP-Code: 401\nMessage: Unauthorized\nBody: undefined\nHeaders: {}'), { code: 401 }))).toBe('HTTP 401 Unauthorized');
    // a watch URL's query string (its resourceVersion) is left out, so the same failure reads the same
    expect(describeError(new Error('request to http://x/api/v1/pods?watch=true&resourceVersion=7 failed, reason: connect ECONNREFUSED'))).toBe(
      'request to http://x/api/v1/pods failed, reason: connect ECONNREFUSED',
    );
    expect(describeError(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' }))).toBe('no answer in time (The user aborted a request.)');
  });
});
