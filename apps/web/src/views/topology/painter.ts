// Draws the topology scene on a 2D canvas (the only DOM-facing code of the topology besides the
// view). World coordinates come from the layout; the zoom transform maps them to the screen. Only
// what is on screen is drawn, hosts at the level of detail their on-screen size allows, and edges
// in one path per colour, so 200 hosts × 50 pods pan and zoom smoothly.
import { bgpStateClass } from '@netatlas/graph';
import type { NodeStatus, TopoEdge, TopoNode } from '@netatlas/wire/core';
import type { PathHighlight } from '../trace/trace-model.js';
import { hostAt, type HostLayout, type Rect } from './layout.js';
import { CELL_BELOW_PX, drawsCells, edgeDrawModes, hostDetail, type BgpColour } from './level-of-detail.js';
import { BGP_COLOURS, cniColour, COLOURS } from './palette.js';
import type { HostStats, RouteCoverage, TopologyScene } from './scene.js';

export interface ZoomTransformLike {
  k: number;
  x: number;
  y: number;
}

export interface PaintInput {
  scene: TopologyScene;
  transform: ZoomTransformLike;
  width: number;
  height: number;
  dpr: number;
  hover: string | null;
  selected: string | null;
  matches: ReadonlySet<string>;
  /** hosts whose healthy edges are drawn even in a big cluster (hovered, selected, found) */
  focusHosts: ReadonlySet<string>;
  /** live node status by host name (empty when showing the past) */
  status: ReadonlyMap<string, NodeStatus>;
  /** expected-state findings per host (GET /api/checks at the moment shown) */
  findings?: ReadonlyMap<string, number>;
  /** a traced path: its hosts and pods outlined, its hand-overs drawn, where it failed in red */
  path?: PathHighlight | null;
}

export interface PaintStats {
  hostsDrawn: number;
  edgesDrawn: number;
  ms: number;
}

interface EdgeLists {
  version: number;
  underlay: TopoEdge[];
  bgp: TopoEdge[];
  route: TopoEdge[];
  tunnel: TopoEdge[];
  veth: TopoEdge[];
  /** BGP sessions not established, routes via the wrong host */
  problems: TopoEdge[];
}

const edgeCache = new WeakMap<TopologyScene, EdgeLists>();

function edgeLists(scene: TopologyScene): EdgeLists {
  const cached = edgeCache.get(scene);
  if (cached && cached.version === scene.version) return cached;
  const lists: EdgeLists = { version: scene.version, underlay: [], bgp: [], route: [], tunnel: [], veth: [], problems: [] };
  for (const e of scene.maps.edges.values()) {
    switch (e.type) {
      case 'underlay':
        lists.underlay.push(e);
        break;
      case 'bgp':
        lists.bgp.push(e);
        if (e.data['state'] !== 'established') lists.problems.push(e);
        break;
      case 'route':
        lists.route.push(e);
        if (e.data['nextHopMismatch'] === true) lists.problems.push(e);
        break;
      case 'tunnel':
        lists.tunnel.push(e);
        break;
      case 'veth':
        lists.veth.push(e);
        break;
    }
  }
  edgeCache.set(scene, lists);
  return lists;
}

interface FocusEdges {
  version: number;
  /** the hosts in focus */
  key: string;
  lists: Map<string, TopoEdge[]>;
}

const focusCache = new WeakMap<TopologyScene, FocusEdges>();

/** The edges of the hosts in focus, computed once per scene version and focus (not on every frame of a pan). */
function focusEdges(scene: TopologyScene, focusHosts: ReadonlySet<string>, what: string, compute: () => TopoEdge[]): TopoEdge[] {
  const key = [...focusHosts].sort().join('\u0000');
  let cached = focusCache.get(scene);
  if (!cached || cached.version !== scene.version || cached.key !== key) focusCache.set(scene, (cached = { version: scene.version, key, lists: new Map() }));
  let edges = cached.lists.get(what);
  if (!edges) cached.lists.set(what, (edges = compute()));
  return edges;
}

interface PodShapes {
  marks: ReadonlyMap<string, string>;
  path: Path2D;
}

const podCache = new WeakMap<HostLayout, PodShapes>();

/**
 * A host's pods (but those marked removed, drawn faded one by one) as one path in world units: built
 * once per host layout, filled with one call on every frame instead of a path and a fill per pod.
 */
function podShapes(scene: TopologyScene, hl: HostLayout, members: ReadonlyMap<string, TopoNode>): Path2D {
  const cached = podCache.get(hl);
  if (cached && cached.marks === scene.marks) return cached.path;
  const path = new Path2D();
  for (const n of members.values()) {
    const r = hl.items.get(n.id);
    if (!r || n.type !== 'pod' || scene.marks.get(n.id) === 'removed') continue;
    if (typeof path.roundRect === 'function') path.roundRect(r.x, r.y, r.w, r.h, Math.min(4, r.w / 4, r.h / 2));
    else path.rect(r.x, r.y, r.w, r.h);
  }
  podCache.set(hl, { marks: scene.marks, path });
  return path;
}

const center = (r: Rect): [number, number] => [r.x + r.w / 2, r.y + r.h / 2];

/**
 * A stroke of more arcs than this (a host in focus in a big cluster has two sessions and two routes
 * to every other host) is drawn as hairlines. Without GPU raster, Chromium strokes a line wider than
 * one device pixel by outlining the whole path first: hundreds of long arcs then cost 50-400 ms a
 * frame instead of a few ms (npm run bench:web), while in a bundle that dense one pixel reads the same.
 */
const MANY_CURVES = 64;
/** just under one device pixel: Skia draws it as a hairline (one pixel, alpha scaled by the width) */
const HAIRLINE_PX = 0.99;

function intersects(r: Rect, x0: number, y0: number, x1: number, y1: number): boolean {
  return r.x <= x1 && r.x + r.w >= x0 && r.y <= y1 && r.y + r.h >= y0;
}

export function paintTopology(ctx: CanvasRenderingContext2D, input: PaintInput): PaintStats {
  const started = performance.now();
  const f = beginFrame(ctx, input);
  // edges under the boxes, then outer elements and hosts, then BGP, route and tunnel edges over the boxes
  paintUnderlay(f);
  paintOuterElements(f);
  if (drawsCells(f.k)) paintHostCells(f);
  else for (const [name, hl] of input.scene.layout.hosts) if (intersects(hl.box, f.x0, f.y0, f.x1, f.y1)) paintHost(f, name, hl);
  paintRouteEdges(f);
  paintBgpEdges(f);
  byMark(f, f.lists.tunnel, (es, colour, dash) => strokeCurves(f, es, colour ?? COLOURS.tunnelEdge, 1.2, 0.22, dash.length ? dash : [4, 3]));
  // a traced path's hand-overs from host to host, over everything
  if (input.path && input.path.links.length > 0) strokeCurves(f, input.path.links, COLOURS.path, 3, 0.4);
  f.stats.ms = performance.now() - started;
  return f.stats;
}

/** What the steps of one frame share: built once per paint, never per element. */
interface Frame {
  ctx: CanvasRenderingContext2D;
  input: PaintInput;
  scene: TopologyScene;
  /** the zoom scale */
  k: number;
  /** the world rectangle on screen */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** one screen pixel in world units */
  px: number;
  stats: PaintStats;
  lists: EdgeLists;
  modes: ReturnType<typeof edgeDrawModes>;
}

/** Clears the canvas, sets the zoom transform, and works out what the frame's steps share. */
function beginFrame(ctx: CanvasRenderingContext2D, input: PaintInput): Frame {
  const { scene, transform: t, width, height, dpr } = input;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = COLOURS.background;
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
  const lists = edgeLists(scene);
  return {
    ctx,
    input,
    scene,
    k: t.k,
    x0: -t.x / t.k,
    y0: -t.y / t.k,
    x1: (width - t.x) / t.k,
    y1: (height - t.y) / t.k,
    px: 1 / t.k,
    stats: { hostsDrawn: 0, edgesDrawn: 0, ms: 0 },
    lists,
    modes: edgeDrawModes(scene.layout.hosts.size, lists.problems.length),
  };
}

const isHidden = (scene: TopologyScene, id: string): boolean => scene.isHidden(scene.hostOf(id));

/** Healthy edges of the hosts in focus (from the scene's per-host index) plus every problem edge. */
function focusAndProblems(f: Frame, type: 'bgp' | 'route'): TopoEdge[] {
  const { scene, input, modes, lists } = f;
  return focusEdges(scene, input.focusHosts, `${type}|${modes.problems}`, () => {
    const out = new Map<string, TopoEdge>();
    for (const h of input.focusHosts) for (const e of scene.edgesTouching(h, type)) out.set(e.id, e);
    if (modes.problems === 'all') for (const e of lists.problems) if (e.type === type) out.set(e.id, e);
    return [...out.values()];
  });
}

/** Where an edge meets an element: a host at the middle of its top side (its node IP), anything else at its centre. */
function anchor(scene: TopologyScene, id: string): [number, number] | null {
  const r = scene.rectOf(id);
  if (!r) return null;
  return id.startsWith('host:') ? [r.x + r.w / 2, r.y] : [r.x + r.w / 2, r.y + r.h / 2];
}

/**
 * Edges as arcs rising above the hosts they join: A→B and B→A at two heights, so both directions
 * of a session (or route) stay visible, each in its own colour.
 */
function strokeCurves(f: Frame, edges: readonly Pick<TopoEdge, 'source' | 'target'>[], colour: string, widthPx: number, bend: number, dash: number[] = [], alpha = 1): void {
  if (edges.length === 0) return;
  const { ctx, scene, px } = f;
  ctx.beginPath();
  let n = 0;
  for (const e of edges) {
    if (isHidden(scene, e.source) || isHidden(scene, e.target)) continue;
    const a = anchor(scene, e.source);
    const b = anchor(scene, e.target);
    if (!a || !b) continue;
    const [ax, ay] = a;
    const [bx, by] = b;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const rise = len * bend + (e.source < e.target ? 14 : 30);
    const cx = (ax + bx) / 2;
    const cy = Math.min(ay, by) - rise;
    if (Math.max(ax, bx) < f.x0 || Math.min(ax, bx) > f.x1 || Math.max(ay, by) < f.y0 || cy > f.y1) continue;
    ctx.moveTo(ax, ay);
    ctx.quadraticCurveTo(cx, cy, bx, by);
    n++;
  }
  ctx.strokeStyle = colour;
  ctx.lineWidth = (n > MANY_CURVES ? Math.min(widthPx, HAIRLINE_PX) : widthPx) * px;
  ctx.globalAlpha = alpha;
  ctx.setLineDash(dash.map((d) => d * px));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
  f.stats.edgesDrawn += n;
}

/** Draws the unmarked edges, then each compare mark's in its colour (removed ones dashed). */
function byMark(f: Frame, edges: readonly TopoEdge[], draw: (es: TopoEdge[], colourOverride: string | null, dash: number[]) => void): void {
  const plain: TopoEdge[] = [];
  const marked = new Map<string, TopoEdge[]>();
  for (const e of edges) {
    const m = f.scene.marks.get(e.id);
    if (!m) plain.push(e);
    else (marked.get(m) ?? marked.set(m, []).get(m)!).push(e);
  }
  draw(plain, null, []);
  for (const [m, es] of marked) draw(es, COLOURS[m as 'added' | 'removed' | 'changed'], m === 'removed' ? [6, 4] : []);
}

/** Underlay stars: faint, straight. */
function paintUnderlay(f: Frame): void {
  const { ctx, scene, input } = f;
  ctx.beginPath();
  const underlay = f.modes.underlay === 'all' ? f.lists.underlay : focusEdges(scene, input.focusHosts, 'underlay', () => [...input.focusHosts].flatMap((h) => scene.edgesTouching(h, 'underlay')));
  for (const e of underlay) {
    if (isHidden(scene, e.source)) continue;
    const a = scene.rectOf(e.source);
    const b = scene.rectOf(e.target);
    if (!a || !b) continue;
    const [ax, ay] = center(a);
    const bx = Math.min(Math.max(ax, b.x + 10), b.x + b.w - 10);
    const by = b.y + b.h;
    if (Math.max(ax, bx) < f.x0 || Math.min(ax, bx) > f.x1 || Math.max(ay, by) < f.y0 || Math.min(ay, by) > f.y1) continue;
    ctx.moveTo(ax, a.y);
    ctx.lineTo(bx, by);
    f.stats.edgesDrawn++;
  }
  ctx.strokeStyle = COLOURS.underlay;
  ctx.lineWidth = f.px;
  ctx.stroke();
}

/** Subnets, external peers and VTEPs. */
function paintOuterElements(f: Frame): void {
  const { ctx, scene, px } = f;
  for (const [id, r] of scene.layout.outer) {
    if (!intersects(r, f.x0, f.y0, f.x1, f.y1)) continue;
    const n = scene.maps.nodes.get(id);
    if (!n) continue;
    ctx.fillStyle = n.type === 'subnet' ? COLOURS.subnet : COLOURS.external;
    roundRect(ctx, r, 6);
    ctx.fill();
    ctx.fillStyle = n.type === 'subnet' ? COLOURS.hostHeader : COLOURS.externalText;
    text(ctx, `${n.type === 'subnet' ? 'subnet' : n.type} ${n.label}`, r.x + 8, r.y + r.h / 2, Math.max(12, 10 * px), r.w - 16);
    outline(ctx, f.input, id, r, px);
  }
}

/** One host on screen: its box and border, then its counts (collapsed) or its interior, its outline and findings badge. */
function paintHost(f: Frame, name: string, hl: HostLayout): void {
  const { ctx, scene, input, px } = f;
  const box = hl.box;
  f.stats.hostsDrawn++;
  const hostNode = scene.hostEntry(name)?.node ?? null;
  const hid = `host:${name}`;
  const st = scene.stats.get(name);
  const status = input.status.get(name);
  const detail = hostDetail(f.k, hl);
  ctx.globalAlpha = scene.marks.get(hid) === 'removed' ? 0.45 : 1;

  ctx.fillStyle = COLOURS.hostFill;
  roundRect(ctx, box, 8);
  ctx.fill();
  const border = hostBorder(status, st);
  ctx.strokeStyle = border;
  ctx.lineWidth = (border === COLOURS.hostStroke ? 1 : 2) * px;
  ctx.setLineDash(status === 'lost' || status === 'disconnected' ? [6 * px, 4 * px] : []);
  ctx.stroke();
  ctx.setLineDash([]);
  // CNI accent bar
  ctx.fillStyle = cniColour(String(hostNode?.data['cniStyle'] ?? 'unknown'));
  ctx.fillRect(box.x, box.y + 4, 4, box.h - 8);

  const screenW = box.w * f.k;
  const found = input.findings?.get(name) ?? 0;
  const badge = found > 0 && screenW >= CELL_BELOW_PX ? badgeAt(box, px) : null;
  // the header's right-hand texts end left of the badge, so that neither hides the other
  const right = badge ? Math.min(box.x + box.w - 8, badge.cx - badge.r - 3 * px) : box.x + box.w - 8;
  if (detail === 'collapsed') {
    if (screenW >= CELL_BELOW_PX) paintCollapsedHost(ctx, name, box, st, screenW, px, right);
  } else {
    drawHostInterior(ctx, input, name, detail === 'labels', px, right);
  }
  ctx.globalAlpha = 1;
  outline(ctx, input, hid, box, px);
  if (badge) findingsBadge(ctx, badge, found, px);
}

/**
 * Hosts too small for their names: cells in the colour of their border (health), one path and one
 * fill per colour, then their outlines (selection, search, hover, compare marks).
 */
function paintHostCells(f: Frame): void {
  const { ctx, scene, input, px } = f;
  const byColour = new Map<string, Rect[]>();
  const faded = new Map<string, Rect[]>();
  const shown: [string, Rect][] = [];
  for (const [name, hl] of scene.layout.hosts) {
    const box = hl.box;
    if (!intersects(box, f.x0, f.y0, f.x1, f.y1)) continue;
    f.stats.hostsDrawn++;
    const colour = hostBorder(input.status.get(name), scene.stats.get(name));
    const cells = scene.marks.get(`host:${name}`) === 'removed' ? faded : byColour;
    (cells.get(colour) ?? cells.set(colour, []).get(colour)!).push(box);
    shown.push([name, box]);
  }
  for (const [cells, alpha] of [
    [byColour, 1],
    [faded, 0.45],
  ] as const) {
    ctx.globalAlpha = alpha;
    for (const [colour, boxes] of cells) {
      ctx.beginPath();
      for (const b of boxes) ctx.rect(b.x, b.y, b.w, b.h);
      ctx.fillStyle = colour;
      ctx.fill();
    }
  }
  ctx.globalAlpha = 1;
  for (const [name, box] of shown) outline(ctx, input, `host:${name}`, box, px);
}

/** A host's border: its node's status first, then sessions down, then routes via the wrong host. */
function hostBorder(status: NodeStatus | undefined, st: HostStats | undefined): string {
  if (status === 'lost') return COLOURS.statusLost;
  if (status === 'disconnected' || status === 'pending') return COLOURS.statusDisconnected;
  if (st && st.bgpDown > 0) return BGP_COLOURS.down;
  if (st && st.routeMismatch > 0) return COLOURS.routeMismatch;
  return COLOURS.hostStroke;
}

/** A collapsed host's name (ending at `right`, left of a findings badge), pod count and BGP sessions up. */
function paintCollapsedHost(ctx: CanvasRenderingContext2D, name: string, box: Rect, st: HostStats | undefined, screenW: number, px: number, right: number): void {
  const f = Math.min(box.h / 5, (screenW >= 90 ? 13 : 10) * px);
  ctx.fillStyle = COLOURS.hostHeader;
  text(ctx, name, box.x + 12, box.y + box.h * 0.3, f * 1.2, Math.min(box.w - 20, right - box.x - 12), 'bold');
  if (!st) return;
  ctx.fillStyle = COLOURS.hostMuted;
  text(ctx, `${st.pods} pods`, box.x + 12, box.y + box.h * 0.55, f, box.w - 20);
  ctx.fillStyle = st.bgpTotal === 0 ? COLOURS.hostMuted : st.bgpEstablished === st.bgpTotal ? BGP_COLOURS.established : BGP_COLOURS.down;
  const cov = st.routeCoverage;
  if (!cov) {
    if (st.bgpTotal > 0) text(ctx, `BGP ${st.bgpEstablished}/${st.bgpTotal}`, box.x + 12, box.y + box.h * 0.78, f, box.w - 20);
    return;
  }
  // a compact host: BGP on the left, its routes' coverage of the other hosts on the right
  const half = (box.w - 24) / 2;
  if (st.bgpTotal > 0) text(ctx, `BGP ${st.bgpEstablished}/${st.bgpTotal}`, box.x + 12, box.y + box.h * 0.78, f, half);
  if (cov.of > 0) {
    ctx.fillStyle = coverageColour(cov);
    textRightFit(ctx, routesText(cov), box.x + box.w - 8, box.y + box.h * 0.78, f, half);
  }
}

const routesText = (c: RouteCoverage): string => `routes ${c.toHosts}/${c.of}`;
/** Red while some host with pod CIDRs cannot be reached. */
const coverageColour = (c: RouteCoverage): string => (c.toHosts < c.of ? BGP_COLOURS.down : BGP_COLOURS.established);

/** Routes: those via the right host faint, those via another host (nextHopMismatch) dashed in red. */
function paintRouteEdges(f: Frame): void {
  const routes = f.modes.route === 'all' ? f.lists.route : focusAndProblems(f, 'route');
  byMark(f, routes, (es, colour, dash) => {
    strokeCurves(f, es.filter((e) => e.data['nextHopMismatch'] !== true), colour ?? COLOURS.route, 1.2, 0.3, dash, colour ? 1 : 0.55);
    strokeCurves(f, es.filter((e) => e.data['nextHopMismatch'] === true), colour ?? COLOURS.routeMismatch, 2, 0.3, dash.length ? dash : [5, 3]);
  });
}

/** BGP sessions in the colour of their state. */
function paintBgpEdges(f: Frame): void {
  const bgp = f.modes.bgp === 'all' ? f.lists.bgp : focusAndProblems(f, 'bgp');
  byMark(f, bgp, (es, colour, dash) => {
    const buckets: Record<BgpColour, TopoEdge[]> = { established: [], pending: [], down: [] };
    for (const e of es) buckets[bgpStateClass(e.data['state'])].push(e);
    for (const c of ['established', 'pending', 'down'] as const) strokeCurves(f, buckets[c], colour ?? BGP_COLOURS[c], c === 'established' ? 1.8 : 2.6, 0.15, dash, colour || c !== 'established' ? 1 : 0.8);
  });
}

/** A host's header (its right-hand texts ending at `right`) and interior. */
function drawHostInterior(ctx: CanvasRenderingContext2D, input: PaintInput, name: string, labels: boolean, px: number, right: number): void {
  const { scene } = input;
  const hl = scene.layout.hosts.get(name)!;
  const entry = scene.hostEntry(name);
  const box = hl.box;
  const hostNode = entry?.node ?? null;
  const st = scene.stats.get(name);
  // header: name, style, node IP, BGP
  ctx.fillStyle = COLOURS.hostHeader;
  const headerFont = Math.max(13, 10 * px);
  text(ctx, name, box.x + 12, box.y + 11, headerFont, box.w * 0.55, 'bold');
  ctx.fillStyle = COLOURS.hostMuted;
  const nodeIps = Array.isArray(hostNode?.data['nodeIps']) ? (hostNode.data['nodeIps'] as string[]).join(' ') : '';
  const sub = [String(hostNode?.data['cniStyle'] ?? ''), nodeIps].filter(Boolean).join(' · ');
  // a compact host's route coverage sits right of the style and IPs, under its BGP count
  const cov = st?.routeCoverage && st.routeCoverage.of > 0 ? st.routeCoverage : null;
  text(ctx, sub, box.x + 12, box.y + 23, Math.max(9, 8 * px), cov ? box.w * 0.55 : box.w - 24);
  if (st && st.bgpTotal > 0) {
    ctx.fillStyle = st.bgpEstablished === st.bgpTotal ? BGP_COLOURS.established : BGP_COLOURS.down;
    textRight(ctx, `BGP ${st.bgpEstablished}/${st.bgpTotal}`, right, box.y + 11, Math.max(10, 9 * px));
  }
  if (cov) {
    ctx.fillStyle = coverageColour(cov);
    textRightFit(ctx, routesText(cov), right, box.y + 23, Math.max(9, 8 * px), box.w * 0.4 - (box.x + box.w - 8 - right));
  }
  if (!entry) return;
  const mark = (id: string) => scene.marks.get(id);
  ctx.fillStyle = COLOURS.pod;
  ctx.fill(podShapes(scene, hl, entry.members));
  for (const band of hl.bands) {
    if (band.bridge === null) continue;
    const r = hl.items.get(band.bridge);
    const n = entry.members.get(band.bridge);
    if (!r || !n) continue;
    ctx.fillStyle = COLOURS.bridge;
    roundRect(ctx, r, 3);
    ctx.fill();
    ctx.fillStyle = COLOURS.bridgeText;
    const cidrs = Array.isArray(hostNode?.data['podCidrs']) ? ` ${(hostNode.data['podCidrs'] as string[]).join(' ')}` : '';
    text(ctx, `${n.label}${cidrs}`, r.x + 6, r.y + r.h / 2, Math.min(r.h * 0.7, Math.max(10, 9 * px)), r.w - 12);
    outline(ctx, input, n.id, r, px);
  }
  for (const n of entry.members.values()) {
    const r = hl.items.get(n.id);
    if (!r || n.type === 'bridge') continue;
    const m = mark(n.id);
    ctx.globalAlpha = m === 'removed' ? 0.4 : 1;
    switch (n.type) {
      case 'veth':
        ctx.fillStyle = n.data['operstate'] === 'DOWN' ? BGP_COLOURS.down : COLOURS.veth;
        ctx.fillRect(r.x, r.y, r.w, r.h);
        break;
      case 'pod':
        // the others are filled above, all at once
        if (m === 'removed') {
          ctx.fillStyle = COLOURS.pod;
          roundRect(ctx, r, Math.min(4, r.w / 4));
          ctx.fill();
        }
        if (labels) {
          ctx.fillStyle = COLOURS.podText;
          // the pod's IP (its last octet when narrow), or the end of its veth's name before an IP is known
          const label = n.label;
          const isIp = /^[\d.]+$|:/.test(label);
          const screenW = r.w / px;
          const shown = screenW > label.length * 6.5 ? label : isIp && label.includes('.') ? `.${label.split('.').pop()}` : `…${label.slice(-5)}`;
          text(ctx, shown, r.x + 2, r.y + r.h / 2, Math.min(r.h * 0.45, (r.w - 4) / (shown.length * 0.62)), r.w - 4);
        }
        break;
      default: {
        ctx.fillStyle = n.type === 'tunnel' ? COLOURS.tunnel : COLOURS.chip;
        roundRect(ctx, r, 3);
        ctx.fill();
        ctx.fillStyle = n.type === 'tunnel' ? COLOURS.tunnelText : COLOURS.hostHeader;
        text(ctx, n.label, r.x + 4, r.y + r.h / 2, Math.min(r.h * 0.7, Math.max(10, 9 * px)), r.w - 8);
      }
    }
    ctx.globalAlpha = 1;
    outline(ctx, input, n.id, r, px);
  }
}

/** Where a host's findings badge sits (world units): a circle of 9 screen px on its top-right corner. */
export function badgeAt(box: Rect, px: number): { cx: number; cy: number; r: number } {
  const r = 9 * px;
  return { cx: box.x + box.w - r * 0.6, cy: box.y + r * 0.6, r };
}

/** A round badge on the host's top-right corner: how many expected-state findings it has. */
function findingsBadge(ctx: CanvasRenderingContext2D, at: { cx: number; cy: number; r: number }, count: number, px: number): void {
  const { cx, cy, r } = at;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = COLOURS.statusLost;
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = `bold ${11 * px}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(count > 99 ? '99+' : String(count), cx, cy + 0.5 * px);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
}

/** Selection, traced path, search, hover and compare outlines. */
function outline(ctx: CanvasRenderingContext2D, input: PaintInput, id: string, r: Rect, px: number): void {
  const m = input.scene.marks.get(id);
  let colour: string | null = null;
  let w = 2;
  if (input.selected === id) {
    colour = COLOURS.selected;
    w = 3;
  } else if (input.path?.failed.has(id)) {
    colour = COLOURS.pathFailed;
    w = 4;
  } else if (input.path?.ids.has(id)) {
    colour = COLOURS.path;
    w = 3;
  } else if (input.matches.has(id)) {
    colour = COLOURS.match;
    w = 3;
  } else if (input.hover === id) colour = COLOURS.hover;
  else if (m) colour = COLOURS[m];
  if (colour === null) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = w * px;
  ctx.setLineDash(m === 'removed' && colour === COLOURS.removed ? [5 * px, 3 * px] : []);
  ctx.strokeRect(r.x - w * px, r.y - w * px, r.w + 2 * w * px, r.h + 2 * w * px);
  ctx.setLineDash([]);
}

function roundRect(ctx: CanvasRenderingContext2D, r: Rect, radius: number): void {
  ctx.beginPath();
  if (typeof ctx.roundRect === 'function') ctx.roundRect(r.x, r.y, r.w, r.h, Math.min(radius, r.w / 2, r.h / 2));
  else ctx.rect(r.x, r.y, r.w, r.h);
}

function text(ctx: CanvasRenderingContext2D, s: string, x: number, y: number, size: number, maxWidth: number, weight = 'normal'): void {
  if (size <= 0 || maxWidth <= 0) return;
  ctx.font = `${weight} ${size}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText(s, x, y, maxWidth);
}

function textRight(ctx: CanvasRenderingContext2D, s: string, x: number, y: number, size: number): void {
  ctx.font = `${size}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  ctx.fillText(s, x, y);
  ctx.textAlign = 'left';
}

function textRightFit(ctx: CanvasRenderingContext2D, s: string, x: number, y: number, size: number, maxWidth: number): void {
  if (size <= 0 || maxWidth <= 0) return;
  ctx.font = `${size}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  ctx.fillText(s, x, y, maxWidth);
  ctx.textAlign = 'left';
}

/** The element under a world point: the smallest one of the host there, else an outer element. */
export function hitTest(scene: TopologyScene, x: number, y: number, scale: number): TopoNode | null {
  for (const [id, r] of scene.layout.outer) if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) return scene.maps.nodes.get(id) ?? null;
  const host = hostAt(scene.layout, scene.slotToHost, x, y);
  if (host === null) return null;
  const hl = scene.layout.hosts.get(host)!;
  const entry = scene.hostEntry(host);
  if (hostDetail(scale, hl) !== 'collapsed' && entry) {
    let best: TopoNode | null = null;
    let bestArea = Infinity;
    for (const [id, r] of hl.items) {
      if (x < r.x || x > r.x + r.w || y < r.y || y > r.y + r.h) continue;
      const area = r.w * r.h;
      if (area < bestArea) {
        const n = entry.members.get(id);
        if (n) {
          best = n;
          bestArea = area;
        }
      }
    }
    if (best) return best;
  }
  return entry?.node ?? { id: `host:${host}`, type: 'host', host: null, parent: null, label: host, data: {} };
}
