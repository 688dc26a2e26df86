// End to end on a real 3-node kube-router lab: a collector per node streams into the real API,
// which stores in a real Postgres of its own (embedded, so that this test may restart it without
// disturbing the other suites). Every check compares the API's answers with `ip -n` and `ipset`
// read straight from the lab's namespaces.
import type { Fact, FactChange, RouteValue, Topology, TopologyPatch } from '@netatlas/wire';
import { decodeTopologyPatch } from '@netatlas/wire';
import { inCI, ipsetMembers, lab, labPrerequisites, labStatus, mainTable, routeLine, sh, type LabStatus } from '@netatlas/lab-testing';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type ApiConfig } from '../settings.js';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded-postgres.js';
import { startApi, type RunningApi } from '../start.js';
import { connectLive, TEST_TOKEN, type LiveClient } from '../testing/api.js';
import { startCollectorProcess, type CollectorProcess } from '../testing/collector-process.js';
import { setupOnce } from '../testing/setup.js';

const LAB = 'tapi';
const missing = labPrerequisites();
const SETS = ['kube-router-pod-subnets', 'kube-router-node-ips'];

interface Truth {
  routes: string[];
  neighbors: string[];
  members: string[];
}

/** What the kernel and ipset say, in the same shape as what the API's facts give. */
async function groundTruth(ns: string): Promise<Truth> {
  const neigh = JSON.parse((await sh('ip', ['-n', ns, '-j', 'neigh', 'show', 'nud', 'all'])) || '[]') as Array<{ dst: string; dev: string }>;
  const members: string[] = [];
  for (const set of SETS) for (const m of await ipsetMembers(ns, set)) members.push(`${set} ${m}`);
  return {
    routes: await mainTable(ns),
    neighbors: neigh.map((n) => `${n.dev}|${n.dst}`).sort(),
    members: members.sort(),
  };
}

function truthOfFacts(facts: readonly Fact[]): Truth {
  const routes: string[] = [];
  const neighbors: string[] = [];
  const members: string[] = [];
  for (const f of facts) {
    if (f.kind === 'route' && f.value.table === 'main' && f.value.family === 'inet') routes.push(factRouteLine(f.value));
    if (f.kind === 'neigh' && !f.value.proxy) neighbors.push(`${f.value.dev}|${f.value.address}`);
    if (f.kind === 'ipsetMember' && SETS.includes(f.value.set)) members.push(`${f.value.set} ${f.value.element}`);
  }
  return { routes: routes.sort(), neighbors: neighbors.sort(), members: members.sort() };
}

function factRouteLine(v: RouteValue): string {
  return routeLine({ type: v.type, dst: v.dst, gateway: v.gateway ?? undefined, dev: v.dev ?? undefined, protocol: v.protocol, flags: v.flags });
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

describe.skipIf(missing.length > 0 && !inCI)('API end to end on a kube-router lab', { timeout: 90_000 }, () => {
  let status: LabStatus;
  let pg: EmbeddedPostgres;
  let dataDir: string;
  let api: RunningApi;
  let config: ApiConfig;
  const collectors = new Map<string, CollectorProcess>();
  const live: LiveClient[] = [];

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${api.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const apiFacts = async (node: string, query = '') => (await get<{ facts: Fact[] }>(`/api/nodes/${node}/facts${query}`)).facts;
  const apiTruth = async (node: string, at?: string) => truthOfFacts(await apiFacts(node, at ? `?at=${encodeURIComponent(at)}` : ''));
  const nodeStatus = async (node: string) => (await get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).nodes.find((n) => n.name === node)?.status;

  /** Waits until the API holds exactly what the kernel holds on `node` (routes, neighbors, members). */
  const converged = async (nodes: readonly string[], timeout = 20_000) => {
    for (const node of nodes) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const [mine, truth] = await Promise.all([apiTruth(node).catch((e: Error) => e.message), groundTruth(node)]);
        if (JSON.stringify(mine) === JSON.stringify(truth)) break;
        if (Date.now() > deadline) {
          const logs = collectors.get(node)?.stderr.join('').slice(-2000) ?? '(no collector)';
          throw new Error(`the API did not converge to the kernel on ${node} within ${timeout} ms:\napi: ${JSON.stringify(mine)}\nkernel: ${JSON.stringify(truth)}\ncollector log: ${logs}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };

  const startCollector = (node: string) => {
    if (missing.length > 0) throw new Error(`the lab needs: ${missing.join(', ')}`);
    collectors.set(node, startCollectorProcess(api.url, node));
  };
  const stopCollector = async (node: string) => {
    const c = collectors.get(node);
    collectors.delete(node);
    await c?.stop();
  };

  const startTheApi = async () => {
    api = await startApi(config, { logger: process.env['NETATLAS_TEST_LOG'] ? ['log', 'warn', 'error'] : false, log: () => undefined, version: 'e2e' });
  };

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    await lab(['down', '--name', LAB]);
    await lab(['up', '--name', LAB, '--style', 'kube-router', '--nodes', '3', '--pods', '2']);
    status = await labStatus(LAB);
    dataDir = await mkdtemp(join(tmpdir(), 'netatlas-e2e-'));
    await chmod(dataDir, 0o755); // as root, Postgres runs as `postgres`, which must reach its folder
    pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: await freePort() });
    // messages of at most 12 kB: the collectors' snapshots (more than 6 kB here) come in parts, as a large node's would
    config = { ...loadConfig({}), databaseUrl: pg.url, port: await freePort(), token: TEST_TOKEN, heartbeatMs: 1000, lostAfterMs: 4000, retentionDays: 0, maxMessageBytes: 12 * 1024 };
    await startTheApi();
    for (const n of status.nodes) startCollector(n.namespace);
    await converged(status.nodes.map((n) => n.namespace), 60_000);
  }, 240_000);

  afterAll(async () => {
    for (const s of live) s.close();
    for (const node of [...collectors.keys()]) await stopCollector(node);
    await api?.close();
    await pg?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await lab(['down', '--name', LAB]);
  }, 120_000);

  it('holds every node as connected with the lab’s state', async () => {
    for (const n of status.nodes) expect(await nodeStatus(n.namespace)).toBe('connected');
    const nodes = (await get<{ nodes: Array<{ name: string; cniStyle: string }> }>('/api/nodes')).nodes;
    expect(nodes.map((n) => n.cniStyle)).toEqual(['kube-router', 'kube-router', 'kube-router']);
    // their snapshots came in parts (12 kB messages), and the state above is their whole
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(Number(/^netatlas_ingest_snapshot_parts_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(status.nodes.length);
    // the topology derived from what they sent: 3 hosts, a full BGP mesh Established, a route
    // edge from every host to every other host's pod CIDR
    await expect
      .poll(async () => {
        const t = await get<Topology>('/api/topology');
        const bgp = t.edges.filter((e) => e.type === 'bgp');
        return {
          hosts: t.nodes.filter((n) => n.type === 'host').length,
          pods: t.nodes.filter((n) => n.type === 'pod').length,
          established: bgp.filter((e) => e.data['state'] === 'established').length,
          routes: t.edges.filter((e) => e.type === 'route' && e.data['nextHopMismatch'] === false).length,
        };
      }, { timeout: 15_000, interval: 500 })
      .toEqual({ hosts: 3, pods: 6, established: 6, routes: 6 });
  });

  it('a route change reaches a browser client within 1 s of the kernel change', async () => {
    const client = await connectLive(api.url, { topology: false, kinds: ['route'] });
    live.push(client);
    const received: Array<{ at: number; change: FactChange }> = [];
    client.on('changes', (batch) => {
      for (const change of batch.changes) received.push({ at: Date.now(), change });
    });
    const [n1, n2] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0]];
    const t0 = Date.now();
    await sh('ip', ['-n', n1.namespace, 'route', 'add', '10.99.0.0/24', 'via', n2.underlayIp]);
    await expect.poll(() => received.find((r) => r.change.node === n1.namespace && r.change.key.includes('10.99.0.0/24') && r.change.op === 'add'), { timeout: 5000, interval: 20 }).toBeDefined();
    const hit = received.find((r) => r.change.key.includes('10.99.0.0/24'))!;
    expect(hit.at - t0).toBeLessThan(1000);
    const t1 = Date.now();
    await sh('ip', ['-n', n1.namespace, 'route', 'del', '10.99.0.0/24']);
    await expect.poll(() => received.find((r) => r.change.key.includes('10.99.0.0/24') && r.change.op === 'remove'), { timeout: 5000, interval: 20 }).toBeDefined();
    expect(received.find((r) => r.change.op === 'remove')!.at - t1).toBeLessThan(1000);
  });

  it('remove-node: the diff lists exactly what disappeared on each remaining node, and the past stays readable', async () => {
    const [n1, n2, n3] = status.nodes.map((n) => n.namespace) as [string, string, string];
    await converged([n1, n2]);
    const watcher = await connectLive(api.url, { topology: true, kinds: ['route'] });
    live.push(watcher);
    const patches: TopologyPatch[] = [];
    watcher.on('topology', (p) => patches.push(decodeTopologyPatch(p)));
    const before = { [n1]: await groundTruth(n1), [n2]: await groundTruth(n2) };
    const tBefore = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    // the node's collector sees its namespace go, tells the API the node left, and exits
    const n3Collector = collectors.get(n3)!;
    const n3Exit = new Promise<number | null>((resolve) => n3Collector.child.once('exit', (code) => resolve(code)));
    await lab(['remove-node', '--name', LAB, n3]);
    await converged([n1, n2]);
    const after = { [n1]: await groundTruth(n1), [n2]: await groundTruth(n2) };
    const tAfter = new Date().toISOString();
    const diff = await get<{ nodes: Record<string, Record<string, { added: Fact[]; removed: Fact[] }>> }>(
      `/api/diff?from=${encodeURIComponent(tBefore)}&to=${encodeURIComponent(tAfter)}`,
    );
    for (const node of [n1, n2]) {
      const removed = truthOfFacts(Object.values(diff.nodes[node] ?? {}).flatMap((d) => d.removed));
      expect(removed.routes, `routes gone on ${node}`).toEqual(minus(before[node]!.routes, after[node]!.routes));
      expect(removed.routes.length).toBeGreaterThan(0);
      expect(removed.members, `ipset members gone on ${node}`).toEqual(minus(before[node]!.members, after[node]!.members));
      expect(removed.members.length).toBeGreaterThan(0);
      expect(removed.neighbors, `neighbors gone on ${node}`).toEqual(minus(before[node]!.neighbors, after[node]!.neighbors));
      // and the routes as they were, read back from the history
      expect((await apiTruth(node, tBefore)).routes).toEqual(before[node]!.routes);
    }
    await expect.poll(() => nodeStatus(n3), { timeout: 10_000 }).toBe('left');
    expect(await n3Exit, n3Collector.stderr.join('')).toBe(0);
    expect(n3Collector.stderr.join('')).toMatch(/network namespace \S+ was deleted: node \S+ left/);
    collectors.delete(n3);
    const events = await get<{ events: Array<{ node: string; type: string }> }>(`/api/events?from=${encodeURIComponent(tBefore)}&node=${n3}`);
    expect(events.events.map((e) => e.type)).toContain('left');
    // the node's own facts ended with it: nothing current, everything still there at tBefore
    expect(await get<{ facts: Fact[] }>(`/api/nodes/${n3}/facts`)).toMatchObject({ facts: [] });
    expect((await get<{ facts: Fact[] }>(`/api/nodes/${n3}/facts?kind=route&at=${encodeURIComponent(tBefore)}`)).facts.length).toBeGreaterThan(0);
    // browsers were told: the host and the route edges from the remaining hosts to n3's pods went away
    await expect.poll(() => patches.flatMap((p) => p.removeNodes), { timeout: 5000 }).toContain(`host:${n3}`);
    const removed = patches.flatMap((p) => p.removeEdges);
    for (const node of [n1, n2]) expect(removed.some((id) => id.startsWith(`route:host:${node}->host:${n3}`))).toBe(true);
  });

  it('add-node: the diff lists exactly what appeared on each node', async () => {
    const nodes = status.nodes.slice(0, 2).map((n) => n.namespace);
    const before = Object.fromEntries(await Promise.all(nodes.map(async (n) => [n, await groundTruth(n)] as const)));
    const tBefore = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await lab(['add-node', '--name', LAB]);
    status = await labStatus(LAB);
    const added = status.nodes.at(-1)!.namespace;
    startCollector(added);
    await converged([...nodes, added], 30_000);
    const tAfter = new Date().toISOString();
    const diff = await get<{ nodes: Record<string, Record<string, { added: Fact[]; removed: Fact[] }>> }>(
      `/api/diff?from=${encodeURIComponent(tBefore)}&to=${encodeURIComponent(tAfter)}`,
    );
    for (const node of nodes) {
      const after = await groundTruth(node);
      const appeared = truthOfFacts(Object.values(diff.nodes[node] ?? {}).flatMap((d) => d.added));
      expect(appeared.routes, `routes on ${node}`).toEqual(minus(after.routes, before[node]!.routes));
      expect(appeared.routes.length).toBeGreaterThan(0);
      expect(appeared.members, `ipset members on ${node}`).toEqual(minus(after.members, before[node]!.members));
    }
    expect(await nodeStatus(added)).toBe('connected');
  });

  it('an API restart mid-stream loses nothing: the collectors resync and the gap is recorded', async () => {
    const node = status.nodes[0]!.namespace;
    const peer = status.nodes[1]!;
    const tStop = new Date().toISOString();
    await api.close();
    // the network changes while nobody listens
    await sh('ip', ['-n', node, 'route', 'add', '10.98.0.0/24', 'via', peer.underlayIp]);
    await startTheApi();
    await converged(status.nodes.map((n) => n.namespace), 30_000);
    expect((await apiTruth(node)).routes).toContain(`unicast 10.98.0.0/24 via ${peer.underlayIp} dev eth0 proto boot`);
    const events = (await get<{ events: Array<{ type: string; detail: Record<string, unknown> }> }>(`/api/events?node=${node}&from=${encodeURIComponent(tStop)}`)).events;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['connected', 'resynced', 'gap']));
    // the gap holds the route added meanwhile (and whatever else the kernel changed, e.g. a
    // neighbour going stale), recorded at the resync
    const gap = events.find((e) => e.type === 'gap')!.detail as { changes: number; to: string };
    expect(gap.changes).toBeGreaterThanOrEqual(1);
    const atResync = (await get<{ changes: FactChange[] }>(`/api/changes?from=${encodeURIComponent(tStop)}&to=${encodeURIComponent(gap.to)}&node=${node}&kind=route`)).changes;
    expect(atResync.filter((c) => c.key.includes('10.98.0.0/24')).map((c) => [c.op, c.at])).toEqual([['add', gap.to]]);
    await sh('ip', ['-n', node, 'route', 'del', '10.98.0.0/24']);
  });

  it('a Postgres restart mid-stream loses nothing: changes made while it is down arrive after it is back', async () => {
    const node = status.nodes[1]!.namespace;
    const peer = status.nodes[0]!;
    const port = pg.port;
    await pg.stop();
    await sh('ip', ['-n', node, 'route', 'add', '10.97.0.0/24', 'via', peer.underlayIp]);
    // the API keeps running, says the database is down, and the collectors keep their deltas
    const health = await get<{ status: string; database: { ok: boolean } }>('/api/health');
    expect(health).toMatchObject({ status: 'degraded', database: { ok: false } });
    await new Promise((r) => setTimeout(r, 2000));
    pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    await converged(status.nodes.map((n) => n.namespace), 30_000);
    expect((await apiTruth(node)).routes).toContain(`unicast 10.97.0.0/24 via ${peer.underlayIp} dev eth0 proto boot`);
    const changes = (await get<{ changes: FactChange[] }>(`/api/changes?from=2000-01-01T00:00:00Z&node=${node}&kind=route`)).changes;
    expect(changes.filter((c) => c.key.includes('10.97.0.0/24')).map((c) => c.op)).toEqual(['add']);
    await sh('ip', ['-n', node, 'route', 'del', '10.97.0.0/24']);
  });
});
