// The painter's drawing, pinned: every call it makes on the canvas and every style it sets, in
// order, for scenes at each level of detail (collapsed, pods, labels), with compare marks, hover,
// selection, search matches, findings, a traced path, a hidden host, statuses, and a cluster big
// enough to draw only the edges in focus (and bundles of arcs as hairlines). The browser bench
// (npm run bench:web) measures the painter; this checks that what it draws stays the same while
// its code is reorganised (issue 17). The pinned logs are painter-pinned/*.txt; after a change of
// drawing that is meant, `npx vitest run apps/web/src/views/topology/painter.spec.ts -u` rewrites them.
import { readFileSync } from 'node:fs';
import { deriveTopology } from '@netatlas/graph';
import type { Fact, NodeStatus, Topology } from '@netatlas/wire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactTopology, fullEdgesOf } from '../../testing/compact-topology.js';
import { syntheticHostName, syntheticTopology } from '../../testing/synthetic-topology.js';
import type { PathHighlight } from '../trace/trace-model.js';
import { hitTest, paintTopology, type PaintInput } from './painter.js';
import { BGP_COLOURS, COLOURS } from './palette.js';
import { compareTopologies, TopologyScene } from './scene.js';

const BGP_RED = BGP_COLOURS.down;
import { topologyMaps } from '@netatlas/graph';

const graphFixture = (style: 'kube-router' | 'calico' | 'flannel'): Record<string, Fact[]> =>
  JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Record<string, Fact[]>;

/** Numbers as the log shows them: rounded, so that the last bits of a float do not matter. */
const num = (x: unknown): unknown => (typeof x === 'number' ? Math.round(x * 1e4) / 1e4 : Array.isArray(x) ? x.map(num) : x);

/** A Path2D that remembers what was added to it (Node has none). */
class RecordingPath {
  readonly ops: string[] = [];
  roundRect(...args: number[]): void {
    this.ops.push(`roundRect ${JSON.stringify(args.map(num))}`);
  }
  rect(...args: number[]): void {
    this.ops.push(`rect ${JSON.stringify(args.map(num))}`);
  }
}

/** A 2D context that logs every method call and property set, in order. */
function recordingContext(log: string[]): CanvasRenderingContext2D {
  const state: Record<string | symbol, unknown> = {};
  const methods = new Map<string | symbol, (...args: unknown[]) => void>();
  return new Proxy({} as CanvasRenderingContext2D, {
    get(_, prop) {
      if (prop === 'roundRect' || typeof prop === 'symbol' || prop in state) return state[prop] ?? methods.get(prop) ?? fnFor(prop);
      return fnFor(prop);
    },
    set(_, prop, value) {
      state[prop] = value;
      log.push(`${String(prop)} = ${JSON.stringify(num(value))}`);
      return true;
    },
  });
  function fnFor(prop: string | symbol) {
    let f = methods.get(prop);
    if (!f) {
      f = (...args: unknown[]) => {
        const shown = args.map((a) => (a instanceof RecordingPath ? `path[${a.ops.join('; ')}]` : num(a)));
        log.push(`${String(prop)}(${shown.map((a) => JSON.stringify(a)).join(', ')})`);
      };
      methods.set(prop, f);
    }
    return f;
  }
}

interface Shot {
  name: string;
  scene: TopologyScene;
  input: Partial<PaintInput> & Pick<PaintInput, 'transform'>;
}

function sceneOf(t: Topology): TopologyScene {
  const s = new TopologyScene();
  s.setTopology(t);
  return s;
}

function shots(): Shot[] {
  const kr = deriveTopology(graphFixture('kube-router'));
  const [h1, h2, h3] = kr.nodes.filter((n) => n.type === 'host').map((n) => n.label) as [string, string, string];
  const pod = kr.nodes.find((n) => n.type === 'pod' && n.host === h2)!;
  const out: Shot[] = [];
  // a real lab at each level of detail
  const lab = sceneOf(kr);
  out.push({ name: 'lab-collapsed', scene: lab, input: { transform: { k: 0.3, x: 40, y: 80 } } });
  out.push({ name: 'lab-pods', scene: lab, input: { transform: { k: 0.9, x: 10, y: 120 }, hover: `host:${h1}`, selected: pod.id } });
  const status = new Map<string, NodeStatus>([[h1, 'lost'], [h2, 'disconnected'], [h3, 'pending']]);
  out.push({ name: 'lab-labels', scene: lab, input: { transform: { k: 3, x: -100, y: 300 }, matches: new Set([pod.id]), status, findings: new Map([[h2, 3], [h3, 120]]), dpr: 2 } });
  // compare marks: the flannel lab against itself with a host gone, a pod gone and routes changed
  const fl = deriveTopology(graphFixture('flannel'));
  const flHosts = fl.nodes.filter((n) => n.type === 'host').map((n) => n.label);
  const gone = flHosts[2]!;
  const later: Topology = {
    nodes: fl.nodes.filter((n) => n.id !== `host:${gone}` && n.host !== gone && !(n.type === 'pod' && n.host === flHosts[0])),
    edges: fl.edges
      .filter((e) => !e.source.includes(gone) && !e.target.includes(gone))
      .map((e) => (e.type === 'route' ? { ...e, data: { ...e.data, nextHopMismatch: true } } : e)),
  };
  const { union, marks } = compareTopologies(topologyMaps(fl), topologyMaps(later));
  const compared = new TopologyScene();
  compared.setTopology(union, marks);
  out.push({ name: 'compare-pods', scene: compared, input: { transform: { k: 1, x: 0, y: 150 } } });
  out.push({ name: 'compare-labels', scene: compared, input: { transform: { k: 3.5, x: -50, y: 400 } } });
  // a traced path and a hidden host
  const traced = sceneOf(deriveTopology(graphFixture('calico')));
  const cHosts = [...traced.layout.hosts.keys()];
  const path: PathHighlight = {
    ids: new Set([`host:${cHosts[0]}`, `host:${cHosts[1]}`]),
    failed: new Set([`host:${cHosts[1]}`]),
    hosts: new Set(cHosts.slice(0, 2)),
    links: [{ source: `host:${cHosts[0]}`, target: `host:${cHosts[1]}` }],
  };
  out.push({ name: 'path', scene: traced, input: { transform: { k: 1.2, x: 0, y: 150 }, path } });
  const hidden = sceneOf(deriveTopology(graphFixture('calico')));
  hidden.setHidden([cHosts[2]!]);
  out.push({ name: 'hidden', scene: hidden, input: { transform: { k: 0.8, x: 0, y: 150 } } });
  // big: 50 hosts (edges in focus only), two of them with sessions down (more problems than drawn)
  const big = sceneOf(syntheticTopology({ hosts: 50, podsPerHost: 4, bgpDown: [3, 17] }));
  const focus = new Set([syntheticHostName(3), syntheticHostName(20)]);
  out.push({ name: 'big-focus', scene: big, input: { transform: { k: 0.25, x: 0, y: 60 }, focusHosts: focus, hover: `host:${syntheticHostName(20)}` } });
  out.push({ name: 'big-zoomed', scene: big, input: { transform: { k: 1.5, x: -2000, y: -500 }, focusHosts: new Set([syntheticHostName(17)]) } });
  // zoomed out to where hosts are cells coloured by health (a lost one, two with sessions down, one selected)
  out.push({
    name: 'big-cells',
    scene: big,
    input: { transform: { k: 0.1, x: 0, y: 60 }, focusHosts: focus, selected: `host:${syntheticHostName(20)}`, status: new Map([[syntheticHostName(30), 'lost' as const]]) },
  });
  const few = sceneOf(syntheticTopology({ hosts: 12, podsPerHost: 3, bgpDown: [5] }));
  out.push({ name: 'mesh-all', scene: few, input: { transform: { k: 0.4, x: 0, y: 60 } } });
  return out;
}

function paintLog(s: Shot): string {
  const log: string[] = [];
  const input: PaintInput = {
    scene: s.scene,
    width: 1200,
    height: 800,
    dpr: 1,
    hover: null,
    selected: null,
    matches: new Set(),
    focusHosts: new Set(),
    status: new Map(),
    ...s.input,
  };
  const stats = paintTopology(recordingContext(log), input);
  log.push(`stats ${JSON.stringify({ hostsDrawn: stats.hostsDrawn, edgesDrawn: stats.edgesDrawn })}`);
  return `${log.join('\n')}\n`;
}

describe('paintTopology', () => {
  const g = globalThis as { Path2D?: unknown };
  const had = g.Path2D;
  beforeAll(() => {
    g.Path2D = RecordingPath;
  });
  afterAll(() => {
    g.Path2D = had;
  });

  it.each(shots().map((s) => [s.name, s] as const))('%s: the same drawing as pinned', async (name, s) => {
    const first = paintLog(s);
    // a second frame of the same scene (from the painter's caches) draws the same
    expect(paintLog(s)).toBe(first);
    await expect(first).toMatchFileSnapshot(`./painter-pinned/${name}.txt`);
  });

  it("a compact host's card shows its routes' coverage, red while short; its focus edges are drawn", () => {
    const full = syntheticTopology({ hosts: 50, podsPerHost: 4, bgpDown: [3] });
    const scene = sceneOf(compactTopology(full));
    const logOf = (input: Partial<PaintInput>) => paintLog({ name: '', scene, input: { transform: { k: 0.25, x: 0, y: 60 }, ...input } }).split('\n');
    const collapsed = logOf({});
    const at = (log: string[], s: string) => log.findIndex((l) => l.startsWith(`fillText(${JSON.stringify(s)}`));
    // host 1 reaches 48 of 49 (not host 3, whose sessions are down); host 3 reaches none
    const i1 = at(collapsed, 'routes 48/49');
    expect(i1).toBeGreaterThan(0);
    expect(collapsed.slice(0, i1).reverse().find((l) => l.startsWith('fillStyle'))).toBe(`fillStyle = ${JSON.stringify(BGP_RED)}`);
    expect(at(collapsed, 'routes 0/49')).toBeGreaterThan(0);
    const interior = logOf({ transform: { k: 1.2, x: 0, y: 60 } });
    expect(at(interior, 'routes 48/49')).toBeGreaterThan(0);

    const h1 = syntheticHostName(1);
    const edgesOf = (log: string[]) => Number(/"edgesDrawn":(\d+)/.exec(log.at(-2) ?? '')?.[1]);
    const before = edgesOf(logOf({ focusHosts: new Set([h1]) }));
    scene.setFocusEdges(fullEdgesOf(full, [h1]));
    expect(edgesOf(logOf({ focusHosts: new Set([h1]) }))).toBeGreaterThan(before + 90);
  });

  it('hosts narrower than 36 px are cells in the colour of their health, one fill per colour', () => {
    const scene = sceneOf(syntheticTopology({ hosts: 50, podsPerHost: 4 }));
    const log = paintLog({ name: '', scene, input: { transform: { k: 0.1, x: 0, y: 60 }, status: new Map([[syntheticHostName(9), 'lost' as const]]) } }).split('\n');
    expect(log.filter((l) => l.startsWith('rect('))).toHaveLength(50);
    // no boxes, no text but the subnet's
    expect(log.filter((l) => (l.startsWith('roundRect(') || l.startsWith('fillText(')) && !l.includes('subnet') && !l.startsWith('roundRect(0, -126,'))).toEqual([]);
    const fills = log.flatMap((l, i) => (l === 'fill()' ? [log.slice(0, i).reverse().find((s) => s.startsWith('fillStyle'))] : []));
    // the subnet, then the healthy hosts in grey and the lost one in red
    expect(fills).toEqual([COLOURS.subnet, COLOURS.hostStroke, COLOURS.statusLost].map((c) => `fillStyle = ${JSON.stringify(c)}`));
    expect(log.at(-2)).toContain('"hostsDrawn":50');
  });

  it("the findings badge leaves a host's BGP label and name readable, at every level of detail", () => {
    const scene = sceneOf(deriveTopology(graphFixture('kube-router')));
    const hosts = [...scene.layout.hosts.keys()];
    const findings = new Map(hosts.map((h, i) => [h, i + 1]));
    for (const k of [0.3, 0.5, 1, 1.2, 3]) {
      const log = paintLog({ name: '', scene, input: { transform: { k, x: 0, y: 200 }, findings } }).split('\n');
      const call = (l: string) => JSON.parse(`[${l.slice(l.indexOf('(') + 1, -1)}]`) as unknown[];
      const badges = log.filter((l) => l.startsWith('arc(')).map((l) => call(l) as number[]);
      expect(badges.length, `k=${k}`).toBeGreaterThan(0);
      // every right-aligned header text (BGP, routes) ends left of its host's badge; every name's room ends before it
      const texts = log.flatMap((l, i) => (l.startsWith('fillText(') ? [{ args: call(l), align: log.slice(0, i).reverse().find((x) => x.startsWith('textAlign'))! }] : []));
      const bgp = texts.filter((t) => String(t.args[0]).startsWith('BGP '));
      expect(bgp.length, `k=${k}`).toBe(badges.length);
      for (const [cx, cy, r] of badges) {
        const box = [...scene.layout.hosts.values()].find((hl) => Math.abs(hl.box.x + hl.box.w - cx! - r! * 0.6) < 1e-6)!.box;
        const inBox = (t: { args: unknown[] }) => (t.args[1] as number) >= box.x && (t.args[1] as number) <= box.x + box.w;
        const label = bgp.find(inBox)!;
        if (label.align.includes('right')) {
          const overlapsVertically = (label.args[2] as number) + 8 > cy! - r! && (label.args[2] as number) - 8 < cy! + r!;
          if (overlapsVertically) expect(label.args[1] as number, `k=${k}: BGP label under the badge`).toBeLessThanOrEqual(cx! - r!);
        }
        const name = texts.find((t) => inBox(t) && hosts.includes(String(t.args[0])))!;
        expect((name.args[1] as number) + (name.args[3] as number), `k=${k}: the name runs under the badge`).toBeLessThanOrEqual(cx! - r! + 1e-6);
      }
    }
  });

  it('hitTest finds the smallest element under a point, else the host, else an outer element', () => {
    const scene = sceneOf(deriveTopology(graphFixture('kube-router')));
    const [name, hl] = [...scene.layout.hosts][0]!;
    const pod = [...hl.items].find(([id]) => id.startsWith('pod:'))!;
    const at = (r: { x: number; y: number; w: number; h: number }) => [r.x + r.w / 2, r.y + r.h / 2] as const;
    expect(hitTest(scene, ...at(pod[1]), 3)?.id).toBe(pod[0]);
    expect(hitTest(scene, ...at(pod[1]), 0.3)?.id).toBe(`host:${name}`);
    const [outerId, outer] = [...scene.layout.outer][0]!;
    expect(hitTest(scene, ...at(outer), 1)?.id).toBe(outerId);
    expect(hitTest(scene, -1e6, -1e6, 1)).toBeNull();
  });
});
