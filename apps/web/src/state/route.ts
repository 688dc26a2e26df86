// Routing by URL hash: `#/<view>[/<node>]?<time>&<view options>`. The time selection's parameters
// (`at`, `from`, `to`) come first so links read well: `#/topology?at=2026-11-23T14:00:00Z&q=node2`.
import { LIVE, timeFromParams, timeToParams, type TimeSelection } from './time-control.js';

/** `admin` is for admins: its tab is shown to them only, its route opens for all (the API refuses the others) */
export const VIEWS = ['topology', 'nodes', 'bgp', 'trace', 'changes', 'alerts', 'admin'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_TITLES: Record<ViewName, string> = {
  topology: 'Topology',
  nodes: 'Nodes',
  bgp: 'BGP',
  trace: 'Trace',
  changes: 'Changes',
  alerts: 'Alerts',
  admin: 'Admin',
};

export interface AppRoute {
  view: ViewName;
  /** nodes view: the node whose detail is open */
  node: string | null;
  time: TimeSelection;
  /** view options (search, table mode, selection, …), without the time parameters */
  params: ReadonlyMap<string, string>;
}

const TIME_KEYS = new Set(['at', 'from', 'to']);

export const DEFAULT_ROUTE: AppRoute = { view: 'topology', node: null, time: LIVE, params: new Map() };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `:` and `,` stay readable in links (ISO times, lists); everything else is percent-encoded. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

/** The query part of a hash. `+` is kept as `+` (a time zone offset), unlike URLSearchParams. */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

export function parseHash(hash: string): AppRoute {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const query = parseQuery(q < 0 ? '' : raw.slice(q + 1));
  const [first = '', ...rest] = path.split('/');
  const view: ViewName = (VIEWS as readonly string[]).includes(first) ? (first as ViewName) : 'topology';
  const node = view === 'nodes' && rest.length > 0 && rest[0] !== '' ? decode(rest.join('/')) : null;
  const params = new Map([...query].filter(([k]) => !TIME_KEYS.has(k)));
  return { view, node, time: timeFromParams(query), params };
}

export function formatHash(route: AppRoute): string {
  let path = `#/${route.view}`;
  if (route.view === 'nodes' && route.node !== null) path += `/${encode(route.node)}`;
  const pairs = [...timeToParams(route.time), ...[...route.params].filter(([k, v]) => !TIME_KEYS.has(k) && v !== '').sort(([a], [b]) => (a < b ? -1 : 1))];
  return pairs.length === 0 ? path : `${path}?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
}

/** The route with some view options set (a null or empty value removes one). */
export function withParams(route: AppRoute, updates: Readonly<Record<string, string | null>>): AppRoute {
  const params = new Map(route.params);
  for (const [k, v] of Object.entries(updates)) {
    if (v === null || v === '') params.delete(k);
    else params.set(k, v);
  }
  return { ...route, params };
}
