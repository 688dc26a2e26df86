// kube-router: kube-bridge with the pod veths, GoBGP iBGP full mesh, routes via node IPs, ipsets.
import { ipBatch, nsExec, inParallel } from '../exec.js';
import {
  gobgpNeighbors,
  reloadGobgp,
  startGobgp,
  stopGobgpGracefully,
  writeGobgpConfig,
  GOBGP_API,
} from '../gobgp.js';
import { HOST_LOCAL_TOOL } from '../cni.js';
import { createPod } from '../netns.js';
import { IPVS_SERVICES, SERVICE_IPS } from '../plan.js';
import { stopNamed } from '../processes.js';
import { nodeCniDir, type LabNode, type LabState } from '../state.js';
import { announcing, type StyleDriver } from './driver.js';

export const KUBE_BRIDGE = 'kube-bridge';
/** kube-router's CNI network (its conflist's name, `mynet`): host-local keeps its allocations under networks/mynet */
export const KUBE_ROUTER_CNI_NETWORK = 'mynet';

interface IpsetSpec {
  name: string;
  type: string;
  members: string[];
}

/** The sets kube-router keeps, with the members it would give them on this node. */
export function kubeRouterIpsets(state: LabState, node: LabNode): IpsetSpec[] {
  return [
    { name: 'kube-router-pod-subnets', type: 'hash:net', members: state.nodes.map((n) => n.podCidr) },
    { name: 'kube-router-node-ips', type: 'hash:ip', members: state.nodes.map((n) => n.underlayIp) },
    {
      name: 'kube-router-local-ips',
      type: 'hash:ip',
      members: [node.underlayIp, ...(node.bridgeIp ? [node.bridgeIp] : [])],
    },
    { name: 'kube-router-service-ips', type: 'hash:ip', members: SERVICE_IPS },
    { name: 'kube-router-ipvs-services', type: 'hash:ip,port', members: IPVS_SERVICES },
  ];
}

/**
 * Like kube-router: build each set under a temporary name and swap it in, so the live set is
 * never seen half-filled. Members carry `timeout 0` as kube-router's do.
 */
async function syncIpsets(state: LabState, node: LabNode): Promise<void> {
  const lines: string[] = [];
  for (const set of kubeRouterIpsets(state, node)) {
    const tmp = `TMP-${set.name}`.slice(0, 31);
    lines.push(`create ${set.name} ${set.type} family inet hashsize 1024 maxelem 65536 timeout 0`);
    lines.push(`create ${tmp} ${set.type} family inet hashsize 1024 maxelem 65536 timeout 0`);
    lines.push(`flush ${tmp}`);
    for (const m of set.members) lines.push(`add ${tmp} ${m} timeout 0`);
    lines.push(`swap ${tmp} ${set.name}`);
    lines.push(`destroy ${tmp}`);
  }
  await nsExec(node.namespace, 'ipset', ['restore', '-exist'], { input: lines.join('\n') + '\n' });
}

function peersOf(state: LabState, node: LabNode): string[] {
  return state.nodes.filter((n) => n.name !== node.name).map((n) => n.underlayIp);
}

function writeConfig(state: LabState, node: LabNode): void {
  writeGobgpConfig(state.name, node.name, { routerId: node.underlayIp, peers: peersOf(state, node), timers: state.timers });
}

export const kubeRouter: StyleDriver = {
  tools: [
    HOST_LOCAL_TOOL,
    { command: 'gobgpd', debianPackage: 'gobgpd' },
    { command: 'gobgp', debianPackage: 'gobgpd' },
    { command: 'ipset', debianPackage: 'ipset' },
  ],

  async buildNode(state, node) {
    await ipBatch(node.namespace, [
      `link add ${KUBE_BRIDGE} type bridge`,
      `addr add ${node.bridgeIp}/24 dev ${KUBE_BRIDGE}`,
      `link set ${KUBE_BRIDGE} up`,
    ]);
    for (const pod of node.pods) {
      await createPod(node, pod, {
        bridge: { name: KUBE_BRIDGE, gateway: node.bridgeIp ?? '', prefixLen: 24 },
        cni: { dir: nodeCniDir(state.name, node.name), network: KUBE_ROUTER_CNI_NETWORK },
      });
    }
    await syncIpsets(state, node);
    writeConfig(state, node);
    await startGobgp(state.name, node.name, node.namespace, node.podCidr);
  },

  async syncCluster(state) {
    await inParallel(
      state.nodes.filter((n) => n.state === 'up'),
      4,
      async (node) => {
        writeConfig(state, node);
        if (node.bgp === 'running') await reloadGobgp(node.namespace);
        await syncIpsets(state, node);
      },
    );
  },

  async withdraw(_state, node) {
    await stopGobgpGracefully(node.namespace, node.podCidr);
  },

  async stopBgp(_state, node, kill) {
    if (kill) await stopNamed(node.namespace, 'gobgpd', 'SIGKILL');
    else await stopGobgpGracefully(node.namespace, node.podCidr);
  },

  async startBgp(state, node) {
    writeConfig(state, node);
    await startGobgp(state.name, node.name, node.namespace, node.podCidr);
  },

  async bgpPeers(_state, node) {
    return (await gobgpNeighbors(node.namespace)).map((n) => ({ peer: n.address, state: n.state }));
  },

  bgpControl() {
    return { daemon: 'gobgp', api: GOBGP_API };
  },

  podRoutes(state, node) {
    const out = new Map<string, string>();
    for (const other of announcing(state)) if (other.name !== node.name) out.set(other.podCidr, other.underlayIp);
    return out;
  },
};
