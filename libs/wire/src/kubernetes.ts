// The API's Kubernetes source as the API reports it (GET /api/kubernetes/health, /api/kubernetes)
// and the web shows it. Shared with the web app.

/** off, or where the API's Kubernetes connection comes from (NETATLAS_KUBERNETES, `auto` resolved). */
export type KubernetesMode = 'off' | 'in-cluster' | 'kubeconfig';

/**
 * `off`: not configured. `syncing`: configured, not yet listed everything it watches (and nothing
 * failed). `synced`: everything listed and every watch working. `failing`: a list or watch fails
 * (before the first sync: at once; after it: when resuming a dropped watch fails too).
 */
export type KubernetesHealthState = 'off' | 'syncing' | 'synced' | 'failing';

export interface KubernetesHealth {
  state: KubernetesHealthState;
  /** what fails, per resource (`nodes: HTTP 401 Unauthorized; pods: …`); null unless `failing` */
  error: string | null;
  /** when `state` began (ISO 8601) */
  since: string;
  /**
   * The last moment the source was in sync: now while `synced`, else the moment it stopped being
   * synced; null before its first sync (and when off).
   */
  lastSyncAt: string | null;
}

/** GET /api/kubernetes/health */
export interface KubernetesHealthStatus extends KubernetesHealth {
  mode: KubernetesMode;
  /** the API server (no credentials); null when off */
  server: string | null;
}
