// A lab cluster watched by the real API with alerting: the lab (through its CLI), a Kubernetes
// list/watch server in the harness holding the lab's nodes, the API on a fresh database with short
// `for` durations for the rules a fault fires, and a collector per lab node. Shared by the alerts
// end-to-end tests and the fault matrix (`npm run bench:faults`).
import type { Alert, AlertRule } from '@netatlas/wire';
import { lab, labStatus, type LabStatus, type Shape } from '@netatlas/lab-testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAlertConfig } from '../alerts/alert-config.js';
import type { ApiConfig } from '../settings.js';
import { startTestApi, type TestApi } from './api.js';
import { startCollectorProcess, type CollectorProcess } from './collector-process.js';
import { KubeApiServer, testBlockAffinity, testNode, testPod } from './kube-api-server.js';
import { loadNotifyConfig } from '../notify/notify-config.js';
import { WebhookReceiver } from './webhook-receiver.js';

export type LabNode = LabStatus['nodes'][0];

export interface AlertLabOptions {
  style: 'kube-router' | 'calico' | 'flannel';
  name: string;
  nodes: number;
  /** build this shape (tools/lab/src/shapes.ts) instead of `style` × `nodes` */
  shape?: Shape;
  /**
   * Node.spec.podCIDRs in the Kubernetes harness: the lab's pod CIDRs (default), or other ones
   * (`differ`: 10.244.N.0/24, as a cluster allocates podCIDRs that Calico's IPAM does not use)
   */
  kubePodCidrs?: 'lab' | 'differ';
  /** serve Calico's block affinities (the lab's blocks) from the harness */
  blockAffinities?: boolean;
  /** `for` of RouteLoss, BgpSessionDown and NodeUnreachable (ms); the others keep their defaults */
  forMs: number;
  /** other rules' `for` (ms) */
  forOverrides?: Partial<Record<AlertRule, number>>;
  /** more API settings (webhook receivers, …) */
  api?: Partial<ApiConfig>;
  log?: (line: string) => void;
}

export interface AlertLab {
  t: TestApi;
  status: LabStatus;
  /** a webhook receiver (Alertmanager format) the API notifies */
  receiver: WebhookReceiver;
  kube: KubeApiServer;
  collectors: Map<string, CollectorProcess>;
  /** start (again) the collector of a lab node */
  startCollector(node: string): void;
  /** kill -9 the collector of a lab node */
  killCollector(node: string): Promise<void>;
  /** every pending or firing alert */
  open(): Promise<Alert[]>;
  node(i: number): LabNode;
  /** alerts open at some moment since `from`; `fresh`: only those that started since */
  alertsSince(from: string, state?: string, fresh?: boolean): Promise<Alert[]>;
  /** no pending or firing alert for 3 checks in a row */
  healthy(timeoutMs: number): Promise<void>;
  /** the alert with this fingerprint, started since `since`, once it fired */
  firing(fingerprint: string, since: string, timeoutMs?: number): Promise<Alert>;
  close(): Promise<void>;
}

export const describeAlerts = (alerts: readonly Alert[]): string =>
  alerts.map((a) => `${a.fingerprint} (${a.state}${a.rootId ? ` under ${a.rootId}` : ''})`).join(', ');

export async function startAlertLab(o: AlertLabOptions): Promise<AlertLab> {
  const log = o.log ?? (() => undefined);
  await lab(['down', '--name', o.name]);
  const up = o.shape ? o.shape.up : ['--style', o.style, '--nodes', String(o.nodes), '--pods', '1'];
  log(`lab up ${o.name}: ${o.shape ? `${o.shape.name} (${up.join(' ')})` : `${o.style}, ${o.nodes} nodes`}`);
  await lab(['up', '--name', o.name, ...up]);
  const status = await labStatus(o.name);
  const dir = await mkdtemp(join(tmpdir(), 'netatlas-alerts-'));
  const kube = await KubeApiServer.start({ crds: o.blockAffinities ? ['blockaffinities'] : [] });
  for (const [i, n] of status.nodes.entries()) {
    const podCIDRs = o.kubePodCidrs === 'differ' ? [`10.244.${i + 1}.0/24`] : [n.podCidr];
    kube.add('nodes', testNode(n.namespace, { internalIP: [n.underlayIp, ...(n.underlayIp6 ? [n.underlayIp6] : [])], podCIDRs }));
    for (const p of n.pods) kube.add('pods', testPod('default', `web-${p.name}`, { ip: [p.ip, p.ip6].filter((a): a is string => a !== null), node: n.namespace, phase: 'Running' }));
    if (o.blockAffinities) for (const cidr of [n.podCidr, ...(n.podCidr6 ? [n.podCidr6] : [])]) kube.add('blockaffinities', testBlockAffinity(n.namespace, cidr));
  }
  const receiver = await WebhookReceiver.start();
  const notify = loadNotifyConfig({ NETATLAS_WEBHOOKS: `lab=${receiver.url()}#alertmanager`, NETATLAS_NOTIFY_MAX_BACKOFF_S: '1' }, { host: '127.0.0.1', port: 0 });
  const alerts = defaultAlertConfig();
  alerts.evalMs = 500;
  // the rules a fault fires get a short `for`; StaleRoute and IpsetDrift keep theirs (30 s), which is
  // what lets a cluster converge after a node left without alarms
  for (const rule of ['RouteLoss', 'BgpSessionDown', 'NodeUnreachable'] as const satisfies readonly AlertRule[]) alerts.forMs[rule] = o.forMs;
  Object.assign(alerts.forMs, o.forOverrides ?? {});
  const t = await startTestApi(`alerts-${o.style}`, {
    alerts,
    kubernetes: 'kubeconfig',
    kubeconfig: await kube.writeKubeconfig(dir),
    heartbeatMs: 1000,
    lostAfterMs: 4000,
    notify,
    ...o.api,
  });
  const collectors = new Map<string, CollectorProcess>();
  const startCollector = (name: string) => {
    const n = status.nodes.find((x) => x.namespace === name);
    if (!n) throw new Error(`no lab node ${name}`);
    collectors.set(n.namespace, startCollectorProcess(t.url, n.namespace, n.collectorArgs));
  };
  for (const n of status.nodes) startCollector(n.namespace);
  const alertsSince = async (from: string, state?: string, fresh = true) =>
    (await t.get<{ alerts: Alert[] }>(`/api/alerts?from=${encodeURIComponent(from)}${state ? `&state=${state}` : ''}`)).body.alerts.filter(
      (a) => !fresh || a.startsAt >= from,
    );
  const open = async () => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    return [...(await alertsSince(since, 'pending', false)), ...(await alertsSince(since, 'firing', false))];
  };
  const connected = async () => {
    const nodes = (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes;
    return [...collectors.keys()].every((n) => nodes.some((x) => x.name === n && x.status === 'connected'));
  };
  const healthy = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 3) {
      const now = (await connected()) ? await open() : [{ fingerprint: 'collectors not all connected yet', state: 'pending' } as Alert];
      quiet = now.length === 0 ? quiet + 1 : 0;
      if (Date.now() > deadline) throw new Error(`still open: ${describeAlerts(now)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const firing = async (fingerprint: string, since: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = (await alertsSince(since)).find((a) => a.fingerprint === fingerprint && a.firedAt !== null);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`${fingerprint} did not fire within ${timeoutMs} ms; alerts since: ${describeAlerts(await alertsSince(since))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return {
    t,
    status,
    receiver,
    kube,
    collectors,
    startCollector,
    async killCollector(name) {
      const c = collectors.get(name);
      if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
      const exited = new Promise((r) => c.child.once('exit', r));
      c.child.kill('SIGKILL');
      await exited;
    },
    open,
    node: (i) => status.nodes[i] as LabNode,
    alertsSince,
    healthy,
    firing,
    async close() {
      for (const c of collectors.values()) await c.stop();
      await t.close();
      await kube.close();
      await receiver.close();
      await rm(dir, { recursive: true, force: true });
      await lab(['down', '--name', o.name]);
    },
  };
}
