// `birdc show protocols all` (BIRD 2.0; BIRD 1.6 as Calico ships it reads too) → bgpSession facts.
//
// One fact per BGP protocol; device, kernel, static, … protocols produce nothing. A BGP protocol
// that is a dynamic-neighbor template (`neighbor range …`, no address) is a listener, not a session,
// and is skipped as well.
//
// Mapping:
//   name              the protocol name (Calico: Mesh_172_20_0_12, Node_…, Global_…)
//   state             "BGP state:" lower-cased; Down (protocol disabled or stopped) and Close are
//                     idle; Passive (waiting for the peer to connect) is active
//   since             the Since column: BIRD prints "hh:mm:ss.sss" for the last 20 hours (resolved
//                     against `now`, in the local time zone BIRD also uses) and a date for older ones
//   prefixes*         summed over the protocol's channels' "Routes:" lines:
//                       received = imported + filtered (filtered is printed only with
//                                  `import keep filtered`; without it BIRD drops rejected routes
//                                  and does not count them, so received = imported)
//                       accepted = imported (routes the import filter let into the table)
//                       sent     = exported
//                     null when no channel is up (BIRD prints no Routes line then)
//   holdTime/keepalive the negotiated values after the "/" of "Hold timer: 5.629/9" and
//                     "Keepalive timer: 0.355/3" (the part before is a countdown, not state); null
//                     while not established, when BIRD prints neither
//   lastError         "Last error:", or null
import { makeFact, type BgpSessionValue, type BgpState, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { lines as splitLines, preview, STANDARD_BGP_STATES } from './util.js';

const SOURCE = 'birdc show protocols all';

/** BIRD's bgp_state_dsc(): the FSM state names, plus Down (protocol down) and Passive. */
const BIRD_BGP_STATES: Readonly<Record<string, BgpState>> = {
  ...STANDARD_BGP_STATES,
  down: 'idle',
  passive: 'active',
  close: 'idle',
};

const HEADER = /^name\s+proto\s+table\s+state\s+since\s+info\s*$/i;
const TIME = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** One protocol of `show protocols all`: its line, and the indented lines under it. */
export interface BirdProtocolBlock {
  header: string;
  lineNo: number;
  name: string;
  proto: string;
  /** the Table column: `---` for BGP in BIRD 2 (its channels name theirs), the table in BIRD 1 */
  table: string;
  sinceTokens: string[];
  details: string[];
}
type Block = BirdProtocolBlock;

/** The Since column: time only (within the last 20 hours), a date, or a date and a time. */
function resolveSince(tokens: string[], now: Date, where: string): string {
  const [first = '', second] = tokens;
  const t = TIME.exec(first);
  if (t) {
    const [, hh, mm, ss, frac = '0'] = t;
    const ms = Math.round(Number(`0.${frac}`) * 1000);
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(hh), Number(mm), Number(ss), ms);
    // a time later than now is yesterday's (BIRD prints time only for the last 20 hours)
    if (d.getTime() > now.getTime()) d.setDate(d.getDate() - 1);
    return d.toISOString();
  }
  const dm = DATE.exec(first);
  if (dm) {
    const [, y, mo, da] = dm;
    const tt = second === undefined ? null : TIME.exec(second);
    const [, hh = '0', mm = '0', ss = '0', frac = '0'] = tt ?? [];
    const ms = Math.round(Number(`0.${frac}`) * 1000);
    const d = new Date(Number(y), Number(mo) - 1, Number(da), Number(hh), Number(mm), Number(ss), ms);
    if (Number.isNaN(d.getTime())) throw new ParseError(SOURCE, `${where}: invalid date in the Since column: ${first}`);
    return d.toISOString();
  }
  throw new ParseError(
    SOURCE,
    `${where}: the Since column ${JSON.stringify(first)} is neither hh:mm:ss[.sss] nor YYYY-MM-DD (a custom timeformat?)`,
  );
}

/** The protocols of `show protocols all`, in BIRD's order (also read by the origins parser). */
export function splitBlocks(text: string): Block[] {
  const all = splitLines(text);
  const headerAt = all.findIndex((l) => HEADER.test(l));
  if (headerAt < 0) {
    throw new ParseError(SOURCE, `no "Name Proto Table State Since Info" header, not BIRD's protocol list: ${preview(text)}`);
  }
  for (const l of all.slice(0, headerAt)) {
    if (l.trim() !== '' && !/^BIRD \S+ ready\.$/.test(l.trim())) {
      throw new ParseError(SOURCE, `unexpected text before the protocol list: ${preview(l)}`);
    }
  }
  const blocks: Block[] = [];
  let current: Block | null = null;
  for (let i = headerAt + 1; i < all.length; i++) {
    const l = all[i] ?? '';
    if (l.trim() === '') {
      current = null;
      continue;
    }
    if (/^\s/.test(l)) {
      if (current === null) throw new ParseError(SOURCE, `line ${i + 1}: detail line outside a protocol: ${preview(l)}`);
      current.details.push(l);
      continue;
    }
    const tokens = l.trim().split(/\s+/);
    if (tokens.length < 5) {
      throw new ParseError(SOURCE, `line ${i + 1}: a protocol line needs name, proto, table, state and since: ${preview(l)}`);
    }
    const [name = '', proto = '', table = ''] = tokens;
    const sinceTokens = tokens.slice(4, 6);
    current = { header: l, lineNo: i + 1, name, proto, table, sinceTokens, details: [] };
    blocks.push(current);
  }
  return blocks;
}

interface Channel {
  name: string;
  state: string | null;
  routes: string | null;
}

function parseRoutes(value: string, where: string): { imported: number; filtered: number; exported: number } {
  const counts = new Map<string, number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s+(\w+)\s*$/.exec(part);
    if (!m) throw new ParseError(SOURCE, `${where}: cannot read the Routes line ${JSON.stringify(value)}`);
    counts.set(m[2] ?? '', Number(m[1]));
  }
  const imported = counts.get('imported');
  const exported = counts.get('exported');
  if (imported === undefined || exported === undefined) {
    throw new ParseError(SOURCE, `${where}: the Routes line ${JSON.stringify(value)} has no imported/exported counts`);
  }
  return { imported, filtered: counts.get('filtered') ?? 0, exported };
}

/** "5.629/9" → 9: the configured/negotiated value after the countdown. */
function timerValue(value: string | undefined, where: string, what: string): number | null {
  if (value === undefined) return null;
  const m = /^(?:[\d.]+\s*\/\s*)?(\d+)$/.exec(value.trim());
  if (!m) throw new ParseError(SOURCE, `${where}: cannot read the ${what} ${JSON.stringify(value)}`);
  return Number(m[1]);
}

function asNumber(value: string | undefined, where: string, what: string): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value)) throw new ParseError(SOURCE, `${where}: ${what} is not a number: ${JSON.stringify(value)}`);
  const n = Number(value);
  return n === 0 ? null : n;
}

function parseBgpBlock(b: Block, now: Date): BgpSessionValue | null {
  const where = `protocol ${b.name} (line ${b.lineNo})`;
  const fields = new Map<string, string>();
  const channels: Channel[] = [];
  const looseRoutes: string[] = [];
  let channel: Channel | null = null;
  for (const l of b.details) {
    const ch = /^\s+Channel\s+(\S+)\s*$/.exec(l);
    if (ch) {
      channel = { name: ch[1] ?? '', state: null, routes: null };
      channels.push(channel);
      continue;
    }
    const kv = /^\s+([A-Za-z][\w .-]*?):\s*(.*?)\s*$/.exec(l);
    if (!kv) continue; // capability lists and similar
    const [, key = '', value = ''] = kv;
    if (channel !== null) {
      if (key === 'State') channel.state = value;
      else if (key === 'Routes') channel.routes = value;
      else if (key === 'BGP state' || key === 'Neighbor address') {
        throw new ParseError(SOURCE, `${where}: "${key}" inside channel ${channel.name}`);
      }
      continue;
    }
    if (key === 'Routes') looseRoutes.push(value); // BIRD 1.x: one table, Routes at protocol level
    else if (!fields.has(key)) fields.set(key, value);
  }

  const bgpState = fields.get('BGP state');
  if (bgpState === undefined) {
    throw new ParseError(SOURCE, `${where}: BGP protocol without a "BGP state:" line (output cut off?)`);
  }
  const state = BIRD_BGP_STATES[bgpState.toLowerCase()];
  if (state === undefined) {
    throw new ParseError(SOURCE, `${where}: unknown BGP state ${JSON.stringify(bgpState)} (expected one of ${Object.keys(BIRD_BGP_STATES).join(', ')})`);
  }
  const peerAddress = fields.get('Neighbor address');
  if (peerAddress === undefined) {
    if (fields.has('Neighbor range')) return null; // a dynamic BGP template: spawned sessions are listed on their own
    throw new ParseError(SOURCE, `${where}: BGP protocol without a "Neighbor address:" line (output cut off?)`);
  }
  if (!fields.has('Neighbor AS')) {
    throw new ParseError(SOURCE, `${where}: BGP protocol without a "Neighbor AS:" line (output cut off?)`);
  }
  if (state === 'established' && channels.length === 0 && looseRoutes.length === 0) {
    throw new ParseError(SOURCE, `${where}: established session without channels (output cut off?)`);
  }

  const routeLines: string[] = [...looseRoutes];
  for (const c of channels) {
    if (c.state === null) throw new ParseError(SOURCE, `${where}: channel ${c.name} has no "State:" line (output cut off?)`);
    if (c.state === 'UP' && c.routes === null) {
      throw new ParseError(SOURCE, `${where}: channel ${c.name} is up but has no "Routes:" line (output cut off?)`);
    }
    if (c.routes !== null) routeLines.push(c.routes);
  }
  let received: number | null = null;
  let accepted: number | null = null;
  let sent: number | null = null;
  for (const r of routeLines) {
    const { imported, filtered, exported } = parseRoutes(r, where);
    received = (received ?? 0) + imported + filtered;
    accepted = (accepted ?? 0) + imported;
    sent = (sent ?? 0) + exported;
  }

  return {
    daemon: 'bird',
    name: b.name,
    peerAddress,
    peerAs: asNumber(fields.get('Neighbor AS'), where, 'Neighbor AS'),
    localAddress: fields.get('Source address') ?? null,
    localAs: asNumber(fields.get('Local AS'), where, 'Local AS'),
    state,
    since: resolveSince(b.sinceTokens, now, where),
    prefixesReceived: received,
    prefixesAccepted: accepted,
    prefixesSent: sent,
    lastError: fields.get('Last error') || null,
    holdTime: timerValue(fields.get('Hold timer'), where, 'hold timer'),
    keepalive: timerValue(fields.get('Keepalive timer'), where, 'keepalive timer'),
  };
}

/**
 * Parses `birdc show protocols all`. `now` resolves the time-only Since values BIRD prints for
 * the last 20 hours; pass the time the command returned.
 */
export function parseBirdProtocols(text: string, now: Date): FactOf<'bgpSession'>[] {
  if (Number.isNaN(now.getTime())) throw new ParseError(SOURCE, '`now` is not a valid date');
  const facts: FactOf<'bgpSession'>[] = [];
  for (const b of splitBlocks(text)) {
    if (b.proto !== 'BGP') continue;
    const value = parseBgpBlock(b, now);
    if (value !== null) facts.push(makeFact('bgpSession', value));
  }
  return facts;
}
