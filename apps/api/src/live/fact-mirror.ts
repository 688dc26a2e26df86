// The copy of the current facts a worker thread keeps (topology, checks): node -> fact id -> fact,
// loaded once and kept current with every committed change.
import { factId, type Fact, type FactChange } from '@netatlas/wire/core';

export type FactMirror = Map<string, Map<string, Fact>>;

export function loadMirror(mirror: FactMirror, state: ReadonlyArray<[string, Fact[]]>): void {
  mirror.clear();
  for (const [node, list] of state) mirror.set(node, new Map(list.map((f) => [factId(f), f])));
}

/** Adds facts read from the store (a part of a state loaded in parts: a node's facts may span parts). */
export function addToMirror(mirror: FactMirror, state: ReadonlyArray<[string, Fact[]]>): void {
  for (const [node, list] of state) {
    let byId = mirror.get(node);
    if (!byId) mirror.set(node, (byId = new Map()));
    for (const f of list) byId.set(factId(f), f);
  }
}

/** Applies committed changes; a node whose facts all ended (it left) drops out. */
export function applyToMirror(mirror: FactMirror, changes: readonly FactChange[]): void {
  for (const c of changes) {
    let byId = mirror.get(c.node);
    if (!byId) mirror.set(c.node, (byId = new Map()));
    if (c.after === null) byId.delete(factId(c));
    else byId.set(factId(c), { kind: c.kind, key: c.key, value: c.after } as Fact);
    if (byId.size === 0) mirror.delete(c.node);
  }
}

/** Takes committed changes back, newest first: the mirror as it was before them. */
export function undoInMirror(mirror: FactMirror, changes: readonly FactChange[]): void {
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    let byId = mirror.get(c.node);
    if (c.before === null) {
      byId?.delete(factId(c));
      if (byId && byId.size === 0) mirror.delete(c.node);
    } else {
      if (!byId) mirror.set(c.node, (byId = new Map()));
      byId.set(factId(c), { kind: c.kind, key: c.key, value: c.before } as Fact);
    }
  }
}
