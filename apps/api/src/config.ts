// The settings every module of the API may read (API_CONFIG): where it listens, its database, its
// limits. A module's own settings are that module's (alerts/alert-config.ts, notify/notify-config.ts,
// auth/auth-config.ts, each provided under its own token); all of them are read and checked at start
// by settings.ts, at the composition root, so a typo stops the API with a message.
import type { KubernetesMode } from '@netatlas/wire';

export interface CoreConfig {
  /** unset: an embedded Postgres under `dataDir` */
  databaseUrl: string | null;
  /** the folder for the embedded Postgres (and anything else kept on disk) */
  dataDir: string;
  host: string;
  port: number;
  /** the shared collector token, which speaks for any node (an opt-in, for labs); unset: only per-node tokens (npm run token) get in */
  token: string | null;
  /** a collector silent for this long is marked lost */
  lostAfterMs: number;
  /** how often collectors are asked to send a heartbeat */
  heartbeatMs: number;
  /** history older than this is deleted (0: kept forever); current state is never deleted */
  retentionDays: number;
  /** a collector message larger than this (bytes of JSON) is rejected */
  maxMessageBytes: number;
  /** a snapshot sent in parts may hold at most this many bytes of JSON over all its parts */
  maxSnapshotBytes: number;
  /** protocol 3: at most this many collectors hold a turn to send a snapshot at once (the rest are told when to ask again) */
  snapshotTurns: number;
  /** browsers receive changes batched over this interval */
  liveBatchMs: number;
  /** GET /metrics answers only this bearer token (null: open, like the rest on loopback) */
  metricsToken: string | null;
  /** the audience a collector's projected service-account token is for (TokenReview) */
  collectorAudience: string;
  /** `namespace:name` of the collectors' service account: only its tokens speak for a node */
  collectorServiceAccount: string;
  /** a streamed response whose client takes nothing for this long is cut (ms) */
  slowReaderTimeoutMs: number;
  /** the topology's form `auto` is compact from this many hosts on (TopologyForm) */
  topologyCompactFrom: number;
  /** the built web app to serve at / (null: none) */
  webDir: string | null;
  /** where the Kubernetes API is (NETATLAS_KUBERNETES, `auto` resolved): off, in-cluster, or a kubeconfig */
  kubernetes: KubernetesMode;
  /** kubeconfig mode: the kubeconfig file, or a KUBECONFIG list of files (null in the other modes) */
  kubeconfig: string | null;
}

export const CONFIG_DEFAULTS = {
  dataDir: 'data',
  host: '127.0.0.1',
  port: 3000,
  lostAfterS: 30,
  heartbeatS: 5,
  retentionDays: 30,
  maxMessageMb: 4,
  maxSnapshotMb: 256,
  snapshotTurns: 4,
  liveBatchMs: 100,
  slowReaderTimeoutS: 60,
  topologyCompactFrom: 41,
} as const;
