// A failed request on screen: a 403 as what it is (the role it needs, the role one has), anything
// else as an error box saying what could not be done. A 401 needs nothing here: the shell already
// shows the sign-in screen.
import { describeFailure } from '../api/rest-client.js';
import { errorBox, h } from './dom.js';

/** `what`: what failed, `cannot load the alerts` (not said for a 403: the role is the whole story). */
export function failureBox(what: string, error: unknown): HTMLElement {
  const f = describeFailure(error);
  if (f.kind === 'forbidden') return h('div', { class: 'forbidden', role: 'alert', 'data-testid': 'forbidden', 'data-needed': f.needed ?? '' }, f.text);
  return errorBox(`${what}: ${f.text}`);
}
