import { FACT_KINDS, factId, type Fact } from '@netatlas/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, diff, isEmptyDelta, jsonEqual, stateOf, statesEqual } from './delta.js';

// A small key space so that random states overlap: the same object in both, changed or not.
const factArb: fc.Arbitrary<Fact> = fc
  .record({
    kind: fc.constantFrom(...FACT_KINDS),
    key: fc.constantFrom('a', 'b', 'c', 'eth0', 'main|inet|10.0.0.0/24|0|0', 'x|y'),
    value: fc.dictionary(fc.constantFrom('mtu', 'state', 'dst', 'flags', 'nested'), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    }),
  })
  .map((f) => f as unknown as Fact);

const stateArb = fc.array(factArb, { maxLength: 30 }).map((facts) => stateOf(facts));

/** The same state built from a shuffled list, with every object's keys in another order. */
function reordered(state: Map<string, Fact>, seed: number): Map<string, Fact> {
  const facts = [...state.values()];
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = facts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [facts[i], facts[j]] = [facts[j] as Fact, facts[i] as Fact];
  }
  const reverseKeys = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
      : Array.isArray(v)
        ? v.map(reverseKeys)
        : v;
  return stateOf(facts.map((f) => ({ ...f, value: reverseKeys(f.value) }) as Fact));
}

describe('delta engine', () => {
  it('apply(a, diff(a, b)) equals b', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        expect(statesEqual(apply(a, diff(a, b)), b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('equal states give an empty delta', () => {
    fc.assert(
      fc.property(stateArb, fc.integer(), (a, seed) => {
        expect(isEmptyDelta(diff(a, a))).toBe(true);
        expect(isEmptyDelta(diff(a, reordered(a, seed)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('results do not depend on input order', () => {
    fc.assert(
      fc.property(stateArb, stateArb, fc.integer(), (a, b, seed) => {
        const d1 = diff(a, b);
        const d2 = diff(reordered(a, seed), reordered(b, seed + 1));
        expect(d1.deletes).toEqual(d2.deletes);
        expect(d1.upserts.map(factId)).toEqual(d2.upserts.map(factId));
        d1.upserts.forEach((f, i) => expect(jsonEqual(f.value, d2.upserts[i]?.value)).toBe(true));
      }),
      { numRuns: 300 },
    );
  });

  it('a changed attribute is an update of the same key, not a delete plus an add', () => {
    const before = stateOf([{ kind: 'link', key: 'eth0', value: { mtu: 1500 } } as unknown as Fact]);
    const after = stateOf([{ kind: 'link', key: 'eth0', value: { mtu: 1450 } } as unknown as Fact]);
    const d = diff(before, after);
    expect(d.deletes).toEqual([]);
    expect(d.upserts).toEqual([{ kind: 'link', key: 'eth0', value: { mtu: 1450 } }]);
  });

  it('jsonEqual compares structure', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});
