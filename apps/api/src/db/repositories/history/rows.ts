// Row shapes of the history tables as node-postgres returns them, and their wire forms.
import type { NodeEvent } from '@netatlas/wire';

export interface NodeEventRow {
  /** bigserial: node-postgres returns int8 as a string */
  id: string;
  type: NodeEvent['type'];
  at: Date;
  detail: Record<string, unknown>;
}

export function nodeEventOf(row: NodeEventRow, node: string): NodeEvent {
  return { id: String(row.id), node, type: row.type, at: row.at.toISOString(), detail: row.detail };
}
