// The live connection's state in the header: data-state is connecting, live, reconnecting or
// disconnected; the text says since when.
import { connectionLabel, type ConnectionState } from '../api/connection-state.js';
import { h } from '../ui/dom.js';

export function connectionIndicator(): { element: HTMLElement; update(state: ConnectionState): void } {
  const text = h('span', { class: 'text' });
  const element = h('span', { class: 'connection', 'data-testid': 'connection', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'dot' }), text);
  return {
    element,
    update(state) {
      element.dataset['state'] = state.status;
      element.dataset['since'] = state.since.toISOString();
      text.textContent = connectionLabel(state, new Date());
      element.title = state.error ? `last error: ${state.error}` : '';
    },
  };
}
