// The Kubernetes source's series on /metrics (metrics.service.ts): whether it is in sync, and for how
// long it has not been. Both are absent when Kubernetes is off, so `netatlas_kubernetes_up == 0` only
// ever means a configured source that is not in sync.
import type { KubernetesHealth } from '@netatlas/wire';
import type { PrometheusText } from './prometheus-text.js';

export function addKubernetesMetrics(m: PrometheusText, health: KubernetesHealth, now = Date.now()): void {
  const on = health.state !== 'off';
  m.add(
    'netatlas_kubernetes_up',
    'gauge',
    'Whether the Kubernetes source is in sync: 1 synced, 0 syncing or failing (absent when Kubernetes is off).',
    on ? [{ value: health.state === 'synced' ? 1 : 0 }] : [],
  );
  const last = on && health.lastSyncAt ? Date.parse(health.lastSyncAt) : null;
  m.add(
    'netatlas_kubernetes_last_sync_seconds',
    'gauge',
    'Seconds since the Kubernetes source was last in sync (0 while synced; absent before its first sync and when Kubernetes is off).',
    last === null ? [] : [{ value: Math.round(Math.max(0, now - last)) / 1000 }],
  );
}
