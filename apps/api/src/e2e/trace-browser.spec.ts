// The Trace view in a real browser (Debian's Chromium through playwright-core) on a 2-node calico
// lab with a collector per node and the real API serving the built web app: "trace from here" on a
// pod of the topology opens the view with the source filled in; a trace to a pod on the other node
// is delivered through both nodes (the README's docs/screenshots/trace.png). `lab stop-bgp` on the
// destination's node withdraws its pod block from the first node (BIRD's session goes down): the
// page, opened once, must turn the first hop red with the simulator's reason live; the topology
// outlines the path with that host red; scrubbing the time control back to before the stop shows
// the working path again (on the topology too), and comparing the two moments names the hop and the
// route that went.
// Screenshots go to tmp/screenshots/, or to $NETATLAS_SCREENSHOTS (`npm run screenshots` refreshes
// the README's).
// First, on the same lab (a lab start saved), the topology's search (issue 19): the other node's
// pod IP typed in the search box and Enter select that pod, zoomed in from the heat map far enough
// to draw it; Escape clears the search, not the selection; the pause after typing the first node's
// pod IP selects that one; a prefix search leaves the selection alone; no console error.
import type { TopologyResponse, TraceResult } from '@netatlas/wire';
import { inCI, lab, labStatus, type LabStatus } from '@netatlas/lab-testing';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api.js';
import { startCollectorProcess, type CollectorProcess } from '../testing/collector-process.js';
import { browserLabPrerequisites, launchBrowser, SHOTS, WEB_DIR } from '../testing/browser.js';
import { setupOnce } from '../testing/setup.js';

const LAB = 'trbr';
const missing = browserLabPrerequisites();

type LabNode = LabStatus['nodes'][0];

function podIp(n: LabNode): string {
  const ip = n.pods[0]?.ip;
  if (!ip) throw new Error(`no pod with an IPv4 address on ${n.namespace}`);
  return ip;
}

/** What the test keeps in the page's global object (gone if the page reloads), and the little of the DOM it uses (the API's TypeScript has no DOM library). */
interface PageState {
  trOpenedOnce?: boolean;
  location: { hash: string };
  getComputedStyle(element: unknown): { color: string };
}

describe.skipIf(missing.length > 0 && !inCI)('the Trace view follows a path live on a calico lab', { timeout: 90_000 }, () => {
  let t: TestApi;
  let status: LabStatus;
  let browser: Browser;
  let page: Page;
  let n1: LabNode;
  let n2: LabNode;
  /** the source and destination pods, on different nodes */
  let src = '';
  let dst = '';
  /** a moment before stop-bgp, for the time control */
  let beforeStop = '';
  const collectors: CollectorProcess[] = [];

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    await lab(['down', '--name', LAB]);
    await lab(['up', '--name', LAB, '--style', 'calico', '--nodes', '2', '--pods', '1']);
    status = await labStatus(LAB);
    [n1, n2] = status.nodes as [LabNode, LabNode];
    src = podIp(n1);
    dst = podIp(n2);
    t = await startTestApi('trace-browser', { webDir: WEB_DIR });
    for (const n of status.nodes) collectors.push(startCollectorProcess(t.url, n.namespace, n.collectorArgs));
    ({ browser, page } = await launchBrowser());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const c of collectors) await c.stop();
    await t?.close();
    await lab(['down', '--name', LAB]);
  }, 60_000);

  const verdict = () => page.getByTestId('trace-verdict').getAttribute('data-verdict');
  const hopNodes = async () => Promise.all((await page.getByTestId('trace-hop').all()).map((r) => r.getAttribute('data-node')));
  const notReloaded = () => page.evaluate(() => (globalThis as unknown as PageState).trOpenedOnce === true);
  const apiTrace = async (at?: string) => (await t.get<TraceResult>(`/api/trace?from=${src}&to=${dst}${at ? `&at=${encodeURIComponent(at)}` : ''}`)).body;

  it("searching a pod's IP selects the pod (as a click would) and zooms in to draw it; Escape clears the search, not the selection", async () => {
    const problems: string[] = [];
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
    };
    const onError = (e: Error) => problems.push(`page error: ${e.message}`);
    page.on('console', onConsole);
    page.on('pageerror', onError);
    try {
      // the lab's pods, as its plan has them, and as the API has them once their collectors reported
      const pod2 = `pod:${n2.namespace}/${n2.pods[0]!.hostVeth}`;
      const pod1 = `pod:${n1.namespace}/${n1.pods[0]!.hostVeth}`;
      const podIps = async () => {
        const nodes = (await t.get<TopologyResponse>('/api/topology')).body.nodes;
        return [pod1, pod2].map((id) => nodes.find((n) => n.id === id)?.data['ips'] ?? null);
      };
      await expect.poll(podIps, { timeout: 30_000, interval: 250 }).toEqual([[src], [dst]]);

      await page.goto(`${t.url}/#/topology`);
      await expect.poll(() => page.getByTestId('topology-summary').getAttribute('data-pods'), { timeout: 20_000, interval: 250 }).toBe('2');
      const param = (key: string) => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '').get(key);
      const canvas = page.getByTestId('topology-canvas');
      const details = page.getByTestId('topology-details');
      const search = page.getByTestId('topology-search');
      // all the way out (d3-zoom's wheel, to its 0.02 floor): every host a cell, no pod drawn
      await canvas.hover({ position: { x: 100, y: 100 } });
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, 1000);
      await expect.poll(() => canvas.getAttribute('data-scale'), { timeout: 5000 }).toBe('0.020');
      expect(param('sel')).toBeNull();
      expect(await details.isHidden()).toBe(true);

      // the second node's pod IP and Enter: the pod is the selection, its details shown, drawn
      await search.fill(dst);
      await search.press('Enter');
      await expect.poll(() => param('sel'), { timeout: 5000 }).toBe(pod2);
      expect(param('q')).toBe(dst);
      await expect.poll(() => details.isVisible(), { timeout: 5000 }).toBe(true);
      expect(await details.locator('h3').textContent()).toMatch(/^pod /);
      expect(await details.getByTestId('trace-from-here').textContent()).toBe(`Trace from here (${dst}) →`);
      expect(await details.locator('dd').allTextContents()).toContain(dst);
      await expect.poll(() => canvas.getAttribute('data-selected-detail'), { timeout: 5000 }).toMatch(/^(pods|labels)$/);
      expect(Number(await canvas.getAttribute('data-scale'))).toBeGreaterThan(0.43);
      expect(await page.locator('.match-count').getAttribute('data-matches')).not.toBe('0');
      await page.screenshot({ path: `${SHOTS}/topology-search-pod.png` });

      // Escape: the search and its q= go, the selection stays (cleared as after a click: on nothing, or ×)
      await search.press('Escape');
      expect(await search.inputValue()).toBe('');
      await expect.poll(() => param('q'), { timeout: 5000 }).toBeNull();
      expect(param('sel')).toBe(pod2);
      expect(await details.isVisible()).toBe(true);
      // and a later click does not bring the search back
      await details.getByRole('button', { name: 'close' }).click();
      await expect.poll(() => param('sel'), { timeout: 5000 }).toBeNull();
      expect(await search.inputValue()).toBe('');
      expect(await details.isHidden()).toBe(true);

      // the first node's pod IP typed, no Enter: the pause after typing selects it
      await search.pressSequentially(src, { delay: 20 });
      await expect.poll(() => param('sel'), { timeout: 5000 }).toBe(pod1);
      expect(await details.getByTestId('trace-from-here').textContent()).toBe(`Trace from here (${src}) →`);

      // a prefix holding the other pod: matches highlighted, the selection left as it was
      await search.fill(n2.podCidr);
      await search.press('Enter');
      await expect.poll(() => param('q'), { timeout: 5000 }).toBe(n2.podCidr);
      expect(Number(await page.locator('.match-count').getAttribute('data-matches'))).toBeGreaterThan(0);
      expect(param('sel')).toBe(pod1);
      expect(problems).toEqual([]);
    } finally {
      page.off('console', onConsole);
      page.off('pageerror', onError);
    }
  });

  it('"trace from here" on a pod opens the Trace view with it as the source; to a pod on the other node the path is delivered through both nodes', async () => {
    const veth = n1.pods[0]!.hostVeth;
    await page.goto(`${t.url}/#/topology?sel=${encodeURIComponent(`pod:${n1.namespace}/${veth}`)}`);
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    const fromHere = page.locator('[data-testid="topology-details"] [data-testid="trace-from-here"]');
    // the pod is in the details once its collector reported it, with its IP
    await expect.poll(async () => ((await fromHere.count()) ? await fromHere.textContent() : null), { timeout: 30_000, interval: 250 }).toBe(`Trace from here (${src}) →`);
    await page.evaluate(() => ((globalThis as unknown as PageState).trOpenedOnce = true));
    await fromHere.click();
    await expect.poll(() => page.getByTestId('trace-from').inputValue(), { timeout: 5000 }).toBe(src);
    expect(new URL(page.url()).hash).toBe(`#/trace?src=${src}`);
    expect(await page.getByTestId('view-trace').getAttribute('data-state')).toBe('idle');
    // both pods and both nodes are offered as endpoints
    const offered = async () => (await Promise.all((await page.locator('[data-testid="view-trace"] datalist option').all()).map((o) => o.getAttribute('value')))).sort();
    await expect.poll(offered, { timeout: 10_000 }).toEqual([n1.namespace, n2.namespace, src, dst].sort());
    expect(await page.locator(`[data-testid="view-trace"] datalist option[value="${dst}"]`).textContent()).toBe(`pod ${n2.pods[0]!.hostVeth} on ${n2.namespace}`);

    await page.getByTestId('trace-to').fill(dst);
    await page.getByTestId('trace-run').click();
    await expect.poll(verdict, { timeout: 15_000, interval: 100 }).toBe('delivered');
    expect(await hopNodes()).toEqual([n1.namespace, n2.namespace]);
    expect(await page.locator('[data-testid="trace-hop"][data-failed]').count()).toBe(0);
    // the first hop is the route BIRD learned for the other node's block
    const first = page.getByTestId('trace-hop').first();
    expect(await first.textContent()).toContain(n2.podCidr);
    expect(await first.textContent()).toContain('bird');
    expect(await page.getByTestId('trace-reason').textContent()).toBe((await apiTrace()).branches[0]!.reason);
    expect(await notReloaded()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/trace.png` });
  });

  it('stop-bgp on the destination node: live, without a reload, the first hop turns red with the reason; the topology outlines that host red', async () => {
    expect(await verdict()).toBe('delivered');
    const runs = Number(await page.getByTestId('view-trace').getAttribute('data-runs'));
    beforeStop = new Date().toISOString();
    await lab(['stop-bgp', '--name', LAB, n2.namespace]);
    const t0 = Date.now();
    // BIRD on node 1 loses its session and takes node 2's block out of the kernel; the collector
    // sends the route's removal, the page traces again
    await expect.poll(verdict, { timeout: 30_000, interval: 100 }).not.toBe('delivered');
    const seenMs = Date.now() - t0;
    expect(await notReloaded()).toBe(true);
    expect(Number(await page.getByTestId('view-trace').getAttribute('data-runs'))).toBeGreaterThan(runs);
    const failed = page.locator('[data-testid="trace-hop"][data-failed="true"]');
    expect(await failed.count()).toBe(1);
    expect(await failed.getAttribute('data-node')).toBe(n1.namespace);
    // red, with the branch's reason under it and above the table: what the API says now
    expect(await failed.locator('td').first().evaluate((td) => (globalThis as unknown as PageState).getComputedStyle(td).color)).toBe('rgb(255, 123, 114)');
    const api = await apiTrace();
    expect(api.verdict).not.toBe('delivered');
    const reason = api.branches[0]!.reason;
    expect(reason).toContain(n1.namespace);
    await expect.poll(() => page.getByTestId('trace-hop-reason').textContent(), { timeout: 5000 }).toBe(`✗ ${reason}`);
    expect(await page.getByTestId('trace-reason').textContent()).toBe(reason);
    expect(await page.getByTestId('trace-branch').getAttribute('data-verdict')).toBe(api.branches[0]!.verdict);
    await page.screenshot({ path: `${SHOTS}/trace-failed.png` });

    // the same path on the topology (in the app, not a reload): node 1 red, node 2 on the path
    await page.getByTestId('trace-on-topology').click();
    await expect.poll(() => page.getByTestId(`host-${n1.namespace}`).getAttribute('data-path'), { timeout: 10_000 }).toBe('failed');
    expect(await page.getByTestId(`host-${n2.namespace}`).getAttribute('data-path')).toBe('hop');
    expect(await page.getByTestId('topology-trace').getAttribute('data-verdict')).toBe(api.verdict);
    expect(await page.getByTestId('topology-trace').textContent()).toContain(reason);
    await page.screenshot({ path: `${SHOTS}/trace-topology.png` });
    await page.getByTestId('topology-trace-open').click();
    await expect.poll(verdict, { timeout: 10_000 }).toBe(api.verdict);
    expect(await notReloaded()).toBe(true);
    console.log(`stop-bgp ${n2.namespace}: the trace in the page turned ${api.branches[0]!.verdict} ${seenMs} ms after the command returned (${reason})`);
  });

  it('the time control back before the stop shows the working path again; comparing the two moments names the hop and the route that went', async () => {
    expect(beforeStop).not.toBe('');
    await page.getByTestId('time-at').fill(beforeStop);
    await page.getByTestId('time-at').press('Enter');
    await expect.poll(verdict, { timeout: 10_000, interval: 100 }).toBe('delivered');
    expect(await hopNodes()).toEqual([n1.namespace, n2.namespace]);
    expect(await page.getByTestId('time-live').getAttribute('data-state')).toBe('off');
    expect(new URL(page.url()).hash).toContain(`at=${beforeStop.replace(/\.000Z$/, 'Z')}`);
    await page.screenshot({ path: `${SHOTS}/trace-before-stop.png` });
    // the topology at that moment outlines the whole path, no host red
    await page.getByTestId('trace-on-topology').click();
    await expect.poll(() => page.getByTestId(`host-${n1.namespace}`).getAttribute('data-path'), { timeout: 10_000 }).toBe('hop');
    expect(await page.getByTestId(`host-${n2.namespace}`).getAttribute('data-path')).toBe('hop');
    expect(await page.getByTestId('topology-trace').getAttribute('data-verdict')).toBe('delivered');
    await page.screenshot({ path: `${SHOTS}/trace-topology-before-stop.png` });
    await page.getByTestId('topology-trace-open').click();
    await expect.poll(verdict, { timeout: 10_000 }).toBe('delivered');

    // both moments: the first hop changed on node 1, its route to node 2's block removed
    const now = new Date().toISOString();
    await page.evaluate((hash) => ((globalThis as unknown as PageState).location.hash = hash), `#/trace?from=${beforeStop}&to=${now}&src=${src}&dst=${dst}`);
    const changedAt = page.getByTestId('trace-changed-at');
    await expect.poll(() => changedAt.getAttribute('data-node'), { timeout: 10_000 }).toBe(n1.namespace);
    expect(await changedAt.getAttribute('data-hop')).toBe('0');
    expect(await verdict()).not.toBe('delivered');
    const removed = page.locator(`[data-testid="trace-change"][data-node="${n1.namespace}"][data-kind="route"][data-op="remove"]`);
    expect(await removed.count()).toBeGreaterThan(0);
    expect((await removed.allTextContents()).join('\n')).toContain(n2.podCidr);
    await page.screenshot({ path: `${SHOTS}/trace-compare.png` });

    // live again: still not delivered (node 2's BGP is down)
    await page.getByTestId('time-live').click();
    await expect.poll(verdict, { timeout: 10_000 }).not.toBe('delivered');
    // a destination the API cannot place: its message, naming the parameter
    await page.getByTestId('trace-to').fill('no-such-node');
    await page.getByTestId('trace-run').click();
    await expect.poll(() => page.getByTestId('view-trace').getAttribute('data-state'), { timeout: 10_000 }).toBe('error');
    expect(await page.locator('[data-testid="view-trace"] .error').textContent()).toMatch(/^cannot trace: to: "no-such-node" is neither a node/);
    expect(await notReloaded()).toBe(true);
  });
});
