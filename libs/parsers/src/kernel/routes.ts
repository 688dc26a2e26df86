// `ip -json -4 route show table all` / `ip -json -6 route show table all` → route facts.
//
// iproute2 leaves out what is at its default, so absent fields are filled in with the kernel's
// defaults: table main, type unicast, protocol boot, scope global, metric 0, tos 0. Volatile fields
// (expires, cache, used) and ones the model does not hold (pref, metrics, encap, nhid) are dropped.
import { makeFact, type FactOf, type Nexthop, type RouteValue } from '@netatlas/wire/core';
import { isFamily, nameOrNumber, tosOf, type Family } from './iproute-values.js';
import { readEntries, type Entry } from './entry.js';

export type RouteFamily = Family;

export function routesSource(family: RouteFamily): string {
  return `ip -json ${family === 'inet' ? '-4' : '-6'} route show table all`;
}

/** `default` stays; a bare address is a host route and gets /32 or /128. */
function dstOf(e: Entry, family: RouteFamily): string {
  const dst = e.str('dst');
  if (dst === 'default') return dst;
  const [address = '', len, ...rest] = dst.split('/');
  const max = family === 'inet' ? 32 : 128;
  const lenOk = len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= max);
  if (!isFamily(address, family) || !lenOk || rest.length > 0) e.fail(`field "dst" is not an ${family} prefix`);
  return len === undefined ? `${address}/${max}` : dst;
}

/** The next hop: `gateway`, or `via` when it is of another family (`via inet6 fe80::1`). */
function gatewayOf(e: Entry): string | null {
  const gateway = e.optStr('gateway');
  if (gateway !== null) return gateway;
  return e.optObj('via')?.str('host') ?? null;
}

function nexthopOf(n: Entry): Nexthop {
  return {
    gateway: gatewayOf(n),
    dev: n.optStr('dev'),
    weight: n.optInt('weight'),
    flags: n.strArray('flags', []),
  };
}

function routeOf(e: Entry, family: RouteFamily): RouteValue {
  return {
    table: nameOrNumber(e, 'table', 'main'),
    family,
    dst: dstOf(e, family),
    type: e.optStr('type') ?? 'unicast',
    protocol: nameOrNumber(e, 'protocol', 'boot'),
    scope: e.optStr('scope') ?? 'global',
    gateway: gatewayOf(e),
    dev: e.optStr('dev'),
    prefsrc: e.optStr('prefsrc'),
    metric: e.optInt('metric') ?? 0,
    tos: tosOf(e),
    flags: e.strArray('flags', []),
    nexthops: e.objArray('nexthops', []).map(nexthopOf),
  };
}

/** Parses `ip -json -4|-6 route show table all`. Throws ParseError when the text is not that. */
export function parseRoutes(text: string, family: RouteFamily): FactOf<'route'>[] {
  if (family !== 'inet' && family !== 'inet6') {
    throw new TypeError(`parseRoutes: family must be 'inet' or 'inet6', got ${String(family)}`);
  }
  return readEntries(routesSource(family), text).map((e) => makeFact('route', routeOf(e, family)));
}
