// The workers' copy of the current facts: changes applied, and taken back newest first to the state
// before them, whether or not the state they are taken from had seen the last of them.
import { factId, type FactChange } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { neigh, route } from '../testing/facts.js';
import { applyToMirror, loadMirror, undoInMirror, type FactMirror } from './fact-mirror.js';

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

  it('undoes what it applied, back to the state before', () => {
    const m: FactMirror = new Map();
    loadMirror(m, [['x', [n1]]]);
    const before = plain(m);
    applyToMirror(m, changes);
    expect(plain(m)).toEqual({ x: { [factId(n3)]: n3 }, y: { [factId(n1)]: n1 } });
    undoInMirror(m, changes);
    expect(plain(m)).toEqual(before);
  });

  it('gives the state before the changes also from a state that saw only some of them', () => {
    for (let seen = 0; seen <= changes.length; seen++) {
      const m: FactMirror = new Map();
      loadMirror(m, [['x', [n1]]]);
      const before = plain(m);
      applyToMirror(m, changes.slice(0, seen));
      undoInMirror(m, changes);
      expect(plain(m), `after ${seen} of them`).toEqual(before);
    }
  });
});
