// The API's Kubernetes source as it reports it (GET /api/kubernetes/health, GET /api/kubernetes): the
// one declaration of those answers; kubernetes.ts infers the types.
import { z } from 'zod';
import { instant } from './fact.js';

/** off, or where the API's Kubernetes connection comes from (NETATLAS_KUBERNETES, `auto` resolved). */
export const KubernetesModeSchema = z.enum(['off', 'in-cluster', 'kubeconfig']);

/**
 * `off`: not configured. `syncing`: configured, not yet listed everything it watches (and nothing
 * failed). `synced`: everything listed and every watch working. `failing`: a list or watch fails
 * (before the first sync: at once; after it: when resuming a dropped watch fails too).
 */
export const KubernetesHealthStateSchema = z.enum(['off', 'syncing', 'synced', 'failing']);

export const KubernetesHealthSchema = z.strictObject({
  state: KubernetesHealthStateSchema,
  /** what fails, per resource (`nodes: HTTP 401 Unauthorized; pods: …`); null unless `failing` */
  error: z.string().nullable(),
  /** when `state` began (ISO 8601) */
  since: instant(),
  /**
   * The last moment the source was in sync: now while `synced`, else the moment it stopped being
   * synced; null before its first sync (and when off).
   */
  lastSyncAt: instant().nullable(),
});

/** GET /api/kubernetes/health */
export const KubernetesHealthStatusSchema = z.strictObject({
  ...KubernetesHealthSchema.shape,
  mode: KubernetesModeSchema,
  /** the API server (no credentials); null when off */
  server: z.string().nullable(),
});

/** A Kubernetes Node as the API keeps it */
export const KubernetesNodeSchema = z.strictObject({
  name: z.string(),
  /** status.addresses of type InternalIP */
  internalIPs: z.array(z.string()),
  /** spec.podCIDRs (or spec.podCIDR) */
  podCIDRs: z.array(z.string()),
  /** the Ready condition is True */
  ready: z.boolean(),
  labels: z.record(z.string(), z.string()),
  resourceVersion: z.string(),
});

/** A Pod as the API keeps it */
export const KubernetesPodSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  /** status.podIP ('' while none is assigned) */
  ip: z.string(),
  /** status.podIPs (every family) */
  ips: z.array(z.string()),
  /** spec.nodeName ('' while unscheduled) */
  node: z.string(),
  /** status.phase: Pending, Running, Succeeded, Failed, Unknown */
  phase: z.string(),
  /** the pod uses its node's network namespace (its IP is the node's) */
  hostNetwork: z.boolean(),
  resourceVersion: z.string(),
});

/**
 * A Calico IPAM block affinity (blockaffinities.crd.projectcalico.org/v1, cluster scoped): the pod
 * address block Calico's IPAM gave a node, which its BGP daemon announces.
 */
export const KubernetesBlockAffinitySchema = z.strictObject({
  /** metadata.name (Calico: `<node>-<cidr with . : / as ->`) */
  name: z.string(),
  /** spec.node */
  node: z.string(),
  /** spec.cidr */
  cidr: z.string(),
  /** spec.state: confirmed, pending, pendingDeletion */
  state: z.string(),
  /** spec.deleted is true (Calico marks an affinity deleted, as a string, before deleting it) */
  deleted: z.boolean(),
  /** spec.type: `host` (also when absent, as older Calico writes it) or `virtual` */
  type: z.string(),
  resourceVersion: z.string(),
});

/** The Calico block affinities CRD: not asked yet, served, or not served by this cluster (404). */
export const KubernetesCrdStateSchema = z.enum(['unknown', 'installed', 'absent']);

/** GET /api/kubernetes */
export const KubernetesStatusSchema = z.strictObject({
  mode: KubernetesModeSchema,
  /** the API server (from the kubeconfig or the in-cluster environment); null when off */
  server: z.string().nullable(),
  /** every informer has listed at least once (block affinities: or found the CRD absent) */
  synced: z.boolean(),
  /** the current failure of any informer while it has not recovered; null when healthy or off */
  error: z.string().nullable(),
  /** the source's health */
  health: KubernetesHealthSchema,
  /** the last resourceVersion each informer holds ('' before its first list) */
  resourceVersions: z.strictObject({ nodes: z.string(), pods: z.string(), blockaffinities: z.string() }),
  nodes: z.array(KubernetesNodeSchema),
  pods: z.array(KubernetesPodSchema),
  /** whether the cluster serves blockaffinities.crd.projectcalico.org */
  blockAffinitiesCrd: KubernetesCrdStateSchema,
  /** every block affinity held, whatever its state, by node then CIDR */
  blockAffinities: z.array(KubernetesBlockAffinitySchema),
});
