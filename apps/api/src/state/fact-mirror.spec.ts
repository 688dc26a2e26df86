// The current state's facts: changes applied in order, and applied again on a read that saw some
// of them already.
import { factId, type FactChange } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { neigh, route } from '../testing/facts.js';
import { applyToMirror, type FactMirror } from './fact-mirror.js';

const plain = (m: FactMirror) => Object.fromEntries([...m].map(([node, byId]) => [node, Object.fromEntries(byId)]));

describe('fact mirror', () => {
  const a = route('10.1.0.0/24');
  const n1 = neigh('172.20.0.12', 'aa:bb:cc:00:00:01', 'REACHABLE');
  const n2 = neigh('172.20.0.12', 'aa:bb:cc:00:00:01', 'STALE');
  const n3 = neigh('172.20.0.12', 'aa:bb:cc:00:00:02', 'REACHABLE');
  const at = '2026-12-01T10:00:00.000Z';
  const changes: FactChange[] = [
    { node: 'x', kind: a.kind, key: a.key, at, op: 'add', before: null, after: a.value },
    { node: 'x', kind: n1.kind, key: n1.key, at, op: 'change', before: n1.value, after: n2.value },
    { node: 'x', kind: n2.kind, key: n2.key, at, op: 'change', before: n2.value, after: n3.value },
    { node: 'y', kind: n1.kind, key: n1.key, at, op: 'add', before: null, after: n1.value },
    { node: 'x', kind: a.kind, key: a.key, at, op: 'remove', before: a.value, after: null },
  ];

  const load = (): FactMirror => new Map([['x', new Map([[factId(n1), n1]])]]);
  const after = { x: { [factId(n3)]: n3 }, y: { [factId(n1)]: n1 } };

  it('applies changes in order; a node whose facts all ended drops out', () => {
    const m = load();
    applyToMirror(m, changes);
    expect(plain(m)).toEqual(after);
    applyToMirror(m, [{ node: 'y', kind: n1.kind, key: n1.key, at, op: 'remove', before: n1.value, after: null }]);
    expect([...m.keys()]).toEqual(['x']);
  });

  it('ends in the state after them all also from a read that saw some of them already (the worker applies those held during its load)', () => {
    for (let seen = 0; seen <= changes.length; seen++) {
      const m = load();
      applyToMirror(m, changes.slice(0, seen));
      applyToMirror(m, changes);
      expect(plain(m), `after ${seen} of them`).toEqual(after);
    }
  });
});
