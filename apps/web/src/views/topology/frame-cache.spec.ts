// The frame cache: a pan blits the picture painted once (at whole device pixels, where the translation
// puts it) and paints it again when anything but the translation changed; a frame that does not pan
// (a zoom, a patch while standing still) and a picture too big to hold are painted straight on
// screen; the cache holds all the painter draws (arcs included).
import { describe, expect, it } from 'vitest';
import { compactTopology, fullEdgesOf } from '../../testing/compact-topology.js';
import { syntheticHostName, syntheticTopology } from '../../testing/synthetic-topology.js';
import { drawnBounds, FrameCache, type CacheCanvas } from './frame-cache.js';
import { paintTopology, type PaintInput, type PaintStats } from './painter.js';
import { TopologyScene } from './scene.js';

interface Call {
  name: string;
  args: unknown[];
}

/** A 2D context that records its method calls (properties are just kept). */
function recorder(calls: Call[]): CanvasRenderingContext2D {
  const state: Record<string | symbol, unknown> = {};
  return new Proxy({} as CanvasRenderingContext2D, {
    get: (_, prop) => (prop in state ? state[prop] : (...args: unknown[]) => calls.push({ name: String(prop), args })),
    set: (_, prop, value) => ((state[prop] = value), true),
  });
}

function fixture(hosts = 200) {
  const full = syntheticTopology({ hosts, podsPerHost: 3 });
  const scene = new TopologyScene();
  scene.setTopology(compactTopology(full));
  const held = syntheticHostName(7);
  scene.setFocusEdges(fullEdgesOf(full, [held]));
  const painted: { ctx: CanvasRenderingContext2D; input: PaintInput }[] = [];
  const paint = (ctx: CanvasRenderingContext2D, input: PaintInput): PaintStats => {
    painted.push({ ctx, input });
    return { hostsDrawn: 1, edgesDrawn: 2, ms: 0 };
  };
  const cacheCalls: Call[] = [];
  const cacheCtx = recorder(cacheCalls);
  const canvases: CacheCanvas[] = [];
  const cache = new FrameCache({
    paint,
    createCanvas: () => {
      const c: CacheCanvas = { width: 0, height: 0, getContext: () => cacheCtx };
      canvases.push(c);
      return c;
    },
  });
  const screenCalls: Call[] = [];
  const screen = recorder(screenCalls);
  const base: PaintInput = {
    scene,
    transform: { k: 0.05, x: 40, y: 120 },
    width: 1600,
    height: 1000,
    dpr: 1,
    hover: `host:${held}`,
    selected: null,
    matches: new Set(),
    focusHosts: new Set([held]),
    status: new Map(),
  };
  return { scene, cache, painted, screen, screenCalls, cacheCtx, canvases, base, held };
}

describe('FrameCache', () => {
  it('pans by blitting the picture painted once, at whole device pixels', () => {
    const f = fixture();
    const at = (x: number, y: number, extra: Partial<PaintInput> = {}) => f.cache.draw(f.screen, { ...f.base, ...extra, transform: { k: 0.05, x, y } });
    // a frame that does not pan is drawn straight (a zoom might go on; standing still, nothing to blit)
    at(30, 110);
    at(30, 110);
    expect(f.painted).toHaveLength(2);
    expect(f.painted.every((p) => p.ctx === f.screen)).toBe(true);
    // the first frame of a pan: painted into the cache, then blitted
    at(40, 120);
    expect(f.painted).toHaveLength(3);
    expect(f.painted[2]!.ctx).toBe(f.cacheCtx);
    const cached = f.painted[2]!.input;
    const [canvas] = f.canvases;
    const blits = () => f.screenCalls.filter((c) => c.name === 'drawImage').map((c) => c.args.slice(1));
    const [left, top] = blits()[0] as [number, number];
    // the cache's world → pixels is the screen's, shifted by where the cache sits
    expect(cached.transform).toEqual({ k: 0.05, x: 40 - left, y: 120 - top });
    expect(Number.isInteger(left) && Number.isInteger(top)).toBe(true);
    expect([cached.width, cached.height]).toEqual([canvas!.width, canvas!.height]);
    // panning (with new but equal sets of the same hosts in focus) paints nothing more
    at(140.4, 70.6, { focusHosts: new Set([f.held]) });
    at(-20, 300);
    // and standing still again shows the same
    at(-20, 300);
    expect(f.painted).toHaveLength(3);
    expect(blits().slice(1)).toEqual([
      [left + 100, top - 49],
      [left - 60, top + 180],
      [left - 60, top + 180],
    ]);
    expect(f.cache.counts).toEqual({ direct: 2, cached: 1, blitted: 3 });
  });

  it('paints again, panning, when anything but the translation changed; straight when not panning', () => {
    const f = fixture();
    let x = 40;
    /** a frame of a pan, one px on */
    const draw = (extra: Partial<PaintInput> = {}) => f.cache.draw(f.screen, { ...f.base, ...extra, transform: { ...f.base.transform, x: x++ } });
    draw();
    draw();
    const n = () => f.painted.length;
    expect(n()).toBe(2);
    expect(f.painted[1]!.ctx).toBe(f.cacheCtx);
    const changes: Partial<PaintInput>[] = [
      { hover: null },
      { selected: `host:${f.held}` },
      { matches: new Set([`host:${f.held}`]) },
      { focusHosts: new Set([syntheticHostName(8)]) },
      { status: new Map([[f.held, 'lost' as const]]) },
      { findings: new Map([[f.held, 2]]) },
      { width: 1200 },
    ];
    for (const change of changes) {
      const before = n();
      draw(change);
      expect(n(), JSON.stringify(Object.keys(change))).toBe(before + 1);
      expect(f.painted.at(-1)!.ctx).toBe(f.cacheCtx);
      draw(change);
      expect(n()).toBe(before + 1);
    }
    // a live patch (the scene's version)
    const before = n();
    f.scene.setHidden([syntheticHostName(9)]);
    draw(changes.at(-1));
    expect(n()).toBe(before + 1);
    expect(f.painted.at(-1)!.ctx).toBe(f.cacheCtx);
    // the same, standing still: straight on screen
    f.scene.setHidden([]);
    f.cache.draw(f.screen, { ...f.base, ...changes.at(-1), transform: { ...f.base.transform, x: x - 1 } });
    expect(n()).toBe(before + 2);
    expect(f.painted.at(-1)!.ctx).toBe(f.screen);
  });

  it('draws straight on screen while zooming, and when the picture at the scale is too big to hold', () => {
    const f = fixture();
    const k = (scale: number, x = 0) => f.cache.draw(f.screen, { ...f.base, transform: { k: scale, x, y: 0 } });
    // a wheel zooms about the pointer: scale and translation change together
    for (const scale of [0.05, 0.06, 0.07]) k(scale, -scale * 1000);
    expect(f.painted.every((p) => p.ctx === f.screen)).toBe(true);
    // panning zoomed in on 200 hosts: far more than three screens
    k(0.6);
    k(0.6, 10);
    expect(f.painted.slice(-2).every((p) => p.ctx === f.screen)).toBe(true);
    expect(f.canvases).toHaveLength(0);
    f.cache.release();
  });

  it('holds everything the painter draws: the scene and the arcs above it', () => {
    const f = fixture(60);
    const b = drawnBounds(f.scene.layout);
    const calls: Call[] = [];
    const ctx = recorder(calls);
    // a screen that shows it all, with the held host's sessions and routes to every other host
    paintTopology(ctx, { ...f.base, transform: { k: 0.01, x: 500, y: 500 } });
    let points = 0;
    const inside = (x: number, y: number) => {
      points++;
      expect(x).toBeGreaterThanOrEqual(b.x - 1e-6);
      expect(x).toBeLessThanOrEqual(b.x + b.w + 1e-6);
      expect(y).toBeGreaterThanOrEqual(b.y - 1e-6);
      expect(y).toBeLessThanOrEqual(b.y + b.h + 1e-6);
    };
    let from: [number, number] = [0, 0];
    for (const { name, args } of calls) {
      const a = args as number[];
      if (name === 'moveTo' || name === 'lineTo') {
        inside(a[0]!, a[1]!);
        from = [a[0]!, a[1]!];
      } else if (name === 'quadraticCurveTo') {
        // the curve's top: (start + 2 × control + end) / 4 at its middle (x lies between its ends)
        inside(a[2]!, a[3]!);
        inside((from[0] + 2 * a[0]! + a[2]!) / 4, (from[1] + 2 * a[1]! + a[3]!) / 4);
      } else if (name === 'roundRect' || name === 'fillRect' || name === 'strokeRect') {
        inside(a[0]!, a[1]!);
      }
    }
    expect(points).toBeGreaterThan(2 * 59);
  });
});
