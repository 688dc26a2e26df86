// flannel (vxlan backend): cni0 bridge, flannel.1 vxlan device, and per remote node the route,
// neighbor and fdb entry flanneld writes. No BGP: flanneld follows Kubernetes nodes, so entries
// change when a node is added or removed, not when it fails.
import { ipBatch, ipn, inParallel, run } from '../exec.js';
import { HOST_LOCAL_TOOL } from '../cni.js';
import { createPod } from '../netns.js';
import { FLANNEL_MTU, FLANNEL_VXLAN_PORT } from '../plan.js';
import { nodeCniDir, type LabNode, type LabState } from '../state.js';
import type { StyleDriver } from './driver.js';

export const CNI_BRIDGE = 'cni0';
/** flannel's CNI network (its conflist's name): host-local keeps its allocations under networks/cbr0 */
export const FLANNEL_CNI_NETWORK = 'cbr0';
export const VXLAN_DEV = 'flannel.1';

function remoteEntries(node: LabNode, other: LabNode): string[] {
  return [
    `route replace ${other.podCidr} via ${other.vtepIp} dev ${VXLAN_DEV} onlink`,
    `neigh replace ${other.vtepIp} lladdr ${other.vtepMac} dev ${VXLAN_DEV} nud permanent`,
  ];
}

async function syncRemotes(state: LabState, node: LabNode): Promise<void> {
  const others = state.nodes.filter((n) => n.name !== node.name);
  const wanted = new Set(others.map((o) => o.podCidr));
  // remove entries for nodes that are gone
  const routes = JSON.parse(
    (await ipn(node.namespace, ['-j', 'route', 'show', 'dev', VXLAN_DEV])).stdout.trim() || '[]',
  ) as { dst: string; gateway?: string }[];
  const stale = routes.filter((r) => !wanted.has(r.dst));
  const fdb = JSON.parse(
    (await ipn(node.namespace, ['-j', 'neigh', 'show', 'dev', VXLAN_DEV])).stdout.trim() || '[]',
  ) as { dst: string; lladdr?: string }[];
  const lines: string[] = [];
  for (const r of stale) {
    lines.push(`route del ${r.dst} dev ${VXLAN_DEV}`);
    const n = fdb.find((x) => x.dst === r.gateway);
    if (n) lines.push(`neigh del ${n.dst} dev ${VXLAN_DEV}`);
  }
  for (const o of others) lines.push(...remoteEntries(node, o));
  await ipBatch(node.namespace, lines);
  // fdb entries belong to `bridge`, not `ip`
  const current = JSON.parse(
    (await run('bridge', ['-n', node.namespace, '-j', 'fdb', 'show', 'dev', VXLAN_DEV])).stdout.trim() || '[]',
  ) as { mac: string; dst?: string }[];
  const wantedMacs = new Map(others.map((o) => [o.vtepMac ?? '', o.underlayIp]));
  for (const e of current) {
    if (e.dst && !wantedMacs.has(e.mac)) {
      await run('bridge', ['-n', node.namespace, 'fdb', 'del', e.mac, 'dev', VXLAN_DEV, 'dst', e.dst, 'self']);
    }
  }
  for (const [mac, dst] of wantedMacs) {
    if (!current.some((e) => e.mac === mac && e.dst === dst)) {
      await run('bridge', ['-n', node.namespace, 'fdb', 'replace', mac, 'dev', VXLAN_DEV, 'dst', dst, 'self', 'permanent']);
    }
  }
}

export const flannel: StyleDriver = {
  tools: [{ command: 'bridge', debianPackage: 'iproute2' }, HOST_LOCAL_TOOL],

  async buildNode(state, node) {
    await ipBatch(node.namespace, [
      `link add ${CNI_BRIDGE} mtu ${FLANNEL_MTU} type bridge`,
      `addr add ${node.bridgeIp}/24 dev ${CNI_BRIDGE}`,
      `link set ${CNI_BRIDGE} up`,
      `link add ${VXLAN_DEV} mtu ${FLANNEL_MTU} address ${node.vtepMac} type vxlan id 1 local ${node.underlayIp} dev eth0 dstport ${FLANNEL_VXLAN_PORT} nolearning`,
      `addr add ${node.vtepIp}/32 dev ${VXLAN_DEV}`,
      `link set ${VXLAN_DEV} up`,
    ]);
    for (const pod of node.pods) {
      await createPod(node, pod, {
        bridge: { name: CNI_BRIDGE, gateway: node.bridgeIp ?? '', prefixLen: 24 },
        mtu: FLANNEL_MTU,
        cni: { dir: nodeCniDir(state.name, node.name), network: FLANNEL_CNI_NETWORK },
      });
    }
    await syncRemotes(state, node);
  },

  async syncCluster(state) {
    await inParallel(
      state.nodes.filter((n) => n.state === 'up'),
      4,
      (node) => syncRemotes(state, node),
    );
  },

  async withdraw() {
    // flanneld has nothing to withdraw: the other nodes drop their entries in syncCluster
  },

  async stopBgp() {
    throw new Error('the flannel style runs no BGP daemon');
  },

  async startBgp() {
    throw new Error('the flannel style runs no BGP daemon');
  },

  async bgpPeers() {
    return [];
  },

  bgpControl() {
    return null;
  },

  podRoutes(state, node) {
    const out = new Map<string, string>();
    for (const other of state.nodes) if (other.name !== node.name) out.set(other.podCidr, other.vtepIp ?? '');
    return out;
  },
};
