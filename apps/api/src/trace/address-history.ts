// An address's history from the versions of the facts that place it (AddressHistoryRepository):
// one entry per node, interface and way, from its first version to its last, versions that follow
// each other without a gap (a neighbor entry going STALE and REACHABLE again) merged into one.
import type { AddressHistoryEntry } from '@netatlas/wire';
import type { AddressVersion } from '../db/repositories/address-history.repository.js';

const VIA = { addr: 'address', route: 'pod-route', neigh: 'neighbor' } as const;

export function addressEntries(versions: readonly AddressVersion[], pod: AddressHistoryEntry['pod']): AddressHistoryEntry[] {
  const open = new Map<string, AddressHistoryEntry>();
  const out: AddressHistoryEntry[] = [];
  for (const v of versions) {
    const iface = (v.kind === 'addr' ? v.value.ifname : v.value.dev) ?? '?';
    const via = VIA[v.kind];
    const id = `${v.node}|${iface}|${via}`;
    const first = v.validFrom.toISOString();
    const last = v.validTo?.toISOString() ?? null;
    const seen = open.get(id);
    // continues the entry when it starts where (or before) the entry's last version ended
    if (seen && (seen.lastSeen === null || seen.lastSeen >= first)) {
      if (seen.lastSeen !== null && (last === null || last > seen.lastSeen)) seen.lastSeen = last;
      if (v.kind === 'neigh') seen.mac = v.value.lladdr ?? seen.mac;
      continue;
    }
    const entry: AddressHistoryEntry = { node: v.node, interface: iface, via, mac: v.kind === 'neigh' ? (v.value.lladdr ?? null) : null, firstSeen: first, lastSeen: last, pod: via === 'address' ? null : pod };
    open.set(id, entry);
    out.push(entry);
  }
  return out;
}
