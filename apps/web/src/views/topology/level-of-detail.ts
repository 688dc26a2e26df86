// Semantic zoom: what to draw of a host and of the edges at a given zoom scale. Pure, so the
// thresholds are tested apart from the canvas.
import type { bgpStateClass } from '@netatlas/graph';
import { HOST_W, type HostLayout, type Rect } from './layout.js';

export type HostDetail = 'collapsed' | 'pods' | 'labels';

/** A host narrower than this on screen (px) collapses to one box with counts. */
export const COLLAPSE_BELOW_PX = 130;
/** Pods get their labels once their slot is this big on screen (px). */
export const LABELS_FROM_PX = 34;

export function hostDetail(scale: number, host: Pick<HostLayout, 'unit'>): HostDetail {
  if (HOST_W * scale < COLLAPSE_BELOW_PX) return 'collapsed';
  return host.unit * scale >= LABELS_FROM_PX ? 'labels' : 'pods';
}

/** The zoom scale below which every host is collapsed. */
export const COLLAPSE_SCALE = COLLAPSE_BELOW_PX / HOST_W;

/** A zoom scale at which every host draws its pods (just above COLLAPSE_SCALE, clear of rounding). */
export const PODS_SCALE = COLLAPSE_SCALE * 1.01;

/**
 * The zoom that frames a world rectangle in the middle of a canvas with a margin: a scale (at most
 * `maxScale`; at least `minScale`, even if the rectangle then overflows a small canvas) and the
 * translation of the zoom transform (screen = world × k + (x, y)).
 */
export function frameRect(r: Rect, canvas: { width: number; height: number }, maxScale: number, minScale = 0, margin = 40): { k: number; x: number; y: number } {
  const k = Math.max(minScale, Math.min(maxScale, (canvas.width - 2 * margin) / r.w, (canvas.height - 2 * margin) / r.h));
  return { k, x: canvas.width / 2 - k * (r.x + r.w / 2), y: canvas.height / 2 - k * (r.y + r.h / 2) };
}

/**
 * How an element inside a host is drawn: its host's detail at this scale, or `offscreen` when its
 * rectangle (screen px) is outside the canvas. (For tests and measurements: the canvas's
 * `data-selected-detail`.)
 */
export function elementDetail(
  scale: number,
  host: Pick<HostLayout, 'unit'>,
  screen: { x: number; y: number; w: number; h: number },
  canvas: { width: number; height: number },
): HostDetail | 'offscreen' {
  if (screen.x + screen.w <= 0 || screen.y + screen.h <= 0 || screen.x >= canvas.width || screen.y >= canvas.height) return 'offscreen';
  return hostDetail(scale, host);
}

/**
 * A collapsed host narrower than this on screen (px) has no room for its name: it is drawn as a
 * plain cell in its health's colour, the cluster as a heat map (the boxes, borders and accents of
 * thousands of hosts cost a 5000-host overview ~15 ms of painting and more of rasterizing).
 */
export const CELL_BELOW_PX = 36;

/** Every host is a cell at this scale. */
export const drawsCells = (scale: number): boolean => HOST_W * scale < CELL_BELOW_PX;

/**
 * Which edges are drawn. Problems always are (a BGP session not established, a route whose next
 * hop is not the host owning the prefix); healthy BGP and route edges are drawn for every host only
 * while the graph is small enough to read, otherwise only for the hosts in focus (hovered, selected,
 * found by a search).
 */
export interface EdgePolicy {
  /** draw all healthy BGP edges up to this many hosts */
  allBgpUpTo: number;
  /** draw all healthy route edges up to this many hosts */
  allRoutesUpTo: number;
  /** draw every underlay star edge up to this many hosts */
  allUnderlayUpTo: number;
  /**
   * draw every problem edge while there are at most this many; beyond, a problem is shown by its
   * hosts' red borders and counts, and its edges only for the hosts in focus (one node down in a
   * 200-node mesh is 398 red arcs: noise, not news)
   */
  problemEdgesUpTo: number;
}

export const DEFAULT_EDGE_POLICY: EdgePolicy = { allBgpUpTo: 40, allRoutesUpTo: 24, allUnderlayUpTo: 40, problemEdgesUpTo: 60 };

export type EdgeDraw = 'all' | 'focus';

export function edgeDrawModes(
  hostCount: number,
  problemCount = 0,
  policy: EdgePolicy = DEFAULT_EDGE_POLICY,
): { bgp: EdgeDraw; route: EdgeDraw; underlay: EdgeDraw; problems: EdgeDraw } {
  return {
    bgp: hostCount <= policy.allBgpUpTo ? 'all' : 'focus',
    route: hostCount <= policy.allRoutesUpTo ? 'all' : 'focus',
    underlay: hostCount <= policy.allUnderlayUpTo ? 'all' : 'focus',
    problems: problemCount <= policy.problemEdgesUpTo ? 'all' : 'focus',
  };
}

/** established: green; on the way up: amber; down: red (libs/graph's bgpStateClass) */
export type BgpColour = ReturnType<typeof bgpStateClass>;
