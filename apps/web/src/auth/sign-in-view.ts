// The sign-in screen, shown instead of the app while nobody is signed in (at start, or once the
// session ended): the OpenID provider's button, a full-page navigation that comes back to the view
// that was open; and, when the API takes them, a field to paste an API token into. With neither, the
// API has no way in configured, and the screen says where that is set up.
import { describeFailure, type RestClient } from '../api/rest-client.js';
import { h } from '../ui/dom.js';
import { returnHash, type AuthScreen } from './auth-model.js';

export interface SignInOptions {
  screen: Extract<AuthScreen, { kind: 'sign-in' }>;
  rest: RestClient;
  /** the app was open and the API answered 401: the session ended */
  expired: boolean;
  /** a token sign-in succeeded (the session cookie is set) */
  onSignedIn: () => void;
}

export function signInView({ screen, rest, expired, onSignedIn }: SignInOptions): HTMLElement {
  const error = h('div', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' });
  error.hidden = true;
  const showError = (text: string | null) => {
    error.hidden = text === null;
    error.textContent = text ?? '';
  };

  const parts: HTMLElement[] = [];
  if (screen.oidc) {
    const link = h('a', { class: 'button primary', href: screen.oidc.href, 'data-testid': 'sign-in-oidc' }, screen.oidc.label);
    // the view to come back to is the one open at the click (the hash may have changed since the screen was drawn)
    link.addEventListener('click', () => {
      link.href = rest.loginUrl(returnHash(location.hash));
    });
    parts.push(link);
  }
  if (screen.token) {
    const input = h('input', {
      type: 'password',
      name: 'token',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'paste an API token',
      'aria-label': 'API token',
      'data-testid': 'token-input',
    });
    const submit = h('button', { type: 'submit', 'data-testid': 'token-submit' }, 'Sign in with token');
    const form = h(
      'form',
      {
        class: 'token-form',
        'data-testid': 'token-form',
        onsubmit: (event: SubmitEvent) => {
          event.preventDefault();
          const token = input.value.trim();
          if (token === '') {
            showError('Paste an API token first.');
            input.focus();
            return;
          }
          submit.disabled = true;
          showError(null);
          rest.tokenLogin(token).then(
            () => onSignedIn(),
            (e: unknown) => {
              submit.disabled = false;
              const f = describeFailure(e);
              // a 401 carries the API's own words (a bad or revoked token)
              showError(f.kind === 'unauthorized' && e instanceof Error ? e.message : `cannot sign in: ${f.text}`);
              input.select();
            },
          );
        },
      },
      h('label', { class: 'token-label' }, 'API token', input),
      submit,
    );
    if (screen.oidc) parts.push(h('p', { class: 'or muted' }, 'or'));
    parts.push(form);
  }
  if (!screen.oidc && !screen.token) {
    parts.push(
      h(
        'p',
        { 'data-testid': 'sign-in-none' },
        'This API has no sign-in method configured: it needs an OpenID provider or API tokens. See "Security" in the README for how to set one up.',
      ),
    );
  }

  const lead = h('p', { class: 'muted' }, expired ? 'Your session has ended. Sign in again to go on.' : 'Sign in to see the cluster’s network.');
  return h(
    'div',
    { class: 'sign-in-page' },
    h('section', { class: 'sign-in', 'data-testid': 'sign-in', 'data-expired': expired ? 'true' : undefined }, h('h1', { class: 'brand' }, 'netatlas'), lead, ...parts, error),
  );
}
