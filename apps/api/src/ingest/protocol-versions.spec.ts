// Rolling upgrades (issue 17): the API takes collectors of its protocol and of the two before it. A
// collector of protocol 1 (snapshots whole, no parts) connects, streams a snapshot and deltas, and its
// facts are stored as a current collector's are; it is not told of parts, and a part it sends anyway
// is refused naming why. One of protocol 2 sends its snapshots without asking for a turn (herd.spec.ts
// has them taken while every turn is held). A protocol the API does not speak is refused naming the
// ones it does.
import { PROTOCOL_VERSION, SUPPORTED_PROTOCOLS, snapshotParts, type Fact } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, connectIngest, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

describe('protocol versions', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('protocol_versions');
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const routesOf = async (node: string) => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts?kind=route`)).body.facts.map((f) => (f.value as { dst: string }).dst).sort();

  it('speaks the current protocol and the two before it', () => {
    expect(PROTOCOL_VERSION).toBe(3);
    expect(SUPPORTED_PROTOCOLS).toEqual([PROTOCOL_VERSION - 2, PROTOCOL_VERSION - 1, PROTOCOL_VERSION]);
  });

  it('a collector of protocol 2 streams a snapshot, unasked and in parts, and deltas', async () => {
    const v2 = new FakeCollector(await connectIngest(t.url), 'v2-node', Date.now(), 2);
    open.push(v2);
    expect(await v2.hello()).toMatchObject({ ok: true, acked: null, maxSnapshotBytes: t.config.maxSnapshotBytes });
    const facts = Array.from({ length: 200 }, (_, i) => route(`10.3.${i}.0/24`));
    expect(await v2.snapshotInParts(facts, 4096)).toMatchObject({ ok: true, changes: 200 });
    expect(await v2.delta([route('10.3.250.0/24')], [])).toMatchObject({ ok: true, changes: 1 });
    expect(await routesOf('v2-node')).toHaveLength(201);
  });

  it('a collector of the previous protocol connects and streams a snapshot and deltas', async () => {
    const old = new FakeCollector(await connectIngest(t.url), 'v1-node', Date.now(), 1);
    open.push(old);
    const hello = await old.hello();
    expect(hello).toMatchObject({ ok: true, acked: null });
    // not told of parts: a protocol-1 collector sends its snapshots whole
    expect(hello).not.toHaveProperty('maxSnapshotBytes');
    expect(await old.snapshot([route('10.1.0.0/24'), route('10.1.1.0/24')])).toMatchObject({ ok: true, changes: 2 });
    expect(await old.delta([route('10.1.2.0/24')], [{ kind: 'route', key: route('10.1.0.0/24').key }])).toMatchObject({ ok: true, changes: 2 });
    expect(await routesOf('v1-node')).toEqual(['10.1.1.0/24', '10.1.2.0/24']);
    const nodes = (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes;
    expect(nodes.find((n) => n.name === 'v1-node')?.status).toBe('connected');
  });

  it('a part from a protocol-1 connection is refused, naming why; the current protocol takes parts', async () => {
    const facts = Array.from({ length: 200 }, (_, i) => route(`10.2.${i}.0/24`));
    const old = new FakeCollector(await connectIngest(t.url), 'v1-parts', Date.now(), 1);
    open.push(old);
    await old.hello();
    const [part0] = snapshotParts({ epoch: old.epoch, seq: 1, takenAt: new Date().toISOString(), facts, readers: {} }, 4096);
    const reply = (await old.raw('snapshot', part0)) as { ok: boolean; code: string; error: string };
    expect(reply).toMatchObject({ ok: false, code: 'invalid' });
    expect(reply.error).toMatch(/snapshot parts are protocol 2; this connection said hello with protocol 1/);

    const current = await FakeCollector.connect(t.url, 'v3-parts');
    open.push(current);
    expect(await current.snapshotInParts(facts, 4096)).toMatchObject({ ok: true, changes: 200 });
  });

  it('a protocol it does not speak is refused, naming the ones it does', async () => {
    for (const protocol of [0, 4, '3']) {
      const c = new FakeCollector(await connectIngest(t.url), 'v-other', Date.now());
      open.push(c);
      const reply = (await c.raw('hello', { protocol, node: 'v-other', bootId: 'b', epoch: Date.now(), version: 't', readers: {} })) as { ok: boolean; code: string; error: string };
      expect(reply).toMatchObject({ ok: false, code: 'invalid' });
      expect(reply.error).toContain('protocol must be one of 1, 2, 3');
    }
  });
});
