// Kubernetes node lifecycle in the history: the statements KubeEventWriter (kube/) runs to record
// `k8s_added` and `k8s_deleted` in node_events and move the node row's status. The rules (which row
// a Kubernetes node is recorded on, when an event is new) are the writer's; the node row is locked
// (FOR NO KEY UPDATE) for the transaction that decides, so that concurrent writes of one node queue.
import type { NodeEvent, NodeStatus } from '@netatlas/wire';
import type pg from 'pg';
import { withTransaction } from '../transaction.js';
import type { NodeEventRow } from './history/rows.js';

export interface KubeNodeRow {
  id: number;
  name: string;
  status: NodeStatus;
}

export type K8sEventType = 'k8s_added' | 'k8s_deleted';

/** A node's last Kubernetes event. */
export interface LastK8sEvent {
  nodeId: number;
  /** the node row's name */
  name: string;
  type: K8sEventType;
  /** the Kubernetes node's name as recorded in the event, when it said */
  k8sNode: string | null;
}

export class KubeEventsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** One transaction: BEGIN, run, COMMIT (ROLLBACK on an error). */
  transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, run);
  }

  /** The node row named `name`, locked, or null. */
  async lock(client: pg.PoolClient, name: string): Promise<KubeNodeRow | null> {
    const { rows } = await client.query<KubeNodeRow>(`SELECT id, name, status FROM nodes WHERE name = $1 FOR NO KEY UPDATE`, [name]);
    return rows[0] ?? null;
  }

  /** The name of the first node (by id) with a current address among `addresses`, or null. */
  async nodeWithAddress(client: pg.PoolClient, addresses: readonly string[]): Promise<string | null> {
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.name FROM facts f JOIN nodes n ON n.id = f.node_id
       WHERE f.kind = 'addr' AND f.valid_to IS NULL AND f.value->>'address' = ANY($1::text[])
       ORDER BY n.id LIMIT 1`,
      [addresses],
    );
    return rows[0]?.name ?? null;
  }

  /** A new `pending` node row (known from Kubernetes, no collector yet); null when the name is taken. */
  async insertPending(client: pg.PoolClient, name: string): Promise<KubeNodeRow | null> {
    const { rows } = await client.query<KubeNodeRow>(`INSERT INTO nodes (name, status) VALUES ($1, 'pending') ON CONFLICT (name) DO NOTHING RETURNING id, name, status`, [name]);
    return rows[0] ?? null;
  }

  async setStatus(client: pg.PoolClient, nodeId: number, status: 'pending' | 'left'): Promise<void> {
    await client.query(`UPDATE nodes SET status = $2 WHERE id = $1`, [nodeId, status]);
  }

  /** The node's last Kubernetes event type, or null when it has none. */
  async lastK8sEvent(client: pg.PoolClient, nodeId: number): Promise<K8sEventType | null> {
    const { rows } = await client.query<{ type: K8sEventType }>(
      `SELECT type FROM node_events WHERE node_id = $1 AND type IN ('k8s_added', 'k8s_deleted') ORDER BY at DESC, id DESC LIMIT 1`,
      [nodeId],
    );
    return rows[0]?.type ?? null;
  }

  /** Records an event of the node now (clock_timestamp: events of one transaction keep their order). */
  async insertEvent(client: pg.PoolClient, nodeId: number, type: NodeEvent['type'], detail: Record<string, unknown>): Promise<NodeEventRow> {
    const { rows } = await client.query<NodeEventRow>(
      `INSERT INTO node_events (node_id, type, at, detail) VALUES ($1, $2, clock_timestamp(), $3) RETURNING id, type, at, detail`,
      [nodeId, type, JSON.stringify(detail)],
    );
    return rows[0]!;
  }

  /** Each node's last Kubernetes event, for the nodes that have one, by node id. */
  async lastK8sEvents(): Promise<LastK8sEvent[]> {
    const { rows } = await this.pool.query<{ node_id: number; type: K8sEventType; k8s_node: string | null; name: string }>(
      `SELECT DISTINCT ON (e.node_id) e.node_id, e.type, e.detail->>'k8sNode' AS k8s_node, n.name
       FROM node_events e JOIN nodes n ON n.id = e.node_id
       WHERE e.type IN ('k8s_added', 'k8s_deleted')
       ORDER BY e.node_id, e.at DESC, e.id DESC`,
    );
    return rows.map((r) => ({ nodeId: r.node_id, name: r.name, type: r.type, k8sNode: r.k8s_node }));
  }
}
