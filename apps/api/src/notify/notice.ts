// What the alerts engine hands to notifications: one notice per alert group (a root cause with its
// symptoms, or a lone alert) whenever alerts of the group fire or resolve. Written into the outbox
// in the same transaction that records the transitions, so none is lost across a restart.
import type { Alert, AlertTransition } from '@netatlas/wire';
import type { PoolClient } from 'pg';

export interface AlertNotice {
  /** the group: the root cause's fingerprint, or the lone alert's */
  groupKey: string;
  /** firing while any alert of the group fires */
  status: 'firing' | 'resolved';
  /** the group's alerts as they are now: the root cause first, then its symptoms */
  alerts: Alert[];
  /** what changed to cause this notice (firing or resolved transitions only) */
  transitions: AlertTransition[];
  /** when the engine decided it */
  at: string;
}

/** What the alerts engine needs from notifications (NotifyModule provides it under NOTIFIER). */
export interface AlertNotifier {
  /** writes the notice for every receiver, inside the caller's transaction */
  enqueue(client: PoolClient, notice: AlertNotice): Promise<void>;
  /** after commit: send what is due now */
  kick(): void;
}

export const NOTIFIER = Symbol('NOTIFIER');
