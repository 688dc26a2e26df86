import { readFileSync } from 'node:fs';
import type { Fact, FactChange } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { labCapture } from '../../testing/fixtures.js';
import { cellText } from '../../ui/table-model.js';
import { buildFactTable, FACT_TABLE_KINDS, marksFromChanges, marksFromDiff, type FactTable, type TableKind } from './fact-table.js';

/** Facts of a real 3-node lab of each style, as libs/graph captured them: {node: Fact[]}. */
const graphFixture = (style: 'kube-router' | 'calico' | 'flannel'): Record<string, Fact[]> =>
  JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Record<string, Fact[]>;

const facts: Fact[] = graphFixture('kube-router')['fxt1-node1']!;
const texts = <K extends TableKind>(t: FactTable<K>, column: string): string[] => t.rows.map((r) => cellText(t.columns.find((c) => c.id === column)!.value(r)));

describe('fact tables of a real kube-router node', () => {
  it('has a table per kind with the facts of that kind', () => {
    for (const kind of FACT_TABLE_KINDS) {
      const t = buildFactTable(kind, facts);
      expect(t.total).toBe(facts.filter((f) => f.kind === kind).length);
    }
    expect(buildFactTable('route', facts).total).toBeGreaterThan(5);
    expect(buildFactTable('ipset', facts).rows.map((r) => r.value.name)).toContain('kube-router-pod-subnets');
  });

  it('sorts routes by destination numerically by default, and by any column on demand', () => {
    const main = buildFactTable('route', facts, { filter: 'table:main' });
    const dsts = texts(main, 'dst');
    expect(dsts.filter((d) => d.startsWith('10.233.'))).toEqual(['10.233.1.0/24', '10.233.2.0/24', '10.233.3.0/24']);
    // addresses before words, IPv4 before IPv6
    expect(dsts.indexOf('10.233.3.0/24')).toBeLessThan(dsts.indexOf('172.20.0.0/24'));
    expect(dsts.findIndex((d) => d.includes(':'))).toBeGreaterThan(dsts.indexOf('172.20.0.0/24'));
    const desc = buildFactTable('route', facts, { sort: { column: 'dst', dir: 'desc' }, filter: 'table:main 10.233' });
    expect(texts(desc, 'dst')).toEqual(['10.233.3.0/24', '10.233.2.0/24', '10.233.1.0/24']);
    expect(texts(desc, 'text')[0]).toBe('10.233.3.0/24 via 172.20.0.13 dev eth0 proto 17');
    const byMetric = buildFactTable('route', facts, { sort: { column: 'metric', dir: 'desc' } });
    const metrics = texts(byMetric, 'metric').map(Number);
    expect(metrics).toEqual([...metrics].sort((a, b) => b - a));
  });

  it('filters by words anywhere, by column:word, and excludes -word', () => {
    expect(buildFactTable('link', facts, { filter: 'veth' }).rows.every((r) => r.value.kind === 'veth' || r.value.ifname.includes('veth'))).toBe(true);
    expect(buildFactTable('addr', facts, { filter: 'device:kube-bridge -inet6' }).rows.map((r) => r.value.address)).toEqual(['10.233.1.1']);
    expect(buildFactTable('bgpSession', facts, { filter: 'established' }).rows).toHaveLength(2);
  });
});

describe('marks', () => {
  const cap = labCapture();
  const removedRoute = cap.routeChanges.changes.find((c) => c.node === 'wdev-node1' && c.at >= '2026-11-23T15:04')!;

  it('a fact removed recently stays as a removed row with its last value', () => {
    const current = facts.filter((f) => !(f.kind === 'route' && f.key === removedRoute.key));
    const t = buildFactTable('route', current, { marks: marksFromChanges([removedRoute]) });
    const row = t.rows.find((r) => r.key === removedRoute.key)!;
    expect(row.mark).toBe('removed');
    expect(row.value.dst).toBe('10.233.3.0/24');
    expect(t.marked).toBe(1);
  });

  it('added then changed stays added; removed then added again is changed; the newest change wins', () => {
    const base = { node: 'n', kind: 'route' as const, key: 'k', before: null, after: facts.find((f) => f.kind === 'route')!.value };
    const m = (ops: FactChange['op'][]) => marksFromChanges(ops.map((op, i) => ({ ...base, op, at: `2026-11-23T15:00:0${i}.000Z` }))).byKind.get('route')!.get('k')!.mark;
    expect(m(['add', 'change'])).toBe('added');
    expect(m(['remove', 'add'])).toBe('changed');
    expect(m(['change'])).toBe('changed');
    expect(m(['add', 'remove'])).toBe('removed');
  });

  it('marks from a compare diff: what the API says was added, changed and removed', () => {
    const marks = marksFromDiff(cap.diffAroundRemoval.nodes['wdev-node1']);
    expect(marks.byKind.get('route')?.get('main|inet|10.233.3.0/24|0|0|eth0')?.mark).toBe('removed');
    expect(marks.byKind.get('bgpSession')?.get('gobgp|172.20.0.13')?.mark).toBe('removed');
    expect([...(marks.byKind.get('neigh')?.values() ?? [])].every((m) => m.mark === 'changed' || m.mark === 'added' || m.mark === 'removed')).toBe(true);
  });

  it('can list marked rows first', () => {
    const m = marksFromChanges([{ node: 'n', kind: 'link', key: 'lo', at: '2026-11-23T15:00:00.000Z', op: 'change', before: null, after: null }]);
    const t = buildFactTable('link', facts, { marks: m, markedFirst: true });
    expect(t.rows[0]!.key).toBe('lo');
    expect(t.rows[0]!.mark).toBe('changed');
  });
});
