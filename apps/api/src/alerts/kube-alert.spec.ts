// A Kubernetes source that cannot sync is an alert, end to end: the real API on Postgres watching
// the harness's list/watch server through an http kubeconfig (kubectl proxy's form), which starts
// refusing with 403: KubernetesUnavailable fires naming the server and what fails, and resolves
// once the source syncs again.
import type { Alert } from '@netatlas/wire';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/api.js';
import { KubeApiServer, kubeconfigYaml, testNode } from '../testing/kube-api-server.js';
import { defaultAlertConfig } from './alert-config.js';

describe('KubernetesUnavailable', () => {
  let t: TestApi | undefined;
  let server: KubeApiServer | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await t?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an http kubeconfig syncs; a source that then fails fires the alert with its evidence, and it resolves when it syncs again', async () => {
    server = await KubeApiServer.start({ token: null });
    server.add('nodes', testNode('node-a', { internalIP: '172.20.0.11', podCIDRs: ['10.233.1.0/24'] }));
    dir = await mkdtemp(join(tmpdir(), 'netatlas-kube-alert-'));
    const kubeconfig = join(dir, 'kubeconfig');
    // as kubectl proxy serves it: http, no user, no insecure-skip-tls-verify
    await writeFile(kubeconfig, kubeconfigYaml(server.url, null));
    const alerts = defaultAlertConfig();
    alerts.evalMs = 200;
    alerts.forMs.KubernetesUnavailable = 0;
    t = await startTestApi('kube-alert', { alerts, kubernetes: 'kubeconfig', kubeconfig });
    const api = t;
    await expect.poll(async () => (await api.get<{ state: string }>('/api/kubernetes/health')).body.state, { timeout: 15_000, interval: 200 }).toBe('synced');
    const open = async () => (await api.get<{ alerts: Alert[] }>('/api/alerts')).body.alerts.filter((a) => a.rule === 'KubernetesUnavailable');
    expect(await open()).toEqual([]);

    // the server stops answering: the watch cannot be resumed, the source is failing
    await server.pause();
    await expect.poll(async () => (await open()).find((a) => a.state === 'firing')?.summary, { timeout: 20_000, interval: 200 }).toMatch(
      new RegExp(`^the Kubernetes API at ${server.url.replace(/[.]/g, '\\.')}.* cannot be synced: `),
    );
    await server.resume();
    await expect.poll(async () => (await open()).every((a) => a.state === 'resolved'), { timeout: 30_000, interval: 200 }).toBe(true);
  }, 90_000);
});
