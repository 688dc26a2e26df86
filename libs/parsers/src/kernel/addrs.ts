// `ip -json addr show` → addr facts.
import { makeFact, type AddrValue, type FactOf } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';

export const ADDRS_SOURCE = 'ip -json addr show';

function addrOf(ifname: string, a: Entry): AddrValue | null {
  const family = a.str('family');
  // Only IP addresses are modelled; iproute2 has no other family in `addr_info` today.
  if (family !== 'inet' && family !== 'inet6') return null;
  // iproute2 prints every address flag (secondary, dynamic, deprecated, tentative, nodad, home,
  // noprefixroute, mngtmpaddr, …) as `"name": true`; lifetimes are numbers and are left out.
  const flags = Object.entries(a.obj)
    .filter(([, v]) => v === true)
    .map(([k]) => k);
  return {
    ifname,
    family,
    // `local` is the interface's own address; on point-to-point links `address` is the peer's
    address: a.str('local'),
    prefixLen: a.int('prefixlen'),
    scope: a.str('scope'),
    broadcast: a.optStr('broadcast'),
    label: a.optStr('label'),
    flags,
  };
}

/** Parses `ip -json addr show`. Throws ParseError when the text is not that. */
export function parseAddrs(text: string): FactOf<'addr'>[] {
  const facts: FactOf<'addr'>[] = [];
  for (const link of readEntries(ADDRS_SOURCE, text)) {
    // iproute2 prints `{}` for a link its filters dropped (seen with -4/-6); it is not a link.
    if (link.isEmpty()) continue;
    const ifname = link.str('ifname');
    for (const a of link.objArray('addr_info')) {
      if (a.isEmpty()) continue;
      const value = addrOf(ifname, a);
      if (value) facts.push(makeFact('addr', value));
    }
  }
  return facts;
}
