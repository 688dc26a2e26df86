// The Alerts page in a real browser (Debian's Chromium through playwright-core) follows the alert
// engine's regroupings live (issue 14, points 5 and 8): a 3-node calico lab with a collector per
// node, the real API with alerting (testing/alert-lab.ts) serving the built web app, and the page
// opened once. `lab stop-bgp` on one node must bring its BgpDaemonDown root cause with the route
// losses and session downs grouped under it, and counts that match what is listed and what the API
// says. Then the node's collector is stopped (the node is lost: NodeUnreachable) and started again
// (BgpDaemonDown again): the symptoms must move live from root to root, each spell in their history.
// `start-bgp` must resolve them, and every symptom must show its cause history (a symptom that
// outlives its root stands alone, saying what caused it until when) — all without a reload.
// Screenshots go to tmp/screenshots/ (or $NETATLAS_SCREENSHOTS).
import type { Alert } from '@netatlas/wire';
import { inCI, lab } from '@netatlas/lab-testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAlerts, startAlertLab, type AlertLab, type LabNode } from '../testing/alert-lab.js';
import { startCollectorProcess } from '../testing/collector-process.js';
import { browserLabPrerequisites, launchBrowser, SHOTS, WEB_DIR } from '../testing/browser.js';
import { setupOnce } from '../testing/setup.js';

const LAB = 'h4ab';
const FOR_MS = 2000;
const missing = browserLabPrerequisites();

/** One alert row as the page draws it. */
interface DrawnRow {
  id: string;
  rule: string;
  fingerprint: string;
  state: string;
  group: string;
  /** its root cause as drawn (`data-root`) */
  root: string;
  /** the group head it is drawn under (a root's id), or null */
  under: string | null;
  /** roots: symptoms listed, and open symptoms as counted (`data-open-symptoms`, and the text) */
  symptoms: number | null;
  open: number | null;
  openText: string | null;
  causedBy: Array<{ root: string; to: string; text: string }>;
}

/** The little of the DOM the page functions use (the API's TypeScript has no DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** Every alert row in the order drawn, with the group it is drawn in. Runs in the page (installed as `h4Rows`). */
function readRows(): DrawnRow[] {
  const doc = (globalThis as unknown as { document: PageElement }).document;
  const out: DrawnRow[] = [];
  let head: string | null = null;
  for (const tr of doc.querySelectorAll('[data-testid="alerts-table"] tbody tr')) {
    if (tr.dataset['testid'] === 'alert-orphans') {
      head = null;
      continue;
    }
    const d = tr.dataset;
    const group = d['group'] ?? '';
    if (group !== 'symptom') head = group === 'root' ? (d['id'] ?? null) : null;
    const num = (v: string | undefined) => (v === undefined ? null : Number(v));
    out.push({
      id: d['id'] ?? '',
      rule: d['rule'] ?? '',
      fingerprint: d['fingerprint'] ?? '',
      state: d['state'] ?? '',
      group,
      root: d['root'] ?? '',
      under: group === 'symptom' ? head : null,
      symptoms: num(d['symptoms']),
      open: num(d['openSymptoms']),
      openText: tr.querySelector('[data-testid="alert-open-symptoms"]')?.textContent ?? null,
      causedBy: [...tr.querySelectorAll('[data-testid="alert-caused-by"]')].map((li) => ({ root: li.dataset['root'] ?? '', to: li.dataset['to'] ?? '', text: li.textContent ?? '' })),
    });
  }
  return out;
}

const OPEN = new Set(['pending', 'firing']);

/** What the test keeps in the page (on its global object): lost if the page reloads. */
interface PageState {
  h4Rows?: () => DrawnRow[];
  /** per alert id, where it was drawn, each change once (`group under state`) */
  h4Moves?: Record<string, string[]>;
  h4Tracker?: ReturnType<typeof setInterval>;
  h4Samples?: DrawnRow[];
  h4Sampler?: ReturnType<typeof setInterval>;
}

describe.skipIf(missing.length > 0 && !inCI)('the Alerts page regroups live on a calico lab', { timeout: 150_000 }, () => {
  let l: AlertLab;
  let browser: Browser;
  let page: Page;
  let victim: LabNode;
  let others: LabNode[];
  /** the root cause the fault's symptoms are under in the page now, and when stop-bgp was run */
  let root: DrawnRow | null = null;
  let since = '';
  /** the symptoms every root of the fault must group: the others' route losses towards the victim's block and their sessions to it */
  let wanted: string[] = [];

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    l = await startAlertLab({ style: 'calico', name: LAB, nodes: 3, forMs: FOR_MS, forOverrides: { BgpDaemonDown: FOR_MS }, api: { webDir: WEB_DIR } });
    await l.healthy(60_000);
    victim = l.node(1);
    others = l.status.nodes.filter((n) => n.namespace !== victim.namespace);
    wanted = others.flatMap((o) => [`RouteLoss{node=${o.namespace},peer=${victim.namespace},prefix=${victim.podCidr}}`, `BgpSessionDown{daemon=bird,node=${o.namespace},peer=${victim.namespace}}`]);
    ({ browser, page } = await launchBrowser());
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await l?.close();
  }, 120_000);

  const rows = () => page.evaluate(() => (globalThis as unknown as PageState).h4Rows?.() ?? []);
  /** the reader is installed once, when the page is opened: a reload would lose it */
  const notReloaded = () => page.evaluate(() => typeof (globalThis as unknown as PageState).h4Rows === 'function');
  const openUnder = async (rootId: string) => {
    const since1h = new Date(Date.now() - 3600_000).toISOString();
    return (await l.alertsSince(since1h, undefined, false)).filter((a) => a.rootId === rootId && OPEN.has(a.state));
  };
  /** the wanted symptoms not drawn under the root cause `rootId` (as its group, and as their data-root) */
  const notUnder = async (rootId: string) => {
    const now = await rows();
    return wanted.filter((fp) => !now.some((r) => r.fingerprint === fp && r.group === 'symptom' && r.under === rootId && r.root === rootId));
  };
  /**
   * 'agree' once the root's "N open symptoms" and its listed symptoms are what is drawn under it,
   * and what the API groups under it (both move while the engine evaluates: polled)
   */
  const countsAgree = async (rootId: string) => {
    const now = await rows();
    const head = now.find((r) => r.id === rootId);
    const under = now.filter((r) => r.under === rootId);
    const drawnOpen = under.filter((r) => OPEN.has(r.state)).map((r) => r.id).sort();
    const api = (await openUnder(rootId)).map((a) => a.id).sort();
    const c = { listed: head?.symptoms, open: head?.open, openText: head?.openText, drawnUnder: under.length, drawnOpen, api };
    const agree =
      c.listed === c.drawnUnder && c.open === drawnOpen.length && api.join() === drawnOpen.join() && c.openText === ` · ${c.open} open symptom${c.open === 1 ? '' : 's'}`;
    return agree ? 'agree' : JSON.stringify(c);
  };
  /** the root cause with this fingerprint drawn as a group head, other than those in `not` */
  const rootRow = async (fingerprint: string, not: readonly string[] = []) =>
    (await rows()).find((r) => r.fingerprint === fingerprint && r.group === 'root' && OPEN.has(r.state) && !not.includes(r.id)) ?? null;

  it('stop-bgp: the BgpDaemonDown root cause appears with the route losses and session downs under it, counts right, without a reload', async () => {
    await page.goto(`${l.t.url}/#/alerts?expand=all`);
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    await expect.poll(() => page.getByTestId('alerts-summary').getAttribute('data-firing'), { timeout: 10_000 }).toBe('0');
    await page.evaluate(`globalThis.h4Rows = ${readRows.toString()};`);
    expect(await notReloaded()).toBe(true);
    // where each alert is drawn, every 100 ms: how the page moved them
    await page.evaluate(() => {
      const w = globalThis as unknown as PageState;
      const moves: Record<string, string[]> = (w.h4Moves = {});
      w.h4Tracker = setInterval(() => {
        for (const r of w.h4Rows?.() ?? []) {
          const at = `${r.group} ${r.under ?? '-'} ${r.state}`;
          const seen = (moves[r.fingerprint] ??= []);
          if (seen.at(-1) !== at) seen.push(at);
        }
      }, 100);
    });

    since = new Date().toISOString();
    const t0 = Date.now();
    await lab(['stop-bgp', '--name', LAB, victim.namespace]);
    const rootFp = `BgpDaemonDown{daemon=bird,node=${victim.namespace}}`;
    await expect.poll(async () => (root = await rootRow(rootFp))?.state ?? null, { timeout: 40_000, interval: 200 }).toBe('firing');
    const rootSeenMs = Date.now() - t0;
    const rootId = root!.id;
    await expect.poll(() => notUnder(rootId), { timeout: 40_000, interval: 250 }).toEqual([]);
    const groupedMs = Date.now() - t0;
    await expect.poll(() => countsAgree(rootId), { timeout: 20_000, interval: 300 }).toBe('agree');
    const head = (await rows()).find((r) => r.id === rootId)!;
    expect(head.open).toBeGreaterThanOrEqual(wanted.length);
    // every symptom under it says so in its history
    for (const r of (await rows()).filter((x) => x.under === rootId)) expect(r.causedBy.at(-1), r.fingerprint).toMatchObject({ root: rootId, to: '' });
    expect(await notReloaded()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/alerts-regrouped.png` });
    // folded, as the page opens by default (a click, not a reload)
    await page.getByTestId('alerts-expand').click();
    await expect.poll(() => page.locator('[data-testid="alert-row"][data-group="symptom"]').count(), { timeout: 5000 }).toBe(0);
    await page.screenshot({ path: `${SHOTS}/alerts-regrouped-folded.png` });
    await page.getByTestId('alerts-expand').click();
    await expect.poll(async () => (await rows()).filter((r) => r.under === rootId).length, { timeout: 5000 }).toBe(head.symptoms);
    const moves = await page.evaluate(() => (globalThis as unknown as PageState).h4Moves ?? {});
    const joined = wanted.filter((fp) => (moves[fp] ?? []).some((m) => !m.startsWith(`symptom ${rootId} `)));
    console.log(
      `stop-bgp ${victim.namespace}: root cause in the page ${rootSeenMs} ms after the command returned, its ${wanted.length} expected symptoms grouped under it after ${groupedMs} ms; ` +
        `${head.open} open symptoms; ${joined.length} of them drawn elsewhere first and moved under it live (${joined.map((fp) => `${fp}: ${moves[fp]!.join(' → ')}`).join('; ') || 'none'})`,
    );
  });

  it('the node lost, then back: its symptoms move live from root cause to root cause, each spell in their history', async () => {
    expect(root, 'the previous test found the root cause').not.toBeNull();
    const daemonDown = root!;
    const t0 = Date.now();
    // the victim's collector stops: the node is lost and its peers lost it (NodeUnreachable); its
    // daemon's evidence goes with the collector (BgpDaemonDown resolves)
    await l.collectors.get(victim.namespace)!.stop();
    const unreachableFp = `NodeUnreachable{node=${victim.namespace}}`;
    let unreachable = null as DrawnRow | null;
    await expect.poll(async () => (unreachable = await rootRow(unreachableFp)) !== null, { timeout: 40_000, interval: 200 }).toBe(true);
    await expect.poll(() => notUnder(unreachable!.id), { timeout: 20_000, interval: 250 }).toEqual([]);
    const movedMs = Date.now() - t0;
    await expect.poll(() => countsAgree(unreachable!.id), { timeout: 20_000, interval: 300 }).toBe('agree');
    // (a root that resolves before it fires leaves no spell in its symptoms' history: wait for it to fire)
    await expect.poll(async () => (await rows()).find((r) => r.id === unreachable!.id)?.state, { timeout: 20_000, interval: 250 }).toBe('firing');
    const now = await rows();
    expect(now.find((r) => r.id === daemonDown.id)?.state).toBe('resolved');
    expect(now.filter((r) => r.under === daemonDown.id && OPEN.has(r.state)).map((r) => r.fingerprint)).toEqual([]);
    for (const fp of wanted) {
      const r = now.find((x) => x.fingerprint === fp)!;
      // the spell under the daemon's root closed, the one under the unreachable node open
      expect(r.causedBy.map((x) => [x.root, x.to === '' ? 'open' : 'closed']).slice(-2), fp).toEqual([
        [daemonDown.id, 'closed'],
        [unreachable!.id, 'open'],
      ]);
      expect(r.causedBy.at(-2)!.text, fp).toMatch(new RegExp(`^caused by #${daemonDown.id} BgpDaemonDown \\(${victim.namespace}, bird\\) until \\d\\d:\\d\\d:\\d\\d$`));
      expect(r.causedBy.at(-1)!.text, fp).toMatch(new RegExp(`^caused by #${unreachable!.id} NodeUnreachable \\(${victim.namespace}\\) since \\d\\d:\\d\\d:\\d\\d$`));
    }
    await page.screenshot({ path: `${SHOTS}/alerts-moved.png` });
    // the collector back: the node reports again, its daemon is still down (a new BgpDaemonDown)
    l.collectors.set(victim.namespace, startCollectorProcess(l.t.url, victim.namespace, victim.collectorArgs));
    const t1 = Date.now();
    let again = null as DrawnRow | null;
    await expect.poll(async () => (again = await rootRow(`BgpDaemonDown{daemon=bird,node=${victim.namespace}}`, [daemonDown.id])) !== null, { timeout: 40_000, interval: 200 }).toBe(true);
    await expect.poll(() => notUnder(again!.id), { timeout: 20_000, interval: 250 }).toEqual([]);
    const backMs = Date.now() - t1;
    await expect.poll(() => countsAgree(again!.id), { timeout: 20_000, interval: 300 }).toBe('agree');
    await expect.poll(async () => (await rows()).find((r) => r.id === again!.id)?.state, { timeout: 20_000, interval: 250 }).toBe('firing');
    for (const fp of wanted) {
      const r = (await rows()).find((x) => x.fingerprint === fp)!;
      expect(r.causedBy.map((x) => x.root).slice(-3), fp).toEqual([daemonDown.id, unreachable!.id, again!.id]);
    }
    expect(await notReloaded()).toBe(true);
    root = again;
    console.log(`collector of ${victim.namespace} stopped: its ${wanted.length} symptoms under NodeUnreachable in the page after ${movedMs} ms; started again: under a new BgpDaemonDown after ${backMs} ms`);
  });

  it('start-bgp: the root and its symptoms resolve in the page; every symptom keeps its cause history, one that outlives its root stands alone saying until when', async () => {
    expect(root, 'the previous test found the root cause').not.toBeNull();
    const rootId = root!.id;
    // what the page draws while the alerts resolve, every 100 ms: a symptom seen open after its
    // root resolved must have been drawn outside the root's group, with its spell under it closed
    await page.evaluate((rootId) => {
      const w = globalThis as unknown as PageState;
      const samples: DrawnRow[] = (w.h4Samples = []);
      w.h4Sampler = setInterval(() => {
        const now = w.h4Rows?.() ?? [];
        if (now.find((r) => r.id === rootId)?.state !== 'resolved') return;
        for (const r of now) if (r.id !== rootId && r.state !== 'resolved' && r.causedBy.some((x) => x.root === rootId)) samples.push(r);
      }, 100);
    }, rootId);
    const t0 = Date.now();
    await lab(['start-bgp', '--name', LAB, victim.namespace]);
    const mine = async () => (await rows()).filter((r) => r.id === rootId || r.causedBy.some((s) => s.root === rootId));
    await expect
      .poll(async () => (await mine()).filter((r) => r.state !== 'resolved').map((r) => `${r.fingerprint} ${r.state}`), { timeout: 60_000, interval: 250 })
      .toEqual([]);
    const resolvedMs = Date.now() - t0;
    const outlived = await page.evaluate(() => {
      const w = globalThis as unknown as PageState;
      clearInterval(w.h4Sampler);
      return w.h4Samples ?? [];
    });
    for (const s of outlived) {
      // not left in the resolved root's group, and it says what caused it until when
      expect(s.under, `symptom ${s.id}`).not.toBe(rootId);
      expect(s.causedBy.find((x) => x.root === rootId)?.to, `symptom ${s.id}`).not.toBe('');
    }
    // at the end every symptom of the fault shows its spell under the root, closed; the page says
    // what the API says
    const api = new Map((await l.alertsSince(since, undefined, false)).map((a) => [a.id, a] as const));
    const drawn = (await mine()).filter((r) => r.id !== rootId);
    expect(drawn.length).toBeGreaterThan(0);
    for (const r of drawn) {
      const spell = r.causedBy.find((x) => x.root === rootId);
      expect(spell?.to, r.fingerprint).not.toBe('');
      expect(spell?.text, r.fingerprint).toMatch(new RegExp(`^caused by #${rootId} BgpDaemonDown \\(${victim.namespace}, bird\\) until \\d\\d:\\d\\d:\\d\\d$`));
      const a: Alert | undefined = api.get(r.id);
      expect(a, r.fingerprint).toBeDefined();
      expect(r.causedBy.map((x) => x.root), r.fingerprint).toEqual(a!.causes.map((x) => x.rootId));
    }
    const ids = new Set(drawn.map((r) => r.id));
    const missed = [...api.values()].filter((a) => a.causes.some((x) => x.rootId === rootId) && !ids.has(a.id));
    expect(missed, describeAlerts(missed)).toEqual([]);
    await expect.poll(() => page.getByTestId('alerts-summary').getAttribute('data-firing'), { timeout: 10_000 }).toBe('0');
    expect(await notReloaded()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/alerts-resolved.png` });
    await page.evaluate(() => clearInterval((globalThis as unknown as PageState).h4Tracker));
    console.log(
      `start-bgp ${victim.namespace}: the root and its ${drawn.length} symptoms resolved in the page ${resolvedMs} ms after the command returned; ` +
        `${new Set(outlived.map((s) => s.id)).size} symptom(s) seen outliving the root, standing alone with their history`,
    );
  });

  it('the node detail and the topology table say where each pod range comes from (the checks), and the ranges not used with why', async () => {
    const n = l.node(0);
    await page.goto(`${l.t.url}/#/nodes/${n.namespace}`);
    const range = page.locator(`[data-testid="node-ranges"] [data-testid="pod-range"][data-cidr="${n.podCidr}"]`);
    await expect.poll(() => range.count(), { timeout: 20_000 }).toBe(1);
    // Calico: the block is what BIRD originates and holds as a blackhole; the Kubernetes podCIDR is not used
    expect((await range.getAttribute('data-sources'))?.split(' ')).toEqual(expect.arrayContaining(['bgp-origin']));
    expect(await range.getAttribute('title')).toMatch(new RegExp(`^${n.podCidr.replace(/[./]/g, '\\$&')} — bgp-origin \\(bird\\)`));
    const ignored = page.locator('[data-testid="node-ranges"] [data-testid="ignored-range"][data-source="kubernetes"]');
    expect(await ignored.count()).toBeGreaterThan(0);
    await page.locator('[data-testid="node-ranges"] details summary').click();
    expect(await ignored.first().textContent()).toContain('Calico');
    await page.locator('[data-testid="node-ranges"]').screenshot({ path: `${SHOTS}/node-ranges.png` });
    await page.goto(`${l.t.url}/#/topology?table=1`);
    const cell = page.locator(`[data-testid="host-${n.namespace}"] [data-testid="pod-range"][data-cidr="${n.podCidr}"]`);
    await expect.poll(async () => ((await cell.count()) ? await cell.getAttribute('title') : null), { timeout: 20_000 }).toMatch(/ — bgp-origin \(bird\)/);
    await page.screenshot({ path: `${SHOTS}/topology-table-ranges.png` });
    // the canvas: hovering a host lists its ranges with their sources
    await page.goto(`${l.t.url}/#/topology`);
    const canvas = page.getByTestId('topology-canvas');
    await expect.poll(() => canvas.getAttribute('data-hosts-drawn'), { timeout: 20_000 }).toBe(String(l.status.nodes.length));
    const box = (await canvas.boundingBox())!;
    const lines = page.locator('.tooltip:not([hidden]) [data-testid="tooltip-range"]');
    let found = false;
    for (let y = 0.1; y < 1 && !found; y += 0.08) {
      for (let x = 0.05; x < 1 && !found; x += 0.05) {
        await page.mouse.move(box.x + box.width * x, box.y + box.height * y);
        found = (await lines.count()) > 0;
      }
    }
    expect(found, 'a host under the pointer somewhere on the canvas').toBe(true);
    expect(await lines.first().textContent()).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+ — (bgp-origin|blackhole|calico-ipam)/);
    await page.screenshot({ path: `${SHOTS}/topology-hover-ranges.png` });
  });
});
