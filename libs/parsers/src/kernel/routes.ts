// `ip -json -4 route show table all` / `ip -json -6 route show table all` → route facts.
//
// iproute2 leaves out what is at its default, so absent fields are filled in with the kernel's
// defaults: table main, type unicast, protocol boot, scope global, metric 0, tos 0. Volatile fields
// (expires, cache, used) and ones the model does not hold (pref, metrics, encap, nhid) are dropped.
import { makeFact, type FactOf, type Nexthop, type RouteValue } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';

export type RouteFamily = 'inet' | 'inet6';

export function routesSource(family: RouteFamily): string {
  return `ip -json ${family === 'inet' ? '-4' : '-6'} route show table all`;
}

/** /etc/iproute2/rt_dsfield: the names iproute2 prints for these TOS/DS field values. */
const DSFIELD_NAMES: Readonly<Record<string, number>> = {
  default: 0x00,
  AF11: 0x28, AF12: 0x30, AF13: 0x38,
  AF21: 0x48, AF22: 0x50, AF23: 0x58,
  AF31: 0x68, AF32: 0x70, AF33: 0x78,
  AF41: 0x88, AF42: 0x90, AF43: 0x98,
  CS1: 0x20, CS2: 0x40, CS3: 0x60, CS4: 0x80, CS5: 0xa0, CS6: 0xc0, CS7: 0xe0,
  EF: 0xb8,
};

/** tos is printed as a number, as hex (`0x10`), as decimal text, or by its rt_dsfield name (`AF11`). */
function tosOf(e: Entry): number {
  const v = e.obj['tos'];
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  if (typeof v === 'string') {
    const named = DSFIELD_NAMES[v];
    if (named !== undefined) return named;
    if (/^0x[0-9a-f]{1,2}$/i.test(v)) return parseInt(v.slice(2), 16);
    if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return Number(v);
  }
  return e.fail(`field "tos" is not a TOS value: ${JSON.stringify(v)}`);
}

/** Table and protocol: names as printed, numbers (printed or not) as text. */
function nameOrNumber(e: Entry, key: string, absent: string): string {
  const v = e.obj[key];
  if (v === undefined) return absent;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return e.fail(`field "${key}" should be a name or a number but is ${JSON.stringify(v)}`);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function isFamily(address: string, family: RouteFamily): boolean {
  return family === 'inet' ? IPV4.test(address) : address.includes(':');
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
