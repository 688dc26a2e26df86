// The API's Kubernetes source as the API reports it (GET /api/kubernetes/health, /api/kubernetes)
// and the web shows it. Shared with the web app. Declared once, as schemas (kubernetes-schemas.ts);
// the types here are theirs.
import type { z } from 'zod';
import type {
  KubernetesBlockAffinitySchema,
  KubernetesCrdStateSchema,
  KubernetesHealthSchema,
  KubernetesHealthStateSchema,
  KubernetesHealthStatusSchema,
  KubernetesModeSchema,
  KubernetesNodeSchema,
  KubernetesPodSchema,
  KubernetesStatusSchema,
} from './kubernetes-schemas.js';

/** off, or where the API's Kubernetes connection comes from (NETATLAS_KUBERNETES, `auto` resolved). */
export type KubernetesMode = z.infer<typeof KubernetesModeSchema>;

/**
 * `off`: not configured. `syncing`: configured, not yet listed everything it watches (and nothing
 * failed). `synced`: everything listed and every watch working. `failing`: a list or watch fails
 * (before the first sync: at once; after it: when resuming a dropped watch fails too).
 */
export type KubernetesHealthState = z.infer<typeof KubernetesHealthStateSchema>;

export type KubernetesHealth = z.infer<typeof KubernetesHealthSchema>;

/** GET /api/kubernetes/health */
export type KubernetesHealthStatus = z.infer<typeof KubernetesHealthStatusSchema>;

/** A Kubernetes Node as the API keeps it (status.addresses' InternalIPs, spec.podCIDRs, Ready, labels) */
export type KubernetesNode = z.infer<typeof KubernetesNodeSchema>;

/** A Pod as the API keeps it (namespace, name, IPs, node, phase) */
export type KubernetesPod = z.infer<typeof KubernetesPodSchema>;

/** A Calico IPAM block affinity: the pod address block Calico's IPAM gave a node */
export type KubernetesBlockAffinity = z.infer<typeof KubernetesBlockAffinitySchema>;

/** The Calico block affinities CRD: not asked yet, served, or not served by this cluster (404). */
export type KubernetesCrdState = z.infer<typeof KubernetesCrdStateSchema>;

/** GET /api/kubernetes */
export type KubernetesStatus = z.infer<typeof KubernetesStatusSchema>;
