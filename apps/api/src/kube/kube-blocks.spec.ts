// Calico's IPAM block affinities (blockaffinities.crd.projectcalico.org/v1) with the real
// @kubernetes/client-node against the harness: listed and watched like Nodes, only confirmed host
// blocks not being deleted count; a cluster without the CRD (404) is not failing, and a CRD installed
// or removed later is found; a refused list (RBAC) is a failure that names it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiServer, testBlockAffinity, testNode, type KubeApiServerOptions } from '../testing/kube-api-server.js';
import type { KubeBlockAffinity, KubeChange } from './kube-types.js';
import { KubeWatcher, type KubeWatcherOptions } from './kube-watcher.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('KubeWatcher: Calico block affinities', () => {
  let dir: string;
  let server: KubeApiServer;
  let watcher: KubeWatcher;
  let changes: string[];
  let logs: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-blocks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await watcher?.stop();
    await server?.close();
  });

  const start = async (serverOptions: KubeApiServerOptions, options: KubeWatcherOptions = {}) => {
    server = await KubeApiServer.start(serverOptions);
    server.add('nodes', testNode('node-a', { internalIP: '172.20.0.11', podCIDRs: ['10.244.0.0/24'] }));
    server.add('nodes', testNode('node-b', { internalIP: '172.20.0.12', podCIDRs: ['10.244.1.0/24'] }));
    if (serverOptions.crds?.includes('blockaffinities')) {
      server.add('blockaffinities', testBlockAffinity('node-a', '10.48.12.0/26'));
      server.add('blockaffinities', testBlockAffinity('node-a', '10.48.12.64/26', { type: 'host' }));
      server.add('blockaffinities', testBlockAffinity('node-b', '10.48.7.192/26'));
      server.add('blockaffinities', testBlockAffinity('node-b', 'fd00:10:48:7::/122'));
      // claimed, not yet confirmed; being released; a virtual affinity: none is a node's block now
      server.add('blockaffinities', testBlockAffinity('node-b', '10.48.9.0/26', { state: 'pending' }));
      server.add('blockaffinities', testBlockAffinity('node-a', '10.48.3.0/26', { deleted: 'true' }));
      server.add('blockaffinities', testBlockAffinity('node-a', '10.48.4.0/26', { state: 'pendingDeletion' }));
      server.add('blockaffinities', testBlockAffinity('lb', '10.48.5.0/26', { type: 'virtual' }));
    }
    const file = await server.writeKubeconfig(dir, `kubeconfig-${Math.random()}`);
    changes = [];
    logs = [];
    watcher = new KubeWatcher(
      { kubernetes: 'kubeconfig', kubeconfig: file },
      { backoffMs: 50, maxBackoffMs: 400, healthyAfterMs: 200, ...options, logger: { ...quiet, log: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) } },
    );
    watcher.onBlockAffinity((change: KubeChange, block: KubeBlockAffinity) => changes.push(`${change} ${block.node} ${block.cidr} ${block.state}`));
    watcher.start();
  };

  const active = () => watcher.blockAffinities().map((b) => `${b.node} ${b.cidr}`);

  it('lists and watches them: blockAffinities() holds the confirmed host blocks not being deleted', async () => {
    await start({ crds: ['blockaffinities'] });
    await watcher.whenSynced(5000);
    expect(watcher.health().state).toBe('synced');
    expect(watcher.blockAffinitiesCrd).toBe('installed');
    expect(active()).toEqual(['node-a 10.48.12.0/26', 'node-a 10.48.12.64/26', 'node-b 10.48.7.192/26', 'node-b fd00:10:48:7::/122']);
    expect(watcher.blockAffinities()[0]).toEqual({
      name: 'node-a-10-48-12-0-26',
      node: 'node-a',
      cidr: '10.48.12.0/26',
      state: 'confirmed',
      deleted: false,
      type: 'host',
      resourceVersion: '103',
    });
    // status() lists every one of them, whatever its state
    expect(watcher.status().blockAffinities.map((b) => `${b.node} ${b.cidr} ${b.state}${b.deleted ? ' deleted' : ''} ${b.type}`)).toEqual([
      'lb 10.48.5.0/26 confirmed virtual',
      'node-a 10.48.12.0/26 confirmed host',
      'node-a 10.48.12.64/26 confirmed host',
      'node-a 10.48.3.0/26 confirmed deleted host',
      'node-a 10.48.4.0/26 pendingDeletion host',
      'node-b 10.48.7.192/26 confirmed host',
      'node-b 10.48.9.0/26 pending host',
      'node-b fd00:10:48:7::/122 confirmed host',
    ]);
    expect(changes.filter((c) => c.startsWith('added'))).toHaveLength(8);
    await expect.poll(() => server.openWatches('blockaffinities'), { timeout: 5000 }).toBe(1);
    expect(server.watchRequests('blockaffinities')).toMatchObject([{ path: '/apis/crd.projectcalico.org/v1/blockaffinities', resourceVersion: server.resourceVersion }]);

    changes.length = 0;
    // Calico confirms the pending claim, marks one block deleted and then deletes it, and adds one
    server.modify('blockaffinities', 'node-b-10-48-9-0-26', (o) => Object.assign(o['spec'] as object, { state: 'confirmed' }));
    server.modify('blockaffinities', 'node-a-10-48-12-64-26', (o) => Object.assign(o['spec'] as object, { deleted: 'true' }));
    server.delete('blockaffinities', 'node-a-10-48-12-64-26');
    server.add('blockaffinities', testBlockAffinity('node-c', '10.48.20.0/26'));
    await expect.poll(() => active(), { timeout: 5000 }).toEqual([
      'node-a 10.48.12.0/26',
      'node-b 10.48.7.192/26',
      'node-b 10.48.9.0/26',
      'node-b fd00:10:48:7::/122',
      'node-c 10.48.20.0/26',
    ]);
    expect(changes).toEqual([
      'modified node-b 10.48.9.0/26 confirmed',
      'modified node-a 10.48.12.64/26 confirmed',
      'deleted node-a 10.48.12.64/26 confirmed',
      'added node-c 10.48.20.0/26 confirmed',
    ]);
    expect(server.lists('blockaffinities')).toHaveLength(1);
  });

  it('a cluster without the CRD: no failure, no blocks, and it looks again until the CRD is there', async () => {
    await start({}, { crdRecheckMs: 300 });
    await watcher.whenSynced(5000);
    expect(watcher.health()).toMatchObject({ state: 'synced', error: null });
    expect(watcher.blockAffinitiesCrd).toBe('absent');
    expect(watcher.blockAffinities()).toEqual([]);
    expect(server.lists('blockaffinities')).toHaveLength(1);
    expect(logs).toContain('blockaffinities: not served by this cluster (404); looking again every 0 s');
    await expect.poll(() => server.lists('blockaffinities').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    // said once, not at every look
    expect(logs.filter((l) => l.startsWith('blockaffinities: not served'))).toHaveLength(1);
    expect(watcher.health().state).toBe('synced');
    // Calico is installed later
    server.installCrd('blockaffinities');
    server.add('blockaffinities', testBlockAffinity('node-a', '10.48.12.0/26'));
    await expect.poll(() => active(), { timeout: 5000 }).toEqual(['node-a 10.48.12.0/26']);
    expect(watcher.blockAffinitiesCrd).toBe('installed');
    expect(changes).toEqual(['added node-a 10.48.12.0/26 confirmed']);
    await expect.poll(() => server.openWatches('blockaffinities'), { timeout: 5000 }).toBe(1);
    server.add('blockaffinities', testBlockAffinity('node-b', '10.48.7.192/26'));
    await expect.poll(() => active(), { timeout: 5000 }).toEqual(['node-a 10.48.12.0/26', 'node-b 10.48.7.192/26']);
    expect(watcher.health().state).toBe('synced');
  });

  it('a CRD removed later: its blocks are reported deleted and it is absent again, not failing', async () => {
    await start({ crds: ['blockaffinities'] }, { crdRecheckMs: 60_000 });
    await watcher.whenSynced(5000);
    await expect.poll(() => server.openWatches('blockaffinities'), { timeout: 5000 }).toBe(1);
    changes.length = 0;
    server.uninstallCrd('blockaffinities');
    await expect.poll(() => watcher.blockAffinitiesCrd, { timeout: 5000 }).toBe('absent');
    expect(watcher.blockAffinities()).toEqual([]);
    expect(watcher.status().blockAffinities).toEqual([]);
    expect(changes).toHaveLength(8);
    expect(changes.every((c) => c.startsWith('deleted '))).toBe(true);
    expect(watcher.health()).toMatchObject({ state: 'synced', error: null });
  });

  it('a refused list (403: the API lacks the permission on blockaffinities) is a failure that names it', async () => {
    await start({ crds: ['blockaffinities'] });
    server.forbid('blockaffinities');
    await expect.poll(() => watcher.health(), { timeout: 5000 }).toMatchObject({
      state: 'failing',
      error:
        'blockaffinities: HTTP 403 blockaffinities.crd.projectcalico.org is forbidden: User "system:serviceaccount:netatlas:netatlas-api" cannot list resource "blockaffinities" in API group "crd.projectcalico.org" at the cluster scope',
    });
    expect(watcher.blockAffinitiesCrd).toBe('unknown');
    // the nodes are there all the same
    await expect.poll(() => watcher.nodes().length, { timeout: 5000 }).toBe(2);
    server.forbid('blockaffinities', false);
    await expect.poll(() => watcher.health().state, { timeout: 5000 }).toBe('synced');
    expect(active()).toHaveLength(4);
  });
});
