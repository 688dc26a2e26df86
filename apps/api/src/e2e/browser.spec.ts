// The web app in a real browser (Debian's Chromium through playwright-core) against the real API,
// Postgres and a 3-node kube-router lab with a collector per node. Screenshots of every view are
// saved under tmp/screenshots/, or under $NETATLAS_SCREENSHOTS (`npm run screenshots` refreshes the
// README's, in docs/screenshots/).
import { inCI, lab, labStatus, type LabStatus } from '@netatlas/lab-testing';
import type { TopologyEdgesResponse, TopologyResponse } from '@netatlas/wire';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api.js';
import { startCollectorProcess, type CollectorProcess } from '../testing/collector-process.js';
import { browserLabPrerequisites, launchBrowser, SHOTS, WEB_DIR } from '../testing/browser.js';
import { setupOnce } from '../testing/setup.js';

const LAB = 'tbrw';
const missing = browserLabPrerequisites();

describe.skipIf(missing.length > 0 && !inCI)('the web app in Chromium on a kube-router lab', { timeout: 90_000 }, () => {
  let t: TestApi;
  let status: LabStatus;
  let browser: Browser;
  let page: Page;
  /** a moment before remove-node, for the time-travel test */
  let beforeRemoval = '';
  const collectors: CollectorProcess[] = [];

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    await lab(['down', '--name', LAB]);
    await lab(['up', '--name', LAB, '--style', 'kube-router', '--nodes', '3', '--pods', '2']);
    status = await labStatus(LAB);
    t = await startTestApi('browser', { webDir: WEB_DIR });
    // each node's CNI records (host-local's, the cached results): its pods' addresses before any traffic
    for (const n of status.nodes) collectors.push(startCollectorProcess(t.url, n.namespace, ['--cni-dir', n.cniDir]));
    ({ browser, page } = await launchBrowser());
    // a viewer who has read the first-look legend (the README's screenshots show the topology, not it;
    // first-look-browser.spec.ts covers the legend)
    await page.addInitScript("localStorage.setItem('netatlas.topology-intro.dismissed', '1')");
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    for (const c of collectors) await c.stop();
    await t?.close();
    await lab(['down', '--name', LAB]);
  }, 120_000);

  it('shows the three hosts, their pods and their BGP peerings as Established', async () => {
    await page.goto(`${t.url}/#/topology`);
    const summary = page.getByTestId('topology-summary');
    await expect
      .poll(async () => ({
        hosts: await summary.getAttribute('data-hosts'),
        pods: await summary.getAttribute('data-pods'),
        established: await summary.getAttribute('data-bgp-established'),
      }), { timeout: 60_000, interval: 500 })
      .toEqual({ hosts: '3', pods: '6', established: '6' });
    for (const n of status.nodes) await expect.poll(() => page.getByTestId(`host-${n.namespace}`).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state')).toBe('live');
    await page.screenshot({ path: `${SHOTS}/topology.png` });
  });

  it('before any pod has sent a packet, every pod shows its IP (from the CNI records), and searching one selects that pod', async () => {
    // no pod of this lab has talked yet: the node knows their addresses only from host-local's and the runtime's records
    const pods = status.nodes.flatMap((n) => n.pods.map((p) => ({ id: `pod:${n.namespace}/${p.hostVeth}`, ip: p.ip })));
    const seen = async () => {
      const nodes = (await t.get<TopologyResponse>('/api/topology')).body.nodes;
      return pods.map(({ id }) => {
        const n = nodes.find((x) => x.id === id);
        return n ? { id, label: n.label, ips: n.data['ips'], cni: (n.data['ipSources'] as string[]).includes('cni') } : null;
      });
    };
    await expect.poll(seen, { timeout: 30_000, interval: 250 }).toEqual(pods.map(({ id, ip }) => ({ id, label: ip, ips: [ip], cni: true })));
    // the second node's first pod, by its IP: the selection (as a click), its details with the IP
    const target = pods[2]!;
    await page.goto(`${t.url}/#/topology`);
    const search = page.getByTestId('topology-search');
    await search.fill(target.ip!);
    await search.press('Enter');
    const param = (key: string) => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '').get(key);
    await expect.poll(() => param('sel'), { timeout: 5000 }).toBe(target.id);
    const details = page.getByTestId('topology-details');
    await expect.poll(() => details.isVisible(), { timeout: 5000 }).toBe(true);
    expect(await details.locator('dd').allTextContents()).toContain(target.ip);
    await search.press('Escape');
    await details.getByRole('button', { name: 'close' }).click();
    await expect.poll(() => param('sel'), { timeout: 5000 }).toBeNull();
  });

  it('the compact form shows the same hosts, pods, sessions and route health; a host in focus gets its full edges', async () => {
    // a second API on the same database, compact from one host on: what a cluster of 41 and more gets
    const compact = await startTestApi('browser-compact', { webDir: WEB_DIR, topologyCompactFrom: 1 }, t.database);
    try {
      const seen = async (url: string) => {
        await page.goto(`${url}/#/topology`);
        const summary = page.getByTestId('topology-summary');
        await expect.poll(() => summary.getAttribute('data-bgp-established'), { timeout: 30_000, interval: 250 }).toBe('6');
        const hosts = await page.getByTestId('topology-hosts').locator('li').evaluateAll((items) =>
          items.map((li) => ({ id: li.getAttribute('data-testid'), pods: li.getAttribute('data-pods'), bgp: li.getAttribute('data-bgp-established'), routes: li.getAttribute('data-routes') })),
        );
        const { hosts: count, pods, bgpSessions, bgpEstablished, routes } = await summary.evaluate((el) => ({ ...(el as unknown as { dataset: Record<string, string> }).dataset }));
        return { summary: { count, pods, bgpSessions, bgpEstablished, routes }, hosts };
      };
      const full = await seen(t.url);
      const small = await seen(compact.url);
      expect(small.summary).toEqual(full.summary);
      expect(full.summary).toMatchObject({ count: '3', pods: '6', bgpSessions: '6', routes: '6' });
      expect(small.hosts.map(({ routes: _r, ...rest }) => rest)).toEqual(full.hosts.map(({ routes: _r, ...rest }) => rest));
      // route health: the full form has no coverage to show, the compact one says every host reaches the other two
      expect(full.hosts.map((x) => x.routes)).toEqual([null, null, null]);
      expect(small.hosts.map((x) => x.routes)).toEqual(['2/2', '2/2', '2/2']);
      expect((await compact.get<TopologyResponse>('/api/topology')).body.edges.filter((e) => e.type === 'bgp' || e.type === 'route')).toEqual([]);

      // focus: selecting a host fetches its full edges (two established sessions, two routes via their owners)
      const a = status.nodes[0]!;
      const fetched = page.waitForResponse((r) => r.url().includes('/api/topology/edges?') && r.url().includes(a.namespace), { timeout: 15_000 });
      await page.goto(`${compact.url}/#/topology?sel=${encodeURIComponent(`host:${a.namespace}`)}`);
      const edges = ((await (await fetched).json()) as TopologyEdgesResponse).edges;
      expect(edges.filter((e) => e.type === 'bgp' && e.data['state'] === 'established')).toHaveLength(2);
      expect(edges.filter((e) => e.type === 'route' && e.data['nextHopMismatch'] === false)).toHaveLength(2);
      await expect.poll(() => page.getByTestId('route-coverage').first().textContent(), { timeout: 10_000 }).toBe('routes 2/2 hosts');
      await page.screenshot({ path: `${SHOTS}/topology-compact-focus.png` });
    } finally {
      await compact.stop();
    }
  });

  it('the BGP matrix shows every session Established', async () => {
    await page.goto(`${t.url}/#/bgp`);
    const [a, b] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0]];
    const cell = page.getByTestId(`bgp-${a.namespace}-${b.underlayIp}`);
    await expect.poll(() => cell.getAttribute('data-state'), { timeout: 30_000 }).toBe('established');
    await page.screenshot({ path: `${SHOTS}/bgp.png` });
  });

  it('stop-bgp turns the sessions to that node away from Established in the matrix, start-bgp restores them', async () => {
    const [a, b] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0]];
    const cell = page.getByTestId(`bgp-${a.namespace}-${b.underlayIp}`);
    await lab(['stop-bgp', '--name', LAB, b.namespace]);
    const t0 = Date.now();
    // the collector polls BGP every 2 s; the page updates live, without a reload
    await expect.poll(() => cell.getAttribute('data-state'), { timeout: 15_000, interval: 100 }).not.toBe('established');
    const seenAfter = Date.now() - t0;
    await page.screenshot({ path: `${SHOTS}/bgp-stopped.png` });
    expect(seenAfter).toBeLessThan(2000 + 3000);
    // the expected-state checks find the routes lost to b, on the topology and in the Alerts view
    await page.goto(`${t.url}/#/topology`);
    await expect.poll(async () => Number(await page.getByTestId(`host-${a.namespace}`).getAttribute('data-findings')), { timeout: 15_000, interval: 250 }).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/topology-findings.png` });
    await page.goto(`${t.url}/#/alerts?expand=all`);
    const loss = page.locator(`[data-testid="alert-row"][data-rule="RouteLoss"][data-fingerprint*="node=${a.namespace},peer=${b.namespace}"]`);
    await expect.poll(() => loss.count(), { timeout: 15_000, interval: 250 }).toBe(1);
    await page.screenshot({ path: `${SHOTS}/alerts.png` });
    await page.goto(`${t.url}/#/bgp`);
    await lab(['start-bgp', '--name', LAB, b.namespace]);
    await expect.poll(() => cell.getAttribute('data-state'), { timeout: 30_000, interval: 200 }).toBe('established');
  });

  it('remove-node: the node leaves the live topology, and the Changes view lists the removed routes on each remaining node, without a reload', async () => {
    const [n1, n2, n3] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0], LabStatus['nodes'][0]];
    const changes = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await changes.goto(`${t.url}/#/changes`);
    await page.goto(`${t.url}/#/topology`);
    const summary = page.getByTestId('topology-summary');
    await expect.poll(() => summary.getAttribute('data-hosts'), { timeout: 20_000 }).toBe('3');
    // apart from the route changes of the previous test (the view groups changes less than 5 s apart)
    await changes.waitForTimeout(6000);
    beforeRemoval = new Date().toISOString();
    // n3's collector sees the namespace go and tells the API that the node left
    await lab(['remove-node', '--name', LAB, n3.namespace]);
    try {
      await expect.poll(() => page.getByTestId(`host-${n3.namespace}`).count(), { timeout: 15_000, interval: 100 }).toBe(0);
      expect(await summary.getAttribute('data-hosts')).toBe('2');
      expect(await summary.getAttribute('data-pods')).toBe('4');
      for (const node of [n1, n2]) {
        const diff = changes.getByTestId(`route-diff-${node.namespace}`);
        await expect
          .poll(async () => ((await diff.count()) ? await diff.locator('.line[data-sign="-"]').allTextContents() : []), { timeout: 20_000, interval: 250 })
          .toEqual(expect.arrayContaining([expect.stringContaining(n3.podCidr)]));
      }
      // the leave itself is on the timeline; choosing it shows the diff it caused on the others
      const leave = changes.locator(`[data-testid="change-item"][data-type="left"][data-node="${n3.namespace}"]`);
      await expect.poll(() => leave.count(), { timeout: 15_000 }).toBe(1);
      const leaveId = await leave.getAttribute('data-id');
      await leave.click();
      await expect.poll(() => changes.getByTestId('route-diff').getAttribute('data-item'), { timeout: 10_000 }).toBe(leaveId);
      for (const node of [n1, n2]) {
        const diff = changes.getByTestId(`route-diff-${node.namespace}`);
        await expect
          .poll(async () => ((await diff.count()) ? await diff.locator('.line[data-sign="-"]').allTextContents() : []), { timeout: 10_000, interval: 250 })
          .toEqual(expect.arrayContaining([expect.stringContaining(n3.podCidr)]));
        // only what the leave caused: nothing was added on the others
        expect(await diff.getAttribute('data-added')).toBe('0');
      }
      expect(await changes.getByTestId(`route-diff-${n3.namespace}`).count()).toBe(0);
    } finally {
      await page.screenshot({ path: `${SHOTS}/topology-after-remove.png` });
      await changes.screenshot({ path: `${SHOTS}/changes.png` });
      await changes.close();
    }
  });

  it('moving the time control to before the removal shows the node and its routes again; Live returns to now', async () => {
    const [n1, , n3] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0], LabStatus['nodes'][0]];
    expect(beforeRemoval).not.toBe('');
    const summary = page.getByTestId('topology-summary');
    await page.getByTestId('time-at').fill(beforeRemoval);
    await page.getByTestId('time-at').press('Enter');
    await expect.poll(() => page.getByTestId(`host-${n3.namespace}`).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await summary.getAttribute('data-hosts')).toBe('3');
    expect(await page.getByTestId('time-live').getAttribute('data-state')).not.toBe('on');
    await page.screenshot({ path: `${SHOTS}/time-travel.png` });
    // the route to n3's pods on n1, as it was; gone now
    const routeToN3 = () => page.locator(`[data-testid="table-route"] [data-key*="|${n3.podCidr}|"]`).count();
    await page.goto(`${t.url}/#/nodes/${n1.namespace}?at=${beforeRemoval}`);
    await expect.poll(routeToN3, { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: `${SHOTS}/node-detail.png` });
    // live: the route is gone (the table may still show it, marked as recently removed)
    await page.getByTestId('time-live').click();
    const current = () => page.locator(`[data-testid="table-route"] [data-key*="|${n3.podCidr}|"]:not([data-mark="removed"])`).count();
    await expect.poll(current, { timeout: 10_000 }).toBe(0);
    await page.goto(`${t.url}/#/topology`);
    await expect.poll(() => summary.getAttribute('data-hosts'), { timeout: 10_000 }).toBe('2');
  });

  it('the table view and the node list show the same cluster', async () => {
    await page.goto(`${t.url}/#/topology?table=1`);
    await expect.poll(() => page.locator('[data-testid^="host-"]').count(), { timeout: 10_000 }).toBe(2);
    await page.screenshot({ path: `${SHOTS}/topology-table.png` });
    await page.goto(`${t.url}/#/nodes`);
    const [, , n3] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0], LabStatus['nodes'][0]];
    await expect.poll(() => page.getByTestId(`node-row-${n3.namespace}`).getAttribute('data-status'), { timeout: 10_000 }).toBe('left');
    await page.screenshot({ path: `${SHOTS}/nodes.png` });
  });
});
