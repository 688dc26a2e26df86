// The current state against the real API and Postgres: one copy of the current facts (counted in
// its worker, equal to what is stored, following every change), from which the topology of now,
// its live patches and the checks come.
import { deriveHostEdges, deriveTopology, evaluateChecks } from '@netatlas/graph';
import type { ChecksResult, Fact, TopologyEdgesResponse, TopologyPatch, TopologyResponse } from '@netatlas/wire';
import { decodeTopologyPatch } from '@netatlas/wire';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertEngine } from '../alerts/alert-engine.js';
import { connectLive, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { bgpSession, member, neigh, route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';
import { CurrentState } from './current-state.js';
import { held, TOPOLOGY_KINDS } from './state-kinds.js';

/** GET without fetch's automatic decompression: the bytes and Content-Encoding as sent. */
function rawGet(url: string, acceptEncoding: string): Promise<{ body: Buffer; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ body: Buffer.concat(chunks), encoding: res.headers['content-encoding'] }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('current state', () => {
  let t: TestApi;
  let state: CurrentState;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('current-state');
    state = t.api.app.get(CurrentState);
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  /** the stored current facts, as GET /api/state gives them */
  const counted = async () => {
    const { nodes, facts } = await state.count();
    return { nodes, facts };
  };
  const stored = async () => (await t.get<{ nodes: Record<string, Fact[]> }>('/api/state')).body.nodes;
  /** the stored facts the topology reads, as GET /api/state?kind=… reads them: a node without facts of those kinds is not there */
  const drawnInput = async () =>
    new Map(
      Object.entries(await stored())
        .map(([n, list]) => [n, list.filter((f) => TOPOLOGY_KINDS.includes(f.kind))] as const)
        .filter(([, list]) => list.length > 0),
    );
  const heldOf = (nodes: Record<string, Fact[]>) => Object.values(nodes).flat().filter((f) => held(f.kind, f.value));

  it('holds each current fact once, the ones the checks and topology read only, and follows every change', async () => {
    const a = await FakeCollector.connect(t.url, 'cs-a');
    const b = await FakeCollector.connect(t.url, 'cs-b');
    open.push(a.socket, b.socket);
    await a.snapshot([route('10.233.2.0/24', '172.20.0.12'), neigh('172.20.0.12', 'aa:bb:cc:00:00:02'), member('kube-router-pod-subnets', '10.233.2.0/24'), member('KUBE-SVC-ABC', '10.96.0.1')]);
    await b.snapshot([route('10.233.1.0/24', '172.20.0.11'), neigh('172.20.0.11', 'aa:bb:cc:00:00:01')]);
    // the alert engine loads the state and runs the checks on it
    await t.api.app.get(AlertEngine).evaluateNow();
    const facts = heldOf(await stored());
    // a service set's member is stored but not held: the checks read kube-router's two sets only
    expect(Object.values(await stored()).flat()).toHaveLength(facts.length + 1);
    await expect.poll(() => counted(), { timeout: 10_000 }).toEqual({ nodes: 2, facts: facts.length });

    await a.delta([route('10.233.9.0/24', '172.20.0.19')], [{ kind: 'neigh', key: neigh('172.20.0.12', null).key }]);
    await expect.poll(() => counted(), { timeout: 10_000 }).toEqual({ nodes: 2, facts: heldOf(await stored()).length });
    expect(heldOf(await stored())).toHaveLength(facts.length);
    await b.leave('drained');
    await expect.poll(() => counted(), { timeout: 10_000 }).toEqual({ nodes: 1, facts: heldOf(await stored()).length });
  });

  it('GET /api/topology (now) comes from it and equals the topology derived from the stored state; patches follow it', async () => {
    const live = await connectLive(t.url, { topology: true, nodes: ['cs-c'] });
    open.push(live);
    const patches: TopologyPatch[] = [];
    live.on('topology', (p) => patches.push(decodeTopologyPatch(p)));
    const c = await FakeCollector.connect(t.url, 'cs-c');
    open.push(c.socket);
    await c.snapshot([route('10.7.0.0/24'), neigh('172.20.0.11', 'aa:bb:cc:00:00:01')]);
    await expect.poll(() => patches.flatMap((p) => p.upsertNodes.map((n) => n.id)), { timeout: 20_000 }).toContain('host:cs-c');
    // a node with only what the checks read (an ipset member) is held, but draws no host
    const d = await FakeCollector.connect(t.url, 'cs-d');
    open.push(d.socket);
    await d.snapshot([member('kube-router-pod-subnets', '10.233.7.0/24')]);
    await expect.poll(async () => (await counted()).nodes, { timeout: 10_000 }).toBe(3);

    const now = (await t.get<TopologyResponse>('/api/topology')).body;
    const input = await drawnInput();
    const { at, form, ...topology } = now;
    expect(at).toBeNull();
    expect(form).toBe('full');
    expect(topology).toEqual(deriveTopology(input));
    expect(topology.nodes.map((n) => n.id)).toContain('host:cs-c');
    expect(topology.nodes.map((n) => n.id)).not.toContain('host:cs-d');
  }, 30_000);

  it('the compact form on request, and the full edges of chosen hosts on demand, now and at a past moment', async () => {
    const e = await FakeCollector.connect(t.url, 'cs-e');
    open.push(e.socket);
    await e.snapshot([route('10.7.0.0/24', '172.20.0.11'), route('10.8.0.0/24'), neigh('172.20.0.11', 'aa:bb:cc:00:00:01'), bgpSession('172.20.0.99', 'established')]);
    await expect.poll(async () => (await t.get<TopologyResponse>('/api/topology')).body.nodes.map((n) => n.id), { timeout: 10_000 }).toContain('host:cs-e');
    const input = await drawnInput();
    const compact = (await t.get<TopologyResponse>('/api/topology?form=compact')).body;
    expect(compact.form).toBe('compact');
    expect({ nodes: compact.nodes, edges: compact.edges }).toEqual(deriveTopology(input, { compact: true }));
    expect(compact.nodes.find((n) => n.id === 'host:cs-e')?.data['relations']).toBeDefined();

    const edges = (await t.get<TopologyEdgesResponse>('/api/topology/edges?hosts=cs-e,cs-c,cs-e')).body;
    expect(edges.hosts).toEqual(['cs-e', 'cs-c']);
    expect(edges.edges).toEqual(deriveHostEdges(input, ['cs-e', 'cs-c']));
    expect(edges.edges.length).toBeGreaterThan(0);

    const at = new Date().toISOString();
    const past = (await t.get<TopologyEdgesResponse>(`/api/topology/edges?hosts=cs-e&at=${encodeURIComponent(at)}`)).body;
    expect(past.at).toBe(at);
    expect(past.edges).toEqual(deriveHostEdges(input, ['cs-e']));
    const pastTopology = (await t.get<TopologyResponse>(`/api/topology?form=compact&at=${encodeURIComponent(at)}`)).body;
    expect({ nodes: pastTopology.nodes, edges: pastTopology.edges }).toEqual(deriveTopology(input, { compact: true }));

    // gzipped for a client that takes it (made in the worker, now and at a moment), the same JSON
    for (const path of ['/api/topology', `/api/topology?at=${encodeURIComponent(at)}`]) {
      const plain = await rawGet(`${t.url}${path}`, 'identity');
      const zipped = await rawGet(`${t.url}${path}`, 'gzip, deflate, br');
      expect(plain.encoding, path).toBeUndefined();
      expect(zipped.encoding, path).toBe('gzip');
      expect(JSON.parse((zipped.encoding === 'gzip' ? gunzipSync(zipped.body) : zipped.body).toString('utf8')), path).toEqual(JSON.parse(plain.body.toString('utf8')));
    }
    expect((await rawGet(`${t.url}/api/topology`, 'gzip')).encoding).toBe('gzip');
    expect((await rawGet(`${t.url}/api/topology`, 'gzip;q=0, identity')).encoding).toBeUndefined();

    // wrong input: a 400 that names the parameter
    for (const [query, says] of [
      ['hosts=', 'hosts'],
      [`hosts=${Array.from({ length: 101 }, (_, i) => `n${i}`).join(',')}`, 'hosts'],
      ['hosts=a%20b', 'hosts'],
      ['hosts=cs-e&form=compact', 'form'],
    ] as const) {
      const r = await t.get<{ message: string }>(`/api/topology/edges?${query}`);
      expect(r.status, query).toBe(400);
      expect(JSON.stringify(r.body), query).toContain(says);
    }
    // the checks at a past moment come from the worker too: the same as the checks over the state then
    const then = new Map(Object.entries(await stored()).map(([n, list]) => [n, list.filter((f) => held(f.kind, f.value))] as const));
    const checksThen = (await t.get<ChecksResult>(`/api/checks?at=${encodeURIComponent(at)}`)).body;
    const want = evaluateChecks(then, { live: [...then.keys()] });
    expect(checksThen.at).toBe(at);
    expect(checksThen.nodes).toEqual(want.nodes);
    expect(checksThen.findings).toEqual(want.findings);
    expect(checksThen.nodes.map((n) => n.name)).toContain('cs-e');

    const badForm = await t.get<{ message: string }>('/api/topology?form=tiny');
    expect(badForm.status).toBe(400);
    expect(JSON.stringify(badForm.body)).toContain('form');
  }, 30_000);
});
