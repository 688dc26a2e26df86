// The lab's naming and addressing plan. Pure: no I/O, so it is unit-tested without root.
import { createHash } from 'node:crypto';

export const STYLES = ['kube-router', 'calico', 'flannel'] as const;
export type Style = (typeof STYLES)[number];

export type Timers = 'lab' | 'default';

/** The BGP daemons a node can run: BIRD (Calico), GoBGP (kube-router), FRR. */
export const DAEMONS = ['bird', 'gobgp', 'frr'] as const;
export type Daemon = (typeof DAEMONS)[number];

/** The daemon a style runs on every node when `--daemons` says nothing (null: no BGP). */
export function defaultDaemon(style: Style): Daemon | null {
  return style === 'calico' ? 'bird' : style === 'kube-router' ? 'gobgp' : null;
}

/** `--daemons bird,gobgp,frr,bird`: node i runs daemons[(i - 1) % length]. */
export function parseDaemons(text: string): Daemon[] {
  const list = text.split(',').map((s) => s.trim());
  const bad = list.filter((d) => !(DAEMONS as readonly string[]).includes(d));
  if (list.length === 0 || bad.length > 0) {
    throw new Error(`--daemons takes a comma-separated list of ${DAEMONS.join(', ')}${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
  }
  return list as Daemon[];
}

export function daemonFor(daemons: readonly Daemon[], index: number): Daemon {
  return daemons[(index - 1) % daemons.length] as Daemon;
}

/** BGP timers in seconds; null means "leave the daemon's own default". */
export interface BgpTimers {
  keepalive: number;
  hold: number;
  connectRetry: number;
}
export const LAB_TIMERS: BgpTimers = { keepalive: 3, hold: 9, connectRetry: 2 };

export const ASN = 64512;
export const MAX_NODE_INDEX = 240;
export const MAX_PODS = 60;
export const UNDERLAY_SUBNET = '172.20.0.0/24';
export const UNDERLAY_GATEWAY = '172.20.0.1';
export const UNDERLAY_PREFIX_LEN = 24;
/** `up --ipv6`: the underlay's IPv6 subnet next to the IPv4 one, and its gateway on br0. */
export const UNDERLAY_SUBNET6 = 'fd00:20::/64';
export const UNDERLAY_GATEWAY6 = 'fd00:20::1';
export const UNDERLAY_PREFIX_LEN6 = 64;
/** `up --ipv6` (calico): the IPv6 pool the nodes' blocks come from, and Calico's default IPv6 block size. */
export const CALICO_POOL6 = 'fd00:48::/48';
export const CALICO_BLOCK6_LEN = 122;
/**
 * The pods' IPv6 gateway: the link-local address the kernel derives (EUI-64) from the host veth's
 * MAC ee:ee:ee:ee:ee:ee, as Calico's CNI uses it (its IPv4 counterpart is 169.254.1.1).
 */
export const CALICO_GATEWAY6 = 'fe80::ecee:eeff:feee:eeee';
/** kube-router installs its BGP routes with protocol 0x11 (its "zebra" originator id). */
export const KUBE_ROUTER_ROUTE_PROTO = 17;
/** Service ClusterIPs the lab's kube-router ipsets carry (kubernetes and kube-dns). */
export const SERVICE_IPS = ['10.96.0.1', '10.96.0.10'];
export const IPVS_SERVICES = ['10.96.0.1,tcp:443', '10.96.0.10,udp:53', '10.96.0.10,tcp:53'];
export const FLANNEL_VXLAN_PORT = 8472;
export const FLANNEL_MTU = 1450;

const LAB_NAME = /^[a-z][a-z0-9]{0,9}$/;

/** Lab names carry no dash, so `${lab}-` is an unambiguous prefix for everything the lab owns. */
export function checkLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new Error(
      `invalid lab name '${name}': use 1-10 lower-case letters or digits, starting with a letter`,
    );
  }
  return name;
}

export function isStyle(s: string): s is Style {
  return (STYLES as readonly string[]).includes(s);
}

export interface PodPlan {
  name: string;
  namespace: string;
  /** IPv4 address; null for an IPv6-only pod (`up --ipv6-only-pods`) */
  ip: string | null;
  /** IPv6 address (`up --ipv6`); absent or null without */
  ip6?: string | null;
  /** host-side veth name in the node namespace */
  hostVeth: string;
}

export interface NodePlan {
  index: number;
  name: string;
  namespace: string;
  underlayIp: string;
  /** the underlay bridge port (in the underlay namespace) that leads to this node */
  underlayPort: string;
  podCidr: string;
  /** `up --ipv6`: the node's IPv6 underlay address and IPv6 block; absent or null without IPv6 */
  underlayIp6?: string | null;
  podCidr6?: string | null;
  /** the pod gateway on the node's bridge (kube-router, flannel); null for calico */
  bridgeIp: string | null;
  /** flannel: the flannel.1 address (network address of the node's subnet) and VTEP MAC */
  vtepIp: string | null;
  vtepMac: string | null;
  pods: PodPlan[];
}

export function underlayNamespace(lab: string): string {
  return `${lab}-underlay`;
}

export function nodeName(lab: string, index: number): string {
  return `${lab}-node${index}`;
}

export function nodeIp(index: number): string {
  checkIndex(index);
  return `172.20.0.${10 + index}`;
}

/** The node's IPv6 underlay address: `fd00:20::<10+i>`, written like the IPv4 one's last byte (172.20.0.11 ↔ fd00:20::11). */
export function nodeIp6(index: number): string {
  checkIndex(index);
  return `fd00:20::${10 + index}`;
}

/**
 * The node's IPv6 IPAM block (calico): a /122 (Calico's default IPv6 block size) from CALICO_POOL6,
 * `fd00:48:0:<i>::/122` — the index written in decimal digits, so node 12's block reads fd00:48:0:12::.
 */
export function podCidr6(index: number): string {
  checkIndex(index);
  return `fd00:48:0:${index}::/${CALICO_BLOCK6_LEN}`;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODE_INDEX) {
    throw new Error(`node index ${index} out of range 1..${MAX_NODE_INDEX}`);
  }
}

/** The node's pod CIDR: a /24 per node for kube-router and flannel, a /26 IPAM block for calico. */
export function podCidr(style: Style, index: number): string {
  checkIndex(index);
  switch (style) {
    case 'kube-router':
      return `10.233.${index}.0/24`;
    case 'flannel':
      return `10.244.${index}.0/24`;
    case 'calico': {
      const offset = index * 64;
      return `10.48.${offset >> 8}.${offset & 255}/26`;
    }
  }
}

function cidrBase(cidr: string): number[] {
  const [addr] = cidr.split('/');
  return (addr ?? '').split('.').map(Number);
}

function addToIp(cidr: string, n: number): string {
  const [a = 0, b = 0, c = 0, d = 0] = cidrBase(cidr);
  const v = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d + n;
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function hex(input: string, len: number): string {
  return createHash('sha1').update(input).digest('hex').slice(0, len);
}

/** Host-side veth names as the real CNIs make them: `cali` + 11 hex (Calico), `veth` + 8 hex (bridge plugin). */
export function hostVethName(style: Style, podNamespace: string): string {
  return style === 'calico' ? `cali${hex(podNamespace, 11)}` : `veth${hex(podNamespace, 8)}`;
}

export function vtepMac(index: number): string {
  checkIndex(index);
  // locally administered, unicast; deterministic so fdb/neighbor entries can be checked
  return `0e:6e:61:00:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 255).toString(16).padStart(2, '0')}`;
}

/** Which address families a node and its pods get (`up --ipv6`); absent: IPv4 only, as always. */
export interface NodeFamilies {
  /** the node has IPv6: an underlay address, a block, BGP sessions over IPv6 */
  ipv6: boolean;
  /** its pods get no IPv4 address (IPv6 only); needs ipv6 */
  ipv6OnlyPods: boolean;
}

export function planNode(lab: string, style: Style, index: number, pods: number, families?: NodeFamilies): NodePlan {
  checkIndex(index);
  if (families && (families.ipv6 || families.ipv6OnlyPods)) {
    if (style !== 'calico') throw new Error('IPv6 is for the calico style');
    if (families.ipv6OnlyPods && !families.ipv6) throw new Error(`node ${index}: IPv6-only pods need IPv6 on the node`);
  }
  const v6 = families?.ipv6 === true;
  if (!Number.isInteger(pods) || pods < 0 || pods > MAX_PODS) {
    throw new Error(`--pods must be 0..${MAX_PODS}`);
  }
  const name = nodeName(lab, index);
  const cidr = podCidr(style, index);
  const bridgeIp = style === 'calico' ? null : addToIp(cidr, 1);
  // calico hands out block addresses from the block base + 1; the bridge styles skip the gateway (.1)
  const firstPod = style === 'calico' ? 1 : 2;
  const podPlans: PodPlan[] = [];
  for (let k = 1; k <= pods; k++) {
    const ns = `${name}-pod${k}`;
    podPlans.push({
      name: ns,
      namespace: ns,
      ip: families?.ipv6OnlyPods ? null : addToIp(cidr, firstPod + k - 1),
      // calico hands out IPv6 block addresses from the block base + 1 as well
      ...(v6 ? { ip6: `${podCidr6(index).split('/')[0]}${k.toString(16)}` } : {}),
      hostVeth: hostVethName(style, ns),
    });
  }
  return {
    index,
    name,
    namespace: name,
    underlayIp: nodeIp(index),
    underlayPort: `n${index}`,
    podCidr: cidr,
    ...(v6 ? { underlayIp6: nodeIp6(index), podCidr6: podCidr6(index) } : {}),
    bridgeIp,
    vtepIp: style === 'flannel' ? addToIp(cidr, 0) : null,
    vtepMac: style === 'flannel' ? vtepMac(index) : null,
    pods: podPlans,
  };
}

/** Accept a node given as its full name (`lab-node2`), its short name (`node2`) or its index (`2`). */
export function resolveNodeName(lab: string, given: string): string {
  if (/^\d+$/.test(given)) return nodeName(lab, Number(given));
  if (/^node\d+$/.test(given)) return `${lab}-${given}`;
  return given;
}
