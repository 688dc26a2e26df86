// Namespaces and links common to every style: the underlay switch, node namespaces, pod namespaces.
// Everything is created inside lab namespaces (`ip -n`), never in the root namespace.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cacheResult, cniAdd, type CniCall } from './cni.js';
import { ipBatch, ipn, nsExec, run } from './exec.js';
import {
  CALICO_GATEWAY6,
  UNDERLAY_GATEWAY,
  UNDERLAY_GATEWAY6,
  UNDERLAY_PREFIX_LEN,
  UNDERLAY_PREFIX_LEN6,
  underlayNamespace,
  type NodePlan,
  type PodPlan,
} from './plan.js';

/** Where `ip netns` keeps named namespaces. */
const NETNS_DIR = '/run/netns';

export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['-j', 'netns', 'list'], { allowFail: true });
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

export async function addNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
  await ipn(ns, ['link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'del', ns], { allowFail: true });
}

export async function sysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (args.length > 0) await nsExec(ns, 'sysctl', ['-q', '-w', ...args]);
}

/**
 * The underlay: one bridge standing for the nodes' L2 network, with a gateway address nodes route
 * to (`ipv6`: an IPv6 gateway address too).
 */
export async function createUnderlay(lab: string, ipv6 = false): Promise<void> {
  const ns = underlayNamespace(lab);
  await addNamespace(ns);
  await ipBatch(ns, [
    'link add br0 type bridge',
    `addr add ${UNDERLAY_GATEWAY}/${UNDERLAY_PREFIX_LEN} dev br0`,
    // no duplicate address detection: the lab's addresses are unique by plan, and usable at once
    ...(ipv6 ? [`addr add ${UNDERLAY_GATEWAY6}/${UNDERLAY_PREFIX_LEN6} dev br0 nodad`] : []),
    'link set br0 up',
  ]);
}

/** A node namespace cabled to the underlay bridge through the veth pair `n<i>` <-> `eth0`. */
export async function createNodeNamespace(lab: string, node: NodePlan): Promise<void> {
  const u = underlayNamespace(lab);
  await addNamespace(node.namespace);
  await ipn(u, ['link', 'add', node.underlayPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.namespace]);
  await ipBatch(u, [`link set ${node.underlayPort} master br0`, `link set ${node.underlayPort} up`]);
  const v6 = node.underlayIp6 ?? null;
  // an IPv6 node's link-local address is usable as soon as eth0 is up (no DAD), like its global one
  if (v6) await sysctl(node.namespace, { 'net.ipv6.conf.eth0.accept_dad': 0 });
  await ipBatch(node.namespace, [
    `addr add ${node.underlayIp}/${UNDERLAY_PREFIX_LEN} dev eth0`,
    ...(v6 ? [`addr add ${v6}/${UNDERLAY_PREFIX_LEN6} dev eth0 nodad`] : []),
    'link set eth0 up',
    `route add default via ${UNDERLAY_GATEWAY} dev eth0`,
    ...(v6 ? [`route add default via ${UNDERLAY_GATEWAY6} dev eth0`] : []),
  ]);
  await sysctl(node.namespace, {
    'net.ipv4.ip_forward': 1,
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
    ...(v6 ? { 'net.ipv6.conf.all.forwarding': 1 } : {}),
  });
}

export interface PodAttachment {
  /** bridge styles: the bridge the host veth joins and the pod's gateway on it */
  bridge?: { name: string; gateway: string; prefixLen: number };
  /**
   * calico: /32 pod address, gateway 169.254.1.1 answered by proxy ARP; with an IPv6 address (pod
   * `ip6`) a /128 too, gateway fe80::ecee:eeff:feee:eeee (the host veth's own link-local address)
   */
  calico?: boolean;
  mtu?: number;
  /**
   * bridge styles: the pod's address is allocated by the real host-local IPAM plugin (its records
   * under `<dir>/networks/<network>/`) and the ADD's result cached under `<dir>/results/`, as a
   * node's runtime would: what the collector's `cni` reader finds
   */
  cni?: { dir: string; network: string };
}

export const CALICO_GATEWAY = '169.254.1.1';
export const CALICO_HOST_MAC = 'ee:ee:ee:ee:ee:ee';

/** A pod: its own namespace with `eth0`, joined to its node by a veth pair. */
export async function createPod(node: NodePlan, pod: PodPlan, how: PodAttachment): Promise<void> {
  await addNamespace(pod.namespace);
  const mtu = how.mtu ? ['mtu', String(how.mtu)] : [];
  await ipn(node.namespace, [
    'link', 'add', pod.hostVeth, ...mtu, 'type', 'veth', 'peer', 'name', 'eth0', ...mtu, 'netns', pod.namespace,
  ]);
  if (how.calico) {
    const v4 = pod.ip;
    const v6 = pod.ip6 ?? null;
    // as Calico's CNI: no duplicate address detection on either end (a point-to-point link), set
    // before the links come up so that their link-local addresses are usable at once
    if (v6) {
      await sysctl(pod.namespace, { 'net.ipv6.conf.eth0.accept_dad': 0 });
      await sysctl(node.namespace, { [`net.ipv6.conf.${pod.hostVeth}.accept_dad`]: 0 });
    }
    await ipBatch(pod.namespace, [
      ...(v4 ? [`addr add ${v4}/32 dev eth0`] : []),
      ...(v6 ? [`addr add ${v6}/128 dev eth0 nodad`] : []),
      'link set eth0 up',
      ...(v4 ? [`route add ${CALICO_GATEWAY} dev eth0 scope link`, `route add default via ${CALICO_GATEWAY} dev eth0`] : []),
      ...(v6 ? [`route add default via ${CALICO_GATEWAY6} dev eth0`] : []),
    ]);
    await ipBatch(node.namespace, [
      `link set ${pod.hostVeth} address ${CALICO_HOST_MAC}`,
      `link set ${pod.hostVeth} up`,
      ...(v4 ? [`route add ${v4}/32 dev ${pod.hostVeth} scope link`] : []),
      ...(v6 ? [`route add ${v6}/128 dev ${pod.hostVeth}`] : []),
    ]);
  } else if (how.bridge) {
    if (how.cni && pod.ip) await allocateWithHostLocal(node, pod, how.bridge, how.cni);
    await ipBatch(pod.namespace, [
      `addr add ${pod.ip}/${how.bridge.prefixLen} dev eth0`,
      'link set eth0 up',
      `route add default via ${how.bridge.gateway} dev eth0`,
    ]);
    await ipBatch(node.namespace, [`link set ${pod.hostVeth} master ${how.bridge.name}`, `link set ${pod.hostVeth} up`]);
  }
}

/** The container ID the lab's runtime gives a pod: 64 hex digits, as containerd's sandbox IDs. */
export function podContainerId(pod: PodPlan): string {
  return createHash('sha256').update(pod.namespace).digest('hex');
}

/**
 * The pod's planned address, allocated by host-local (CNI_ARGS IP=…, so the plan stays the truth),
 * and the result a bridge plugin would return for it cached: the bridge, the host veth, the pod's eth0.
 */
async function allocateWithHostLocal(
  node: NodePlan,
  pod: PodPlan,
  bridge: { name: string; gateway: string; prefixLen: number },
  cni: { dir: string; network: string },
): Promise<void> {
  const call: CniCall = {
    conf: {
      cniVersion: '1.0.0',
      name: cni.network,
      type: 'bridge',
      bridge: bridge.name,
      isDefaultGateway: true,
      ipam: { type: 'host-local', dataDir: join(cni.dir, 'networks'), ranges: [[{ subnet: node.podCidr, gateway: bridge.gateway }]] },
    },
    plugin: 'host-local',
    containerId: podContainerId(pod),
    netns: join(NETNS_DIR, pod.namespace),
    ifname: 'eth0',
    args: [['IP', pod.ip ?? '']],
  };
  const ipam = await cniAdd(call);
  const got = ipam.ips?.map((i) => i.address) ?? [];
  if (got.length !== 1 || got[0] !== `${pod.ip}/${bridge.prefixLen}`) {
    throw new Error(`host-local gave ${pod.name} ${got.join(', ') || 'no address'}, not ${pod.ip}/${bridge.prefixLen}`);
  }
  cacheResult(cni.dir, call, {
    cniVersion: '1.0.0',
    interfaces: [{ name: bridge.name }, { name: pod.hostVeth }, { name: 'eth0', sandbox: call.netns }],
    ips: (ipam.ips ?? []).map((i) => ({ ...i, interface: 2 })),
    ...(ipam.routes ? { routes: ipam.routes } : {}),
    dns: {},
  });
}

/** Pod namespaces that belong to a node (they share the node's name as prefix). */
export function podNamespacesOf(nodeNs: string, all: string[]): string[] {
  return all.filter((ns) => ns.startsWith(`${nodeNs}-pod`));
}
