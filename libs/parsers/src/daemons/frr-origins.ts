// What FRR's bgpd originates → bgpOrigin facts, from `vtysh -c 'show bgp all json'` (FRR 8.x; one
// section per address family, "ipv4Unicast", "ipv6Unicast", …, empty families left out) or the
// single-family `show bgp ipv4|ipv6 unicast json` (the section itself: {…, "routes": {…}}). Without
// a BGP instance FRR prints {"warning": "Default BGP instance not found"}: nothing originated.
//
// A path bgpd sourced itself (a `network` statement, `redistribute static|connected|kernel`, an
// aggregate) has peerId "(unspec)"; a learned one has the peer's address. Originated = the local
// paths that are valid and best: a `network` whose route zebra does not hold is listed but not
// valid, and FRR announces only the best path of a prefix. Only the unicast families are read
// (VPN, EVPN and flowspec routes are not pod ranges). nexthop: the path's first next hop; FRR
// prints 0.0.0.0 / :: for its own paths, which is null here.
import { makeFact, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { announcedNexthop, describe, ipPrefix, isRecord, parseJsonOutput } from './util.js';

const SOURCE = "vtysh -c 'show bgp all json'";
const LOCAL_PEER = '(unspec)';
const UNICAST = ['ipv4Unicast', 'ipv6Unicast'];

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new ParseError(SOURCE, message);
}

function firstNexthop(path: Obj, where: string): string | null {
  const nhs = path['nexthops'];
  if (nhs === undefined || nhs === null) return null;
  if (!Array.isArray(nhs)) fail(`${where}: "nexthops" should be an array but is ${describe(nhs)}`);
  const first: unknown = nhs[0];
  if (first === undefined) return null;
  if (!isRecord(first)) fail(`${where}: a next hop should be an object but is ${describe(first)}`);
  const ip = first['ip'];
  if (ip !== undefined && typeof ip !== 'string') fail(`${where}: nexthops[0].ip should be a string but is ${describe(ip)}`);
  return announcedNexthop(ip);
}

function readSection(name: string, section: unknown, out: Map<string, FactOf<'bgpOrigin'>>): void {
  if (!isRecord(section)) fail(`"${name}" should be an address-family section but is ${describe(section)}`);
  const routes = section['routes'];
  if (routes === undefined) {
    if (Object.keys(section).length === 0) return;
    fail(`"${name}" has no "routes" (keys: ${Object.keys(section).slice(0, 6).join(', ')})`);
  }
  if (!isRecord(routes)) fail(`${name}.routes should be an object keyed by prefix but is ${describe(routes)}`);
  for (const [key, paths] of Object.entries(routes)) {
    if (!Array.isArray(paths)) fail(`${name} ${key}: expected an array of paths but got ${describe(paths)}`);
    (paths as unknown[]).forEach((raw, i) => {
      const where = `${name} ${key} path [${i}]`;
      if (!isRecord(raw)) fail(`${where} should be an object but is ${describe(raw)}`);
      if (!('peerId' in raw)) fail(`${where} has no "peerId"`);
      if (raw['peerId'] !== LOCAL_PEER || raw['valid'] !== true || raw['bestpath'] !== true) return;
      const p = ipPrefix(key);
      if (p === null) fail(`${where}: ${JSON.stringify(key)} is not an IPv4 or IPv6 prefix`);
      out.set(p.prefix, makeFact('bgpOrigin', { daemon: 'frr', family: p.family, prefix: p.prefix, nexthop: firstNexthop(raw, where) }));
    });
  }
}

/** Parses `show bgp all json`, or `show bgp ipv4|ipv6 unicast json`. */
export function parseFrrOrigins(text: string): FactOf<'bgpOrigin'>[] {
  const json = parseJsonOutput(SOURCE, text);
  if (!isRecord(json)) return fail(`expected an object but got ${describe(json)}`);
  const out = new Map<string, FactOf<'bgpOrigin'>>();
  if ('routes' in json) readSection('(single family)', json, out);
  else if (typeof json['warning'] === 'string' && Object.keys(json).length === 1) {
    if (!/BGP instance not found/i.test(json['warning'])) fail(`FRR warns: ${json['warning']}`);
  } else {
    for (const [name, section] of Object.entries(json)) if (UNICAST.includes(name)) readSection(name, section, out);
  }
  return [...out.values()];
}
