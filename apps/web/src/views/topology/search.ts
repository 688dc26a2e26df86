// Search in the topology by node, pod, IP or prefix. Pure: what matches, and which hosts hold it.
//
// - a prefix (`10.233.2.0/24`): pods and hosts with an address in it, hosts whose pod CIDRs
//   overlap it, subnets that overlap it;
// - an address (`10.233.2.5`): the pod that has it, the host that has it as a node IP or whose pod
//   CIDR holds it, externals and VTEPs at it, subnets that hold it;
// - anything else: a case-insensitive substring of an element's label or id (host names, veth and
//   bridge names, pod IPs as text).
//
// An address that exactly one pod has also selects that pod (searchSelection).
import type { TopoNode } from '@netatlas/wire/core';
import { parseIp, parsePrefix, prefixContains, prefixesOverlap, type IpPrefix } from '../../addresses/ip.js';
import { hostNameOf } from './layout.js';

export interface SearchResult {
  query: string;
  kind: 'empty' | 'prefix' | 'address' | 'text';
  /** matching element ids, in the order of the input */
  ids: string[];
  /** the hosts holding them (a host itself included) */
  hosts: Set<string>;
  /** true when more than `limit` matched */
  truncated: boolean;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Addresses an element has: pod IPs, host node IPs (without length), external and VTEP addresses. */
function addressesOf(n: TopoNode): string[] {
  switch (n.type) {
    case 'pod':
      return strings(n.data['ips']);
    case 'host':
      return strings(n.data['nodeIps']).map((a) => a.split('/')[0] ?? a);
    case 'external':
    case 'vtep':
      return typeof n.data['address'] === 'string' ? [n.data['address']] : [];
    default:
      return [];
  }
}

/** Prefixes an element stands for: a host's pod CIDRs, a subnet's CIDR. */
function prefixesOf(n: TopoNode): IpPrefix[] {
  const texts = n.type === 'host' ? strings(n.data['podCidrs']) : n.type === 'subnet' ? [String(n.data['cidr'] ?? n.label)] : [];
  return texts.map((t) => parsePrefix(t)).filter((p): p is IpPrefix => p !== null);
}

export function searchTopology(nodes: Iterable<TopoNode>, query: string, limit = 2000): SearchResult {
  const q = query.trim();
  const result: SearchResult = { query: q, kind: 'empty', ids: [], hosts: new Set(), truncated: false };
  if (q === '') return result;
  const ip = q.includes('/') ? null : parseIp(q);
  const prefix = q.includes('/') ? parsePrefix(q) : null;
  let test: (n: TopoNode) => boolean;
  if (prefix) {
    result.kind = 'prefix';
    test = (n) =>
      addressesOf(n).some((a) => {
        const p = parseIp(a);
        return p !== null && prefixContains(prefix, p);
      }) || prefixesOf(n).some((p) => prefixesOverlap(p, prefix));
  } else if (ip) {
    result.kind = 'address';
    test = (n) =>
      addressesOf(n).some((a) => {
        const p = parseIp(a);
        return p !== null && p.version === ip.version && p.value === ip.value;
      }) || ((n.type === 'host' || n.type === 'subnet') && prefixesOf(n).some((p) => p.len < (p.version === 4 ? 32 : 128) && prefixContains(p, ip)));
  } else {
    result.kind = 'text';
    const needle = q.toLowerCase();
    test = (n) => n.label.toLowerCase().includes(needle) || n.id.toLowerCase().includes(needle);
  }
  for (const n of nodes) {
    if (!test(n)) continue;
    if (result.ids.length >= limit) {
      result.truncated = true;
      break;
    }
    result.ids.push(n.id);
    const h = hostNameOf(n);
    if (h !== null) result.hosts.add(h);
  }
  return result;
}

/**
 * What a search the user ran selects: the pod an address search found by its IP, when it found
 * exactly one (`shown`: among those drawn, so that a pod of a node that left, not drawn, does not
 * stand in the way of the pod that has its IP now). Null for a prefix or a text search, for an
 * address no pod has or that several have (the search's matches are highlighted as before), and
 * for a truncated result (its pods are not all known).
 */
export function searchSelection(result: SearchResult, nodeOf: (id: string) => TopoNode | undefined, shown: (id: string) => boolean = () => true): string | null {
  if (result.kind !== 'address' || result.truncated) return null;
  let found: string | null = null;
  for (const id of result.ids) {
    if (nodeOf(id)?.type !== 'pod' || !shown(id)) continue;
    if (found !== null) return null;
    found = id;
  }
  return found;
}
