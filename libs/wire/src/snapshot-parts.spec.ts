import { describe, expect, it } from 'vitest';
import { makeFact } from './keys.js';
import type { SnapshotMessage } from './protocol.js';
import { snapshotParts } from './snapshot-parts.js';

const member = (i: number, comment: string | null = null) => makeFact('ipsetMember', { set: 'pods', element: `10.0.${i >> 8}.${i & 255}`, timeout: null, comment });
const message = (facts: SnapshotMessage['facts']): SnapshotMessage => ({ epoch: 1, seq: 7, takenAt: '2026-12-06T12:00:00.000Z', facts, readers: { ipsets: { status: 'ok', error: null } } });

describe('snapshotParts', () => {
  it('returns a snapshot that fits one part as it is', () => {
    const m = message([member(1), member(2)]);
    expect(snapshotParts(m, 10_000)).toEqual([m]);
  });

  it('splits into parts of at most partBytes of JSON, in order, each with the header and its index', () => {
    const facts = Array.from({ length: 1000 }, (_, i) => member(i));
    const parts = snapshotParts(message(facts), 8 * 1024);
    expect(parts.length).toBeGreaterThan(5);
    for (const [index, p] of parts.entries()) {
      expect(p.part).toEqual({ index, count: parts.length });
      expect({ ...p, part: undefined, facts: [] }).toEqual({ ...message([]), part: undefined });
      expect(JSON.stringify(p).length).toBeLessThanOrEqual(8 * 1024);
      expect(Object.keys(p)[0]).toBe('part'); // first, where the API looks for part 0 before decoding
    }
    expect(parts.flatMap((p) => p.facts)).toEqual(facts);
  });

  it('sends a fact larger than a part alone', () => {
    const big = member(5, 'x'.repeat(5000));
    const parts = snapshotParts(message([member(1), big, member(2)]), 2048);
    expect(parts.map((p) => p.facts.length)).toEqual([1, 1, 1]);
    expect(parts[1]!.facts[0]).toEqual(big);
  });
});
