// The Admin view (#/admin): API tokens — listed, created (the secret shown once, to copy), revoked —
// and the settings the API runs with (redacted by the API). The tab is shown to admins only, but
// the route opens for anyone and the view asks the API all the same: for anyone else the API
// answers 403 and the view says which role it needs.
import { ROLES, type ApiToken, type Role } from '@netatlas/wire/core';
import type { AdminSetting } from '../../api/rest-client.js';
import type { AppRoute } from '../../state/route.js';
import { errorBox, fill, h } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import type { View, ViewContext } from '../view.js';
import { adminOutcome, tokenNameProblem, tokenRows } from './admin-model.js';

const TOKEN_COLUMNS = ['name', 'role', 'created (UTC)', 'created by', 'last used (UTC)', ''];

export class AdminView implements View {
  readonly element: HTMLElement;
  private readonly status = h('div', { class: 'view-status' });
  private readonly body: HTMLElement;
  private readonly tokensBody = h('tbody');
  private readonly tokensStatus = h('div', { class: 'view-status' });
  private readonly settingsBody = h('tbody');
  private readonly settingsStatus = h('div', { class: 'view-status' });
  private readonly nameInput: HTMLInputElement;
  private readonly roleSelect: HTMLSelectElement;
  private readonly createButton: HTMLButtonElement;
  private readonly formError = h('div', { 'data-testid': 'new-token-error' });
  private readonly secretBox = h('div', { class: 'secret-box', 'data-testid': 'new-token-secret-box' });
  private tokens: ApiToken[] = [];
  private closed = false;

  constructor(
    private readonly ctx: ViewContext,
    _route: AppRoute,
  ) {
    this.secretBox.hidden = true;
    this.nameInput = h('input', { type: 'text', name: 'name', autocomplete: 'off', placeholder: 'e.g. grafana, ci, alice', 'aria-label': 'token name', 'data-testid': 'new-token-name' });
    this.roleSelect = h('select', { name: 'role', 'aria-label': 'role', 'data-testid': 'new-token-role' }, ...ROLES.map((r) => h('option', { value: r }, r)));
    this.roleSelect.value = 'viewer';
    this.createButton = h('button', { type: 'submit', 'data-testid': 'create-token' }, 'Create token');
    const form = h(
      'form',
      {
        class: 'toolbar new-token',
        onsubmit: (event: SubmitEvent) => {
          event.preventDefault();
          void this.create();
        },
      },
      h('label', { class: 'inline' }, 'name ', this.nameInput),
      h('label', { class: 'inline' }, 'role ', this.roleSelect),
      this.createButton,
    );
    this.body = h(
      'div',
      { class: 'admin-body' },
      h('h3', null, 'API tokens'),
      h(
        'p',
        { class: 'muted' },
        'A token signs in with its role — paste it on the sign-in page, or give it to a script. Its secret is shown once, when it is created; revoking a token ends its use.',
      ),
      form,
      this.formError,
      this.secretBox,
      this.tokensStatus,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'data tokens-table', 'data-testid': 'tokens' }, h('thead', null, h('tr', null, ...TOKEN_COLUMNS.map((c) => h('th', null, c)))), this.tokensBody),
      ),
      h('h3', null, 'Settings'),
      h('p', { class: 'muted' }, 'What the API runs with, as it reports it (secrets redacted). They are set by its environment (README "Configuration").'),
      this.settingsStatus,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'data settings-table', 'data-testid': 'settings' }, h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'value'))), this.settingsBody),
      ),
    );
    this.element = h('section', { class: 'view admin-view', 'data-testid': 'view-admin' }, h('h2', null, 'Admin'), this.status, this.body);
    void this.load();
  }

  update(_route: AppRoute): void {
    // nothing here follows the time control or view options
  }

  destroy(): void {
    this.closed = true;
  }

  private async load(): Promise<void> {
    this.body.hidden = true;
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    const [tokens, settings] = await Promise.allSettled([this.ctx.rest.apiTokens(), this.ctx.rest.settings()]);
    if (this.closed) return;
    const outcome = adminOutcome([tokens, settings]);
    this.element.dataset['state'] = outcome.kind;
    if (outcome.kind === 'forbidden') {
      // the API is the authority: whatever the tab showed, this viewer may not see this page
      fill(this.status, failureBox('cannot load the admin page', outcome.error));
      return;
    }
    fill(this.status);
    this.body.hidden = false;
    if (tokens.status === 'fulfilled') {
      this.tokens = tokens.value;
      this.drawTokens();
    } else {
      fill(this.tokensStatus, failureBox('cannot load the API tokens', tokens.reason));
    }
    if (settings.status === 'fulfilled') this.drawSettings(settings.value);
    else fill(this.settingsStatus, failureBox('cannot load the settings', settings.reason));
  }

  private async reloadTokens(): Promise<void> {
    try {
      const tokens = await this.ctx.rest.apiTokens();
      if (this.closed) return;
      this.tokens = tokens;
      fill(this.tokensStatus);
      this.drawTokens();
    } catch (error) {
      if (!this.closed) fill(this.tokensStatus, failureBox('cannot load the API tokens', error));
    }
  }

  private drawTokens(): void {
    const rows = tokenRows(this.tokens);
    this.tokensBody.replaceChildren(
      ...rows.map((r) =>
        h(
          'tr',
          { 'data-testid': 'token-row', 'data-name': r.token.name, 'data-id': r.token.id, 'data-role': r.token.role },
          h('td', null, r.token.name),
          h('td', null, h('span', { class: `badge role-${r.token.role}` }, r.token.role)),
          h('td', null, r.created),
          h('td', null, r.createdBy),
          h('td', null, r.lastUsed),
          h('td', null, this.revokeButton(r.token)),
        ),
      ),
    );
    if (rows.length === 0) this.tokensBody.append(h('tr', null, h('td', { class: 'muted', colspan: TOKEN_COLUMNS.length }, 'No API token yet.')));
  }

  private revokeButton(token: ApiToken): HTMLElement {
    const button: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-testid': `revoke-${token.name}`,
        title: `revoke ${token.name}: it no longer lets anyone in`,
        onclick: () => {
          button.disabled = true;
          this.ctx.rest.revokeApiToken(token.id).then(
            () => {
              if (this.closed) return;
              this.tokens = this.tokens.filter((t) => t.id !== token.id);
              this.drawTokens();
              void this.reloadTokens();
            },
            (error: unknown) => {
              button.disabled = false;
              if (!this.closed) fill(this.tokensStatus, failureBox(`cannot revoke ${token.name}`, error));
            },
          );
        },
      },
      'Revoke',
    );
    return button;
  }

  private async create(): Promise<void> {
    const name = this.nameInput.value.trim();
    const problem = tokenNameProblem(name, this.tokens);
    fill(this.formError, problem === null ? null : errorBox(problem));
    if (problem !== null) {
      this.nameInput.setAttribute('aria-invalid', 'true');
      this.nameInput.focus();
      return;
    }
    this.nameInput.removeAttribute('aria-invalid');
    this.createButton.disabled = true;
    try {
      const { token, secret } = await this.ctx.rest.createApiToken(name, this.roleSelect.value as Role);
      if (this.closed) return;
      this.nameInput.value = '';
      this.showSecret(token, secret);
      this.tokens = [...this.tokens.filter((t) => t.id !== token.id), token];
      this.drawTokens();
    } catch (error) {
      if (!this.closed) fill(this.formError, failureBox(`cannot create ${name}`, error));
    } finally {
      this.createButton.disabled = false;
    }
  }

  /** The secret, once: in a box to copy from, saying it will not be shown again. */
  private showSecret(token: ApiToken, secret: string): void {
    const code = h('code', { class: 'secret', 'data-testid': 'new-token-secret', 'data-name': token.name }, secret);
    const copy: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        'data-testid': 'copy-token-secret',
        onclick: () => {
          const done = (ok: boolean) => {
            copy.textContent = ok ? 'Copied' : 'Select and copy it';
          };
          // the clipboard API needs a secure context; elsewhere the text is selected for Ctrl+C
          if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(secret).then(() => done(true), () => done(false));
          else {
            getSelection()?.selectAllChildren(code);
            done(false);
          }
        },
      },
      'Copy',
    );
    fill(
      this.secretBox,
      h('div', { class: 'secret-head' }, h('strong', null, `The secret of ${token.name} (${token.role})`), copy, h('button', { type: 'button', class: 'link', onclick: () => (this.secretBox.hidden = true) }, 'Done')),
      code,
      h('p', { class: 'warn-text' }, 'Copy it now: it will not be shown again.'),
    );
    this.secretBox.hidden = false;
  }

  private drawSettings(settings: readonly AdminSetting[]): void {
    this.settingsBody.replaceChildren(
      ...settings.map((s) => h('tr', { 'data-testid': 'setting-row', 'data-name': s.name }, h('td', null, s.name), h('td', { class: 'setting-value' }, s.value))),
    );
    if (settings.length === 0) this.settingsBody.append(h('tr', null, h('td', { class: 'muted', colspan: 2 }, 'The API reports no settings.')));
  }
}
