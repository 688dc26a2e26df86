// `ip -details -json -4 rule show` / `ip -details -json -6 rule show` → rule facts.
//
// iproute2 prints a selector only when the rule has it, and a flag (`not`, `l3mdev`, `nop`,
// `iif_detached`, `unresolved`) as a key with a null value. `-details` makes it print the protocol
// always: without it `kernel` (the default rules) and `unspec` (`ip rule add`) both print nothing,
// and the kernel keeps two rules that differ only in that apart. Anything printed that the model
// has no field for (newer selectors such as dscp or flowlabel, the deprecated nat) is kept as
// printed in `other`, so that a rule never reads as matching more than it does.
import { makeFact, type FactOf, type RuleAction, type RuleRange, type RuleValue } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';
import { isFamily, nameOrNumber, tosOf, type Family } from './iproute-values.js';

export function rulesSource(family: Family): string {
  return `ip -details -json ${family === 'inet' ? '-4' : '-6'} rule show`;
}

/** What iproute2 6.1 prints for a rule, and the parser reads into the model's fields. */
const KNOWN = new Set([
  'priority', 'not', 'src', 'srclen', 'dst', 'dstlen', 'tos', 'fwmark', 'fwmask', 'iif', 'iif_detached',
  'oif', 'oif_detached', 'l3mdev', 'uid_start', 'uid_end', 'ipproto', 'sport', 'sport_start', 'sport_end',
  'dport', 'dport_start', 'dport_end', 'tun_id', 'flow_from', 'flow_to', 'table', 'goto', 'unresolved',
  'nop', 'action', 'suppress_prefixlen', 'suppress_ifgroup', 'protocol',
]);

const VERDICTS: readonly RuleAction[] = ['blackhole', 'unreachable', 'prohibit'];

/** A flag: present (iproute2 prints it as null) or absent. */
function flag(e: Entry, key: string): boolean {
  if (!e.has(key)) return false;
  const v = e.obj[key];
  if (v !== null && v !== true) e.fail(`field "${key}" is a flag (null) but is ${JSON.stringify(v)}`);
  return true;
}

/** `src`/`dst` with `srclen`/`dstlen` → a prefix with its length; `all` or absent → null. */
function prefixOf(e: Entry, key: 'src' | 'dst', family: Family): string | null {
  const address = e.optStr(key);
  if (address === null || address === 'all') return null;
  const max = family === 'inet' ? 32 : 128;
  // a host-length prefix is printed without its length
  const len = e.optInt(`${key}len`) ?? max;
  if (!isFamily(address, family) || len < 0 || len > max) e.fail(`field "${key}" is not an ${family} prefix`);
  return `${address}/${len}`;
}

/** fwmark and fwmask are printed as hex text (`0x10`, or `0` for zero); no mask means all bits. */
function markOf(e: Entry, key: string): number | null {
  const v = e.obj[key];
  if (v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(v)) {
    const n = Number(v);
    if (n <= 0xffffffff) return n;
  }
  return e.fail(`field "${key}" is not a 32-bit mark: ${JSON.stringify(v)}`);
}

/** `sport 80` prints as `sport`, `sport 80-90` as `sport_start` and `sport_end`; `uidrange` always as both. */
function rangeOf(e: Entry, key: string, printsSingle: boolean): RuleRange | null {
  const single = printsSingle ? e.optInt(key) : null;
  if (single !== null) return { start: single, end: single };
  const start = e.optInt(`${key}_start`);
  const end = e.optInt(`${key}_end`);
  if (start === null && end === null) return null;
  if (start === null || end === null) e.fail(`field "${key}_start" or "${key}_end" is missing`);
  return { start, end };
}

/** A name from /etc/protocols, or `ipproto-N` for a number it has no name for → `N`. */
function ipprotoOf(e: Entry): string | null {
  const v = e.obj['ipproto'];
  if (v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && v !== '') return /^ipproto-\d+$/.test(v) ? v.slice('ipproto-'.length) : v;
  return e.fail(`field "ipproto" should be a protocol name or number but is ${JSON.stringify(v)}`);
}

/** IPv4 realms: `flow_from` only when it is not 0. */
function realmsOf(e: Entry): string | null {
  const to = e.has('flow_to') ? nameOrNumber(e, 'flow_to', '') : null;
  const from = e.has('flow_from') ? nameOrNumber(e, 'flow_from', '') : null;
  if (to === null) {
    if (from !== null) e.fail('field "flow_from" without "flow_to"');
    return null;
  }
  return from === null ? to : `${from}/${to}`;
}

function actionOf(e: Entry): Pick<RuleValue, 'l3mdev' | 'action' | 'table' | 'goto' | 'unresolved'> {
  const l3mdev = flag(e, 'l3mdev');
  const to = (action: RuleAction, rest: Partial<Pick<RuleValue, 'table' | 'goto' | 'unresolved'>> = {}) =>
    ({ l3mdev, action, table: null, goto: null, unresolved: false, ...rest });
  if (e.has('goto')) return to('goto', { goto: e.int('goto'), unresolved: flag(e, 'unresolved') });
  if (flag(e, 'nop')) return to('nop');
  const verdict = e.optStr('action');
  if (verdict !== null) {
    if (!(VERDICTS as readonly string[]).includes(verdict)) e.fail(`unknown rule action ${JSON.stringify(verdict)}`);
    return to(verdict as RuleAction);
  }
  if (e.has('table')) return to('lookup', { table: nameOrNumber(e, 'table', '') });
  // `lookup [l3mdev-table]`: the table of the packet's VRF device
  if (l3mdev) return to('lookup');
  return e.fail('no action: neither "table", "goto", "nop", "action" nor "l3mdev"');
}

/** What the model has no field for, as printed (nested values as JSON text). */
function otherOf(e: Entry): RuleValue['other'] {
  const other: RuleValue['other'] = {};
  for (const [k, v] of Object.entries(e.obj)) {
    if (KNOWN.has(k)) continue;
    other[k] = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
  }
  return other;
}

function ruleOf(e: Entry, family: Family): RuleValue {
  if (!e.has('protocol')) e.fail('missing field "protocol" (printed always with -details, which this reader needs)');
  return {
    family,
    priority: e.int('priority'),
    not: flag(e, 'not'),
    src: prefixOf(e, 'src', family),
    dst: prefixOf(e, 'dst', family),
    tos: tosOf(e),
    fwmark: markOf(e, 'fwmark'),
    fwmask: e.has('fwmark') || e.has('fwmask') ? (markOf(e, 'fwmask') ?? 0xffffffff) : null,
    iif: e.optStr('iif'),
    iifDetached: flag(e, 'iif_detached'),
    oif: e.optStr('oif'),
    oifDetached: flag(e, 'oif_detached'),
    uidRange: rangeOf(e, 'uid', false),
    ipproto: ipprotoOf(e),
    sport: rangeOf(e, 'sport', true),
    dport: rangeOf(e, 'dport', true),
    tunId: e.optInt('tun_id'),
    realms: realmsOf(e),
    ...actionOf(e),
    suppressPrefixLength: e.optInt('suppress_prefixlen'),
    suppressIfGroup: e.has('suppress_ifgroup') ? nameOrNumber(e, 'suppress_ifgroup', '') : null,
    protocol: nameOrNumber(e, 'protocol', ''),
    other: otherOf(e),
  };
}

/** Parses `ip -details -json -4|-6 rule show`. Throws ParseError when the text is not that. */
export function parseRules(text: string, family: Family): FactOf<'rule'>[] {
  if (family !== 'inet' && family !== 'inet6') {
    throw new TypeError(`parseRules: family must be 'inet' or 'inet6', got ${String(family)}`);
  }
  return readEntries(rulesSource(family), text).map((e) => makeFact('rule', ruleOf(e, family)));
}
