// `bridge -json fdb show` → fdb facts.
import { makeFact, type FactOf, type FdbValue } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';

export const FDB_SOURCE = 'bridge -json fdb show';

/**
 * iproute2 prints `permanent` (local or permanent), `static` (NUD_NOARP), `stale` (a learned
 * entry past its ageing time, not yet collected), `""` (a learned, reachable entry) or the raw
 * state in hex. Learned entries are null whether fresh or stale: staleness is a countdown, not state.
 */
function stateOf(e: Entry): string | null {
  const state = e.optStr('state');
  return state === null || state === '' || state === 'stale' ? null : state;
}

function fdbOf(e: Entry): FdbValue {
  return {
    // `bridge fdb show dev X` leaves ifname out; the full table always has it
    dev: e.str('ifname'),
    mac: e.str('mac'),
    master: e.optStr('master'),
    vlan: e.optInt('vlan'),
    dst: e.optStr('dst'),
    vni: e.optInt('vni'),
    port: e.optInt('port'),
    state: stateOf(e),
    flags: e.strArray('flags', []),
  };
}

/** Parses `bridge -json fdb show`. Throws ParseError when the text is not that. */
export function parseFdb(text: string): FactOf<'fdb'>[] {
  return readEntries(FDB_SOURCE, text).map((e) => makeFact('fdb', fdbOf(e)));
}
