// The drawn frame kept in an offscreen canvas while the view only pans. Without GPU raster every
// frame of a pan made Chromium rasterize the whole picture again: at 5000 hosts the boxes and a held
// host's ~10,000 session and route arcs cost ~70 ms a frame (bench:web), while moving a bitmap costs
// ~2 ms. The cache holds everything the scene draws at the current scale (its bounds and the arcs
// rising above them), painted by the same painter, and is blitted at whole device pixels; it is
// painted on a frame that pans (same scale, another translation) when what it shows changed. Any
// other frame — zooming, a patch or a hover while the view stands still — is painted straight on
// screen, as before (a cache painted then would cost up to three screens' painting for nothing), and
// so is a pan when the picture at this scale is too big to hold.
import { layoutBounds, type Rect, type TopologyLayout } from './layout.js';
import { paintTopology, type PaintInput, type PaintStats } from './painter.js';
import { COLOURS } from './palette.js';

/** The cache may hold this many times the screen's pixels (the whole cluster zoomed out, with room above for arcs). */
export const CACHE_MAX_SCREENS = 3;
/** browsers refuse bigger canvases */
const CACHE_MAX_SIDE = 8192;
/** screen px around the scene's bounds: outlines, findings badges and stroke widths reach past its boxes */
const CACHE_MARGIN_PX = 16;

export interface CacheCanvas {
  width: number;
  height: number;
  getContext(kind: '2d', options: { alpha: false }): CanvasRenderingContext2D | null;
}

export interface FrameCacheOptions {
  /** a new offscreen canvas (document.createElement('canvas') in the page) */
  createCanvas: () => CacheCanvas;
  /** the painter (tests pass a recording one) */
  paint?: typeof paintTopology;
}

/** What a frame draws, but for the translation: equal stamps draw the same picture, shifted. */
function sameBut(a: PaintInput, b: PaintInput): boolean {
  return (
    a.scene === b.scene &&
    a.transform.k === b.transform.k &&
    a.width === b.width &&
    a.height === b.height &&
    a.dpr === b.dpr &&
    a.hover === b.hover &&
    a.selected === b.selected &&
    a.matches === b.matches &&
    sameSet(a.focusHosts, b.focusHosts) &&
    a.status === b.status &&
    a.findings === b.findings &&
    (a.path ?? null) === (b.path ?? null)
  );
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Where everything the painter draws for a layout lies, in world units: its bounds, and above them
 * the arcs' rise. An arc from a to b peaks at most (len × bend + 30) / 2 above the higher end
 * (painter.ts strokeCurves; the steepest bend is a traced path's, 0.4), len at most the diagonal.
 */
export function drawnBounds(layout: TopologyLayout): Rect {
  const b = layoutBounds(layout);
  const rise = (Math.hypot(b.w, b.h) * 0.4 + 30) / 2;
  return { x: b.x, y: b.y - rise, w: b.w, h: b.h + rise };
}

/** The hosts whose boxes are on screen, as the painter counts those it draws. */
function hostsOnScreen(input: PaintInput): number {
  const { k, x, y } = input.transform;
  const x0 = -x / k;
  const y0 = -y / k;
  const x1 = (input.width - x) / k;
  const y1 = (input.height - y) / k;
  let n = 0;
  for (const hl of input.scene.layout.hosts.values()) {
    const r = hl.box;
    if (r.x <= x1 && r.x + r.w >= x0 && r.y <= y1 && r.y + r.h >= y0) n++;
  }
  return n;
}

export class FrameCache {
  private canvas: CacheCanvas | null = null;
  private cacheCtx: CanvasRenderingContext2D | null = null;
  /** what the cache shows, and the screen translation (device px) it was painted at */
  private shown: { input: PaintInput; version: number; tx: number; ty: number; left: number; top: number; stats: PaintStats } | null = null;
  /** the previous frame's transform: the same scale at another translation is a pan */
  private last: { k: number; x: number; y: number } | null = null;
  private bounds: { layout: TopologyLayout; rect: Rect } | null = null;
  private readonly paint: typeof paintTopology;

  constructor(private readonly options: FrameCacheOptions) {
    this.paint = options.paint ?? paintTopology;
  }

  /** Frames painted into the cache and frames only blitted from it, for tests and the curious. */
  readonly counts = { direct: 0, cached: 0, blitted: 0 };

  /** Draws a frame on `ctx` (the screen's canvas, width × height CSS px at input.dpr). */
  draw(ctx: CanvasRenderingContext2D, input: PaintInput): PaintStats {
    const started = performance.now();
    const { dpr, transform: t } = input;
    const panning = this.last !== null && this.last.k === t.k && (this.last.x !== t.x || this.last.y !== t.y);
    this.last = { k: t.k, x: t.x, y: t.y };
    const s = this.shown;
    if (s && s.version === input.scene.version && sameBut(s.input, input)) {
      this.blit(ctx, input, s.left + Math.round(dpr * t.x - s.tx), s.top + Math.round(dpr * t.y - s.ty));
      this.counts.blitted++;
      return { hostsDrawn: hostsOnScreen(input), edgesDrawn: s.stats.edgesDrawn, ms: performance.now() - started };
    }
    const area = panning ? this.area(input) : null;
    if (!area) {
      this.shown = null;
      this.counts.direct++;
      return this.paint(ctx, input);
    }
    if (!this.canvas) {
      this.canvas = this.options.createCanvas();
      this.cacheCtx = null;
    }
    if (this.canvas.width !== area.w || this.canvas.height !== area.h || !this.cacheCtx) {
      this.canvas.width = area.w;
      this.canvas.height = area.h;
      this.cacheCtx = this.canvas.getContext('2d', { alpha: false });
    }
    const cacheCtx = this.cacheCtx;
    if (!cacheCtx) {
      this.counts.direct++;
      return this.paint(ctx, input);
    }
    // the cache's device pixels are the screen's, shifted by (left, top): no resampling when blitted
    const stats = this.paint(cacheCtx, {
      ...input,
      transform: { k: t.k, x: t.x - area.left / dpr, y: t.y - area.top / dpr },
      width: area.w / dpr,
      height: area.h / dpr,
    });
    this.shown = { input, version: input.scene.version, tx: dpr * t.x, ty: dpr * t.y, left: area.left, top: area.top, stats };
    this.blit(ctx, input, area.left, area.top);
    this.counts.cached++;
    return { hostsDrawn: hostsOnScreen(input), edgesDrawn: stats.edgesDrawn, ms: performance.now() - started };
  }

  /** Lets go of the cache's pixels. */
  release(): void {
    if (this.canvas) {
      this.canvas.width = 0;
      this.canvas.height = 0;
    }
    this.canvas = null;
    this.cacheCtx = null;
    this.shown = null;
  }

  /** The device-pixel rectangle on screen (at this translation) the cache covers, or null when too big to hold. */
  private area(input: PaintInput): { left: number; top: number; w: number; h: number } | null {
    const { transform: t, dpr } = input;
    const layout = input.scene.layout;
    if (this.bounds?.layout !== layout) this.bounds = { layout, rect: drawnBounds(layout) };
    const b = this.bounds.rect;
    const left = Math.floor(dpr * (t.x + t.k * b.x - CACHE_MARGIN_PX));
    const top = Math.floor(dpr * (t.y + t.k * b.y - CACHE_MARGIN_PX));
    const w = Math.ceil(dpr * (t.x + t.k * (b.x + b.w) + CACHE_MARGIN_PX)) - left;
    const h = Math.ceil(dpr * (t.y + t.k * (b.y + b.h) + CACHE_MARGIN_PX)) - top;
    const screen = input.width * input.height * dpr * dpr;
    if (w <= 0 || h <= 0 || w > CACHE_MAX_SIDE || h > CACHE_MAX_SIDE || w * h > CACHE_MAX_SCREENS * screen) return null;
    return { left, top, w, h };
  }

  private blit(ctx: CanvasRenderingContext2D, input: PaintInput, left: number, top: number): void {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = COLOURS.background;
    ctx.fillRect(0, 0, input.width * input.dpr, input.height * input.dpr);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.canvas as unknown as CanvasImageSource, left, top);
  }
}
