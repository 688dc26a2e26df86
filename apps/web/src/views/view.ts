// What every view is to the shell: an element, told when the route changes, closed when left.
import type { Viewer } from '@netatlas/wire/core';
import type { RestClient } from '../api/rest-client.js';
import type { LiveStore } from '../state/live-store.js';
import type { AppRoute } from '../state/route.js';

export interface View {
  readonly element: HTMLElement;
  /** the route changed (time or view options) while the view stays open */
  update(route: AppRoute): void;
  destroy(): void;
}

export interface ViewContext {
  rest: RestClient;
  store: LiveStore;
  /** who is looking: views offer what the role may do (`roleAtLeast(viewer.role, 'operator')`); the API decides */
  viewer: Viewer;
  /** the current route */
  route(): AppRoute;
  /** go to a route; `replace` edits the current history entry (view options, not navigation) */
  navigate(route: AppRoute, replace?: boolean): void;
}
