// The connection to the Kubernetes API, per NETATLAS_KUBERNETES (config.ts): the pod's service
// account when in-cluster, or a kubeconfig file (KUBECONFIG may list several, merged like kubectl
// does: the first file that sets a current context, or names a cluster, user or context, wins). A configuration that cannot be loaded stops the API
// with a message, like any other bad setting.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { KubeMode } from './kube-types.js';

/** Where the service account's files are inside a pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeClientSettings {
  kubernetes: KubeMode;
  kubeconfig: string | null;
}

export interface KubeClientOptions {
  /** prefix of the service account directory (tests) */
  serviceAccountPrefix?: string;
}

/** The KubeConfig for `settings`, or null when Kubernetes is off. Throws with a clear message. */
export function buildKubeConfig(settings: KubeClientSettings, options: KubeClientOptions = {}): KubeConfig | null {
  if (settings.kubernetes === 'off') return null;
  const kc = new KubeConfig();
  if (settings.kubernetes === 'in-cluster') {
    const prefix = options.serviceAccountPrefix ?? '';
    const token = `${prefix}${SERVICE_ACCOUNT_DIR}/token`;
    if (!existsSync(token)) {
      throw new Error(
        `NETATLAS_KUBERNETES=in-cluster: no service account token at ${token} (is automountServiceAccountToken off for this pod?)`,
      );
    }
    // reads KUBERNETES_SERVICE_HOST/PORT; the token file is re-read when it rotates
    kc.loadFromCluster(prefix);
  } else {
    const files = (settings.kubeconfig ?? '').split(delimiter).filter(Boolean);
    if (!files.length) throw new Error('NETATLAS_KUBERNETES=kubeconfig: no kubeconfig file given');
    files.forEach((file, i) => {
      const target = i === 0 ? kc : new KubeConfig();
      try {
        target.loadFromFile(file);
      } catch (error) {
        throw new Error(`NETATLAS_KUBERNETES=kubeconfig: cannot load the kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
      }
      if (i > 0) merge(kc, target);
    });
    if (!kc.getCurrentCluster()) {
      throw new Error(
        `NETATLAS_KUBERNETES=kubeconfig: ${files.join(delimiter)} has no current context naming a cluster ` +
          `(current-context: ${JSON.stringify(kc.getCurrentContext() ?? null)})`,
      );
    }
  }
  return kc;
}

/** kubectl's merge: what `into` already has (by name) stays; its current context too, when set. */
function merge(into: KubeConfig, from: KubeConfig): void {
  if (!into.currentContext && from.currentContext) into.currentContext = from.currentContext;
  for (const c of from.getClusters()) if (!into.getCluster(c.name)) into.addCluster(c);
  for (const u of from.getUsers()) if (!into.getUser(u.name)) into.addUser(u);
  for (const c of from.getContexts()) if (!into.getContextObject(c.name)) into.addContext(c);
}

/** The API server's URL (no credentials), for the status and the log. */
export function kubeServer(kc: KubeConfig | null): string | null {
  return kc?.getCurrentCluster()?.server ?? null;
}
