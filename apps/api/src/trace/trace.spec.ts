// The trace endpoints on the real API and Postgres, fed a real Calico lab's facts (the topology
// fixture captured from the lab) through the ingest protocol: pod to pod now, after a route is
// deleted, at the moment before (equal to the trace taken live then), compared; the address
// history; and every bad parameter a 4xx naming it.
import { findEndpoint, indexHosts, trace, traceState } from '@netatlas/graph';
import type { Fact, TraceComparison, TraceResult, AddressHistory } from '@netatlas/wire';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { setupOnce } from '../testing/setup.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../libs/graph/src/fixtures/topology/${name}`, import.meta.url), 'utf8')) as unknown;
const state = fixture('calico.json') as Record<string, Fact[]>;
const lab = (fixture('calico.lab.json') as { status: { nodes: Array<{ name: string; underlayIp: string; podCidr: string; pods: Array<{ ip: string; hostVeth: string }> }> } }).status.nodes;
const [n1, n2] = [lab[0]!, lab[1]!];
const [podA, podB] = [n1.pods[0]!, n2.pods[0]!];
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `npm run trace -- ARGS` as on-call would run it: its output and exit status */
function traceCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'tools/trace/src/trace-cli.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, out, err) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 99) : 0, out, err }),
    );
  });
}

describe('trace API', () => {
  let t: TestApi;
  const collectors = new Map<string, FakeCollector>();
  let liveBefore: TraceResult;
  let beforeDelete: string;

  setupOnce(async () => {
    t = await startTestApi('trace');
    for (const [node, facts] of Object.entries(state)) {
      const c = await FakeCollector.connect(t.url, node);
      collectors.set(node, c);
      const ack = await c.snapshot(facts);
      if (!ack.ok) throw new Error(`snapshot of ${node}: ${ack.error}`);
    }
  });

  afterAll(async () => {
    for (const c of collectors.values()) c.close();
    await t?.close();
  });

  const get = async <T>(path: string, status = 200): Promise<T> => {
    const r = await t.get<T>(path);
    expect(r.status, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(status);
    return r.body;
  };
  const traceOf = (from: string, to: string, at?: string) => get<TraceResult>(`/api/trace?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${at ? `&at=${encodeURIComponent(at)}` : ''}`);

  it('traces pod to pod now: delivered over the BGP route to the other node, into the pod veth', async () => {
    const r = await traceOf(podA.ip, podB.ip);
    expect(r).toMatchObject({ verdict: 'delivered', from: { kind: 'pod', node: n1.name, pod: { veth: podA.hostVeth } }, to: { kind: 'pod', node: n2.name } });
    expect(r.branches).toHaveLength(1);
    expect(r.branches[0]!.hops.map((h) => [h.node, h.iif, h.dev, h.outcome])).toEqual([
      [n1.name, podA.hostVeth, 'eth0', 'forward'],
      [n2.name, 'eth0', podB.hostVeth, 'local'],
    ]);
    expect(r.branches[0]!.hops[0]!.route).toMatchObject({ dst: n2.podCidr, gateway: n2.underlayIp, protocol: 'bird' });
    liveBefore = r;
    beforeDelete = new Date().toISOString();
    // by node name, to a node: delivered to its address
    expect(await traceOf(n1.name, n2.name)).toMatchObject({ verdict: 'delivered', to: { kind: 'node', ip: n2.underlayIp } });
  });

  it('npm run trace prints the path like tracepath, exit 0 when delivered, 2 naming a bad endpoint', async () => {
    const ok = await traceCli(['--api', t.url, podA.ip, podB.ip]);
    expect(ok.code, ok.err).toBe(0);
    const lines = ok.out.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trace ${podA.ip.replace(/\./g, '\\.')} \\(pod behind ${podA.hostVeth} on ${n1.name}\\) -> .*: delivered, path MTU \\d+$`));
    expect(lines[2]).toMatch(new RegExp(`^ 1: ${n1.name}  in ${podA.hostVeth}  route ${n2.podCidr.replace(/\./g, '\\.')} via ${n2.underlayIp.replace(/\./g, '\\.')} dev eth0 \\(main, bird\\)`));
    expect(lines[3]).toMatch(new RegExp(`^ 2: ${n2.name}  in eth0  .* delivered here$`));
    const bad = await traceCli(['--api', t.url, 'no-such-node', podB.ip]);
    expect(bad).toMatchObject({ code: 2, out: '' });
    expect(bad.err).toMatch(/the API answered 404: from: "no-such-node" is neither a node/);
  });

  it('after the route to the other node is deleted: the first hop fails with the fact that decided; at the moment before, the trace taken live then', async () => {
    const c = collectors.get(n1.name)!;
    const gone = state[n1.name]!.find((f) => f.kind === 'route' && (f.value as { dst: string }).dst === n2.podCidr)!;
    // (Calico's BIRD also holds a blackhole for the node's own block; the other's goes)
    expect(await c.delta([], [{ kind: 'route', key: gone.key }])).toMatchObject({ ok: true });
    const now = await traceOf(podA.ip, podB.ip);
    expect(now.verdict).toBe('failed');
    expect((await traceCli(['--api', t.url, podA.ip, podB.ip])).code).toBe(1);
    expect(now.branches[0]).toMatchObject({ at: n1.name });
    expect(now.branches[0]!.verdict).not.toBe('delivered');
    const past = await traceOf(podA.ip, podB.ip, beforeDelete);
    expect({ ...past, at: null }).toEqual({ ...liveBefore, at: null });

    const cmp = await get<TraceComparison>(`/api/trace/compare?from=${podA.ip}&to=${podB.ip}&at1=${encodeURIComponent(beforeDelete)}`);
    expect(cmp.changedAt).toMatchObject({ node: n1.name, hop: 0 });
    expect(cmp.changes).toContainEqual(expect.objectContaining({ node: n1.name, kind: 'route', key: gone.key, op: 'remove' }));
  });

  it('the address history: a pod address behind its veth, a node address on its interface', async () => {
    const pod = await get<AddressHistory>(`/api/addresses/${podB.ip}/history`);
    expect(pod.entries).toEqual([expect.objectContaining({ node: n2.name, interface: podB.hostVeth, via: 'pod-route', lastSeen: null })]);
    const node = await get<AddressHistory>(`/api/addresses/${n2.underlayIp}/history`);
    expect(node.entries).toContainEqual(expect.objectContaining({ node: n2.name, interface: 'eth0', via: 'address', lastSeen: null }));
    expect((await get<AddressHistory>(`/api/addresses/10.255.255.1/history`)).entries).toEqual([]);
  });

  it('a bad or unknown endpoint is a 400 or 404 that names it', async () => {
    expect(await get<{ message: string }>('/api/trace?to=10.0.0.1', 400)).toMatchObject({ message: expect.stringMatching(/^from: /) });
    expect(await get<{ message: string }>(`/api/trace?from=${podA.ip}&to=${podB.ip}&at=2026-02-30`, 400)).toMatchObject({ message: expect.stringMatching(/^at: February 2026 has no day 30/) });
    expect(await get<{ message: string }>(`/api/trace?from=no-such-node&to=${podB.ip}`, 404)).toMatchObject({ message: expect.stringMatching(/^from: "no-such-node" is neither a node/) });
    expect(await get<{ message: string }>(`/api/trace?from=8.8.8.8&to=${podB.ip}`, 404)).toMatchObject({ message: expect.stringMatching(/^from: no node holds 8\.8\.8\.8/) });
    expect(await get<{ message: string }>(`/api/trace?from=default/web&to=${podB.ip}`, 404)).toMatchObject({ message: expect.stringMatching(/pod names need the API to watch Kubernetes/) });
    expect(await get<{ message: string }>(`/api/trace/compare?from=${podA.ip}&to=${podB.ip}&at1=2030-01-01T00:00:00Z&at2=2029-01-01T00:00:00Z`, 400)).toMatchObject({ message: 'at2 must be later than at1' });
    expect(await get<{ message: string }>('/api/addresses/not-an-ip/history', 400)).toMatchObject({ message: expect.stringMatching(/^ip: "not-an-ip" is not an IPv4 or IPv6 address/) });
  });
});

describe('trace API on a kube-router lab: the nodes a path passes only', () => {
  let t: TestApi;
  const krState = fixture('kube-router.json') as Record<string, Fact[]>;
  const krLab = (fixture('kube-router.lab.json') as { status: { nodes: Array<{ name: string; pods: Array<{ ip: string }> }> } }).status.nodes;

  setupOnce(async () => {
    t = await startTestApi('trace_kube_router');
    for (const [node, facts] of Object.entries(krState)) {
      const c = await FakeCollector.connect(t.url, node);
      const ack = await c.snapshot(facts);
      c.close();
      if (!ack.ok) throw new Error(`snapshot of ${node}: ${ack.error}`);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers every ordered pod pair as the simulator does on every node’s facts (the endpoints’ nodes found by their pod bridges’ subnets)', async () => {
    const whole = traceState(indexHosts(krState));
    const pods = krLab.flatMap((n) => n.pods.map((p) => p.ip));
    for (const a of pods) {
      for (const b of pods) {
        if (a === b) continue;
        const r = await t.get<TraceResult>(`/api/trace?from=${a}&to=${b}`);
        expect(r.status).toBe(200);
        const expected = trace(whole, findEndpoint(whole, a)!, findEndpoint(whole, b)!, r.body.at);
        expect(r.body, `${a} -> ${b}`).toEqual(expected);
      }
    }
  });
});
