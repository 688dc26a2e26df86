// Helpers shared by the daemon parsers (BGP daemons, ipset, IPVS). Pure: no Node built-ins.
import type { BgpState } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';

/** The start of a tool's output on one line, quoted, for error messages. */
export function preview(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine);
}

/** JSON.parse that names the tool and the problem when the text is not JSON (empty, cut off, an error message). */
export function parseJsonOutput(source: string, text: string): unknown {
  if (text.trim() === '') throw new ParseError(source, 'output is empty, expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ParseError(source, `output is not valid JSON (${reason}): ${preview(text)}`, { cause: error });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Lines without their end-of-line characters (tolerates \r\n). */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** The 8 groups of an IPv6 address (with `::` and an embedded IPv4 tail), or null when it is not one. */
function ipv6Groups(s: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return null;
  const toGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] ?? '';
      if (i === pieces.length - 1 && p.includes('.')) {
        const m = IPV4.exec(p);
        if (!m || !isIpv4(p)) return null;
        const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const [head = '', tail] = s.split('::');
  const h = toGroups(head);
  if (h === null) return null;
  if (tail === undefined) return h.length === 8 ? h : null;
  const t = toGroups(tail);
  if (t === null || h.length + t.length > 7) return null;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** RFC 5952 text for an IPv6 address (lower case, no leading zeros, longest zero run as `::`); null if not IPv6. */
export function canonicalIpv6(s: string): string | null {
  const g = ipv6Groups(s);
  if (g === null) return null;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An integer from a JSON field that may be a number or, as protobuf JSON prints 64-bit values, a decimal string. */
export function jsonInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

/** An epoch in seconds as ISO 8601, or null for 0 (never) and absent values. */
export function epochSecondsToIso(seconds: number | null): string | null {
  if (seconds === null || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString();
}

/** The standard BGP FSM states by their lower-case names; each daemon adds its own extra names. */
export const STANDARD_BGP_STATES: Readonly<Record<string, BgpState>> = {
  idle: 'idle',
  connect: 'connect',
  active: 'active',
  opensent: 'opensent',
  openconfirm: 'openconfirm',
  established: 'established',
};

/**
 * A prefix as a daemon prints it (`10.48.0.64/26`, `fd48:0:0:40::/122`) with its fact family, the
 * address in canonical text (RFC 5952 for IPv6); null when it is not an IPv4 or IPv6 prefix (BIRD
 * prints VPN, flow and ROA nets too).
 */
export function ipPrefix(text: string): { family: 'inet' | 'inet6'; prefix: string } | null {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const [, addr = '', lenText = ''] = m;
  const len = Number(lenText);
  if (isIpv4(addr)) return len <= 32 ? { family: 'inet', prefix: `${addr}/${len}` } : null;
  const v6 = canonicalIpv6(addr);
  return v6 !== null && len <= 128 ? { family: 'inet6', prefix: `${v6}/${len}` } : null;
}

/** A next hop that says nothing: the unspecified address, which daemons print for their own paths. */
export function announcedNexthop(v: string | null | undefined): string | null {
  if (v === null || v === undefined || v === '' || v === '0.0.0.0') return null;
  const v6 = canonicalIpv6(v);
  if (v6 !== null) return v6 === '::' ? null : v6;
  return v;
}

/**
 * The JSON documents of a text that holds several one after another, as `vtysh -c A -c B` prints
 * the answers of two `… json` commands: each top-level object or array, in order. Text between
 * them that is not white space is refused.
 */
export function splitJsonDocuments(source: string, text: string): string[] {
  const docs: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      if (depth === 0) throw new ParseError(source, `text between JSON documents at offset ${i}: ${preview(text.slice(i))}`);
      inString = true;
    } else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) throw new ParseError(source, `unbalanced ${ch} at offset ${i}`);
      if (depth === 0) docs.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(ch ?? '')) {
      throw new ParseError(source, `text between JSON documents at offset ${i}: ${preview(text.slice(i))}`);
    }
  }
  if (depth !== 0) throw new ParseError(source, `output cut off inside a JSON document: ${preview(text.slice(start))}`);
  return docs;
}
