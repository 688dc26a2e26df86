// The API's in-process event bus: what was committed (fact changes, node events) and what the alert
// engine decided (transitions), from the modules that produce them to those that follow them. The
// producers (ingest, the Kubernetes node events, the alert engine) know the bus only, not who
// listens; the browsers' fan-out (LiveHub) and the alert engine listen. Listeners are called in
// the order they subscribed, synchronously, with every batch, in commit order.
import { Injectable } from '@nestjs/common';
import type { AlertTransition, FactChange, NodeEvent, NodeStatus } from '@netatlas/wire';

type ChangesListener = (changes: readonly FactChange[]) => void;
type NodeEventListener = (event: NodeEvent, status: NodeStatus) => void;
type AlertsListener = (transitions: readonly AlertTransition[]) => void;

@Injectable()
export class EventBus {
  private readonly changeListeners: ChangesListener[] = [];
  private readonly nodeEventListeners: NodeEventListener[] = [];
  private readonly alertListeners: AlertsListener[] = [];

  onChanges(listener: ChangesListener): void {
    this.changeListeners.push(listener);
  }

  onNodeEvent(listener: NodeEventListener): void {
    this.nodeEventListeners.push(listener);
  }

  onAlerts(listener: AlertsListener): void {
    this.alertListeners.push(listener);
  }

  /** Committed changes (none: nothing is called). */
  changes(changes: readonly FactChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.changeListeners) listener(changes);
  }

  /** A node event recorded, with the node's status after it. */
  nodeEvent(event: NodeEvent, status: NodeStatus): void {
    for (const listener of this.nodeEventListeners) listener(event, status);
  }

  /** Alert transitions (none: nothing is called). */
  alerts(transitions: readonly AlertTransition[]): void {
    if (transitions.length === 0) return;
    for (const listener of this.alertListeners) listener(transitions);
  }
}
