// `gobgp neighbor -j` (GoBGP 3.x; a JSON array of apipb.Peer) → bgpSession facts. The single-peer
// form `gobgp neighbor <addr> -j` (one object) reads too.
//
// Mapping:
//   state             state.session_state: the apipb.PeerState_SessionState number (0 UNKNOWN,
//                     1 IDLE, 2 CONNECT, 3 ACTIVE, 4 OPENSENT, 5 OPENCONFIRM, 6 ESTABLISHED) or its
//                     name as other versions print it ("ESTABLISHED", "SESSION_STATE_ESTABLISHED",
//                     "BGP_FSM_ESTABLISHED", "established"); UNKNOWN is idle
//   since             established: timers.state.uptime, otherwise timers.state.downtime (epoch
//                     seconds, `{"seconds": N}`); null when absent or 0
//   prefixes*         summed over afi_safis[].state: received, accepted, advertised. Go's JSON leaves
//                     zero counts out, so an absent count is 0 — except `advertised` in the list form:
//                     `gobgp neighbor -j` does not ask gobgpd for advertised counts (only the
//                     single-peer form does), so there an absent count is null (unknown)
//   holdTime/keepalive established: timers.state.negotiated_hold_time / keepalive_interval;
//                     otherwise the configured timers.config.hold_time / keepalive_interval (the
//                     state values are left over from the last session)
//   name              conf.description, or null; lastError: GoBGP does not report one (null)
import { makeFact, type BgpSessionValue, type BgpState, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { describe, epochSecondsToIso, isRecord, jsonInt, parseJsonOutput, STANDARD_BGP_STATES } from './util.js';

const SOURCE = 'gobgp neighbor -j';

const STATE_BY_NUMBER: readonly BgpState[] = ['idle', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
const STATE_BY_NAME: Readonly<Record<string, BgpState>> = { ...STANDARD_BGP_STATES, unknown: 'idle' };

type Obj = Record<string, unknown>;

class Peer {
  constructor(
    readonly obj: Obj,
    readonly where: string,
  ) {}

  fail(message: string): never {
    throw new ParseError(SOURCE, `${this.where}: ${message}`);
  }

  /** A nested object, or an empty one when absent (Go leaves empty structs as {} or out). */
  sub(o: Obj, key: string, path: string): Obj {
    const v = o[key];
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) this.fail(`${path}.${key} should be an object but is ${describe(v)}`);
    return v;
  }

  int(o: Obj, key: string, path: string): number | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    const n = jsonInt(v);
    if (n === null) this.fail(`${path}.${key} should be an integer but is ${describe(v)}`);
    return n;
  }

  str(o: Obj, key: string, path: string): string | null {
    const v = o[key];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') this.fail(`${path}.${key} should be a string but is ${describe(v)}`);
    return v;
  }
}

function sessionState(p: Peer, v: unknown): BgpState {
  if (v === undefined || v === null) return 'idle'; // UNKNOWN (0) is left out by Go's omitempty
  if (typeof v === 'number') {
    const s = STATE_BY_NUMBER[v];
    if (s === undefined) p.fail(`state.session_state ${v} is not a GoBGP session state (0-6)`);
    return s;
  }
  if (typeof v === 'string') {
    const name = v.toLowerCase().replace(/^(session_state_|bgp_fsm_)/, '');
    const s = STATE_BY_NAME[name];
    if (s === undefined) p.fail(`state.session_state ${JSON.stringify(v)} is not a GoBGP session state`);
    return s;
  }
  return p.fail(`state.session_state should be a number or a name but is ${describe(v)}`);
}

/** A protobuf Timestamp as GoBGP prints it: {"seconds": N}, a bare number, or RFC 3339 text. */
function timestamp(p: Peer, v: unknown, path: string): string | null {
  if (v === undefined || v === null) return null;
  if (isRecord(v)) return epochSecondsToIso(p.int(v, 'seconds', path));
  const n = jsonInt(v);
  if (n !== null) return epochSecondsToIso(n);
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) {
    const d = new Date(v);
    return d.getTime() <= 0 ? null : d.toISOString();
  }
  return p.fail(`${path} should be a timestamp but is ${describe(v)}`);
}

function parsePeer(p: Peer, singlePeerForm: boolean): BgpSessionValue {
  const conf = p.sub(p.obj, 'conf', 'peer');
  const st = p.sub(p.obj, 'state', 'peer');
  const peerAddress = p.str(st, 'neighbor_address', 'state') ?? p.str(conf, 'neighbor_address', 'conf');
  if (peerAddress === null) p.fail('neither state.neighbor_address nor conf.neighbor_address: not a GoBGP peer');
  const state = sessionState(p, st['session_state']);

  const timers = p.sub(p.obj, 'timers', 'peer');
  const tConf = p.sub(timers, 'config', 'timers');
  const tState = p.sub(timers, 'state', 'timers');
  const established = state === 'established';
  const since = established
    ? timestamp(p, tState['uptime'], 'timers.state.uptime')
    : timestamp(p, tState['downtime'], 'timers.state.downtime');

  let received: number | null = null;
  let accepted: number | null = null;
  let advertised: number | null = null;
  const afiSafis = p.obj['afi_safis'];
  if (afiSafis !== undefined && afiSafis !== null) {
    if (!Array.isArray(afiSafis)) p.fail(`afi_safis should be an array but is ${describe(afiSafis)}`);
    afiSafis.forEach((a: unknown, i) => {
      if (!isRecord(a)) p.fail(`afi_safis[${i}] should be an object but is ${describe(a)}`);
      const s = a['state'];
      if (s === undefined || s === null) return;
      if (!isRecord(s)) p.fail(`afi_safis[${i}].state should be an object but is ${describe(s)}`);
      const path = `afi_safis[${i}].state`;
      received = (received ?? 0) + (p.int(s, 'received', path) ?? 0);
      accepted = (accepted ?? 0) + (p.int(s, 'accepted', path) ?? 0);
      const adv = p.int(s, 'advertised', path);
      if (adv !== null || singlePeerForm) advertised = (advertised ?? 0) + (adv ?? 0);
    });
  }

  const zeroIsNull = (n: number | null) => (n === 0 ? null : n);
  return {
    daemon: 'gobgp',
    name: p.str(conf, 'description', 'conf'),
    peerAddress,
    peerAs: zeroIsNull(p.int(st, 'peer_asn', 'state') ?? p.int(conf, 'peer_asn', 'conf')),
    localAddress: p.str(p.sub(p.obj, 'transport', 'peer'), 'local_address', 'transport'),
    localAs: zeroIsNull(p.int(conf, 'local_asn', 'conf') ?? p.int(st, 'local_asn', 'state')),
    state,
    since,
    prefixesReceived: received,
    prefixesAccepted: accepted,
    prefixesSent: advertised,
    lastError: null,
    holdTime: established ? p.int(tState, 'negotiated_hold_time', 'timers.state') : p.int(tConf, 'hold_time', 'timers.config'),
    keepalive: established
      ? p.int(tState, 'keepalive_interval', 'timers.state')
      : p.int(tConf, 'keepalive_interval', 'timers.config'),
  };
}

/** Parses `gobgp neighbor -j` (an array of peers; `null` when there are none) or `gobgp neighbor ADDR -j`. */
export function parseGobgpNeighbors(text: string): FactOf<'bgpSession'>[] {
  const json = parseJsonOutput(SOURCE, text);
  if (json === null) return []; // Go marshals an empty peer list as null
  const single = isRecord(json);
  if (!single && !Array.isArray(json)) {
    throw new ParseError(SOURCE, `expected an array of peers (or one peer object) but got ${describe(json)}`);
  }
  const list: unknown[] = single ? [json] : (json as unknown[]);
  return list.map((raw, i) => {
    const where = single ? 'peer' : `peer [${i}]`;
    if (!isRecord(raw)) throw new ParseError(SOURCE, `${where} should be an object but is ${describe(raw)}`);
    if (!('state' in raw) && !('conf' in raw)) {
      throw new ParseError(SOURCE, `${where} has neither "conf" nor "state": not a GoBGP peer`);
    }
    return makeFact('bgpSession', parsePeer(new Peer(raw, where), single));
  });
}
