// Epochs cannot be poisoned (issue 15, finding 1): a hello from beyond the API's clock is refused
// with its reason and changes nothing, and a stream position that came from the future (stored
// before epochs were bounded, or by a clock that ran ahead) binds no one: the real collector's
// next hello starts the stream anew.
import type { Fact, NodeEvent } from '@netatlas/wire';
import { EPOCH_AHEAD_MAX_MS } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, connectIngest, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { withClient } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';

describe('epochs', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('epochs');
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const routesOf = async (node: string) => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts?kind=route`)).body.facts.map((f) => (f.value as { dst: string }).dst).sort();

  it('a hello with an epoch from the future is refused, and the node streams on untouched', async () => {
    const real = await FakeCollector.connect(t.url, 'e1');
    open.push(real);
    expect(await real.snapshot([route('10.1.0.0/24'), route('10.1.1.0/24')])).toMatchObject({ ok: true });

    for (const epoch of [Number.MAX_SAFE_INTEGER, Date.now() + EPOCH_AHEAD_MAX_MS + 5000]) {
      const attacker = new FakeCollector(await connectIngest(t.url), 'e1', epoch);
      open.push(attacker);
      const reply = (await attacker.hello()) as { ok: boolean; code: string; error: string };
      expect(reply).toMatchObject({ ok: false, code: 'stale-epoch' });
      expect(reply.error).toMatch(new RegExp(`^epoch ${epoch} is \\d+ s ahead of the API's clock \\(at most 60 s\\)`));
      // not taken over: an empty snapshot through it is refused (no hello), nothing ended
      expect(await attacker.snapshot([])).toMatchObject({ ok: false, code: 'no-hello' });
    }
    expect(await routesOf('e1')).toEqual(['10.1.0.0/24', '10.1.1.0/24']);
    expect(await real.delta([route('10.1.2.0/24')], [])).toMatchObject({ ok: true, seq: 2 });
    // a clock a little ahead (within the bound) is fine
    const ahead = new FakeCollector(await connectIngest(t.url), 'e2', Date.now() + 20_000);
    open.push(ahead);
    expect(await ahead.hello()).toMatchObject({ ok: true });
  });

  it('a stream position from the future (poisoned before the bound) does not lock the node out', async () => {
    const real = await FakeCollector.connect(t.url, 'e3');
    open.push(real);
    expect(await real.snapshot([route('10.3.0.0/24')])).toMatchObject({ ok: true });
    real.close();
    // what the attack left behind in the first round: the node's last stream at the largest epoch
    await withClient(t.database.url, (c) => c.query(`UPDATE nodes SET acked_epoch = $1, acked_seq = 5 WHERE name = 'e3'`, [Number.MAX_SAFE_INTEGER]));
    const back = new FakeCollector(await connectIngest(t.url), 'e3', Date.now());
    open.push(back);
    expect(await back.hello()).toMatchObject({ ok: true, acked: { epoch: back.epoch, seq: 0 } });
    expect(await back.snapshot([route('10.3.0.0/24'), route('10.3.1.0/24')])).toMatchObject({ ok: true, seq: 1, duplicate: false });
    expect(await routesOf('e3')).toEqual(['10.3.0.0/24', '10.3.1.0/24']);
    const events = (await t.get<{ events: NodeEvent[] }>('/api/events?node=e3')).body.events;
    expect(events.find((e) => e.type === 'connected' && e.detail['replacedFutureEpoch'] !== undefined)?.detail).toMatchObject({
      epoch: back.epoch,
      replacedFutureEpoch: Number.MAX_SAFE_INTEGER,
    });
  });

  it('an epoch older than the node’s last stream is refused as stale-epoch (the collector then starts a new stream)', async () => {
    const c = await FakeCollector.connect(t.url, 'e4', Date.now());
    open.push(c);
    expect(await c.snapshot([])).toMatchObject({ ok: true });
    const older = new FakeCollector(await connectIngest(t.url), 'e4', c.epoch - 1000);
    open.push(older);
    expect(await older.hello()).toMatchObject({ ok: false, code: 'stale-epoch' });
    const renewed = new FakeCollector(await connectIngest(t.url), 'e4', Date.now() + 1);
    open.push(renewed);
    expect(await renewed.hello()).toMatchObject({ ok: true });
  });
});
