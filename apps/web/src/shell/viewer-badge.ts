// Who is looking, in the header: `alice (operator)` (how they signed in on hover) and, when the
// session is one the API can end, "Sign out". Anonymous and proxy viewers have nothing to sign out of.
import type { Viewer } from '@netatlas/wire/core';
import { describeFailure } from '../api/rest-client.js';
import { viewerText } from '../auth/auth-model.js';
import { h } from '../ui/dom.js';

export function viewerBadge(viewer: Viewer, canLogout: boolean, signOut: () => Promise<void>): HTMLElement {
  const t = viewerText(viewer);
  const label = h(
    'span',
    { class: 'viewer', 'data-testid': 'viewer', 'data-role': viewer.role, 'data-via': viewer.via, title: t.title },
    h('span', { class: 'viewer-name' }, t.name),
    ' ',
    h('span', { class: `viewer-role role-${viewer.role}` }, t.role),
  );
  if (!canLogout) return h('span', { class: 'viewer-box' }, label);
  const button: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      class: 'sign-out',
      'data-testid': 'sign-out',
      onclick: () => {
        button.disabled = true;
        signOut().then(
          () => {
            button.disabled = false;
          },
          (e: unknown) => {
            // still signed in: say so on the button, and let it be tried again
            button.disabled = false;
            button.textContent = 'Sign out (failed)';
            button.title = describeFailure(e).text;
          },
        );
      },
    },
    'Sign out',
  );
  return h('span', { class: 'viewer-box' }, label, button);
}
