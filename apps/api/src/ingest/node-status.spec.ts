// Live node status against the real API and Postgres: a delta whose `node` fact reports a reader
// turning `failed` (or another CNI style) changes /api/nodes when it is acknowledged, and browsers
// on /live see the change in their `changes` batch and the host's style in a topology patch.
import { makeFact, type CniStyle, type Fact, type FactChange, type NodeSummary, type NodeValue, type ReaderStatus, type TopologyPatch, decodeTopologyPatch } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { connectLive, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const OK: ReaderStatus = { status: 'ok', error: null };
const DOWN: ReaderStatus = { status: 'failed', error: 'birdc: Unable to connect to server control socket' };

const nodeFact = (node: string, bird: ReaderStatus, cniStyle: CniStyle): Fact =>
  makeFact('node', { hostname: node, kernel: '6.1.0', bootId: 'boot-test', cniStyle, readers: { links: OK, bird } });

describe('live node status', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('nodestatus');
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const collector = async (node: string) => {
    const c = await FakeCollector.connect(t.url, node);
    open.push(c);
    return c;
  };
  const summary = async (node: string) => (await t.get<{ nodes: NodeSummary[] }>('/api/nodes')).body.nodes.find((n) => n.name === node);

  it('a delta whose node fact says bird failed changes /api/nodes by the time it is acknowledged', async () => {
    const c = await collector('ns1');
    await c.snapshot([route('10.48.1.0/26', null, 'lo'), nodeFact('ns1', OK, 'calico')]);
    expect(await summary('ns1')).toMatchObject({ cniStyle: 'calico', readers: { bird: OK } });

    expect(await c.delta([nodeFact('ns1', DOWN, 'calico')], [])).toMatchObject({ ok: true, changes: 1 });
    expect(await summary('ns1')).toMatchObject({ status: 'connected', cniStyle: 'calico', readers: { links: OK, bird: DOWN } });

    // a delta without a node fact leaves them alone; one that reports another style changes it
    await c.delta([route('10.48.2.0/26', '172.20.0.12')], []);
    expect(await summary('ns1')).toMatchObject({ cniStyle: 'calico', readers: { bird: DOWN } });
    await c.delta([nodeFact('ns1', OK, 'kube-router')], []);
    expect(await summary('ns1')).toMatchObject({ cniStyle: 'kube-router', readers: { bird: OK } });
  });

  it("a snapshot takes the style its node fact reports; without one, the style is detected from the snapshot's facts", async () => {
    const reported = await collector('ns2');
    // nothing in these facts says flannel: the collector, which saw the whole node, said so
    await reported.snapshot([route('10.244.2.0/24', '10.244.2.0', 'eth0'), nodeFact('ns2', OK, 'flannel')]);
    expect(await summary('ns2')).toMatchObject({ cniStyle: 'flannel' });
    const bare = await collector('ns3');
    await bare.snapshot([route('10.48.3.0/26', null, 'lo', { protocol: 'bird' })]);
    expect(await summary('ns3')).toMatchObject({ cniStyle: 'calico', readers: { links: OK } });
  });

  it('browsers see the node fact change in their changes batch and the host style in a topology patch', async () => {
    const live = await connectLive(t.url, { topology: true, nodes: ['ns4'] });
    open.push(live);
    const changes: FactChange[] = [];
    const patches: TopologyPatch[] = [];
    live.on('changes', (b) => changes.push(...b.changes));
    live.on('topology', (p) => patches.push(decodeTopologyPatch(p)));
    const hostStyle = () =>
      patches
        .flatMap((p) => p.upsertNodes)
        .filter((n) => n.id === 'host:ns4')
        .map((n) => n.data['cniStyle'])
        .at(-1);
    // the worker reads the state and derives at a lower CPU priority: slow while other files run
    const c = await collector('ns4');
    await c.snapshot([route('10.233.4.0/24', '172.20.0.14'), nodeFact('ns4', OK, 'unknown')]);
    await expect.poll(hostStyle, { timeout: 20_000 }).toBe('unknown');

    await c.delta([nodeFact('ns4', DOWN, 'calico')], []);
    await expect.poll(() => changes.filter((x) => x.kind === 'node').map((x) => (x.after as NodeValue | null)?.readers['bird']?.status), { timeout: 5000 }).toEqual([
      'ok',
      'failed',
    ]);
    await expect.poll(hostStyle, { timeout: 20_000 }).toBe('calico');
  }, 60_000);
});
