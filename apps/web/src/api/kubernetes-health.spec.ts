import type { KubernetesHealthStatus } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { kubernetesIndicator } from './kubernetes-health.js';

const now = new Date('2026-12-06T14:05:00Z');
const status = (s: Partial<KubernetesHealthStatus>): KubernetesHealthStatus => ({
  mode: 'kubeconfig',
  server: 'http://127.0.0.1:8001',
  state: 'synced',
  error: null,
  since: '2026-12-06T14:00:00.000Z',
  lastSyncAt: '2026-12-06T14:05:00.000Z',
  ...s,
});

describe('the Kubernetes indicator', () => {
  it('is hidden until the API answered, when off, and while synced', () => {
    expect(kubernetesIndicator(null, now)).toMatchObject({ hidden: true, state: 'unknown' });
    expect(kubernetesIndicator(status({ mode: 'off', server: null, state: 'off', lastSyncAt: null }), now)).toMatchObject({ hidden: true, state: 'off' });
    expect(kubernetesIndicator(status({}), now)).toMatchObject({ hidden: true, state: 'synced', since: '2026-12-06T14:00:00.000Z' });
  });

  it('says syncing until the first sync', () => {
    expect(kubernetesIndicator(status({ state: 'syncing', lastSyncAt: null }), now)).toEqual({
      hidden: false,
      state: 'syncing',
      since: '2026-12-06T14:00:00.000Z',
      text: 'Kubernetes syncing…',
      title: 'listing Nodes, Pods and Calico blocks from http://127.0.0.1:8001; never in sync yet',
    });
  });

  it('says since when it fails, and on hover what fails and when it was last in sync', () => {
    const failing = status({ state: 'failing', error: 'nodes: HTTP 401 Unauthorized; pods: HTTP 401 Unauthorized', since: '2026-12-06T14:02:55.000Z', lastSyncAt: '2026-12-06T14:02:54.500Z' });
    expect(kubernetesIndicator(failing, now)).toEqual({
      hidden: false,
      state: 'failing',
      since: '2026-12-06T14:02:55.000Z',
      text: 'Kubernetes failing for 2m 05s',
      title:
        'nodes: HTTP 401 Unauthorized; pods: HTTP 401 Unauthorized\nfailing since 14:02:55 UTC\nserver: http://127.0.0.1:8001\nlast in sync 2026-12-06 14:02:54 UTC (2m 05s ago)',
    });
    expect(kubernetesIndicator(status({ state: 'failing', error: 'x', lastSyncAt: null }), now).title).toBe(
      'x\nfailing since 14:00:00 UTC\nserver: http://127.0.0.1:8001\nnever in sync yet',
    );
  });
});
