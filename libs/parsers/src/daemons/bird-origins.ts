// What BIRD originates (announces as its own) → bgpOrigin facts, from birdc's own answers.
//
// Originated = what the node's BGP protocols export, less what BIRD learned over BGP (a route
// reflector exports the routes it reflects: those are other nodes' origins). BIRD answers that
// exactly with `show route export <P> where source != RTS_BGP` (export filter and BGP's own rules
// applied, as on the wire) — but only for a channel that is up: for a session that is not
// Established it answers "No valid tables". Hence three steps, each a pure function here:
//
//   1. planBirdOrigins(`show protocols all`): the BGP protocols to ask. One Established protocol
//      per (table, output filter, iBGP/eBGP) of its channels that are UP: sessions made from one
//      template share their filter, and asking every peer of a 100-node mesh would cost 99 birdc
//      runs a poll. (Two sessions of one kind with different inline filters, both "(unnamed)",
//      are asked once: a limit of this sampling.)
//   2. their answers, parsed here; the union is what the node originates in those tables.
//   3. a table that has BGP channels none of which answered (no session Established, or the one
//      asked went down meanwhile): BIRD cannot say what it would export there, and the node
//      still originates its block while its peers are away. There the routes of its static
//      protocols count (`show route where source = RTS_STATIC || source = RTS_STATIC_DEVICE`):
//      how Calico originates its IPAM blocks (static blackholes) and how the lab does. A static
//      route that the export filter would reject is then over-reported until a session is up.
//
// Route listings (`show route …`, BIRD 2.0; BIRD 1.x has no "Table" lines, its one table is the
// protocol's) look like
//     Table master4:
//     10.48.0.64/26        blackhole [static_block 04:16:53.760] * (200)
//     172.30.0.0/24        unicast [direct1 04:16:53.761] * (240)
//     	dev eth0
//                          unicast [bgp2 04:16:53.761] (100) [i]      another route to the same net
// family and prefix come from the net; nexthop is null: `show route export` shows the route
// before BGP sets the next hop it announces (`next hop self` and the like).
import { makeFact, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { splitBlocks, type BirdProtocolBlock } from './bird.js';
import { ipPrefix, lines, preview } from './util.js';

const SOURCE = 'birdc show route export';

/** The command whose answer `exports[P]` holds. */
export const birdExportCommand = (protocol: string): string[] => ['show', 'route', 'export', protocol, 'where', 'source', '!=', 'RTS_BGP'];
/** The command whose answer `statics` holds (step 3). */
export const BIRD_STATICS_COMMAND = ['show', 'route', 'where', 'source', '=', 'RTS_STATIC', '||', 'source', '=', 'RTS_STATIC_DEVICE'];

interface BgpChannel {
  table: string;
  up: boolean;
  outputFilter: string;
}

interface BgpProtocol {
  name: string;
  established: boolean;
  internal: boolean;
  channels: BgpChannel[];
}

interface ProtocolView {
  bgp: BgpProtocol[];
  /** every protocol's table as the protocol list shows it (BIRD 1.x routes name no table) */
  tableOf: Map<string, string>;
}

function readProtocols(text: string): ProtocolView {
  const bgp: BgpProtocol[] = [];
  const tableOf = new Map<string, string>();
  for (const b of splitBlocks(text)) {
    tableOf.set(b.name, b.table);
    if (b.proto === 'BGP') bgp.push(readBgp(b));
  }
  return { bgp, tableOf };
}

function readBgp(b: BirdProtocolBlock): BgpProtocol {
  const fields = new Map<string, string>();
  const channels: BgpChannel[] = [];
  let channel: BgpChannel | null = null;
  for (const l of b.details) {
    const ch = /^\s+Channel\s+(\S+)\s*$/.exec(l);
    if (ch) {
      channel = { table: '', up: false, outputFilter: '' };
      channels.push(channel);
      continue;
    }
    const kv = /^\s+([A-Za-z][\w .-]*?):\s*(.*?)\s*$/.exec(l);
    if (!kv) continue;
    const [, key = '', value = ''] = kv;
    if (channel === null) {
      if (!fields.has(key)) fields.set(key, value);
    } else if (key === 'State') channel.up = value === 'UP';
    else if (key === 'Table') channel.table = value;
    else if (key === 'Output filter') channel.outputFilter = value;
  }
  const established = /^established$/i.test(fields.get('BGP state') ?? '');
  // BIRD 1.x: one table (the Table column), filters at protocol level, no channel lines
  if (channels.length === 0) {
    channels.push({ table: b.table, up: established, outputFilter: fields.get('Output filter') ?? '' });
  }
  const localAs = fields.get('Local AS');
  return { name: b.name, established, internal: localAs !== undefined && localAs === fields.get('Neighbor AS'), channels };
}

/** Step 1: the BGP protocols to run `show route export <P> where source != RTS_BGP` for. */
export function planBirdOrigins(protocols: string): string[] {
  const asked = new Set<string>();
  const groups = new Set<string>();
  for (const p of readProtocols(protocols).bgp) {
    if (!p.established) continue;
    for (const c of p.channels) {
      const group = `${c.table}|${c.outputFilter}|${p.internal ? 'i' : 'e'}`;
      if (!c.up || groups.has(group)) continue;
      groups.add(group);
      asked.add(p.name);
    }
  }
  return [...asked];
}

interface ListedRoute {
  table: string | null;
  net: string;
  protocol: string;
}

const NO_CHANNEL = /^(?:\d{4}[ -])?No valid tables\s*$/;

/** A route listing; null when BIRD answered "No valid tables" (the channel is not up). */
function readListing(text: string, what: string): ListedRoute[] | null {
  const out: ListedRoute[] = [];
  let table: string | null = null;
  let net: string | null = null;
  for (const [i, l] of lines(text).entries()) {
    const t = l.trim();
    if (t === '' || /^BIRD \S+ ready\.$/.test(t)) continue;
    if (NO_CHANNEL.test(t)) return null;
    const tm = /^Table (\S+):$/.exec(t);
    if (tm) {
      table = tm[1] ?? null;
      net = null;
      continue;
    }
    if (/^\s/.test(l)) {
      // another route to the same net, or the route's next hops and attributes
      const alt = /^\s+(?:\S+\s+)?\[(\S+?)[\s\]]/.exec(l);
      if (alt && net !== null && !/^\s+(?:via|dev)\s/.test(l)) out.push({ table, net, protocol: alt[1] ?? '' });
      continue;
    }
    const rm = /^(\S+)\s.*?\[(\S+?)[\s\]]/.exec(l);
    if (!rm) throw new ParseError(SOURCE, `${what}, line ${i + 1}: not a route: ${preview(l)}`);
    net = rm[1] ?? '';
    out.push({ table, net, protocol: rm[2] ?? '' });
  }
  return out;
}

export interface BirdOriginOutputs {
  /** `show protocols all` */
  protocols: string;
  /** the answer to `show route export <P> where source != RTS_BGP` for each protocol of the plan */
  exports: Readonly<Record<string, string>>;
  /** the answer to BIRD_STATICS_COMMAND, when birdOriginsNeedStatics said so */
  statics?: string;
}

/** The tables with BGP channels, and those of them an export answer covers. */
function coverage(o: Omit<BirdOriginOutputs, 'statics'>): { view: ProtocolView; answered: Map<string, ListedRoute[]>; uncovered: Set<string> } {
  const view = readProtocols(o.protocols);
  const tables = new Set(view.bgp.flatMap((p) => p.channels.map((c) => c.table)));
  const answered = new Map<string, ListedRoute[]>();
  const covered = new Set<string>();
  for (const [protocol, text] of Object.entries(o.exports)) {
    const p = view.bgp.find((x) => x.name === protocol);
    if (!p) throw new ParseError(SOURCE, `an export answer for ${protocol}, which is not a BGP protocol of the list`);
    const routes = readListing(text, `export to ${protocol}`);
    if (routes === null) continue; // went down since the protocol list: not an answer
    answered.set(protocol, routes);
    for (const c of p.channels) if (c.up) covered.add(c.table);
  }
  return { view, answered, uncovered: new Set([...tables].filter((t) => !covered.has(t))) };
}

/** Step 3 is needed: some table with BGP channels got no export answer. */
export function birdOriginsNeedStatics(o: Omit<BirdOriginOutputs, 'statics'>): boolean {
  return coverage(o).uncovered.size > 0;
}

/** Parses the answers of steps 1 to 3 into the node's originated prefixes. */
export function parseBirdOrigins(o: BirdOriginOutputs): FactOf<'bgpOrigin'>[] {
  const { view, answered, uncovered } = coverage(o);
  const found = new Map<string, FactOf<'bgpOrigin'>>();
  const add = (r: ListedRoute, what: string) => {
    const p = ipPrefix(r.net);
    if (p === null) {
      // VPN, flow, ROA … nets: not pod ranges, and no family of ours
      if (/^[0-9A-Fa-f:.]+\/\d+$/.test(r.net)) throw new ParseError(SOURCE, `${what}: ${JSON.stringify(r.net)} is not a valid prefix`);
      return;
    }
    found.set(p.prefix, makeFact('bgpOrigin', { daemon: 'bird', family: p.family, prefix: p.prefix, nexthop: null }));
  };
  // the command leaves BGP-learned routes out already; an answer without that filter (a
  // reflector's) would list them, and they are others' origins
  const bgpNames = new Set(view.bgp.map((p) => p.name));
  for (const [protocol, routes] of answered) for (const r of routes) if (!bgpNames.has(r.protocol)) add(r, `export to ${protocol}`);
  if (uncovered.size > 0) {
    if (o.statics === undefined) throw new Error('parseBirdOrigins: tables without an export answer need the static routes (birdOriginsNeedStatics)');
    const statics = readListing(o.statics, 'static routes');
    if (statics === null) throw new ParseError(SOURCE, `static routes: unexpected "No valid tables"`);
    for (const r of statics) {
      const table = r.table ?? view.tableOf.get(r.protocol) ?? null;
      if (table !== null && uncovered.has(table)) add(r, 'static routes');
    }
  }
  return [...found.values()];
}
