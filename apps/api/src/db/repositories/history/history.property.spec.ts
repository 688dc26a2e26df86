// Random sequences of snapshots and deltas go through the real API (socket.io) into the real
// Postgres; the state at every recorded moment, the state just before it, the changes between
// consecutive moments and the diff between any two must equal an in-memory replay.
import { diff as diffStates, stateOf } from '@netatlas/graph';
import { factId, type Fact } from '@netatlas/wire';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../../../testing/api.js';
import { HistoryReader } from './history-reader.js';
import { neigh, route } from '../../../testing/facts.js';
import { setupOnce } from '../../../testing/setup.js';

// A small universe so that sequences keep hitting the same facts: 4 routes whose gateway varies
// (same key, new value) and 3 neighbors whose state varies.
const DSTS = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24'];
const GATEWAYS = ['172.20.0.11', '172.20.0.12', '172.20.0.13'];
const NEIGHS = ['172.20.0.11', '172.20.0.12', '172.20.0.13'];
const STATES = ['REACHABLE', 'STALE', 'PERMANENT'];

const factArb: fc.Arbitrary<Fact> = fc.oneof(
  fc.record({ d: fc.constantFrom(...DSTS), g: fc.constantFrom(...GATEWAYS) }).map(({ d, g }) => route(d, g)),
  fc.record({ a: fc.constantFrom(...NEIGHS), s: fc.constantFrom(...STATES) }).map(({ a, s }) => neigh(a, '02:00:00:00:00:01', s)),
);
/** a set of facts with distinct keys */
const stateArb = fc.uniqueArray(factArb, { selector: (f) => factId(f), maxLength: 7 });

type Step = { node: 0 | 1 } & ({ type: 'snapshot'; facts: Fact[] } | { type: 'delta'; upserts: Fact[]; deletes: Fact[] });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ node: fc.constantFrom(0 as const, 1 as const), type: fc.constant('snapshot' as const), facts: stateArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ node: fc.constantFrom(0 as const, 1 as const), type: fc.constant('delta' as const), upserts: stateArb, deletes: stateArb }),
  },
);

type Model = Map<string, Map<string, Fact>>;
const sorted = (facts: Iterable<Fact>) => [...facts].sort((a, b) => (factId(a) < factId(b) ? -1 : 1));
const copy = (m: Model): Model => new Map([...m].map(([n, s]) => [n, new Map(s)]));

describe('history equals an in-memory replay', () => {
  let t: TestApi;
  let run = 0;

  setupOnce(async () => {
    t = await startTestApi('property');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('state at every moment, changes and diffs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
        run += 1;
        const names = [`p${run}a`, `p${run}b`];
        const collectors = [await FakeCollector.connect(t.url, names[0]!), await FakeCollector.connect(t.url, names[1]!)];
        try {
          const model: Model = new Map(names.map((n) => [n, new Map()]));
          const moments: Array<{ at: string; state: Model }> = [];
          const started = new Set<number>();
          for (const step of steps) {
            const c = collectors[step.node]!;
            const held = model.get(names[step.node]!)!;
            // a delta before the node's first snapshot is out of order by design: send a snapshot
            if (step.type === 'snapshot' || !started.has(step.node)) {
              const facts = step.type === 'snapshot' ? step.facts : step.upserts;
              const ack = await c.snapshot(facts);
              expect(ack.ok, JSON.stringify(ack)).toBe(true);
              started.add(step.node);
              held.clear();
              for (const f of facts) held.set(factId(f), f);
              if (ack.ok && ack.at) moments.push({ at: ack.at, state: copy(model) });
              continue;
            }
            // one change per fact per delta: a key both upserted and deleted is only upserted
            const upKeys = new Set(step.upserts.map(factId));
            const deletes = step.deletes.filter((f) => !upKeys.has(factId(f)));
            const ack = await c.delta(step.upserts, deletes.map((f) => ({ kind: f.kind, key: f.key })));
            expect(ack.ok, JSON.stringify(ack)).toBe(true);
            for (const f of step.upserts) held.set(factId(f), f);
            for (const f of deletes) held.delete(factId(f));
            if (ack.ok && ack.at) moments.push({ at: ack.at, state: copy(model) });
          }
          const apiState = async (at: string) => {
            const { body } = await t.get<{ nodes: Record<string, Fact[]> }>(`/api/state?at=${encodeURIComponent(at)}`);
            return names.map((n) => sorted(body.nodes[n] ?? []));
          };
          const modelState = (m: Model | undefined) => names.map((n) => sorted(m?.get(n)?.values() ?? []));
          let previous: Model | undefined;
          for (const [i, moment] of moments.entries()) {
            expect(await apiState(moment.at), `state at moment ${i}`).toEqual(modelState(moment.state));
            const justBefore = new Date(Date.parse(moment.at) - 1).toISOString();
            expect(await apiState(justBefore), `state just before moment ${i}`).toEqual(modelState(previous));
            for (const [k, n] of names.entries()) {
              const { body } = await t.get<{ facts: Fact[] }>(`/api/nodes/${n}/facts?at=${encodeURIComponent(moment.at)}`);
              expect(sorted(body.facts)).toEqual(modelState(moment.state)[k]);
            }
            previous = moment.state;
          }
          // diffs and change lists between every pair of moments (and from before the first)
          const points = [{ at: new Date(Date.parse(moments[0]!.at) - 1).toISOString(), state: undefined as Model | undefined }, ...moments];
          for (let i = 0; i < points.length; i++) {
            for (let j = i + 1; j < points.length; j++) {
              const from = points[i]!;
              const to = points[j]!;
              const { body } = await t.get<{ nodes: Record<string, Record<string, { added: Fact[]; removed: Fact[]; changed: Array<{ key: string; kind: string; before: unknown; after: unknown }> }>> }>(
                `/api/diff?from=${encodeURIComponent(from.at)}&to=${encodeURIComponent(to.at)}`,
              );
              // every way of computing a diff agrees (the API picks one by the planner's estimates)
              const reader = new HistoryReader(t.api.database.pool);
              for (const strategy of ['window', 'states', 'versions'] as const) {
                const direct = await reader.diff(new Date(from.at), new Date(to.at), undefined, strategy);
                const mine = Object.fromEntries(Object.entries(direct).filter(([n]) => names.includes(n)));
                expect(mine, `diff by ${strategy}`).toEqual(Object.fromEntries(Object.entries(body.nodes).filter(([n]) => names.includes(n))));
              }
              for (const n of names) {
                const expected = diffStates(stateOf(from.state?.get(n)?.values() ?? []), stateOf(to.state?.get(n)?.values() ?? []));
                const got = body.nodes[n] ?? {};
                const added = Object.values(got).flatMap((d) => d.added);
                const changed = Object.values(got).flatMap((d) => d.changed.map((c) => ({ kind: c.kind, key: c.key, value: c.after }) as Fact));
                const removed = Object.values(got).flatMap((d) => d.removed.map((f) => ({ kind: f.kind, key: f.key })));
                expect(sorted([...added, ...changed]), `upserts ${n} ${i}→${j}`).toEqual(sorted(expected.upserts));
                expect(sorted(removed as Fact[]), `deletes ${n} ${i}→${j}`).toEqual(sorted(expected.deletes as Fact[]));
              }
              if (j === i + 1) {
                // the change list of one step replays the model's step exactly
                const { body: ch } = await t.get<{ changes: Array<{ node: string; kind: string; key: string; op: string; after: unknown }> }>(
                  `/api/changes?from=${encodeURIComponent(from.at)}&to=${encodeURIComponent(to.at)}`,
                );
                const replay = copy(from.state ?? new Map(names.map((n) => [n, new Map()])));
                for (const c of ch.changes) {
                  const s = replay.get(c.node)!;
                  if (c.op === 'remove') s.delete(`${c.kind}|${c.key}`);
                  else s.set(`${c.kind}|${c.key}`, { kind: c.kind, key: c.key, value: c.after } as Fact);
                }
                expect(modelState(replay)).toEqual(modelState(to.state));
              }
            }
          }
        } finally {
          for (const c of collectors) c.close();
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
