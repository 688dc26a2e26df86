// The web app in a real browser (Debian's Chromium through playwright-core) against the real API,
// Postgres and a 3-node kube-router lab with a collector per node. Screenshots are saved under
// tmp/screenshots/ for the README.
import { inCI, lab, labPrerequisites, labStatus, type LabStatus } from '@netatlas/lab-testing';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api.js';
import { startCollectorProcess, type CollectorProcess } from '../testing/collector-process.js';
import { setupOnce } from '../testing/setup.js';

const LAB = 'tbrw';
const CHROMIUM = process.env['NETATLAS_CHROMIUM'] ?? '/usr/bin/chromium';
const WEB_DIR = fileURLToPath(new URL('../../../../dist/apps/web', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../../../tmp/screenshots', import.meta.url));
const missing = [...labPrerequisites()];
if (!existsSync(CHROMIUM)) missing.push(`chromium at ${CHROMIUM} (Debian package chromium)`);
if (!existsSync(`${WEB_DIR}/index.html`)) missing.push(`the built web app in ${WEB_DIR} (npx nx build web)`);

describe.skipIf(missing.length > 0 && !inCI)('the web app in Chromium on a kube-router lab', { timeout: 90_000 }, () => {
  let t: TestApi;
  let status: LabStatus;
  let browser: Browser;
  let page: Page;
  const collectors: CollectorProcess[] = [];

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    await lab(['down', '--name', LAB]);
    await lab(['up', '--name', LAB, '--style', 'kube-router', '--nodes', '3', '--pods', '2']);
    status = await labStatus(LAB);
    t = await startTestApi('browser', { webDir: WEB_DIR });
    for (const n of status.nodes) collectors.push(startCollectorProcess(t.url, n.namespace));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await mkdir(SHOTS, { recursive: true });
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
    await lab(['start-bgp', '--name', LAB, b.namespace]);
    await expect.poll(() => cell.getAttribute('data-state'), { timeout: 30_000, interval: 200 }).toBe('established');
  });

  it('remove-node: the Changes view lists the removed routes on each remaining node, without a reload', async () => {
    const [n1, n2, n3] = status.nodes as [LabStatus['nodes'][0], LabStatus['nodes'][0], LabStatus['nodes'][0]];
    await page.goto(`${t.url}/#/changes`);
    // apart from the route changes of the previous test (the view groups changes less than 5 s apart)
    await page.waitForTimeout(6000);
    await collectors[2]!.stop();
    await lab(['remove-node', '--name', LAB, n3.namespace]);
    try {
      for (const node of [n1, n2]) {
        const diff = page.getByTestId(`route-diff-${node.namespace}`);
        await expect
          .poll(async () => ((await diff.count()) ? await diff.locator('.line[data-sign="-"]').allTextContents() : []), { timeout: 20_000, interval: 250 })
          .toEqual(expect.arrayContaining([expect.stringContaining(n3.podCidr)]));
      }
    } finally {
      await page.screenshot({ path: `${SHOTS}/changes.png` });
    }
  });
});
