// The API's Kubernetes source in the header, next to the connection: hidden while it is off or in
// sync, `Kubernetes syncing…` or `Kubernetes failing since …` otherwise (api/kubernetes-health.ts),
// with what fails on hover. Read from GET /api/kubernetes/health every `intervalMs` and whenever the
// live connection comes back; the age in the text moves on with the connection's clock.
import type { KubernetesHealthStatus } from '@netatlas/wire/core';
import { kubernetesIndicator } from '../api/kubernetes-health.js';
import type { RestClient } from '../api/rest-client.js';
import { h } from '../ui/dom.js';

export function kubernetesStatus(rest: RestClient, intervalMs = 10_000): { element: HTMLElement; refresh(): void; render(): void; stop(): void } {
  const text = h('span', { class: 'text' });
  const element = h('span', { class: 'kube-status', 'data-testid': 'kubernetes-status', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'dot' }), text);
  let status: KubernetesHealthStatus | null = null;
  let inFlight = false;
  const render = () => {
    const m = kubernetesIndicator(status, new Date());
    element.hidden = m.hidden;
    element.dataset['state'] = m.state;
    element.dataset['since'] = m.since;
    element.title = m.title;
    if (text.textContent !== m.text) text.textContent = m.text;
  };
  const refresh = () => {
    if (inFlight) return;
    inFlight = true;
    rest.kubernetesHealth().then(
      (s) => {
        status = s;
      },
      () => {
        // an API that does not answer is the connection indicator's to show; this one says nothing then
        status = null;
      },
    ).finally(() => {
      inFlight = false;
      render();
    });
  };
  render();
  refresh();
  const timer = setInterval(refresh, intervalMs);
  return { element, refresh, render, stop: () => clearInterval(timer) };
}
