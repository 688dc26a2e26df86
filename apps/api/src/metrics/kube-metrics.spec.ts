// The Kubernetes series on /metrics for each state of the source (the API-level check, with a real
// server going away, is in kube-api.spec.ts).
import { describe, expect, it } from 'vitest';
import { PrometheusText } from './prometheus-text.js';
import { addKubernetesMetrics } from './kube-metrics.js';

const render = (health: Parameters<typeof addKubernetesMetrics>[1], now: number) => {
  const m = new PrometheusText();
  addKubernetesMetrics(m, health, now);
  return m.toString().split('\n').filter((l) => l && !l.startsWith('#'));
};

describe('addKubernetesMetrics', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');

  it('off: HELP and TYPE only, no samples', () => {
    expect(render({ state: 'off', error: null, since: '2026-12-06T09:00:00Z', lastSyncAt: null }, now)).toEqual([]);
  });

  it('synced: up 1, last sync now', () => {
    expect(render({ state: 'synced', error: null, since: '2026-12-06T09:00:00Z', lastSyncAt: '2026-12-06T10:00:00.000Z' }, now)).toEqual([
      'netatlas_kubernetes_up 1',
      'netatlas_kubernetes_last_sync_seconds 0',
    ]);
  });

  it('failing after a sync: up 0, seconds since it was last in sync', () => {
    expect(render({ state: 'failing', error: 'nodes: HTTP 401', since: '2026-12-06T09:58:00Z', lastSyncAt: '2026-12-06T09:57:59.250Z' }, now)).toEqual([
      'netatlas_kubernetes_up 0',
      'netatlas_kubernetes_last_sync_seconds 120.75',
    ]);
  });

  it('never synced (syncing or failing from the start): up 0, no last sync', () => {
    expect(render({ state: 'syncing', error: null, since: '2026-12-06T09:59:00Z', lastSyncAt: null }, now)).toEqual(['netatlas_kubernetes_up 0']);
    expect(render({ state: 'failing', error: 'x', since: '2026-12-06T09:59:00Z', lastSyncAt: null }, now)).toEqual(['netatlas_kubernetes_up 0']);
  });
});
