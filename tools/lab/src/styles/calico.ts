// Calico (BGP mode, BIRD): a cali veth per pod with a /32 route, proxy ARP for 169.254.1.1,
// the node's block as a blackhole, other blocks learned over a BGP mesh or via a route reflector.
import { inParallel } from '../exec.js';
import {
  birdProtocols,
  birdSocket,
  reconfigureBird,
  startBird,
  stopBirdGracefully,
  writeBirdConfig,
  type BirdPeer,
} from '../bird.js';
import { createPod, sysctl } from '../netns.js';
import { stopNamed } from '../processes.js';
import type { LabNode, LabState } from '../state.js';
import { announcing, type StyleDriver } from './driver.js';

function peersOf(state: LabState, node: LabNode): { peers: BirdPeer[]; mesh: boolean; isReflector: boolean } {
  const others = state.nodes.filter((n) => n.name !== node.name);
  const rr = state.routeReflector === null ? undefined : state.nodes.find((n) => n.index === state.routeReflector);
  if (!rr) return { peers: others.map((n) => ({ ip: n.underlayIp })), mesh: true, isReflector: false };
  if (rr.name === node.name) {
    return { peers: others.map((n) => ({ ip: n.underlayIp, rrClient: true })), mesh: false, isReflector: true };
  }
  return { peers: [{ ip: rr.underlayIp }], mesh: false, isReflector: false };
}

function writeConfig(state: LabState, node: LabNode): void {
  writeBirdConfig(state.name, node.name, {
    routerId: node.underlayIp,
    block: node.podCidr,
    timers: state.timers,
    ...peersOf(state, node),
  });
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
      settings[`net.ipv4.conf.${pod.hostVeth}.proxy_arp`] = 1;
      settings[`net.ipv4.neigh.${pod.hostVeth}.proxy_delay`] = 0;
    }
    await sysctl(node.namespace, settings);
    writeConfig(state, node);
    await startBird(state.name, node.name, node.namespace);
  },

  async syncCluster(state) {
    await inParallel(
      state.nodes.filter((n) => n.state === 'up'),
      4,
      async (node) => {
        writeConfig(state, node);
        if (node.bgp === 'running') await reconfigureBird(state.name, node.name);
      },
    );
  },

  async withdraw(state, node) {
    await stopBirdGracefully(state.name, node.name, node.namespace);
  },

  async stopBgp(state, node, kill) {
    if (kill) await stopNamed(node.namespace, 'bird', 'SIGKILL');
    else await stopBirdGracefully(state.name, node.name, node.namespace);
  },

  async startBgp(state, node) {
    writeConfig(state, node);
    await startBird(state.name, node.name, node.namespace);
  },

  async bgpPeers(state, node) {
    const protos = await birdProtocols(state.name, node.name);
    return protos
      .filter((p) => p.proto === 'BGP')
      .map((p) => ({
        peer: p.name.replace(/^(Mesh|Node)_/, '').replace(/_/g, '.'),
        state: (p.info.split(' ')[0] ?? '').toLowerCase(),
      }));
  },

  bgpControl(state, node) {
    return { daemon: 'bird', socket: birdSocket(state.name, node.name) };
  },

  podRoutes(state, node) {
    const out = new Map<string, string>();
    for (const other of announcing(state)) {
      if (other.name !== node.name && reachableOverBgp(state, node, other)) out.set(other.podCidr, other.underlayIp);
    }
    return out;
  },
};
