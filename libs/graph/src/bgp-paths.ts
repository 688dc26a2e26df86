// Over which BGP sessions a node learns another node's routes, read from the sessions the nodes
// report (whatever their state: a session that is down still says who was meant to peer). A root
// cause claims a lost route only where it lies on that path: one of the two nodes, a session
// between them, or a route reflector in between (DESIGN.md step 7: "a symptom hangs on the cause
// its own path depended on, never on a node merely because it is the destination").
import type { FindingDependencies } from '@netatlas/wire/core';
import { ownerOf, type Host } from './topology.js';
import type { IpKey } from './topology-ip.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Who peers with whom: node -> the nodes it has a BGP session to (configured, in any state). */
export class BgpPeerings {
  private readonly peers = new Map<string, Set<string>>();

  constructor(hosts: Iterable<Host>, owners: ReadonlyMap<IpKey, string>) {
    for (const h of hosts) {
      for (const s of h.sessions) {
        const peer = ownerOf(owners, s.peerAddress);
        if (peer === null || peer === h.name) continue;
        this.link(h.name, peer);
        // a session is seen from both ends; one end reporting it is enough to know the pair
        this.link(peer, h.name);
      }
    }
  }

  private link(a: string, b: string): void {
    let s = this.peers.get(a);
    if (!s) this.peers.set(a, (s = new Set()));
    s.add(b);
  }

  /** Whether the node has any BGP session at all. */
  speaksBgp(node: string): boolean {
    return (this.peers.get(node)?.size ?? 0) > 0;
  }

  peersOf(node: string): ReadonlySet<string> {
    return this.peers.get(node) ?? new Set();
  }

  /**
   * What node `a`'s route to node `b`'s pods depends on: a direct session a–b (a full mesh), else
   * the reflectors both peer with (a–r–b), else nothing BGP (static routes, flannel, a node that
   * speaks no BGP). The nodes come in path order: a, the reflectors, b.
   */
  routeDependencies(a: string, b: string): FindingDependencies {
    const pa = this.peersOf(a);
    if (pa.has(b)) return { nodes: [a, b], sessions: [[a, b]] };
    const pb = this.peersOf(b);
    const via = [...pa].filter((r) => pb.has(r)).sort(cmp);
    if (via.length === 0) return { nodes: [a, b], sessions: [] };
    return {
      nodes: [a, ...via, b],
      sessions: via.flatMap((r): Array<[string, string]> => [
        [a, r],
        [r, b],
      ]),
    };
  }
}
