// The current facts as the state worker keeps them: node -> fact id -> fact, loaded once and kept
// current with every committed change.
import { factId, type Fact, type FactChange } from '@netatlas/wire/core';

export type FactMirror = Map<string, Map<string, Fact>>;

/**
 * Applies committed changes; a node whose facts all ended (it left) drops out. A change sets what
 * it says absolutely, so changes the mirror's read already saw may be applied again.
 */
export function applyToMirror(mirror: FactMirror, changes: readonly FactChange[]): void {
  for (const c of changes) {
    let byId = mirror.get(c.node);
    if (!byId) mirror.set(c.node, (byId = new Map()));
    if (c.after === null) byId.delete(factId(c));
    else byId.set(factId(c), { kind: c.kind, key: c.key, value: c.after } as Fact);
    if (byId.size === 0) mirror.delete(c.node);
  }
}
