// Live node status on a real lab: a 2-node Calico-style lab (BIRD per node), a real collector per
// node streaming into the real API and Postgres, then `lab stop-bgp` on one node. The node's `bird`
// reader on /api/nodes must leave `ok` (a gone daemon is `missing` or `failed`, depending on how the
// collector names it) without any reconnect, and browsers on /live see the node fact change; the
// delays from the daemon's stop are printed. `start-bgp` brings it back to `ok`.
import type { FactChange, NodeSummary, NodeValue } from '@netatlas/wire';
import { inCI, lab, labPrerequisites, labStatus, type LabStatus } from '@netatlas/lab-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { connectLive, startTestApi, type LiveClient, type TestApi } from '../testing/api.js';
import { startCollectorProcess, type CollectorProcess } from '../testing/collector-process.js';
import { setupOnce } from '../testing/setup.js';

const missing = labPrerequisites();
const NAME = 'h3st';

describe.skipIf(missing.length > 0 && !inCI)('live node status on a calico lab', { timeout: 120_000 }, () => {
  let t: TestApi;
  let status: LabStatus;
  let live: LiveClient;
  const collectors: CollectorProcess[] = [];
  /** node facts the browser received, with when they arrived */
  const received: Array<{ change: FactChange; ms: number }> = [];

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    await lab(['down', '--name', NAME]);
    await lab(['up', '--name', NAME, '--style', 'calico', '--nodes', '2', '--pods', '1']);
    status = await labStatus(NAME);
    t = await startTestApi('nodestatus-lab', { heartbeatMs: 1000, lostAfterMs: 4000 });
    live = await connectLive(t.url, { kinds: ['node'], topology: false });
    live.on('changes', (batch) => {
      for (const change of batch.changes) received.push({ change, ms: performance.now() });
    });
    for (const n of status.nodes) {
      collectors.push(startCollectorProcess(t.url, n.namespace, n.collectorArgs));
    }
    // every node connected, its bird reader answering (expect.poll cannot run outside a test)
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await nodes();
      if (now.filter((n) => n.status === 'connected' && n.readers['bird']?.status === 'ok').length === status.nodes.length) break;
      if (Date.now() > deadline) throw new Error(`collectors not ready: ${JSON.stringify(now)}\n${collectors.flatMap((c) => c.stderr).join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 240_000);

  afterAll(async () => {
    live?.close();
    for (const c of collectors) await c.stop();
    await t?.close();
    await lab(['down', '--name', NAME]);
  }, 120_000);

  const nodes = async () => (await t.get<{ nodes: NodeSummary[] }>('/api/nodes')).body.nodes;
  const birdOf = async (node: string) => (await nodes()).find((n) => n.name === node)?.readers['bird'];
  const birdSeenLive = (node: string, since: number, ok: boolean) =>
    received.find(
      (r) => r.ms >= since && r.change.node === node && r.change.after !== null && ((r.change.after as NodeValue).readers['bird']?.status === 'ok') === ok,
    );

  /** ms from `from` until /api/nodes says the node's bird reader is (not) ok, polled every 50 ms */
  const untilBird = async (node: string, ok: boolean, from: number) => {
    await expect.poll(async () => (await birdOf(node))?.status === 'ok', { timeout: 30_000, interval: 50 }).toBe(ok);
    return performance.now() - from;
  };

  it('stop-bgp: /api/nodes shows the bird reader not ok, with no reconnect; browsers see it live; start-bgp: ok again', async () => {
    const [victim, other] = [status.nodes[1]!, status.nodes[0]!];
    const connectedEvents = async () =>
      (await t.get<{ events: Array<{ node: string; type: string }> }>(`/api/events?node=${victim.namespace}&from=${new Date(Date.now() - 3600_000).toISOString()}`)).body.events.filter(
        (e) => e.type === 'connected',
      ).length;
    const connectsBefore = await connectedEvents();

    const started = performance.now();
    await lab(['stop-bgp', '--name', NAME, victim.namespace]);
    // BIRD is down once the command returns (the delays below count from here, so they are at most
    // the CLI's exit longer than from BIRD's own exit); the CLI takes a while to start (tsx)
    const stopped = performance.now();
    const apiMs = await untilBird(victim.namespace, false, stopped);
    const bird = await birdOf(victim.namespace);
    expect(bird?.status).not.toBe('ok');
    // issue 14's target: within 2 s of the daemon stopping (the collector polls BGP every second)
    expect(apiMs).toBeLessThan(2000);
    expect(bird?.error).toBeTruthy();
    await expect.poll(() => birdSeenLive(victim.namespace, stopped, false) !== undefined, { timeout: 5000 }).toBe(true);
    const liveMs = birdSeenLive(victim.namespace, stopped, false)!.ms - stopped;
    // the other node's daemon runs on; the victim's row changed through a delta, not a new hello
    // (the whole reader status, so that a failure says why: its error, e.g. birdc timing out under load)
    expect(await birdOf(other.namespace)).toMatchObject({ status: 'ok' });
    expect(await connectedEvents()).toBe(connectsBefore);
    expect((await nodes()).find((n) => n.name === victim.namespace)?.status).toBe('connected');
    console.log(
      `stop-bgp ${victim.namespace}: bird reader ${bird?.status} (${bird?.error}) on /api/nodes ${apiMs.toFixed(0)} ms after the command returned ` +
        `(${(stopped - started).toFixed(0)} ms in the lab CLI before that); in a /live changes batch after ${liveMs.toFixed(0)} ms`,
    );

    // start-bgp returns once BGP converged: the reader is ok again by then or a poll later
    await lab(['start-bgp', '--name', NAME, victim.namespace]);
    await untilBird(victim.namespace, true, performance.now());
    expect(await connectedEvents()).toBe(connectsBefore);
  });
});
