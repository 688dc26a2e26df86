// The app shell: header (view tabs, time control, connection, who is signed in), routing by URL
// hash, and the one view that is open. Views are created per view (and per node for the node
// detail) and told about route changes in between. Built once someone is signed in (shell/session.ts),
// taken down when the session ends.
import type { Viewer } from '@netatlas/wire/core';
import type { LiveSource } from '../api/live-client.js';
import type { RestClient } from '../api/rest-client.js';
import { visibleViews } from '../auth/auth-model.js';
import type { LiveStore } from '../state/live-store.js';
import { formatHash, parseHash, VIEW_TITLES, type AppRoute, type ViewName } from '../state/route.js';
import type { TimeSelection } from '../state/time-control.js';
import { h } from '../ui/dom.js';
import { AdminView } from '../views/admin/admin-view.js';
import { AlertsView } from '../views/alerts/alerts-view.js';
import { BgpView } from '../views/bgp/bgp-view.js';
import { ChangesView } from '../views/changes/changes-view.js';
import { NodeDetailView } from '../views/node-detail/node-detail-view.js';
import { NodeListView } from '../views/node-detail/node-list-view.js';
import { TopologyView } from '../views/topology/topology-view.js';
import { TraceView } from '../views/trace/trace-view.js';
import type { View, ViewContext } from '../views/view.js';
import { alertsBadge } from './alerts-badge.js';
import { connectionIndicator } from './connection-indicator.js';
import { kubernetesStatus } from './kubernetes-status.js';
import { TimeControlView } from './time-control-view.js';
import { viewerBadge } from './viewer-badge.js';

export interface AppAuth {
  viewer: Viewer;
  /** the API can end this session (POST /api/auth/logout) */
  canLogout: boolean;
  signOut(): Promise<void>;
}

export class App {
  private route: AppRoute;
  private view: View | null = null;
  private viewKey = '';
  private readonly main = h('main', { class: 'content' });
  private readonly tabs = new Map<ViewName, HTMLAnchorElement>();
  private readonly time: TimeControlView;
  private readonly ctx: ViewContext;
  private readonly cleanup: (() => void)[] = [];
  private readonly onHashChange = () => this.apply(parseHash(location.hash));

  constructor(
    root: HTMLElement,
    rest: RestClient,
    private readonly live: LiveSource,
    store: LiveStore,
    auth: AppAuth,
  ) {
    this.route = parseHash(location.hash);
    this.ctx = { rest, store, viewer: auth.viewer, route: () => this.route, navigate: (r, replace) => this.navigate(r, replace) };
    const nav = h('nav', { class: 'tabs', 'aria-label': 'views' });
    for (const v of visibleViews(auth.viewer)) {
      const a = h('a', { href: `#/${v}`, 'data-testid': `tab-${v}` }, VIEW_TITLES[v]);
      if (v === 'alerts') {
        // the firing alerts now, whatever the view and the time control show
        const badge = alertsBadge();
        const show = () => badge.update(store.alerts.counts());
        show();
        this.cleanup.push(store.on('alerts', show));
        a.append(badge.element);
      }
      this.tabs.set(v, a);
      nav.append(a);
    }
    this.time = new TimeControlView(this.route, (t) => this.setTime(t));
    const conn = connectionIndicator();
    conn.update(live.state);
    // the Kubernetes source, shown only when it is configured and not in sync
    const kube = kubernetesStatus(rest);
    this.cleanup.push(kube.stop);
    this.cleanup.push(
      live.onState((s) => {
        if (s.status === 'live' && conn.element.dataset['state'] !== 'live') kube.refresh();
        conn.update(s);
        kube.render();
      }),
    );
    root.replaceChildren(
      h(
        'header',
        { class: 'app-header' },
        h('a', { class: 'brand', href: '#/topology' }, 'netatlas'),
        nav,
        this.time.element,
        h('span', { class: 'spacer' }),
        kube.element,
        conn.element,
        viewerBadge(auth.viewer, auth.canLogout, auth.signOut),
      ),
      this.main,
    );
    window.addEventListener('hashchange', this.onHashChange);
    this.apply(this.route);
  }

  /** The session ended: close the view and stop listening (the caller replaces the page). */
  destroy(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    for (const c of this.cleanup.splice(0)) c();
    this.view?.destroy();
    this.view = null;
    this.viewKey = '';
  }

  /** Goes to a route: a new history entry, or (`replace`) an edit of the current one. */
  navigate(route: AppRoute, replace = false): void {
    const hash = formatHash(route);
    if (replace) {
      history.replaceState(null, '', hash);
      this.apply(route);
    } else if (location.hash !== hash) {
      location.hash = hash; // hashchange applies it
    } else {
      this.apply(route);
    }
  }

  private setTime(time: TimeSelection): void {
    this.navigate({ ...this.route, time });
  }

  private apply(route: AppRoute): void {
    this.route = route;
    const canonical = formatHash(route);
    if (location.hash !== canonical && location.hash !== '' && decodeURIComponent(location.hash) !== decodeURIComponent(canonical)) history.replaceState(null, '', canonical);
    for (const [v, a] of this.tabs) {
      // tabs keep the time selection: switching views keeps looking at the same moment
      a.href = formatHash({ view: v, node: null, time: route.time, params: new Map() });
      if (v === route.view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    this.time.update(route);
    const key = `${route.view}/${route.node ?? ''}`;
    if (key === this.viewKey && this.view) {
      this.view.update(route);
      return;
    }
    this.view?.destroy();
    this.viewKey = key;
    this.view = this.createView(route);
    this.main.replaceChildren(this.view.element);
    document.title = `${route.node ?? VIEW_TITLES[route.view]} · netatlas`;
  }

  private createView(route: AppRoute): View {
    switch (route.view) {
      case 'topology':
        return new TopologyView(this.ctx, route);
      case 'nodes':
        return route.node !== null ? new NodeDetailView(this.ctx, route, route.node) : new NodeListView(this.ctx, route);
      case 'bgp':
        return new BgpView(this.ctx, route);
      case 'trace':
        return new TraceView(this.ctx, route);
      case 'changes':
        return new ChangesView(this.ctx, route);
      case 'alerts':
        return new AlertsView(this.ctx, route);
      case 'admin':
        return new AdminView(this.ctx, route);
    }
  }
}
