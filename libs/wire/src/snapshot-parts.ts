// Splitting a snapshot into parts (SnapshotPart in protocol.ts): the collector's, and the test
// harness's, one way of doing it.
import type { Fact } from './fact.js';
import { SNAPSHOT_PARTS_MAX, type SnapshotMessage } from './protocol.js';

/**
 * The parts of `message`, each holding facts of at most about `partBytes` of JSON (a fact larger
 * than that goes alone); the message itself, unchanged, when it fits in one part. Sizes are counted
 * in UTF-16 units of each fact's JSON, which is the byte count for the ASCII that facts mostly are.
 */
export function snapshotParts(message: SnapshotMessage, partBytes: number): SnapshotMessage[] {
  const { facts, ...head } = message;
  const overhead = JSON.stringify({ ...head, part: { index: SNAPSHOT_PARTS_MAX, count: SNAPSHOT_PARTS_MAX }, facts: [] }).length;
  const room = Math.max(1, partBytes - overhead);
  const slices: Fact[][] = [];
  let current: Fact[] = [];
  let size = 0;
  for (const fact of facts) {
    const bytes = JSON.stringify(fact).length + 1;
    if (current.length > 0 && size + bytes > room) {
      slices.push(current);
      current = [];
      size = 0;
    }
    current.push(fact);
    size += bytes;
  }
  slices.push(current);
  if (slices.length === 1) return [message];
  if (slices.length > SNAPSHOT_PARTS_MAX) throw new Error(`a snapshot of ${facts.length} facts needs ${slices.length} parts of ${partBytes} bytes (at most ${SNAPSHOT_PARTS_MAX})`);
  return slices.map((slice, index) => ({ part: { index, count: slices.length }, ...head, facts: slice }));
}
