// The API's Kubernetes source as the header shows it (GET /api/kubernetes/health): nothing while it is
// off or in sync, `Kubernetes syncing…` until its first sync, `Kubernetes failing for 2m 05s` while it
// cannot list or watch (the expected state then rests on what was last listed, or on nothing). Pure.
import type { KubernetesHealthState, KubernetesHealthStatus } from '@netatlas/wire/core';
import { formatAge, formatClock, formatDateTime, formatDuration } from '../format/time.js';

export interface KubernetesIndicator {
  /** shown only when Kubernetes is configured and not in sync */
  hidden: boolean;
  /** the source's state; `unknown` until the API answered (or when it did not) */
  state: KubernetesHealthState | 'unknown';
  /** when the state began (ISO 8601), '' when unknown */
  since: string;
  text: string;
  /** the details on hover: what fails, the server, the last sync */
  title: string;
}

export function kubernetesIndicator(status: KubernetesHealthStatus | null, now: Date): KubernetesIndicator {
  if (!status) return { hidden: true, state: 'unknown', since: '', text: '', title: '' };
  const { state, since, server, error, lastSyncAt } = status;
  const last = lastSyncAt ? `last in sync ${formatDateTime(lastSyncAt)} UTC (${formatAge(lastSyncAt, now)})` : 'never in sync yet';
  switch (state) {
    case 'off':
    case 'synced':
      return { hidden: true, state, since, text: '', title: '' };
    case 'syncing':
      return { hidden: false, state, since, text: 'Kubernetes syncing…', title: `listing Nodes, Pods and Calico blocks from ${server ?? '?'}; ${last}` };
    case 'failing':
      return {
        hidden: false,
        state,
        since,
        // short: the header has little room; since when and why on hover
        text: `Kubernetes failing for ${formatDuration(Math.max(0, now.getTime() - Date.parse(since)))}`,
        title: `${error ?? 'failing'}\nfailing since ${formatClock(since)} UTC\nserver: ${server ?? '?'}\n${last}`,
      };
  }
}
