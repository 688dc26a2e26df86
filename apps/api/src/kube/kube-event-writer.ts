// Records Kubernetes node lifecycle in the history, next to the collectors' events: `k8s_added` and
// `k8s_deleted` in node_events. A Kubernetes node is recorded on the node row of the same name, else
// on the row of a collector that has one of its InternalIPs, else on a new `pending` row (known from
// Kubernetes, no collector yet). Each write is idempotent: an add is recorded only when the node's
// last Kubernetes event is not already an add (so an API restart, or a relist, records nothing new),
// and a delete only when it is not already a delete.
import type { NodeEvent, NodeStatus } from '@netatlas/wire';
import type pg from 'pg';
import { withTransaction } from '../db/transaction.js';
import { nodeEventOf, type NodeEventRow } from '../db/repositories/history/rows.js';
import type { KubeNode } from './kube-types.js';

export interface RecordedEvent {
  event: NodeEvent;
  /** the node's status after it */
  status: NodeStatus;
}

interface Row {
  id: number;
  name: string;
  status: NodeStatus;
}

type K8sEventType = 'k8s_added' | 'k8s_deleted';

/** Statuses that a Kubernetes delete turns into `left`: no collector is streaming for the node. */
const LEAVES_ON_DELETE: readonly NodeStatus[] = ['pending', 'disconnected', 'lost'];

export class KubeEventWriter {
  constructor(private readonly pool: pg.Pool) {}

  /** The node exists in Kubernetes. */
  added(node: KubeNode): Promise<RecordedEvent[]> {
    return this.transaction(async (client) => {
      const recorded: RecordedEvent[] = [];
      let row = await this.resolve(client, node);
      if (!row) {
        const inserted = await client.query<Row>(
          `INSERT INTO nodes (name, status) VALUES ($1, 'pending') ON CONFLICT (name) DO NOTHING RETURNING id, name, status`,
          [node.name],
        );
        if (inserted.rows[0]) {
          recorded.push({ event: nodeEventOf(await this.event(client, inserted.rows[0].id, 'first_seen', { source: 'kubernetes' }), node.name), status: 'pending' });
        }
        row = await this.lock(client, node.name);
        if (!row) throw new Error(`node ${node.name} vanished while being created`);
      }
      if ((await this.lastK8sEvent(client, row.id)) === 'k8s_added') return recorded;
      let status = row.status;
      if (status === 'left') {
        status = 'pending';
        await client.query(`UPDATE nodes SET status = 'pending' WHERE id = $1`, [row.id]);
      }
      const event = await this.event(client, row.id, 'k8s_added', detailOf(node));
      recorded.push({ event: nodeEventOf(event, row.name), status });
      return recorded;
    });
  }

  /** The node was deleted from Kubernetes. */
  deleted(node: KubeNode): Promise<RecordedEvent[]> {
    return this.transaction(async (client) => {
      const row = await this.resolve(client, node);
      if (!row) return [];
      const recorded = await this.recordDeleted(client, row, detailOf(node));
      return recorded ? [recorded] : [];
    });
  }

  /**
   * Nodes recorded as added whose Kubernetes node is not in `present` (the first list after the API
   * starts): they were deleted while nobody watched.
   */
  async absent(present: readonly string[]): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<{ node_id: number; type: K8sEventType; k8s_node: string | null; name: string }>(
      `SELECT DISTINCT ON (e.node_id) e.node_id, e.type, e.detail->>'k8sNode' AS k8s_node, n.name
       FROM node_events e JOIN nodes n ON n.id = e.node_id
       WHERE e.type IN ('k8s_added', 'k8s_deleted')
       ORDER BY e.node_id, e.at DESC, e.id DESC`,
    );
    const names = new Set(present);
    const recorded: RecordedEvent[] = [];
    for (const r of rows) {
      const k8sNode = r.k8s_node ?? r.name;
      if (r.type !== 'k8s_added' || names.has(k8sNode)) continue;
      const event = await this.transaction(async (client) => {
        const row = await this.lock(client, r.name);
        return row ? this.recordDeleted(client, row, { k8sNode, reason: 'absent from the list when the API started watching' }) : null;
      });
      if (event) recorded.push(event);
    }
    return recorded;
  }

  // ---------------------------------------------------------------- internals

  private async recordDeleted(client: pg.PoolClient, row: Row, detail: Record<string, unknown>): Promise<RecordedEvent | null> {
    if ((await this.lastK8sEvent(client, row.id)) === 'k8s_deleted') return null;
    let status = row.status;
    if (LEAVES_ON_DELETE.includes(status)) {
      status = 'left';
      await client.query(`UPDATE nodes SET status = 'left' WHERE id = $1`, [row.id]);
    }
    const event = await this.event(client, row.id, 'k8s_deleted', detail);
    return { event: nodeEventOf(event, row.name), status };
  }

  /** The node row of a Kubernetes node, locked: by name, else by a collector's current address. */
  private async resolve(client: pg.PoolClient, node: KubeNode): Promise<Row | null> {
    const byName = await this.lock(client, node.name);
    if (byName || node.internalIPs.length === 0) return byName;
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.name FROM facts f JOIN nodes n ON n.id = f.node_id
       WHERE f.kind = 'addr' AND f.valid_to IS NULL AND f.value->>'address' = ANY($1::text[])
       ORDER BY n.id LIMIT 1`,
      [node.internalIPs],
    );
    return rows[0] ? this.lock(client, rows[0].name) : null;
  }

  private async lock(client: pg.PoolClient, name: string): Promise<Row | null> {
    const { rows } = await client.query<Row>(`SELECT id, name, status FROM nodes WHERE name = $1 FOR NO KEY UPDATE`, [name]);
    return rows[0] ?? null;
  }

  private async lastK8sEvent(client: pg.PoolClient, nodeId: number): Promise<K8sEventType | null> {
    const { rows } = await client.query<{ type: K8sEventType }>(
      `SELECT type FROM node_events WHERE node_id = $1 AND type IN ('k8s_added', 'k8s_deleted') ORDER BY at DESC, id DESC LIMIT 1`,
      [nodeId],
    );
    return rows[0]?.type ?? null;
  }

  private async event(client: pg.PoolClient, nodeId: number, type: NodeEvent['type'], detail: Record<string, unknown>): Promise<NodeEventRow> {
    const { rows } = await client.query<NodeEventRow>(
      `INSERT INTO node_events (node_id, type, at, detail) VALUES ($1, $2, clock_timestamp(), $3) RETURNING id, type, at, detail`,
      [nodeId, type, JSON.stringify(detail)],
    );
    return rows[0]!;
  }

  private transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, run);
  }
}

function detailOf(node: KubeNode): Record<string, unknown> {
  return { k8sNode: node.name, internalIPs: node.internalIPs, podCIDRs: node.podCIDRs, ready: node.ready };
}
