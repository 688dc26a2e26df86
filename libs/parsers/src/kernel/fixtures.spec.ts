// Every fixture under ./fixtures: raw tool output (captured by `npm run fixtures:kernel`, except the
// `*-handwritten` cases) parses into facts that the wire schema accepts and that equal the golden.
import { readdirSync, readFileSync } from 'node:fs';
import { FactSchema, type Fact } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { parseAddrs, parseCniRecords, parseFdb, parseLinks, parseNeighbors, parseRoutes, parseRules, parseSysctls } from './index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

const PARSE: Record<string, (text: string) => Fact[]> = {
  'link.json': parseLinks,
  'addr.json': parseAddrs,
  'route-inet.json': (t) => parseRoutes(t, 'inet'),
  'route-inet6.json': (t) => parseRoutes(t, 'inet6'),
  'neigh.json': (t) => parseNeighbors(t, { proxy: false }),
  'neigh-nud-all.json': (t) => parseNeighbors(t, { proxy: false }),
  'neigh-proxy.json': (t) => parseNeighbors(t, { proxy: true }),
  'fdb.json': parseFdb,
  'rule-inet.json': (t) => parseRules(t, 'inet'),
  'rule-inet6.json': (t) => parseRules(t, 'inet6'),
  'sysctl.txt': parseSysctls,
  'cni.txt': parseCniRecords,
};

const CAPTURED_COMMANDS = ['link.json', 'addr.json', 'route-inet.json', 'route-inet6.json', 'neigh.json', 'neigh-proxy.json', 'fdb.json'];
/** captured by capture-kernel.ts for each of its cases (capture-monitor.ts's `monitor` case has the ones above only) */
const KERNEL_CAPTURE_ONLY = ['rule-inet.json', 'rule-inet6.json', 'sysctl.txt'];

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const read = (caseName: string, file: string): string => readFileSync(new URL(`${caseName}/${file}`, FIXTURES), 'utf8');

function rawEntries(file: string, text: string): number {
  if (file === 'sysctl.txt') return new Set([...text.matchAll(/^\/proc\/sys\/net\/ipv[46]\/conf\/([^/]+)\//gm)].map((m) => m[1])).size;
  const rows = JSON.parse(text) as { addr_info?: unknown[] }[];
  return file === 'addr.json' ? rows.reduce((n, r) => n + (r.addr_info?.length ?? 0), 0) : rows.length;
}

function groupByKey(facts: Fact[]): Map<string, Fact[]> {
  const groups = new Map<string, Fact[]>();
  for (const f of facts) groups.set(f.key, [...(groups.get(f.key) ?? []), f]);
  return groups;
}

describe('kernel fixtures', () => {
  it('has the captured cases and the handwritten ipip one', () => {
    expect(cases).toEqual(
      expect.arrayContaining([
        'kube-router', 'calico', 'flannel', 'routes', 'neigh', 'vxlan', 'empty', 'fdb-key-gap', 'rules', 'sysctl', 'cni', 'ipip-handwritten',
      ]),
    );
    for (const c of cases.filter((name) => !name.endsWith('-handwritten') && name !== 'cni')) {
      const lab = ['kube-router', 'calico', 'flannel'].includes(c) ? ['cni.txt'] : [];
      const expected = c === 'monitor' ? CAPTURED_COMMANDS : [...CAPTURED_COMMANDS, ...KERNEL_CAPTURE_ONLY, ...lab];
      expect(readdirSync(new URL(c, FIXTURES)), c).toEqual(expect.arrayContaining(expected));
    }
  });

  for (const caseName of cases) {
    const files = readdirSync(new URL(caseName, FIXTURES)).filter((f) => f in PARSE);
    describe(caseName, () => {
      for (const file of files) {
        it(`${file}: parses into valid facts equal to the golden, with a distinct key per object`, () => {
          const parse = PARSE[file] as (text: string) => Fact[];
          const facts = parse(read(caseName, file));
          for (const fact of facts) expect(FactSchema.parse(fact)).toEqual(fact);
          const golden = JSON.parse(read(caseName, file.replace(/\.(json|txt)$/, '.expected.json'))) as unknown;
          expect(facts).toEqual(golden);
          // the raw output has as many entries as there are facts (addresses: one per addr_info;
          // sysctls: one per interface directory; CNI records: cni-records.spec, by case)
          if (file !== 'cni.txt') expect(facts).toHaveLength(rawEntries(file, read(caseName, file)));
          const duplicates = [...groupByKey(facts).values()].filter((g) => g.length > 1);
          expect(duplicates).toEqual([]);
        });
      }
    });
  }
});

describe('keys keep apart what the kernel keeps apart', () => {
  it('route: the per-device IPv6 routes of a real node each get their own key', () => {
    const routes = parseRoutes(read('kube-router', 'route-inet6.json'), 'inet6');
    const linkLocal = routes.filter((r) => r.value.table === 'main' && r.value.dst === 'fe80::/64');
    expect(linkLocal.map((r) => r.value.dev)).toEqual(['eth0', 'kube-bridge', 'vetha7ebc522', 'veth759022bb']);
    expect(new Set(linkLocal.map((r) => r.key)).size).toBe(4);
  });

  it('fdb: one MAC through one VTEP with another vni or port is another entry', () => {
    const fdb = parseFdb(read('fdb-key-gap', 'fdb.json'));
    expect(fdb).toHaveLength(3);
    expect(new Set(fdb.map((f) => f.key)).size).toBe(3);
    expect(fdb.map((f) => [f.value.vni, f.value.port])).toEqual([[null, null], [20, null], [null, 4790]]);
  });
});
