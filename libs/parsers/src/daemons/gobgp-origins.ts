// What GoBGP originates → bgpOrigin facts, from `gobgp global rib [-a ipv4|ipv6] -j` (GoBGP 3.x):
// an object from prefix to its paths; Go prints an empty RIB as {} (or null).
//
// A path GoBGP learned carries the peer it came from ("neighbor-ip", "source-id"); a path added
// locally (`gobgp global rib add`, kube-router's podCIDR, a configured zebra redistribution) has
// neither. Originated = the local paths that are best (only the best path of a prefix is
// announced) and not withdrawn. nexthop: the NEXT_HOP attribute (type 3), or MP_REACH_NLRI's
// (type 14) for IPv6; GoBGP prints 0.0.0.0 / :: for "this router", which is null here.
import { makeFact, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { announcedNexthop, describe, ipPrefix, isRecord, parseJsonOutput } from './util.js';

const SOURCE = 'gobgp global rib -j';

/** BGP path attribute types that carry a next hop. */
const ATTR_NEXT_HOP = 3;
const ATTR_MP_REACH_NLRI = 14;

function fail(message: string): never {
  throw new ParseError(SOURCE, message);
}

function learnedFrom(path: Record<string, unknown>, where: string): string | null {
  for (const field of ['neighbor-ip', 'source-id']) {
    const v = path[field];
    if (v === undefined || v === null || v === '' || v === '<nil>') continue;
    if (typeof v !== 'string') fail(`${where}: "${field}" should be an address but is ${describe(v)}`);
    return v;
  }
  return null;
}

function nexthopOf(path: Record<string, unknown>, where: string): string | null {
  const attrs = path['attrs'];
  if (attrs === undefined || attrs === null) return null;
  if (!Array.isArray(attrs)) fail(`${where}: "attrs" should be an array but is ${describe(attrs)}`);
  for (const a of attrs as unknown[]) {
    if (!isRecord(a)) fail(`${where}: an attribute should be an object but is ${describe(a)}`);
    if (a['type'] !== ATTR_NEXT_HOP && a['type'] !== ATTR_MP_REACH_NLRI) continue;
    const nh = a['nexthop'];
    if (nh !== undefined && typeof nh !== 'string') fail(`${where}: attribute ${String(a['type'])}'s nexthop should be a string but is ${describe(nh)}`);
    return announcedNexthop(nh);
  }
  return null;
}

/** Parses `gobgp global rib -j` for one address family (run once with -a ipv4, once with -a ipv6). */
export function parseGobgpOrigins(text: string): FactOf<'bgpOrigin'>[] {
  const json = parseJsonOutput(SOURCE, text);
  if (json === null) return [];
  if (!isRecord(json)) return fail(`expected an object from prefix to paths but got ${describe(json)}`);
  if (typeof json['error'] === 'string') return fail(`gobgp answered with an error: ${json['error']}`);
  const out: FactOf<'bgpOrigin'>[] = [];
  for (const [key, paths] of Object.entries(json)) {
    if (!Array.isArray(paths)) fail(`${key}: expected an array of paths but got ${describe(paths)}`);
    (paths as unknown[]).forEach((raw, i) => {
      const where = `${key} path [${i}]`;
      if (!isRecord(raw)) fail(`${where} should be an object but is ${describe(raw)}`);
      if (raw['best'] !== true || raw['withdrawal'] === true || learnedFrom(raw, where) !== null) return;
      const nlri = raw['nlri'];
      const text = isRecord(nlri) && typeof nlri['prefix'] === 'string' ? nlri['prefix'] : key;
      const p = ipPrefix(text);
      if (p === null) fail(`${where}: ${JSON.stringify(text)} is not an IPv4 or IPv6 prefix`);
      out.push(makeFact('bgpOrigin', { daemon: 'gobgp', family: p.family, prefix: p.prefix, nexthop: nexthopOf(raw, where) }));
    });
  }
  return out;
}
