// Every answer of the API against its schema: the real API on Postgres, fed a real Calico lab's facts
// (the topology fixture captured from the lab) through the ingest protocol, with Kubernetes from the
// test harness's list/watch server, one route deleted (so there are changes, a diff, findings and an
// alert), a silence and an API token. Each JSON answer is parsed with the schema the OpenAPI
// document gives its route (openapi.ts ROUTES, from libs/wire rest-schemas.ts and the modules'
// *-schemas.ts): the parse must succeed and give back the answer unchanged, and the schemas are
// strict where the answer is exact, so a field the schema does not name fails. The last test checks
// that every route answering JSON was called.
import type { AlertsResponse, ApiTokenCreatedResponse, ChangesPage, Fact, FactsResponse, KubernetesStatus, NodesResponse, SilenceResponse, TopologyResponse } from '@netatlas/wire';
import { FactsResponseSchema, NodesResponseSchema, TopologyResponseSchema } from '@netatlas/wire';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultAlertConfig } from '../alerts/alert-config.js';
import { AlertEngine } from '../alerts/alert-engine.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { KubeApiServer, testBlockAffinity, testNode, testPod } from '../testing/kube-api-server.js';
import { setupOnce } from '../testing/setup.js';
import { okStatus, ROUTES } from './openapi.js';

const fixture = async (name: string) => JSON.parse(await readFile(new URL(`../../../../libs/graph/src/fixtures/topology/${name}`, import.meta.url), 'utf8')) as unknown;

interface LabNode {
  name: string;
  underlayIp: string;
  podCidr: string;
  pods: Array<{ ip: string; hostVeth: string }>;
}

const at = (iso: string) => encodeURIComponent(iso);

describe('every answer of the API parses with its schema', () => {
  let t: TestApi;
  let kube: KubeApiServer;
  let dir: string;
  let lab: LabNode[];
  const collectors: FakeCollector[] = [];
  /** a moment before the route was deleted */
  let before: string;
  /** the routes whose answer was parsed (`get /api/nodes/{name}/facts`) */
  const called = new Set<string>();

  setupOnce(async () => {
    const state = (await fixture('calico.json')) as Record<string, Fact[]>;
    lab = ((await fixture('calico.lab.json')) as { status: { nodes: LabNode[] } }).status.nodes;
    dir = await mkdtemp(join(tmpdir(), 'netatlas-responses-'));
    kube = await KubeApiServer.start({ crds: ['blockaffinities'] });
    for (const node of lab) {
      kube.add('nodes', testNode(node.name, { internalIP: node.underlayIp, podCIDRs: [node.podCidr] }));
      kube.add('blockaffinities', testBlockAffinity(node.name, node.podCidr));
    }
    kube.add('pods', testPod('default', 'web-1', { ip: lab[0]!.pods[0]!.ip, node: lab[0]!.name }));
    const alerts = defaultAlertConfig();
    alerts.evalMs = 200;
    t = await startTestApi('responses', { kubernetes: 'kubeconfig', kubeconfig: await kube.writeKubeconfig(dir), alerts });
    for (const [node, facts] of Object.entries(state)) {
      const c = await FakeCollector.connect(t.url, node);
      collectors.push(c);
      const ack = await c.snapshot(facts);
      if (!ack.ok) throw new Error(`snapshot of ${node}: ${ack.error}`);
    }
    before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // node1 loses its route to node2's pods: a change, a diff, a route-missing finding, a RouteLoss alert
    const [n1, n2] = [lab[0]!, lab[1]!];
    const gone = state[n1.name]!.find((f) => f.kind === 'route' && f.value.dst === n2.podCidr)!;
    const ack = await collectors[0]!.delta([], [{ kind: 'route', key: gone.key }]);
    if (!ack.ok) throw new Error(`delta: ${ack.error}`);
  }, 60_000);

  afterAll(async () => {
    for (const c of collectors) c.close();
    await t?.close();
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The route ROUTES documents for a method and a path with its parameters filled in. */
  const routeOf = (method: string, path: string) =>
    ROUTES.find((r) => (r.method ?? 'get') === method && new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!));

  /**
   * Calls the API and parses the answer with its route's schema: the documented status, a parse
   * that succeeds, and gives back what was sent (nothing the schema does not name dropped).
   */
  async function answer<T>(path: string, init: { method?: 'get' | 'post' | 'delete'; body?: unknown; cookie?: string } = {}): Promise<{ body: T; setCookie: string | null }> {
    const method = init.method ?? 'get';
    const route = routeOf(method, path);
    expect(route, `${method} ${path} is in the OpenAPI document`).toBeDefined();
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.cookie) headers['cookie'] = init.cookie;
    const res = await fetch(`${t.url}${path}`, { method: method.toUpperCase(), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(Number(okStatus(route!)));
    const body: unknown = JSON.parse(text);
    const parsed = route!.response!.safeParse(body);
    expect(parsed.success ? null : z.prettifyError(parsed.error), `${method} ${path}`).toBeNull();
    expect(parsed.data, `${method} ${path}: the parse gives the answer back`).toEqual(body);
    called.add(`${method} ${route!.path}`);
    return { body: body as T, setCookie: res.headers.get('set-cookie') };
  }
  const get = async <T>(path: string) => (await answer<T>(path)).body;

  it('health, readiness, who this is and the settings', async () => {
    expect(await get('/api/health')).toMatchObject({ status: 'ok', database: { ok: true } });
    await get('/api/health/ready');
    expect(await get('/api/auth/me')).toMatchObject({ viewer: { via: 'anonymous', role: 'admin' }, canLogout: false });
    await get('/api/admin/settings');
  });

  it('nodes, a node’s facts, the state, changes, a diff and events: now and at a moment', async () => {
    const n1 = lab[0]!.name;
    expect((await get<NodesResponse>('/api/nodes')).nodes.map((n) => n.name)).toEqual(lab.map((n) => n.name));
    expect((await get<FactsResponse>(`/api/nodes/${n1}/facts`)).facts.length).toBeGreaterThan(10);
    await get(`/api/nodes/${n1}/facts?at=${at(before)}&kind=route,link`);
    await get('/api/state');
    await get(`/api/state?at=${at(before)}&kind=route`);
    const changes = await get<ChangesPage>(`/api/changes?from=${at(before)}`);
    expect(changes.changes).toContainEqual(expect.objectContaining({ node: n1, kind: 'route', op: 'remove' }));
    // every fact's add, a page at a time: values of every kind, and a cursor
    const first = await get<ChangesPage>('/api/changes?from=2000-01-01T00:00:00Z&limit=100');
    expect(first.next).not.toBeNull();
    await get(`/api/changes?from=2000-01-01T00:00:00Z&to=${at(first.to)}&limit=5000&after=${encodeURIComponent(first.next!)}`);
    expect(await get(`/api/diff?from=${at(before)}`)).toMatchObject({ nodes: { [n1]: { route: { removed: [expect.anything()] } } } });
    await get(`/api/diff?from=2000-01-01T00:00:00Z&to=${at(before)}`);
    await get('/api/events?from=2000-01-01T00:00:00Z');
  });

  it('the topology, full and compact, now and at a moment, and a host’s full edges', async () => {
    const n1 = lab[0]!.name;
    expect((await get<TopologyResponse>('/api/topology')).nodes.length).toBeGreaterThan(lab.length);
    expect(await get('/api/topology?form=compact')).toMatchObject({ at: null, form: 'compact' });
    expect(await get(`/api/topology?form=full&at=${at(before)}`)).toMatchObject({ at: before, form: 'full' });
    await get(`/api/topology/edges?hosts=${n1}`);
    await get(`/api/topology/edges?hosts=${lab.map((n) => n.name).join(',')}&at=${at(before)}`);
  });

  it('traces pod to pod, node to node and a Kubernetes pod by name, compares two moments, and an address’s history', async () => {
    const [n1, n2] = [lab[0]!, lab[1]!];
    const [podA, podB] = [n1.pods[0]!, n2.pods[0]!];
    expect(await get(`/api/trace?from=${podA.ip}&to=${podB.ip}&at=${at(before)}`)).toMatchObject({ verdict: 'delivered' });
    expect(await get(`/api/trace?from=${podA.ip}&to=${podB.ip}`)).toMatchObject({ verdict: 'failed' });
    await get(`/api/trace?from=${n1.name}&to=${lab[2]!.name}`);
    await expect.poll(async () => (await t.get<KubernetesStatus>('/api/kubernetes')).body.synced, { timeout: 10_000 }).toBe(true);
    expect(await get(`/api/trace?from=default/web-1&to=${podB.ip}&at=${at(before)}`)).toMatchObject({ from: { kind: 'pod', pod: { namespace: 'default', name: 'web-1' } } });
    expect(await get(`/api/trace/compare?from=${podA.ip}&to=${podB.ip}&at1=${at(before)}`)).toMatchObject({ changedAt: { node: n1.name } });
    await get(`/api/addresses/${podB.ip}/history`);
    await get(`/api/addresses/${n2.underlayIp}/history?from=2000-01-01T00:00:00Z`);
  });

  it('the expected state, now and at a moment', async () => {
    expect(await get('/api/checks')).toMatchObject({ at: null, findings: [expect.objectContaining({ type: 'route-missing', node: lab[0]!.name })] });
    expect(await get(`/api/checks?at=${at(before)}`)).toMatchObject({ at: before, findings: [] });
  });

  it('Kubernetes: the source, what it holds, and its health', async () => {
    const status = await get<KubernetesStatus>('/api/kubernetes');
    expect(status).toMatchObject({ mode: 'kubeconfig', synced: true, blockAffinitiesCrd: 'installed' });
    expect(status.nodes).toHaveLength(lab.length);
    expect(status.pods).toHaveLength(1);
    expect(status.blockAffinities).toHaveLength(lab.length);
    expect(await get('/api/kubernetes/health')).toMatchObject({ mode: 'kubeconfig', state: 'synced' });
  });

  it('alerts, an acknowledgement, and a silence that covers one', async () => {
    await t.api.app.get(AlertEngine).evaluateNow();
    await expect.poll(async () => (await t.get<AlertsResponse>('/api/alerts')).body.alerts.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const { alerts } = await get<AlertsResponse>('/api/alerts');
    const loss = alerts.find((a) => a.rule === 'RouteLoss')!;
    expect(loss).toBeDefined();
    await answer(`/api/alerts/${loss.id}/acknowledge`, { method: 'post' });
    const silence = (await answer<SilenceResponse>('/api/silences', { method: 'post', body: { rule: 'RouteLoss', labels: { node: lab[0]!.name }, durationS: 600, comment: 'responses.spec' } })).body.silence;
    await get('/api/silences');
    const now = await get<AlertsResponse>(`/api/alerts?state=${loss.state}`);
    expect(now.alerts.find((a) => a.id === loss.id)).toMatchObject({ acknowledged: { by: 'anonymous' }, silencedBy: silence.id });
    await answer(`/api/silences/${silence.id}`, { method: 'delete' });
  });

  it('an API token: created, listed, signing a browser in and out, revoked', async () => {
    const created = (await answer<ApiTokenCreatedResponse>('/api/admin/tokens', { method: 'post', body: { name: 'responses', role: 'viewer' } })).body;
    await get('/api/admin/tokens');
    const login = await answer('/api/auth/token-login', { method: 'post', body: { token: created.secret } });
    const cookie = login.setCookie!.split(';')[0]!;
    expect((await answer('/api/auth/me', { cookie })).body).toMatchObject({ viewer: { via: 'token', role: 'viewer' }, canLogout: true });
    expect((await answer('/api/auth/logout', { method: 'post', cookie })).body).toEqual({ redirect: null });
    await answer(`/api/admin/tokens/${created.token.id}`, { method: 'delete' });
  });

  it('a field the schema does not name fails the parse', async () => {
    const nodes = (await t.get<NodesResponse>('/api/nodes')).body;
    expect(NodesResponseSchema.safeParse(nodes).success).toBe(true);
    expect(NodesResponseSchema.safeParse({ ...nodes, total: 3 }).success).toBe(false);
    expect(NodesResponseSchema.safeParse({ nodes: [{ ...nodes.nodes[0], ip: '10.0.0.1' }] }).success).toBe(false);
    const facts = (await t.get<FactsResponse>(`/api/nodes/${lab[0]!.name}/facts?kind=route`)).body;
    const route = facts.facts[0]!;
    expect(FactsResponseSchema.safeParse({ ...facts, facts: [{ ...route, value: { ...route.value, weight: 1 } }] }).success).toBe(false);
    const topology = (await t.get<TopologyResponse>('/api/topology')).body;
    expect(TopologyResponseSchema.safeParse({ ...topology, nodes: [{ ...topology.nodes[0], x: 0 }] }).success).toBe(false);
    // where the API promises no shape, neither does the schema: an element's data
    expect(TopologyResponseSchema.safeParse({ ...topology, nodes: [{ ...topology.nodes[0], data: { anything: [1] } }] }).success).toBe(true);
  });

  it('every route that answers JSON was called and its answer parsed', () => {
    const documented = ROUTES.filter((r) => r.response !== null).map((r) => `${r.method ?? 'get'} ${r.path}`);
    expect([...called].sort()).toEqual([...new Set(documented)].sort());
  });
});
