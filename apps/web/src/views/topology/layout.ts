// The topology's layout: a pure, deterministic, hierarchical placement in world units.
//
// - Hosts sit on a grid of equal cells, first filled in name order (node2 before node10). Given the
//   previous layout, a host keeps its cell; a new host takes the lowest free cell and a removed
//   one leaves a hole, so adding or removing an element never moves another host. Only when the
//   hosts outgrow the grid (more than cols² of them) is the grid rebuilt.
// - Inside its box a host has a header, a row of chips for its tunnels (and any other device),
//   then one band per bridge (the bridge as the band's header, its veths under it), then a band for
//   veths that hang off the host directly (Calico's cali*). Each veth gets a square slot with the
//   veth on top and its pod under it; the slot size is the largest (up to MAX_SLOT) that fits every
//   band in HOST_W × HOST_H, so a host with more pods draws them smaller rather than growing into
//   its neighbours. The box is as tall as what it holds (at least HOST_MIN_H, at most HOST_H: a
//   host with two pods is not mostly empty space); its width and its cell do not change, so the
//   grid stays the same whatever the hosts hold.
// - Subnets sit in a row above the grid, externals and VTEPs in a column to its left; each keeps
//   its place in that row or column the same way hosts keep their cells.
// - With `dirtyHosts`, hosts not in it keep their previous HostLayout object as is: a live patch
//   costs the hosts it touches.
// - A host's interior is laid out when first asked for (drawn with its pods, hit, or an element's
//   place asked): zoomed out, 5000 hosts are boxes, and placing their 500,000 elements up front cost
//   the first render ~0.35 s and as much again in garbage collection (bench:web).
import type { TopoNode, Topology } from '@netatlas/wire/core';
import { naturalCompare } from '../../addresses/ip.js';
import type { TopologyMaps } from '@netatlas/graph';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const HOST_W = 300;
export const HOST_H = 220;
/** the least height of a host's box (a host with nothing in it still shows its name and counts, collapsed) */
export const HOST_MIN_H = 100;
export const GAP_X = 70;
export const GAP_Y = 70;
export const CELL_W = HOST_W + GAP_X;
export const CELL_H = HOST_H + GAP_Y;
export const PAD = 8;
export const HEADER_H = 30;
export const CHIP_H = 18;
export const CHIP_GAP = 4;
export const BAND_GAP = 6;
export const MAX_SLOT = 76;
export const SUBNET_W = 220;
export const SUBNET_H = 36;
export const OUTER_W = 220;
export const OUTER_H = 32;
export const OUTER_GAP = 14;
/** the row of subnets sits this far above the grid, the column of externals this far to its left */
export const OUTER_MARGIN = 90;

export interface HostBand {
  /** the bridge heading the band, or null for veths directly on the host */
  bridge: string | null;
  /** the band's area (header included) */
  rect: Rect;
}

export interface HostLayout {
  readonly name: string;
  readonly slot: number;
  readonly box: Rect;
  /** every element of the host but the host itself: chips, bridges, veths, pods */
  readonly items: Map<string, Rect>;
  readonly bands: HostBand[];
  /** the side of a veth+pod slot (world units): how big pods draw */
  readonly unit: number;
  readonly counts: HostCounts;
}

export interface HostCounts {
  pods: number;
  veths: number;
  bridges: number;
  tunnels: number;
  other: number;
}

type HostInterior = Pick<HostLayout, 'items' | 'bands' | 'unit' | 'counts'>;

/** A host's box now, its interior on first use, from its elements as they were when it was laid out. */
class LazyHostLayout implements HostLayout {
  private interior: HostInterior | null = null;

  constructor(
    readonly name: string,
    readonly slot: number,
    readonly box: Rect,
    private members: readonly TopoNode[] | null,
  ) {}

  get items(): Map<string, Rect> {
    return this.inside().items;
  }

  get bands(): HostBand[] {
    return this.inside().bands;
  }

  get unit(): number {
    return this.inside().unit;
  }

  get counts(): HostCounts {
    return this.inside().counts;
  }

  private inside(): HostInterior {
    if (this.interior === null) {
      this.interior = layoutInterior(this.box, this.members ?? []);
      this.members = null;
    }
    return this.interior;
  }
}

export interface TopologyLayout {
  cols: number;
  hostSlots: Map<string, number>;
  hosts: Map<string, HostLayout>;
  /** slot in the subnet row (subnets) or in the outer column (externals, VTEPs, anything else) */
  outerSlots: Map<string, number>;
  outer: Map<string, Rect>;
}

export interface HostEntry {
  /** the `host` node itself (null while only its members are known) */
  node: TopoNode | null;
  /** its bridges, tunnels, veths and pods by id */
  members: ReadonlyMap<string, TopoNode>;
}

export interface LayoutInput {
  hosts: ReadonlyMap<string, HostEntry>;
  /** subnets, externals, VTEPs: everything that belongs to no host */
  outer: ReadonlyMap<string, TopoNode>;
}

export interface LayoutOptions {
  previous?: TopologyLayout;
  /** with `previous`: the hosts whose elements changed; the others keep their layout objects */
  dirtyHosts?: ReadonlySet<string>;
}

/** The host name of a `host:<name>` id. */
export const hostNameOf = (n: TopoNode): string | null => (n.type === 'host' ? n.id.slice('host:'.length) : n.host);

/** Groups nodes by host (a host's own node included) and sets the others apart. */
export function layoutInput(nodes: Iterable<TopoNode>): LayoutInput {
  const hosts = new Map<string, { node: TopoNode | null; members: Map<string, TopoNode> }>();
  const outer = new Map<string, TopoNode>();
  for (const n of nodes) {
    const h = hostNameOf(n);
    if (h === null) {
      outer.set(n.id, n);
      continue;
    }
    let e = hosts.get(h);
    if (!e) hosts.set(h, (e = { node: null, members: new Map() }));
    if (n.type === 'host') e.node = n;
    else e.members.set(n.id, n);
  }
  return { hosts, outer };
}

function isInput(t: Topology | TopologyMaps | LayoutInput): t is LayoutInput {
  return 'outer' in t;
}

/** `n ≤ 4`: one row; more: about 16:9 on screen. */
export function gridColumns(hostCount: number): number {
  if (hostCount <= 4) return Math.max(1, hostCount);
  return Math.ceil(Math.sqrt((hostCount * CELL_H * 16) / (CELL_W * 9)));
}

/**
 * Slots for ids: those in `previous` keep theirs, the others take the lowest free slots in the
 * given order. Without `previous`, slot = position in the order.
 */
export function assignSlots(ids: readonly string[], previous?: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Set<number>();
  if (previous) {
    for (const id of ids) {
      const s = previous.get(id);
      if (s !== undefined) {
        out.set(id, s);
        taken.add(s);
      }
    }
  }
  let next = 0;
  for (const id of ids) {
    if (out.has(id)) continue;
    while (taken.has(next)) next++;
    out.set(id, next);
    taken.add(next);
  }
  return out;
}

export function layoutTopology(t: Topology | TopologyMaps | LayoutInput, options: LayoutOptions = {}): TopologyLayout {
  const input = isInput(t) ? t : layoutInput(Array.isArray(t.nodes) ? t.nodes : (t.nodes as Map<string, TopoNode>).values());
  const names = [...input.hosts.keys()].sort(naturalCompare);
  let previous = options.previous;
  let cols = previous?.cols ?? gridColumns(names.length);
  if (previous && (previous.hostSlots.size === 0 || names.length > cols * cols)) {
    // an empty or outgrown grid is rebuilt from scratch
    previous = undefined;
    cols = gridColumns(names.length);
  }
  const hostSlots = assignSlots(names, previous?.hostSlots);
  const hosts = new Map<string, HostLayout>();
  for (const name of names) {
    const slot = hostSlots.get(name) ?? 0;
    const before = previous?.hosts.get(name);
    if (before && options.dirtyHosts && !options.dirtyHosts.has(name) && before.slot === slot) {
      hosts.set(name, before);
      continue;
    }
    const entry = input.hosts.get(name);
    const members = entry?.members ?? new Map<string, TopoNode>();
    const box = { x: (slot % cols) * CELL_W, y: Math.floor(slot / cols) * CELL_H, w: HOST_W, h: fittedHostHeight(members.values()) };
    hosts.set(name, layoutHost(name, slot, box, members));
  }

  const outerIds = [...input.outer.keys()].sort(naturalCompare);
  const subnets = outerIds.filter((id) => input.outer.get(id)?.type === 'subnet');
  const others = outerIds.filter((id) => input.outer.get(id)?.type !== 'subnet');
  const subnetSlots = assignSlots(subnets, previous?.outerSlots);
  const otherSlots = assignSlots(others, previous?.outerSlots);
  const outerSlots = new Map([...subnetSlots, ...otherSlots]);
  const outer = new Map<string, Rect>();
  for (const [id, s] of subnetSlots) outer.set(id, { x: s * (SUBNET_W + OUTER_GAP), y: -OUTER_MARGIN - SUBNET_H, w: SUBNET_W, h: SUBNET_H });
  for (const [id, s] of otherSlots) outer.set(id, { x: -OUTER_MARGIN - OUTER_W, y: s * (OUTER_H + OUTER_GAP), w: OUTER_W, h: OUTER_H });
  return { cols, hostSlots, hosts, outerSlots, outer };
}

const byLabel = (a: TopoNode, b: TopoNode): number => naturalCompare(a.label, b.label) || naturalCompare(a.id, b.id);

/** One host: its box, and its interior when first asked for (see the file comment). Depends on nothing but the host's own elements. */
export function layoutHost(name: string, slot: number, box: Rect, members: ReadonlyMap<string, TopoNode>): HostLayout {
  return new LazyHostLayout(name, slot, box, [...members.values()]);
}

function layoutInterior(box: Rect, members: readonly TopoNode[]): HostInterior {
  const items = new Map<string, Rect>();
  const { bridges, chips, veths, pods } = sortMembers(members);
  const innerX = box.x + PAD;
  const innerW = box.w - 2 * PAD;
  // items in this order (chips, then each band's bridge, veths and pods): hitTest walks them so (of equal areas the first wins)
  const y = placeChips(items, chips, innerX, innerW, box.y + HEADER_H);
  const groups = slotGroups(bridges, veths, pods);
  const headers = groups.filter((g) => g.bridge !== null).length;
  const availH = box.y + box.h - PAD - y - headers * (CHIP_H + 2) - Math.max(0, groups.length - 1) * BAND_GAP;
  const { unit, cols } = fitSlots(
    groups.map((g) => g.slots.length),
    innerW,
    availH,
  );
  const bands = placeBands(items, groups, { x: innerX, y, w: innerW }, unit, cols);
  return {
    items,
    bands,
    unit,
    counts: {
      pods: pods.length,
      veths: veths.length,
      bridges: bridges.length,
      tunnels: chips.filter((c) => c.type === 'tunnel').length,
      other: chips.filter((c) => c.type !== 'tunnel').length,
    },
  };
}

/**
 * How tall a host's box is: its header, chips and bands with slots of the size they get in a box
 * of HOST_W × HOST_H, and its padding; between HOST_MIN_H and HOST_H. Counts only (no places), so
 * that the box is known without laying out the interior.
 */
export function fittedHostHeight(members: Iterable<TopoNode>): number {
  const list = [...members];
  const bridges = new Map<string, number>();
  const veths = new Set<string>();
  let chips = 0;
  for (const n of list) {
    if (n.type === 'bridge') bridges.set(n.id, 0);
    else if (n.type === 'veth') veths.add(n.id);
    else if (n.type !== 'pod') chips++;
  }
  let direct = 0;
  for (const n of list) {
    if (n.type === 'veth') {
      const b = n.parent === null ? undefined : bridges.get(n.parent);
      if (b === undefined) direct++;
      else bridges.set(n.parent!, b + 1);
    } else if (n.type === 'pod' && (n.parent === null || !veths.has(n.parent))) direct++;
  }
  const sizes = [...bridges.values(), ...(direct > 0 ? [direct] : [])];
  const top = HEADER_H + (chips > 0 ? CHIP_H + BAND_GAP : 0) + bridges.size * (CHIP_H + 2) + Math.max(0, sizes.length - 1) * BAND_GAP;
  const { unit, cols } = fitSlots(sizes, HOST_W - 2 * PAD, HOST_H - PAD - top);
  const rows = sizes.reduce((sum, n) => sum + Math.ceil(n / cols), 0);
  return Math.min(HOST_H, Math.max(HOST_MIN_H, Math.ceil(top + rows * unit + PAD)));
}

/** A host's elements by kind, each in label order (chips: tunnels first, then the other devices by type). */
function sortMembers(members: readonly TopoNode[]): { bridges: TopoNode[]; chips: TopoNode[]; veths: TopoNode[]; pods: TopoNode[] } {
  const bridges: TopoNode[] = [];
  const chips: TopoNode[] = [];
  const veths: TopoNode[] = [];
  const pods: TopoNode[] = [];
  for (const n of members) {
    if (n.type === 'bridge') bridges.push(n);
    else if (n.type === 'veth') veths.push(n);
    else if (n.type === 'pod') pods.push(n);
    else chips.push(n);
  }
  bridges.sort(byLabel);
  chips.sort((a, b) => (a.type === b.type ? byLabel(a, b) : a.type === 'tunnel' ? -1 : b.type === 'tunnel' ? 1 : naturalCompare(a.type, b.type)));
  veths.sort(byLabel);
  pods.sort(byLabel);
  return { bridges, chips, veths, pods };
}

/** Tunnels and other devices: one row of chips at `y`; returns where the bands start. */
function placeChips(items: Map<string, Rect>, chips: readonly TopoNode[], innerX: number, innerW: number, y: number): number {
  if (chips.length === 0) return y;
  const w = Math.min(120, (innerW - (chips.length - 1) * CHIP_GAP) / chips.length);
  chips.forEach((c, i) => items.set(c.id, { x: innerX + i * (w + CHIP_GAP), y, w, h: CHIP_H }));
  return y + CHIP_H + BAND_GAP;
}

interface SlotItem {
  veth: TopoNode | null;
  pods: TopoNode[];
}

interface SlotGroup {
  bridge: TopoNode | null;
  slots: SlotItem[];
}

/** Slots: veths by the bridge they hang off, then veths on the host itself (and pods without a veth); pods under their veth. */
function slotGroups(bridges: readonly TopoNode[], veths: readonly TopoNode[], pods: readonly TopoNode[]): SlotGroup[] {
  const podsByVeth = new Map<string, TopoNode[]>();
  const vethIds = new Set(veths.map((v) => v.id));
  const loosePods: TopoNode[] = [];
  for (const p of pods) {
    if (p.parent !== null && vethIds.has(p.parent)) {
      const list = podsByVeth.get(p.parent);
      if (list) list.push(p);
      else podsByVeth.set(p.parent, [p]);
    } else loosePods.push(p);
  }
  const bridgeIds = new Set(bridges.map((b) => b.id));
  const groups: SlotGroup[] = bridges.map((b) => ({ bridge: b, slots: [] }));
  const direct: SlotItem[] = [];
  const groupOf = new Map(bridges.map((b, i) => [b.id, groups[i]!]));
  for (const v of veths) {
    const slotItem = { veth: v, pods: podsByVeth.get(v.id) ?? [] };
    const g = v.parent !== null && bridgeIds.has(v.parent) ? groupOf.get(v.parent) : undefined;
    if (g) g.slots.push(slotItem);
    else direct.push(slotItem);
  }
  for (const p of loosePods) direct.push({ veth: null, pods: [p] });
  if (direct.length > 0) groups.push({ bridge: null, slots: direct });
  return groups;
}

/** Each group as a band from `at.y` down: its bridge's header, then its slots `cols` to a row, `unit` apart. */
function placeBands(items: Map<string, Rect>, groups: readonly SlotGroup[], at: { x: number; y: number; w: number }, unit: number, cols: number): HostBand[] {
  const { x: innerX, w: innerW } = at;
  let y = at.y;
  const bands: HostBand[] = [];
  for (const g of groups) {
    const top = y;
    if (g.bridge) {
      items.set(g.bridge.id, { x: innerX, y, w: innerW, h: CHIP_H });
      y += CHIP_H + 2;
    }
    const rows = Math.ceil(g.slots.length / cols);
    g.slots.forEach((s, i) => {
      const sx = innerX + (i % cols) * unit;
      const sy = y + Math.floor(i / cols) * unit;
      const inner = unit * 0.88;
      if (s.veth) items.set(s.veth.id, { x: sx, y: sy, w: inner, h: inner * 0.3 });
      const podTop = s.veth ? sy + inner * 0.38 : sy;
      const podH = s.veth ? inner * 0.62 : inner;
      const n = s.pods.length;
      s.pods.forEach((p, j) => items.set(p.id, { x: sx + (j * inner) / n, y: podTop, w: inner / n, h: podH }));
    });
    y += rows * unit;
    bands.push({ bridge: g.bridge?.id ?? null, rect: { x: innerX, y: top, w: innerW, h: y - top } });
    y += BAND_GAP;
  }
  return bands;
}

/**
 * The largest square slot (at most MAX_SLOT) and the column count with which bands of the given
 * sizes fit `width` × `height`.
 */
export function fitSlots(bandSizes: readonly number[], width: number, height: number): { unit: number; cols: number } {
  const most = Math.max(0, ...bandSizes);
  if (most === 0) return { unit: MAX_SLOT, cols: Math.max(1, Math.floor(width / MAX_SLOT)) };
  let best = { unit: 0, cols: 1 };
  for (let cols = 1; cols <= most; cols++) {
    const rows = bandSizes.reduce((sum, n) => sum + Math.ceil(n / cols), 0);
    const unit = Math.min(MAX_SLOT, width / cols, Math.max(0, height) / rows);
    if (unit > best.unit) best = { unit, cols };
    if (width / cols < best.unit) break;
  }
  // use the full width when the slots are capped
  const cols = Math.max(best.cols, Math.floor(width / best.unit));
  return { unit: best.unit, cols: Number.isFinite(cols) && cols > 0 ? cols : 1 };
}

/** Where an element is drawn (its host's box for a host), or undefined when it is not laid out. */
export function rectOf(layout: TopologyLayout, n: TopoNode): Rect | undefined {
  if (n.type === 'host') return layout.hosts.get(n.id.slice('host:'.length))?.box;
  if (n.host !== null) return layout.hosts.get(n.host)?.items.get(n.id);
  return layout.outer.get(n.id);
}

/** The host whose cell holds a world point (ignoring the gaps between boxes). */
export function hostAt(layout: TopologyLayout, slotToHost: ReadonlyMap<number, string>, x: number, y: number): string | null {
  if (x < 0 || y < 0) return null;
  const col = Math.floor(x / CELL_W);
  if (col >= layout.cols) return null;
  const slot = Math.floor(y / CELL_H) * layout.cols + col;
  const name = slotToHost.get(slot);
  if (name === undefined) return null;
  const b = layout.hosts.get(name)?.box;
  return b && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h ? name : null;
}

/** The box around every host and outer element. */
export function layoutBounds(layout: TopologyLayout): Rect {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const add = (r: Rect) => {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.w);
    y1 = Math.max(y1, r.y + r.h);
  };
  for (const h of layout.hosts.values()) add(h.box);
  for (const r of layout.outer.values()) add(r);
  return Number.isFinite(x0) ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : { x: 0, y: 0, w: HOST_W, h: HOST_H };
}
