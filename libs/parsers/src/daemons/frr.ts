// `vtysh -c 'show bgp summary json'` (FRR 8.x) → bgpSession facts.
//
// FRR prints one section per address family ({"ipv4Unicast": {…, "peers": {…}}, "ipv6Unicast": …});
// a peer activated in several families appears in each and becomes one fact (the key is the peer
// address). The single-family form (`show bgp ipv4 unicast summary json`, the section itself) and
// `{}` (no BGP instance) read too. `… vrf all …` output is not this shape and is refused.
//
// Mapping:
//   state             "state": Established, Active, Connect, Idle, OpenSent, OpenConfirm lower-cased;
//                     "Idle (Admin)", "Idle (PfxCt)", … and Clearing/Deleted (being torn down) are idle
//   since             peerUptimeEstablishedEpoch (epoch seconds). Despite its name FRR derives it from
//                     peer->uptime, which is reset when the session comes up and when it drops: for
//                     an established peer it is when it came up, for one that dropped when it dropped
//                     (as captured). A peer that never came up has none (peerUptime "never"): null
//   prefixes*         pfxRcd and pfxSnt summed over the families. FRR's pfxRcd counts the prefixes
//                     that passed inbound policy (peer->pcount), so it is both received and accepted
//   peerAs/localAs    remoteAs / localAs (the section's "as" when the peer has none); asdot ("1.10")
//                     is converted to asplain
//   name              "desc" (neighbor … description), or null
//   localAddress, holdTime, keepalive, lastError: not in the summary (null)
import { makeFact, type BgpSessionValue, type BgpState, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { describe, epochSecondsToIso, isRecord, jsonInt, parseJsonOutput, STANDARD_BGP_STATES } from './util.js';

const SOURCE = "vtysh -c 'show bgp summary json'";

const FRR_STATES: Readonly<Record<string, BgpState>> = { ...STANDARD_BGP_STATES, clearing: 'idle', deleted: 'idle' };

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new ParseError(SOURCE, message);
}

function stateOf(v: unknown, where: string): BgpState {
  if (typeof v !== 'string') return fail(`${where}: "state" should be a string but is ${describe(v)}`);
  // "Idle (Admin)", "Idle (PfxCt)", "Idle (Policy)": the reason in parentheses is not a state
  const base = v.replace(/\s*\(.*\)\s*$/, '').trim().toLowerCase();
  const s = FRR_STATES[base];
  if (s === undefined) return fail(`${where}: unknown peer state ${JSON.stringify(v)}`);
  return s;
}

/** AS numbers as asplain numbers; FRR 9+ may print asdot text ("1.10"). 0 means not known. */
function asn(v: unknown, where: string, field: string): number | null {
  if (v === undefined || v === null) return null;
  const n = jsonInt(v);
  if (n !== null) return n === 0 ? null : n;
  if (typeof v === 'string') {
    const m = /^(\d+)\.(\d+)$/.exec(v);
    if (m) return Number(m[1]) * 65536 + Number(m[2]);
    if (v === 'internal' || v === 'external') return null;
  }
  return fail(`${where}: "${field}" is not an AS number: ${describe(v)}`);
}

function count(peer: Obj, field: string, where: string): number | null {
  const v = peer[field];
  if (v === undefined || v === null) return null;
  const n = jsonInt(v);
  if (n === null || n < 0) return fail(`${where}: "${field}" should be a count but is ${describe(v)}`);
  return n;
}

/** The address-family sections of the output (one for the single-family form). */
function sections(json: Obj): [string, Obj][] {
  if ('peers' in json) return [['(single family)', json]];
  return Object.entries(json).map(([family, section]) => {
    if (!isRecord(section)) {
      return fail(`"${family}" should be an address-family section (an object with "peers") but is ${describe(section)}`);
    }
    if (!('peers' in section) && Object.keys(section).length > 0) {
      return fail(`"${family}" is not an address-family section: it has no "peers" (keys: ${Object.keys(section).slice(0, 6).join(', ')})`);
    }
    return [family, section];
  });
}

function add(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/** Parses the JSON of `show bgp summary json`. */
export function parseFrrBgpSummary(text: string): FactOf<'bgpSession'>[] {
  const json = parseJsonOutput(SOURCE, text);
  if (!isRecord(json)) return fail(`expected an object of address-family sections but got ${describe(json)}`);
  const byPeer = new Map<string, BgpSessionValue>();
  for (const [family, section] of sections(json)) {
    const peers = section['peers'];
    if (peers === undefined) continue; // an empty section
    if (!isRecord(peers)) return fail(`${family}.peers should be an object keyed by peer but is ${describe(peers)}`);
    const sectionAs = asn(section['as'], family, 'as');
    for (const [address, raw] of Object.entries(peers)) {
      const where = `${family} peer ${address}`;
      if (!isRecord(raw)) return fail(`${where} should be an object but is ${describe(raw)}`);
      if (!('state' in raw)) return fail(`${where} has no "state"`);
      const state = stateOf(raw['state'], where);
      const epoch = raw['peerUptimeEstablishedEpoch'];
      const epochN = epoch === undefined ? null : jsonInt(epoch);
      if (epoch !== undefined && epochN === null) fail(`${where}: "peerUptimeEstablishedEpoch" is not a number: ${describe(epoch)}`);
      const desc = raw['desc'];
      if (desc !== undefined && typeof desc !== 'string') fail(`${where}: "desc" should be a string but is ${describe(desc)}`);
      const received = count(raw, 'pfxRcd', where);
      const sent = count(raw, 'pfxSnt', where);
      const value: BgpSessionValue = {
        daemon: 'frr',
        name: desc || null,
        peerAddress: address,
        peerAs: asn(raw['remoteAs'], where, 'remoteAs'),
        localAddress: null,
        localAs: asn(raw['localAs'], where, 'localAs') ?? sectionAs,
        state,
        since: epochSecondsToIso(epochN),
        prefixesReceived: received,
        prefixesAccepted: received,
        prefixesSent: sent,
        lastError: null,
        holdTime: null,
        keepalive: null,
      };
      const seen = byPeer.get(address);
      if (seen === undefined) {
        byPeer.set(address, value);
        continue;
      }
      // the same session seen from another address family: one state, counts added up
      seen.prefixesReceived = add(seen.prefixesReceived, value.prefixesReceived);
      seen.prefixesAccepted = add(seen.prefixesAccepted, value.prefixesAccepted);
      seen.prefixesSent = add(seen.prefixesSent, value.prefixesSent);
      seen.name ??= value.name;
      seen.since ??= value.since;
    }
  }
  return [...byPeer.values()].map((v) => makeFact('bgpSession', v));
}
