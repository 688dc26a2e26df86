// `ip -json neigh show` and `ip -json neigh show proxy` → neigh facts.
import { makeFact, type FactOf, type NeighValue } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function neighOf(e: Entry, proxyTable: boolean): NeighValue {
  const address = e.str('dst');
  const family = IPV4.test(address) ? 'inet' : address.includes(':') ? 'inet6' : null;
  if (family === null) e.fail(`field "dst" is not an IPv4 or IPv6 address`);
  // iproute2 prints flags (router, proxy, extern_learn, …) as `"name": null`: present means set
  const proxy = proxyTable || e.has('proxy');
  // No `state` is printed for NUD_NONE (0); a proxy entry has no state machine at all.
  const state = e.strArray('state', proxy ? [] : ['NONE']);
  return {
    dev: e.str('dev'),
    family,
    address,
    lladdr: e.optStr('lladdr'),
    state,
    router: e.has('router'),
    proxy,
  };
}

/**
 * Parses `ip -json neigh show` (`{ proxy: false }`) or `ip -json neigh show proxy` (`{ proxy: true }`).
 * Throws ParseError when the text is not that.
 */
export function parseNeighbors(text: string, options: { proxy: boolean }): FactOf<'neigh'>[] {
  const source = options.proxy ? 'ip -json neigh show proxy' : 'ip -json neigh show';
  return readEntries(source, text).map((e) => makeFact('neigh', neighOf(e, options.proxy)));
}
