// `ip monitor label route neigh` (iproute2 6.1, plain text) → one route or neigh fact per event.
//
// The text is turned into an object shaped like one entry of `ip -json route show` /
// `ip -json neigh show` (same field names, same strings) and handed to parseRoutes / parseNeighbors,
// so an event's fact is the fact a table re-read gives for the same object, key and value.
// Anything this does not know exactly (a keyword it has not seen iproute2 print, an attribute the
// JSON parsers keep but the text leaves ambiguous, a family it cannot tell) makes it return null:
// the caller then re-reads the table, which is always right.
//
// What iproute2 6.1 prints, for reference (ip/iproute.c print_route, ip/ipneigh.c print_neigh):
//   [ROUTE][Deleted ][TYPE ]DST [tos T ][via [FAMILY ]GW ][dev D ][table T ][proto P ][scope S ]
//          [src A ][metric M ][FLAGS…][METRICS…][pref P][expires Nsec ]
//   \tnexthop [via [FAMILY ]GW ]dev D weight W [FLAGS…]     (one line per next hop, multipath)
//   [NEIGH][Deleted |miss ]DST dev D [lladdr L][ router][ proxy][ extern_learn ][ offload][ managed][ STATE…][ proto P ]
// with iproute2's defaults left out: type unicast, table main, proto boot, scope global, metric 0
// (IPv4; IPv6 always prints its metric and `pref`), no state for NUD_NONE.
import type { FactOf } from '@netatlas/wire/core';
import { parseNeighbors } from './neighbors.js';
import { parseRoutes, type RouteFamily } from './routes.js';

export type MonitorEvent =
  | { op: 'upsert' | 'delete'; fact: FactOf<'route'> }
  | { op: 'upsert' | 'delete'; fact: FactOf<'neigh'> };

type Obj = Record<string, unknown>;

/** rtnl_rtntype_n2a: the route types iproute2 prints by name before the destination. */
const ROUTE_TYPES = new Set([
  'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve',
]);

/** print_rt_flags: route and next-hop flags, printed as bare words (JSON: the `flags` array, same words). */
const ROUTE_FLAGS = new Set([
  'dead', 'onlink', 'pervasive', 'offload', 'notify', 'linkdown', 'unresolved', 'rt_offload', 'rt_trap', 'rt_offload_failed',
]);

/**
 * print_rta_metrics: `NAME [lock] VALUE` (JSON: a `metrics` list, which parseRoutes drops). `features`
 * is left out on purpose: its value can take more than one word.
 */
const ROUTE_METRICS = new Set([
  'mtu', 'window', 'rtt', 'rttvar', 'ssthresh', 'cwnd', 'advmss', 'reordering', 'hoplimit', 'initcwnd',
  'rto_min', 'initrwnd', 'quickack', 'congctl', 'fastopen_no_cookie',
]);

/** Route attributes printed as `KEYWORD VALUE`, by their JSON field name. */
const ROUTE_VALUES: Readonly<Record<string, string>> = {
  tos: 'tos',
  dev: 'dev',
  table: 'table',
  proto: 'protocol',
  scope: 'scope',
  src: 'prefsrc',
};

/** print_neigh: ndm_flags printed as words (`proxy` is not among them: see parseNeigh). */
const NEIGH_FLAGS = new Set(['router', 'extern_learn', 'offload', 'managed']);

/** print_neigh_state, in the order it prints them (JSON: the `state` array, same words). */
const NEIGH_STATES = new Set(['INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'NOARP', 'PERMANENT']);

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** loose, as the JSON parsers are, but at least two colons: `::` is the shortest IPv6 address */
const IPV6 = /^[0-9a-f.]*(:[0-9a-f.]*){2,8}$/i;

function familyOf(address: string): RouteFamily | null {
  return IPV4.test(address) ? 'inet' : IPV6.test(address) ? 'inet6' : null;
}

/** `default`, an address, or a prefix: its family; null for anything else (`0/8`, a name, an MPLS label). */
function prefixFamily(dst: string): RouteFamily | null {
  const [address = '', len, ...rest] = dst.split('/');
  if (rest.length > 0 || (len !== undefined && !/^\d{1,3}$/.test(len))) return null;
  return familyOf(address);
}

class Unparseable extends Error {}

function fail(): never {
  throw new Unparseable();
}

/** Words of one line, read left to right. */
class Words {
  private i = 0;
  constructor(private readonly words: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.words.length;
  }

  peek(): string | undefined {
    return this.words[this.i];
  }

  next(): string {
    const w = this.words[this.i++];
    return w === undefined ? fail() : w;
  }
}

function words(text: string): Words {
  return new Words(text.split(/\s+/).filter((w) => w !== ''));
}

/** Sets a field once: a keyword printed twice is not something iproute2 does, so not something to guess about. */
function setOnce(obj: Obj, key: string, value: unknown): void {
  if (key in obj) fail();
  obj[key] = value;
}

/** `via GW` (RTA_GATEWAY, the route's own family) or `via FAMILY GW` (RTA_VIA: JSON `via: {family, host}`). */
function readVia(w: Words, obj: Obj, families: RouteFamily[]): void {
  const first = w.next();
  if (first === 'inet' || first === 'inet6') {
    const host = w.next();
    if (familyOf(host) !== first) fail();
    setOnce(obj, 'via', { family: first, host });
    // the kernel emits RTA_VIA only for an IPv4 route through an IPv6 next hop (RFC 5549)
    if (first !== 'inet6') fail();
    families.push('inet');
    return;
  }
  const family = familyOf(first);
  if (family === null) fail();
  setOnce(obj, 'gateway', first);
  families.push(family);
}

function readNexthop(line: string, families: RouteFamily[]): Obj {
  const w = words(line);
  if (w.next() !== 'nexthop') fail();
  const nh: Obj = {};
  const flags: string[] = [];
  while (!w.done) {
    const word = w.next();
    if (word === 'via') readVia(w, nh, families);
    else if (word === 'dev') setOnce(nh, 'dev', w.next());
    else if (word === 'weight') {
      const weight = w.next();
      // rtnh_hops + 1: 1 to 256
      if (!/^\d{1,3}$/.test(weight) || Number(weight) < 1 || Number(weight) > 256) fail();
      setOnce(nh, 'weight', Number(weight));
    } else if (ROUTE_FLAGS.has(word) && !flags.includes(word)) flags.push(word);
    else fail();
  }
  nh['flags'] = flags;
  return nh;
}

function parseRoute(op: MonitorEvent['op'], w: Words, continuation: readonly string[]): MonitorEvent {
  const obj: Obj = {};
  const families: RouteFamily[] = [];
  const first = w.next();
  if (ROUTE_TYPES.has(first)) obj['type'] = first;
  const dst = ROUTE_TYPES.has(first) ? w.next() : first;
  if (dst !== 'default') {
    const family = prefixFamily(dst);
    if (family === null) fail();
    families.push(family);
  }
  obj['dst'] = dst;
  const flags: string[] = [];
  /** what parseRoutes drops (the JSON `metrics`, `pref`, `expires`): checked, read once, not kept */
  const dropped: Obj = {};
  while (!w.done) {
    const word = w.next();
    const field = ROUTE_VALUES[word];
    if (field !== undefined) {
      const value = w.next();
      setOnce(obj, field, value);
      if (field === 'prefsrc') {
        const family = familyOf(value);
        if (family === null) fail();
        families.push(family);
      }
    } else if (word === 'via') {
      readVia(w, obj, families);
    } else if (word === 'metric') {
      const metric = w.next();
      if (!/^\d{1,10}$/.test(metric) || Number(metric) > 0xffffffff) fail();
      setOnce(obj, 'metric', Number(metric));
    } else if (ROUTE_FLAGS.has(word) && !flags.includes(word)) {
      flags.push(word);
    } else if (ROUTE_METRICS.has(word)) {
      setOnce(dropped, word, true);
      if (w.next() === 'lock') w.next();
    } else if (word === 'pref') {
      // RTA_PREF: only IPv6 routes carry it (rt6_fill_node always does)
      if (!['low', 'medium', 'high'].includes(w.next())) fail();
      setOnce(dropped, word, true);
      families.push('inet6');
    } else if (word === 'expires') {
      // a lifetime (IPv6 routes from router advertisements, `expires N`)
      if (!/^\d+sec$/.test(w.next())) fail();
      setOnce(dropped, word, true);
    } else {
      // nhid, from, encap, as to, realms, mark, uid, iif, cache, error, ttl-propagate, features, …
      fail();
    }
  }
  obj['flags'] = flags;
  if (continuation.length > 0) obj['nexthops'] = continuation.map((line) => readNexthop(line, families));

  const family = families[0];
  if (family === undefined || families.some((f) => f !== family)) fail();
  // An IPv6 multipath route is announced with the next hop that changed first (`ip -6 route append`
  // puts the new one ahead of the others) while a dump lists them in the kernel's order: the event
  // cannot give the re-read's nexthops. (A deletion removes by key, which the order does not change.)
  if (family === 'inet6' && continuation.length > 0 && op === 'upsert') fail();
  const fact = parseRoutes(JSON.stringify([obj]), family)[0];
  return fact === undefined ? fail() : { op, fact };
}

function parseNeigh(op: MonitorEvent['op'], w: Words, continuation: readonly string[]): MonitorEvent {
  if (continuation.length > 0) fail();
  const dst = w.next();
  // a bridge fdb entry (family AF_BRIDGE) without a remote starts with `dev`: not a neighbor
  if (familyOf(dst) === null) fail();
  const obj: Obj = { dst };
  const state: string[] = [];
  while (!w.done) {
    const word = w.next();
    if (word === 'dev' || word === 'lladdr') setOnce(obj, word, w.next());
    else if (word === 'proto') setOnce(obj, 'protocol', w.next());
    // flags, printed as words (JSON: `"router": null`); parseNeighbors keeps router and ignores the others
    else if (NEIGH_FLAGS.has(word)) setOnce(obj, word, null);
    else if (NEIGH_STATES.has(word) && !state.includes(word)) state.push(word);
    // proxy entries belong to `ip neigh show proxy` (and have no state machine); stats (`used`, `probes`); unknown bits (hex)
    else fail();
  }
  if (state.length > 0) obj['state'] = state;
  const fact = parseNeighbors(JSON.stringify([obj]), { proxy: false })[0];
  return fact === undefined ? fail() : { op, fact };
}

function parse(lines: readonly string[]): MonitorEvent {
  const [head, ...more] = lines;
  if (typeof head !== 'string') fail();
  const label = /^\[(ROUTE|NEIGH)\](.*)$/.exec(head.trimEnd());
  if (label === null) fail();
  const continuation: string[] = [];
  for (const line of more) {
    if (typeof line !== 'string') fail();
    if (line.trim() === '') continue;
    // continuation lines are indented; anything else is the next event
    if (!/^\s/.test(line)) fail();
    continuation.push(line.trim());
  }
  const w = words(label[2] ?? '');
  let op: MonitorEvent['op'] = 'upsert';
  if (w.peek() === 'Deleted') {
    w.next();
    op = 'delete';
  }
  return label[1] === 'ROUTE' ? parseRoute(op, w, continuation) : parseNeigh(op, w, continuation);
}

/**
 * One event of `ip monitor label route neigh` (iproute2 6.1): its labelled first line
 * (`[ROUTE]…` or `[NEIGH]…`, `Deleted ` after the label for deletions) and any continuation lines
 * that follow it (multipath `nexthop` lines start with whitespace). Returns null when the event
 * cannot be turned into exactly the fact the JSON parser would produce (an unknown keyword, an
 * ambiguous family, a proxy entry, …): the caller then re-reads the table. Never throws.
 *
 * Family: from the destination, else a gateway, `src`, or `pref` (which only IPv6 routes carry); a
 * `default` route with none of them (IPv4 `blackhole default`, `default dev eth0`) returns null.
 *
 * Beware: without `-4`/`-6`, `ip monitor neigh` also prints bridge fdb entries as [NEIGH] lines.
 * Those without a remote (`dev br0 lladdr … PERMANENT`) return null, but a vxlan entry with a remote
 * VTEP (`10.31.0.2 dev vx0 lladdr 00:00:00:00:00:00 NOARP PERMANENT`) reads exactly like a
 * neighbor and cannot be told apart here: take neighbor events from `ip -4 monitor` / `ip -6 monitor`.
 */
export function parseMonitorEvent(lines: readonly string[]): MonitorEvent | null {
  try {
    if (!Array.isArray(lines)) return null;
    return parse(lines);
  } catch {
    return null;
  }
}
