// The API's in-process event bus: what was committed (fact changes, node events), what the topology
// of now became (patches) and what the alert engine decided (transitions), from the modules that
// produce them to those that follow them. The producers (ingest, the Kubernetes node events, the
// current state, the alert engine) know the bus only, not who listens; the browsers' fan-out
// (LiveHub), the current state and the alert engine listen. Listeners are called in
// the order they subscribed, synchronously, with every batch.
//
// Node events can reach the bus out of their commit order: the lost-node check's transaction and
// a heartbeat that revives the node commit one after the other, but their awaits resolve in either
// order. A node's status is therefore the one its newest event (highest id) gave it; an older event
// arriving late is still passed on (the timeline keeps it) with that newer status.
import { Injectable } from '@nestjs/common';
import type { AlertTransition, FactChange, NodeEvent, NodeStatus, TopologyPatchBytes } from '@netatlas/wire';

type ChangesListener = (changes: readonly FactChange[]) => void;
type NodeEventListener = (event: NodeEvent, status: NodeStatus) => void;
type AlertsListener = (transitions: readonly AlertTransition[]) => void;
type TopologyListener = (patch: TopologyPatchBytes) => void;

@Injectable()
export class EventBus {
  private readonly changeListeners: ChangesListener[] = [];
  private readonly nodeEventListeners: NodeEventListener[] = [];
  private readonly alertListeners: AlertsListener[] = [];
  private readonly topologyListeners: TopologyListener[] = [];
  /** node → its newest event's id and the status after it */
  private readonly newest = new Map<string, { id: bigint; status: NodeStatus }>();
  /** node events that arrived after a newer one of their node */
  lateNodeEvents = 0;

  onChanges(listener: ChangesListener): void {
    this.changeListeners.push(listener);
  }

  onNodeEvent(listener: NodeEventListener): void {
    this.nodeEventListeners.push(listener);
  }

  onAlerts(listener: AlertsListener): void {
    this.alertListeners.push(listener);
  }

  onTopologyPatch(listener: TopologyListener): void {
    this.topologyListeners.push(listener);
  }

  /** Committed changes (none: nothing is called). */
  changes(changes: readonly FactChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.changeListeners) listener(changes);
  }

  /** A node event recorded, with the node's status after it. */
  nodeEvent(event: NodeEvent, status: NodeStatus): void {
    const now = this.statusAfter(event, status);
    for (const listener of this.nodeEventListeners) listener(event, now);
  }

  private statusAfter(event: NodeEvent, status: NodeStatus): NodeStatus {
    const id = idOf(event.id);
    const known = this.newest.get(event.node);
    if (id === null || !known || id > known.id) {
      if (id !== null) this.newest.set(event.node, { id, status });
      return status;
    }
    this.lateNodeEvents += 1;
    return known.status;
  }

  /** What changed in the topology of now since the last patch (current-state.ts, while followed), as its JSON's bytes. */
  topologyPatch(patch: TopologyPatchBytes): void {
    for (const listener of this.topologyListeners) listener(patch);
  }

  /** Alert transitions (none: nothing is called). */
  alerts(transitions: readonly AlertTransition[]): void {
    if (transitions.length === 0) return;
    for (const listener of this.alertListeners) listener(transitions);
  }
}

/** A node event's id (bigserial) as a number to order by; null for one that is not. */
function idOf(id: string): bigint | null {
  return /^\d+$/.test(id) ? BigInt(id) : null;
}
