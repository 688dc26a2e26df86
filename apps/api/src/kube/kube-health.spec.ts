// The Kubernetes source's health (KubeWatcher.health(), onHealth) and every way it can fail to sync,
// with the real @kubernetes/client-node against the harness's list/watch server over plain http:
// a kubectl proxy kubeconfig (no user), an unreachable server, a refused resource (403), a list that
// never answers, a watch dropped once (no failure) or for good (the server went away), a watch
// silent past its timeout, and a credential file that goes away.
import type { KubernetesHealth } from '@netatlas/wire';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiServer, kubeconfigYaml, testNode, testPod, type KubeApiServerOptions } from '../testing/kube-api-server.js';
import { KubeWatcher, type KubeWatcherOptions } from './kube-watcher.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('KubeWatcher health', () => {
  let dir: string;
  let server: KubeApiServer;
  let watcher: KubeWatcher;
  let events: Array<{ health: KubernetesHealth; previous: KubernetesHealth }>;
  let warnings: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-health-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await watcher?.stop();
    await server?.close();
  });

  const startServer = async (options: KubeApiServerOptions = {}) => {
    server = await KubeApiServer.start(options);
    server.add('nodes', testNode('node-a', { internalIP: '172.20.0.11', podCIDRs: ['10.233.1.0/24'] }));
    server.add('nodes', testNode('node-b', { internalIP: '172.20.0.12', podCIDRs: ['10.233.2.0/24'] }));
    server.add('pods', testPod('default', 'web-1', { ip: '10.233.1.5', node: 'node-a' }));
    return server;
  };

  /** A watcher on `kubeconfig` (YAML; default: the server's own kubeconfig), started. */
  const startWatcher = async (options: KubeWatcherOptions & { kubeconfig?: string } = {}) => {
    const file = join(dir, `kubeconfig-${Date.now()}-${Math.random()}`);
    await writeFile(file, options.kubeconfig ?? kubeconfigYaml(server.url, server.token));
    warnings = [];
    events = [];
    watcher = new KubeWatcher(
      { kubernetes: 'kubeconfig', kubeconfig: file },
      { backoffMs: 50, maxBackoffMs: 400, healthyAfterMs: 200, ...options, logger: { ...quiet, warn: (m: string) => warnings.push(m) } },
    );
    watcher.onHealth((health, previous) => events.push({ health, previous }));
    watcher.start();
  };

  const states = () => events.map((e) => e.health.state);
  /** the states it went through (an error that changes within `failing` is an event too) */
  const transitions = () => states().filter((s, i, all) => s !== all[i - 1]);

  it('syncing, then synced: one event; since is when it synced, lastSyncAt follows the clock while synced', async () => {
    await startServer();
    const before = Date.now();
    await startWatcher();
    expect(watcher.health()).toMatchObject({ state: 'syncing', error: null, lastSyncAt: null });
    await watcher.whenSynced(5000);
    expect(states()).toEqual(['synced']);
    expect(events[0]!.previous).toMatchObject({ state: 'syncing', error: null, lastSyncAt: null });
    const health = watcher.health();
    expect(health).toMatchObject({ state: 'synced', error: null });
    expect(Date.parse(health.since)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(health.since)).toBeLessThanOrEqual(Date.now());
    await new Promise((r) => setTimeout(r, 30));
    // while synced, the last sync is now
    expect(Date.parse(watcher.health().lastSyncAt!)).toBeGreaterThan(Date.parse(health.since));
    expect(watcher.health().since).toBe(health.since);
  });

  it('an http kubeconfig as kubectl proxy serves it (no user, no token, no insecure-skip-tls-verify) syncs', async () => {
    await startServer({ token: null });
    const path = await server.writeKubeconfig(dir, 'proxy-kubeconfig');
    const yaml = await readFile(path, 'utf8');
    expect(yaml).toContain(`server: ${server.url}`);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(yaml).not.toMatch(/users|token|insecure-skip-tls-verify/);
    await startWatcher({ kubeconfig: yaml });
    await watcher.whenSynced(5000);
    expect(watcher.health().state).toBe('synced');
    expect(watcher.nodes().map((n) => n.name)).toEqual(['node-a', 'node-b']);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests.every((r) => r.authorization === null)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('an unreachable server: failing at once, naming what fails; synced once it answers', async () => {
    await startServer();
    await server.pause();
    await startWatcher();
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('failing');
    const health = watcher.health();
    expect(health.error).toMatch(/^nodes: .*ECONNREFUSED.*; pods: .*ECONNREFUSED.*; blockaffinities: .*ECONNREFUSED/);
    expect(health.lastSyncAt).toBeNull();
    expect(watcher.synced).toBe(false);
    expect(warnings.some((w) => /^Kubernetes is failing: nodes: /.test(w))).toBe(true);
    await server.resume();
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    expect(transitions()).toEqual(['failing', 'synced']);
    expect(watcher.health().error).toBeNull();
  });

  it('a refused resource (403, a missing RBAC permission): failing, naming it; the others are kept', async () => {
    await startServer();
    server.forbid('pods');
    await startWatcher();
    await expect.poll(() => watcher.health(), { timeout: 5000 }).toMatchObject({
      state: 'failing',
      error:
        'pods: HTTP 403 pods is forbidden: User "system:serviceaccount:netatlas:netatlas-api" cannot list resource "pods" in API group "" at the cluster scope',
    });
    await expect.poll(() => watcher.nodes().length, { timeout: 5000 }).toBe(2);
    expect(watcher.synced).toBe(false);
    server.forbid('pods', false);
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    expect(watcher.pods().map((p) => p.name)).toEqual(['web-1']);
  });

  it('a list that never answers fails after listTimeoutMs, and is retried', async () => {
    await startServer();
    server.hang('nodes');
    await startWatcher({ listTimeoutMs: 300 });
    await expect.poll(() => watcher.health(), { timeout: 5000 }).toMatchObject({ state: 'failing', error: expect.stringMatching(/^nodes: no answer in time/) });
    server.hang('nodes', false);
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    expect(server.lists('nodes').length).toBeGreaterThanOrEqual(2);
  });

  it('a watch dropped once and resumed at once is no failure', async () => {
    await startServer();
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    events.length = 0;
    const resumed = server.nextWatch('nodes');
    server.dropWatches();
    await resumed;
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    await expect.poll(() => watcher.error, { timeout: 5000 }).toBeNull();
    expect(states()).toEqual([]);
    expect(watcher.health().state).toBe('synced');
  });

  it('the server going away later: failing once resuming fails too, lastSyncAt when it stopped; resumed without a relist when it is back', async () => {
    await startServer();
    await startWatcher();
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    events.length = 0;
    const down = Date.now();
    await server.pause();
    await expect.poll(() => watcher.health().error, { timeout: 5000 }).toMatch(/^nodes: .*ECONNREFUSED.*; pods: .*ECONNREFUSED/);
    const failing = watcher.health();
    expect(failing.state).toBe('failing');
    expect(failing.error).toMatch(new RegExp(`^nodes: request to ${server.url}/api/v1/nodes failed, reason: connect ECONNREFUSED`));
    // block affinities are absent on this cluster: nothing to fail until they are looked for again
    expect(failing.error).not.toMatch(/blockaffinities/);
    expect(Date.parse(failing.lastSyncAt!)).toBeGreaterThanOrEqual(down);
    expect(Date.parse(failing.lastSyncAt!)).toBeLessThanOrEqual(Date.parse(failing.since));
    await new Promise((r) => setTimeout(r, 30));
    expect(watcher.health().lastSyncAt).toBe(failing.lastSyncAt);
    // what was listed is kept while failing
    expect(watcher.nodes().map((n) => n.name)).toEqual(['node-a', 'node-b']);
    server.add('nodes', testNode('node-c', { internalIP: '172.20.0.13' }));
    await server.resume();
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    await expect.poll(() => watcher.nodes().map((n) => n.name), { timeout: 5000 }).toEqual(['node-a', 'node-b', 'node-c']);
    expect(server.lists('nodes')).toHaveLength(1);
    expect(transitions()).toEqual(['failing', 'synced']);
    expect(events.at(-1)!.previous.state).toBe('failing');
  });

  it('a watch silent past its timeout (a connection lost without a word) is dropped and resumed', async () => {
    await startServer();
    await startWatcher({ watchTimeoutS: 1, watchGraceMs: 300 });
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches('nodes'), { timeout: 5000 }).toBe(1);
    // every watch asks the server to end it after timeoutSeconds
    expect(server.watchRequests('nodes').every((r) => r.timeoutSeconds === 1)).toBe(true);
    server.stallWatches('nodes');
    server.add('nodes', testNode('node-c'));
    await expect.poll(() => watcher.nodes().map((n) => n.name), { timeout: 5000 }).toEqual(['node-a', 'node-b', 'node-c']);
    expect(warnings.join('\n')).toMatch(/nodes: the watch got no word from the server 0 s after its 1 s timeout \(connection lost\?\); resuming from resourceVersion \d+/);
    expect(server.lists('nodes')).toHaveLength(1);
    expect(watcher.health().state).toBe('synced');
  });

  it('a credential file that goes away fails the source (it does not crash the API), and it recovers with the file', async () => {
    await startServer({ token: null });
    const cert = join(dir, 'client.crt');
    const key = join(dir, 'client.key');
    await writeFile(cert, 'not a certificate: plain http does not use it, client-node reads it anyway');
    await writeFile(key, 'not a key');
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server.url}`,
      'users:',
      '- name: u',
      '  user:',
      `    client-certificate: ${cert}`,
      `    client-key: ${key}`,
      'contexts:',
      '- name: x',
      '  context: {cluster: c, user: u}',
      'current-context: x',
      '',
    ].join('\n');
    await startWatcher({ kubeconfig });
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches(), { timeout: 5000 }).toBe(2);
    await rm(cert);
    // the server ends its watches: the informers watch again by themselves, and cannot
    server.closeWatches();
    await expect.poll(() => watcher.health(), { timeout: 5000 }).toMatchObject({
      state: 'failing',
      error: expect.stringMatching(/^nodes: ENOENT: no such file or directory, open '.*client\.crt'; pods: ENOENT/),
    });
    await writeFile(cert, 'back');
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    server.add('nodes', testNode('node-c'));
    await expect.poll(() => watcher.nodes().length, { timeout: 5000 }).toBe(3);
  });
});
