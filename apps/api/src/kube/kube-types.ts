// What the API keeps of Kubernetes Nodes, Pods and Calico's IPAM block affinities, and how it reads
// them from the objects the informers hold (typed objects from a list, plain JSON from a watch: the
// fields read here have the same names in both).
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubernetesBlockAffinity, KubernetesCrdState, KubernetesMode, KubernetesNode, KubernetesPod, KubernetesStatus } from '@netatlas/wire';

// The shapes the API reports (GET /api/kubernetes) are declared once, in libs/wire
// (kubernetes-schemas.ts); these are their names here.
/** off, or where the API's Kubernetes connection comes from (settings.ts resolves `auto`). */
export type KubeMode = KubernetesMode;
export type KubeNode = KubernetesNode;
export type KubePod = KubernetesPod;
export type KubeBlockAffinity = KubernetesBlockAffinity;
/** The Calico block affinities CRD: not asked yet, served, or not served by this cluster (404). */
export type KubeCrdState = KubernetesCrdState;
/** GET /api/kubernetes */
export type KubeStatus = KubernetesStatus;

/** What the block affinities informer reads (the CRD has no generated client type). */
export interface BlockAffinityObject extends KubernetesObject {
  spec?: { node?: string; cidr?: string; state?: string; deleted?: string | boolean; type?: string };
}

export type KubeChange = 'added' | 'modified' | 'deleted';

export function kubeNodeOf(node: V1Node): KubeNode {
  const addresses = node.status?.addresses ?? [];
  const podCIDRs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    internalIPs: addresses.filter((a) => a.type === 'InternalIP' && a.address).map((a) => a.address),
    podCIDRs: [...podCIDRs],
    ready: ready?.status === 'True',
    labels: { ...(node.metadata?.labels ?? {}) },
    resourceVersion: node.metadata?.resourceVersion ?? '',
  };
}

export function kubePodOf(pod: V1Pod): KubePod {
  const ip = pod.status?.podIP ?? '';
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((p): p is string => !!p);
  if (ip && !ips.includes(ip)) ips.unshift(ip);
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    ip,
    ips,
    node: pod.spec?.nodeName ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    hostNetwork: pod.spec?.hostNetwork === true,
    resourceVersion: pod.metadata?.resourceVersion ?? '',
  };
}

export function kubeBlockAffinityOf(o: BlockAffinityObject): KubeBlockAffinity {
  const deleted = o.spec?.deleted;
  return {
    name: o.metadata?.name ?? '',
    node: o.spec?.node ?? '',
    cidr: o.spec?.cidr ?? '',
    state: o.spec?.state ?? '',
    // a string for compatibility with old Calico releases, read as Go's strconv.ParseBool does
    deleted: deleted === true || (typeof deleted === 'string' && ['1', 't', 'true'].includes(deleted.toLowerCase())),
    type: o.spec?.type || 'host',
    resourceVersion: o.metadata?.resourceVersion ?? '',
  };
}

/**
 * A block that is its node's now: confirmed, not being deleted, a host's (not a virtual affinity).
 * Pending claims and blocks being released are not (yet, or any more) routed towards the node.
 */
export function isActiveBlock(b: KubeBlockAffinity): boolean {
  return b.state === 'confirmed' && !b.deleted && b.type === 'host' && b.node !== '' && b.cidr !== '';
}

/** An address as collectors report it (`10.0.0.1`, `10.0.0.1/24`, `fe80::1%eth0`) reduced to the IP. */
export function bareIp(address: string): string {
  return address.replace(/\/\d+$/, '').replace(/%.*$/, '').toLowerCase();
}
