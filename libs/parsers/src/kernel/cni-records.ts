// The node's CNI records, as `grep -r -H -Z -a '' <cni dir>/networks <cni dir>/results` prints
// them (CNI_GREP_ARGS) → one cniAddr fact per address a container was given.
//
// - host-local IPAM keeps one file per allocated address, `networks/<network>/<ip>`, holding the
//   container ID and, since CNI plugins v0.8, `\r\n` and the container's interface. Beside them:
//   `last_reserved_ip.<range>` and an empty `lock`, which are not allocations.
// - libcni (containerd, CRI-O) caches every ADD's result in `results/<network>-<id>-<ifname>`:
//   one line of JSON, kind `cniCacheV1`, whose `result` lists the interfaces the plugins made (the
//   container's carry a `sandbox`) and the addresses, each pointing at its interface.
//
// `-Z` ends each file name with a NUL, so names with `:` (host-local's IPv6 files) split cleanly.
// A record that cannot be read (a cache of an older layout, a torn write, text the store cannot
// hold, a key longer than the wire takes) is skipped, not fatal: it says nothing about the other containers.
import { FACT_KEY_MAX, makeFact, UNSTORABLE_TEXT, type CniAddrValue, type CniRecord, type FactOf } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { canonicalIpv6, isIpv4, isRecord, preview } from '../daemons/util.js';

export const CNI_GREP_ARGS = ['-r', '-H', '-Z', '-a', ''] as const;
export const cniRecordsSource = `grep ${CNI_GREP_ARGS.map((a) => (a === '' ? "''" : a)).join(' ')} <cni dir>/networks <cni dir>/results`;

/** What one record says; merged by network, address and container. */
interface Record_ {
  network: string;
  address: string;
  prefixLen: number | null;
  containerId: string;
  ifname: string | null;
  hostIfnames: string[];
  netns: string | null;
  by: CniRecord;
}

/** Canonical text of an IPv4 or IPv6 address, or null when it is not one. */
function canonicalIp(s: string): string | null {
  if (isIpv4(s)) return s.split('.').map(Number).join('.');
  return s.includes(':') ? canonicalIpv6(s) : null;
}

/** The files' lines, grouped by file (lines without their `\r`). Throws when a line carries no file name. */
function filesOf(text: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const nul = line.indexOf('\0');
    if (nul <= 0) throw new ParseError(cniRecordsSource, `line ${i + 1} has no file name ended by NUL (grep -Z): ${preview(line)}`);
    const path = line.slice(0, nul);
    const rest = line.slice(nul + 1);
    const body = files.get(path) ?? [];
    files.set(path, body);
    body.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  });
  return files;
}

/** `…/networks/<network>/<ip>` → host-local's allocation; anything else there (lock, last_reserved_ip.N) → null. */
function hostLocalRecord(parts: string[], body: string[]): Record_ | null {
  const [network = '', file = ''] = parts.slice(-2);
  const address = canonicalIp(file);
  const containerId = body[0]?.trim() ?? '';
  if (address === null || network === '' || containerId === '') return null;
  const ifname = body[1]?.trim() || null;
  return { network, address, prefixLen: null, containerId, ifname, hostIfnames: [], netns: null, by: 'host-local' };
}

/** One cached result → a record per address; an unreadable or foreign one → none. */
function resultRecords(body: string[]): Record_[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.join('\n'));
  } catch {
    return [];
  }
  if (!isRecord(doc) || doc['kind'] !== 'cniCacheV1' || !isRecord(doc['result'])) return [];
  const network = typeof doc['networkName'] === 'string' ? doc['networkName'] : '';
  const containerId = typeof doc['containerId'] === 'string' ? doc['containerId'] : '';
  const ifname = typeof doc['ifName'] === 'string' && doc['ifName'] !== '' ? doc['ifName'] : null;
  const netns = typeof doc['netns'] === 'string' && doc['netns'] !== '' ? doc['netns'] : null;
  if (network === '' || containerId === '') return [];
  const result = doc['result'];
  const interfaces = Array.isArray(result['interfaces']) ? result['interfaces'].filter(isRecord) : [];
  const hostIfnames = interfaces
    .filter((i) => typeof i['name'] === 'string' && i['name'] !== '' && !(typeof i['sandbox'] === 'string' && i['sandbox'] !== ''))
    .map((i) => i['name'] as string);
  // CNI 0.3+: ips[]; 0.1/0.2: ip4 / ip6 with `ip`
  const addresses: unknown[] = Array.isArray(result['ips'])
    ? result['ips'].map((x) => (isRecord(x) ? x['address'] : null))
    : [result['ip4'], result['ip6']].map((x) => (isRecord(x) ? x['ip'] : null));
  const out: Record_[] = [];
  for (const a of addresses) {
    if (typeof a !== 'string') continue;
    const [ip = '', len] = a.split('/');
    const address = canonicalIp(ip);
    const prefixLen = len !== undefined && /^\d{1,3}$/.test(len) ? Number(len) : null;
    if (address === null) continue;
    out.push({ network, address, prefixLen, containerId, ifname, hostIfnames, netns, by: 'result' });
  }
  return out;
}

/** Parses what CNI_GREP_ARGS prints over the networks and results directories. Throws ParseError when the text is not grep's. */
export function parseCniRecords(text: string): FactOf<'cniAddr'>[] {
  const merged = new Map<string, CniAddrValue>();
  for (const [path, body] of filesOf(text)) {
    const parts = path.split('/');
    let records: Record_[] = [];
    if (parts.at(-3) === 'networks') {
      const r = hostLocalRecord(parts, body);
      records = r ? [r] : [];
    } else if (parts.at(-2) === 'results') {
      records = resultRecords(body);
    }
    for (const r of records) {
      // a torn or corrupt file is this record's problem only: the API refuses a snapshot holding text it cannot store
      if ([r.network, r.containerId, r.ifname ?? '', r.netns ?? '', ...r.hostIfnames].some((x) => UNSTORABLE_TEXT.test(x))) continue;
      const key = `${r.network}|${r.address}|${r.containerId}`;
      if (key.length > FACT_KEY_MAX) continue;
      const v = merged.get(key);
      if (!v) {
        merged.set(key, {
          network: r.network,
          address: r.address,
          prefixLen: r.prefixLen,
          containerId: r.containerId,
          ifname: r.ifname,
          hostIfnames: r.hostIfnames,
          netns: r.netns,
          recordedBy: [r.by],
        });
        continue;
      }
      // host-local and the result agree on the container: the result knows more
      v.prefixLen ??= r.prefixLen;
      v.ifname ??= r.ifname;
      v.netns ??= r.netns;
      if (v.hostIfnames.length === 0) v.hostIfnames = r.hostIfnames;
      if (!v.recordedBy.includes(r.by)) v.recordedBy = [...v.recordedBy, r.by].sort();
    }
  }
  return [...merged.values()].map((v) => makeFact('cniAddr', v)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
