// Calico (BGP mode): a cali veth per pod with a /32 route, proxy ARP for 169.254.1.1, the node's
// block as a blackhole, other blocks learned over a BGP mesh or via a route reflector. Calico runs
// BIRD; `--daemons` puts GoBGP or FRR on some nodes instead (speakers.ts), all in one mesh.
import { inParallel } from '../exec.js';
import { ipn } from '../exec.js';
import { createPod, sysctl } from '../netns.js';
import { SPEAKERS, type Speaker } from '../speakers.js';
import { daemonOf, type LabNode, type LabState } from '../state.js';
import { announcing, type StyleDriver } from './driver.js';

/** The Calico IP pool the lab's blocks come from (plan.ts podCidr). */
export const CALICO_POOL = '10.48.0.0/16';

function speaker(state: LabState, node: LabNode): Speaker {
  return SPEAKERS[daemonOf(state, node) ?? 'bird'];
}

/** With a route reflector, a client learns every block through it; without one, from each node. */
function reachableOverBgp(state: LabState, node: LabNode, other: LabNode): boolean {
  if (other.state !== 'up' || other.bgp !== 'running') return false;
  const rr = state.routeReflector === null ? undefined : state.nodes.find((n) => n.index === state.routeReflector);
  if (!rr || rr.name === node.name || rr.name === other.name) return true;
  return rr.state === 'up' && rr.bgp === 'running';
}

export const calico: StyleDriver = {
  tools: [
    { command: 'bird', debianPackage: 'bird2' },
    { command: 'birdc', debianPackage: 'bird2' },
  ],

  async buildNode(state, node) {
    for (const pod of node.pods) await createPod(node, pod, { calico: true });
    const settings: Record<string, number> = {};
    for (const pod of node.pods) {
      if (pod.ip !== null) {
        settings[`net.ipv4.conf.${pod.hostVeth}.proxy_arp`] = 1;
        settings[`net.ipv4.neigh.${pod.hostVeth}.proxy_delay`] = 0;
      }
      // as Calico's CNI sets it for an IPv6 pod (its gateway is the veth's own link-local address)
      if (pod.ip6) settings[`net.ipv6.conf.${pod.hostVeth}.proxy_ndp`] = 1;
    }
    await sysctl(node.namespace, settings);
    await speaker(state, node).start(state, node);
    // a node that installs nothing it learns reaches the other pods through an aggregate via a peer
    const via = (state.variants?.installNone ?? []).find((x) => x.node === node.index);
    const gw = via === undefined ? undefined : state.nodes.find((n) => n.index === via.via);
    if (gw) await ipn(node.namespace, ['route', 'replace', CALICO_POOL, 'via', gw.underlayIp, 'proto', 'static']);
  },

  async syncCluster(state) {
    await inParallel(
      state.nodes.filter((n) => n.state === 'up'),
      4,
      async (node) => speaker(state, node).sync(state, node),
    );
  },

  async withdraw(state, node) {
    await speaker(state, node).stop(state, node, false);
  },

  async stopBgp(state, node, kill) {
    await speaker(state, node).stop(state, node, kill);
  },

  async startBgp(state, node) {
    await speaker(state, node).start(state, node);
  },

  async bgpPeers(state, node) {
    return speaker(state, node).sessions(state, node);
  },

  bgpControl(state, node) {
    return speaker(state, node).control(state, node);
  },

  podRoutes(state, node) {
    const out = new Map<string, string>();
    const v = state.variants ?? {};
    if ((v.installNone ?? []).some((x) => x.node === node.index)) return out;
    const live = announcing(state);
    for (const other of live) {
      if (other.name === node.name || !reachableOverBgp(state, node, other)) continue;
      // nodes that announce `other`'s block too: the kernel holds one route with a next hop per announcer
      const also = (v.alsoAnnounce ?? [])
        .filter((x) => x.of === other.index && x.node !== node.index)
        .flatMap((x) => live.filter((n) => n.index === x.node && reachableOverBgp(state, node, n)))
        .map((n) => n.underlayIp);
      const own = (v.alsoAnnounce ?? []).find((x) => x.of === other.index && x.node === node.index);
      out.set(other.podCidr, own ? other.underlayIp : [other.underlayIp, ...also].sort().join(','));
      // dual stack: the IPv6 block over the IPv6 session, both ends having IPv6
      if (node.underlayIp6 && other.podCidr6 && other.underlayIp6) out.set(other.podCidr6, other.underlayIp6);
    }
    return out;
  },
};
