// The Alerts tab's badge: how many alerts fire now (data-firing; hidden at 0), pending ones in its
// title and data-pending.
import { h } from '../ui/dom.js';

export function alertsBadge(): { element: HTMLElement; update(counts: { firing: number; pending: number }): void } {
  const element = h('span', { class: 'tab-badge', 'data-testid': 'alerts-badge', 'aria-live': 'polite' });
  return {
    element,
    update({ firing, pending }) {
      element.dataset['firing'] = String(firing);
      element.dataset['pending'] = String(pending);
      element.textContent = String(firing);
      element.hidden = firing === 0;
      element.title = `${firing} firing, ${pending} pending`;
      element.setAttribute('aria-label', `${firing} firing`);
    },
  };
}
