// Records Kubernetes node lifecycle in the history, next to the collectors' events: `k8s_added` and
// `k8s_deleted` in node_events. A Kubernetes node is recorded on the node row of the same name, else
// on the row of a collector that has one of its InternalIPs, else on a new `pending` row (known from
// Kubernetes, no collector yet). Each write is idempotent: an add is recorded only when the node's
// last Kubernetes event is not already an add (so an API restart, or a relist, records nothing new),
// and a delete only when it is not already a delete. The statements are KubeEventsRepository's.
import type { NodeEvent, NodeStatus } from '@netatlas/wire';
import type pg from 'pg';
import type { KubeEventsRepository, KubeNodeRow } from '../db/repositories/kube-events.repository.js';
import { nodeEventOf } from '../db/repositories/history/rows.js';
import type { KubeNode } from './kube-types.js';

export interface RecordedEvent {
  event: NodeEvent;
  /** the node's status after it */
  status: NodeStatus;
}

/** Statuses that a Kubernetes delete turns into `left`: no collector is streaming for the node. */
const LEAVES_ON_DELETE: readonly NodeStatus[] = ['pending', 'disconnected', 'lost'];

export class KubeEventWriter {
  constructor(private readonly repository: KubeEventsRepository) {}

  /** The node exists in Kubernetes. */
  added(node: KubeNode): Promise<RecordedEvent[]> {
    const db = this.repository;
    return db.transaction(async (client) => {
      const recorded: RecordedEvent[] = [];
      let row = await this.resolve(client, node);
      if (!row) {
        const inserted = await db.insertPending(client, node.name);
        if (inserted) {
          recorded.push({ event: nodeEventOf(await db.insertEvent(client, inserted.id, 'first_seen', { source: 'kubernetes' }), node.name), status: 'pending' });
        }
        row = await db.lock(client, node.name);
        if (!row) throw new Error(`node ${node.name} vanished while being created`);
      }
      if ((await db.lastK8sEvent(client, row.id)) === 'k8s_added') return recorded;
      let status = row.status;
      if (status === 'left') {
        status = 'pending';
        await db.setStatus(client, row.id, 'pending');
      }
      const event = await db.insertEvent(client, row.id, 'k8s_added', detailOf(node));
      recorded.push({ event: nodeEventOf(event, row.name), status });
      return recorded;
    });
  }

  /** The node was deleted from Kubernetes. */
  deleted(node: KubeNode): Promise<RecordedEvent[]> {
    return this.repository.transaction(async (client) => {
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
    const last = await this.repository.lastK8sEvents();
    const names = new Set(present);
    const recorded: RecordedEvent[] = [];
    for (const r of last) {
      const k8sNode = r.k8sNode ?? r.name;
      if (r.type !== 'k8s_added' || names.has(k8sNode)) continue;
      const event = await this.repository.transaction(async (client) => {
        const row = await this.repository.lock(client, r.name);
        return row ? this.recordDeleted(client, row, { k8sNode, reason: 'absent from the list when the API started watching' }) : null;
      });
      if (event) recorded.push(event);
    }
    return recorded;
  }

  // ---------------------------------------------------------------- internals

  private async recordDeleted(client: pg.PoolClient, row: KubeNodeRow, detail: Record<string, unknown>): Promise<RecordedEvent | null> {
    if ((await this.repository.lastK8sEvent(client, row.id)) === 'k8s_deleted') return null;
    let status = row.status;
    if (LEAVES_ON_DELETE.includes(status)) {
      status = 'left';
      await this.repository.setStatus(client, row.id, 'left');
    }
    const event = await this.repository.insertEvent(client, row.id, 'k8s_deleted', detail);
    return { event: nodeEventOf(event, row.name), status };
  }

  /** The node row of a Kubernetes node, locked: by name, else by a collector's current address. */
  private async resolve(client: pg.PoolClient, node: KubeNode): Promise<KubeNodeRow | null> {
    const byName = await this.repository.lock(client, node.name);
    if (byName || node.internalIPs.length === 0) return byName;
    const name = await this.repository.nodeWithAddress(client, node.internalIPs);
    return name ? this.repository.lock(client, name) : null;
  }
}

function detailOf(node: KubeNode): Record<string, unknown> {
  return { k8sNode: node.name, internalIPs: node.internalIPs, podCIDRs: node.podCIDRs, ready: node.ready };
}
