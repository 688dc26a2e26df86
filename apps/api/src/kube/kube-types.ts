// What the API keeps of Kubernetes Nodes and Pods, and how it reads them from the objects the
// informers hold (typed objects from a list, plain JSON from a watch: the fields read here have the
// same names in both).
import type { V1Node, V1Pod } from '@kubernetes/client-node';

/** off, or where the API's Kubernetes connection comes from (config.ts resolves `auto`). */
export type KubeMode = 'off' | 'in-cluster' | 'kubeconfig';

export interface KubeNode {
  name: string;
  /** status.addresses of type InternalIP */
  internalIPs: string[];
  /** spec.podCIDRs (or spec.podCIDR) */
  podCIDRs: string[];
  /** the Ready condition is True */
  ready: boolean;
  labels: Record<string, string>;
  resourceVersion: string;
}

export interface KubePod {
  namespace: string;
  name: string;
  /** status.podIP ('' while none is assigned) */
  ip: string;
  /** status.podIPs (every family) */
  ips: string[];
  /** spec.nodeName ('' while unscheduled) */
  node: string;
  /** status.phase: Pending, Running, Succeeded, Failed, Unknown */
  phase: string;
  /** the pod uses its node's network namespace (its IP is the node's) */
  hostNetwork: boolean;
  resourceVersion: string;
}

export type KubeChange = 'added' | 'modified' | 'deleted';

/** GET /api/kubernetes */
export interface KubeStatus {
  mode: KubeMode;
  /** the API server (from the kubeconfig or the in-cluster environment); null when off */
  server: string | null;
  /** both informers have listed at least once */
  synced: boolean;
  /** the last failure of either informer while it has not recovered; null when healthy or off */
  error: string | null;
  /** the last resourceVersion each informer holds ('' before its first list) */
  resourceVersions: { nodes: string; pods: string };
  nodes: KubeNode[];
  pods: KubePod[];
}

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

/** An address as collectors report it (`10.0.0.1`, `10.0.0.1/24`, `fe80::1%eth0`) reduced to the IP. */
export function bareIp(address: string): string {
  return address.replace(/\/\d+$/, '').replace(/%.*$/, '').toLowerCase();
}
