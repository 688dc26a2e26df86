// Who is looking decides what the page is: GET /api/auth/me first, then either the sign-in screen
// or the app (its live connection, store and shell, built for that viewer). The session can end
// under the app — any REST answer 401, or the live connection refused — and then the app is taken
// down and the sign-in screen comes back; signing out does the same on purpose (or goes to the
// provider's end-session page). An API that cannot be reached at start is retried, with the
// reason on screen.
import type { AuthMe } from '@netatlas/wire/core';
import { LiveClient } from '../api/live-client.js';
import { describeFailure, RestClient } from '../api/rest-client.js';
import { afterLogout, authScreen } from '../auth/auth-model.js';
import { signInView } from '../auth/sign-in-view.js';
import { LiveStore } from '../state/live-store.js';
import { h } from '../ui/dom.js';
import { App } from './app.js';

const RETRY_MS = [1000, 2000, 5000, 10_000];

export class Session {
  readonly rest: RestClient;
  private app: { app: App; live: LiveClient; store: LiveStore } | null = null;
  /** the app was built once in this page: signing in again reloads it rather than building a second one over the leftovers */
  private started = false;
  /** the sign-in screen is up (more 401s from requests still on their way change nothing) */
  private signingIn = false;
  private lastMe: AuthMe | null = null;
  private retries = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly apiUrl: string,
  ) {
    this.rest = new RestClient({ baseUrl: apiUrl, onUnauthorized: () => this.ended() });
  }

  /** Asks who this is and shows the app or the sign-in screen. */
  async start(): Promise<void> {
    let me: AuthMe;
    try {
      me = await this.rest.me();
    } catch (error) {
      // nothing else can be shown before the API says who this is
      const wait = RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)]!;
      this.root.replaceChildren(
        h(
          'div',
          { class: 'sign-in-page' },
          h('section', { class: 'sign-in', 'data-testid': 'api-unreachable' }, h('h1', { class: 'brand' }, 'netatlas'), h('p', { class: 'error', role: 'alert' }, `cannot reach the API: ${describeFailure(error).text}`), h('p', { class: 'muted' }, 'retrying…')),
        ),
      );
      setTimeout(() => void this.start(), wait);
      return;
    }
    this.retries = 0;
    this.lastMe = me;
    const screen = authScreen(me, location.hash, (hash) => this.rest.loginUrl(hash));
    if (screen.kind === 'sign-in') {
      this.showSignIn(screen, false);
      return;
    }
    this.signingIn = false;
    this.started = true;
    const live = new LiveClient({ url: this.apiUrl, subscription: { topology: true } });
    const store = new LiveStore(this.rest, live);
    live.onRefused(() => this.ended());
    const app = new App(this.root, this.rest, live, store, { viewer: screen.viewer, canLogout: screen.canLogout, signOut: () => this.signOut() });
    this.app = { app, live, store };
    live.start();
  }

  /** The session is gone (a 401, a refused live connection): take the app down and ask to sign in. */
  private ended(): void {
    if (this.signingIn || !this.app) return;
    this.stopApp();
    void this.signInAgain(true);
  }

  private async signOut(): Promise<void> {
    const res = await this.rest.logout();
    const next = afterLogout(res);
    if (next.kind === 'redirect') {
      location.href = next.url;
      return;
    }
    this.stopApp();
    await this.signInAgain(false);
  }

  private stopApp(): void {
    this.signingIn = true;
    if (!this.app) return;
    this.app.live.stop();
    this.app.store.close();
    this.app.app.destroy();
    this.app = null;
  }

  /** The sign-in screen with the ways in as the API says now (as it said at start if it cannot be asked). */
  private async signInAgain(expired: boolean): Promise<void> {
    let me = this.lastMe;
    try {
      me = await this.rest.me();
    } catch {
      // keep the ways in known from the start
    }
    if (!me) return void this.start();
    // the sign-in screen whatever `viewer` says now: the API just refused this page's session
    const screen = authScreen({ ...me, viewer: null }, location.hash, (hash) => this.rest.loginUrl(hash));
    if (screen.kind === 'sign-in') this.showSignIn(screen, expired);
  }

  private showSignIn(screen: Extract<ReturnType<typeof authScreen>, { kind: 'sign-in' }>, expired: boolean): void {
    this.signingIn = true;
    document.title = 'Sign in · netatlas';
    this.root.replaceChildren(
      signInView({
        screen,
        rest: this.rest,
        expired,
        onSignedIn: () => {
          // a page that had the app keeps its leftovers (store, timers): start it afresh
          if (this.started) location.reload();
          else void this.start();
        },
      }),
    );
  }
}
