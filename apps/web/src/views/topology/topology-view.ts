// The topology view: canvas with zoom and pan (d3-zoom), semantic zoom, hover and click, search,
// a table toggle, and the time control (live patches, a past moment, or a compare of two).
import type { NodeStatus, TopoNode, TopologyPatch } from '@netatlas/wire/core';
import { select, zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior, type ZoomTransform } from 'd3';
import { formatAge, formatDateTime } from '../../format/time.js';
import { formatHash, withParams, type AppRoute } from '../../state/route.js';
import { sameTime, shownMoment, type TimeSelection } from '../../state/time-control.js';
import { findingCounts } from '../node-detail/findings.js';
import { hostRanges, ignoredText, podCidrsOf, rangesByNode, RANGE_SOURCE_TITLES, type NodeRanges } from '../node-detail/ranges.js';
import { bgpStateClass, topologyMaps } from '@netatlas/graph';
import { syntheticTopology } from '../../testing/synthetic-topology.js';
import { debounce, fill, h, perFrame } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import type { View, ViewContext } from '../view.js';
import { layoutBounds, type Rect } from './layout.js';
import { elementDetail, frameRect, PODS_SCALE } from './level-of-detail.js';
import { hitTest, type PaintStats } from './painter.js';
import { BGP_COLOURS, COLOURS } from './palette.js';
import { FocusEdgeLoader } from './focus-edges.js';
import { FrameCache } from './frame-cache.js';
import { dismissIntro, firstLookOf, firstLookPanel, introLegend, introShown, type FirstLook } from './first-look.js';
import { compareTopologies, missingHostsText, TopologyScene, type HostStats } from './scene.js';
import { searchSelection, searchTopology, type SearchResult } from './search.js';
import { topologyTables } from './topology-table.js';
import { TraceOverlay } from './trace-overlay.js';
import { traceEndpointOf, traceRoute } from '../trace/trace-model.js';

const EMPTY_SEARCH: SearchResult = { query: '', kind: 'empty', ids: [], hosts: new Set(), truncated: false };

export class TopologyView implements View {
  readonly element: HTMLElement;
  private readonly scene = new TopologyScene();
  private readonly canvas = h('canvas', { class: 'topology-canvas', 'data-testid': 'topology-canvas', tabindex: 0, 'aria-label': 'cluster topology' });
  private readonly ctx2d: CanvasRenderingContext2D;
  private readonly canvasWrap: HTMLElement;
  private readonly tooltip = h('div', { class: 'tooltip', hidden: true });
  private readonly summaryEl = h('span', { class: 'summary', 'data-testid': 'topology-summary' });
  private readonly hostList = h('ul', { class: 'sr-only', 'data-testid': 'topology-hosts' });
  /** the host list's items by host, with what they show (see updateHostList) */
  private readonly hostItems = new Map<string, { el: HTMLElement; key: string }>();
  private readonly details = h('aside', { class: 'details', 'data-testid': 'topology-details', hidden: true });
  private readonly tableWrap = h('div', { class: 'topology-tables', hidden: true });
  private readonly status = h('div', { class: 'view-status' });
  /** the hint where there is little to see (first-look.ts), and which one it shows */
  private readonly firstLookSlot = h('div', { class: 'first-look-slot' });
  private firstLook: FirstLook = 'none';
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount = h('span', { class: 'muted match-count' });
  private readonly tableToggle: HTMLButtonElement;
  private readonly departedToggle: HTMLInputElement;
  /** a traced path (`src=…&dst=…`), outlined */
  private readonly traceOverlay: TraceOverlay;
  private readonly zoomBehavior: ZoomBehavior<HTMLCanvasElement, unknown>;
  private transform: ZoomTransform = zoomIdentity;
  private userMoved = false;
  private pendingSearchZoom = false;
  /** the search box's text the user's last search ran on (Enter, Escape or the pause after typing): the pause does not run it again */
  private searchRan: string | null = null;
  /** true while a search the user ran puts its query (and its pod) in the route: it frames what it found itself */
  private searchNavigating = false;
  private route: AppRoute;
  private shownTime: TimeSelection | null = null;
  private loadToken = 0;
  /** expected-state findings per host at the moment shown (GET /api/checks) */
  private findings = new Map<string, number>();
  private findingsTotal: number | null = null;
  /** each node's pod ranges with their sources, at the moment shown (GET /api/checks) */
  private ranges = new Map<string, NodeRanges>();
  private checksToken = 0;
  private checksTimer: ReturnType<typeof setInterval> | null = null;
  private search: SearchResult = EMPTY_SEARCH;
  private hover: string | null = null;
  private size = { width: 0, height: 0 };
  private lastPaint: PaintStats | null = null;
  /** the picture kept while panning (frame-cache.ts) */
  private readonly frames = new FrameCache({ createCanvas: () => document.createElement('canvas') });
  /** live status by host and the search's matches, made once per change, not per frame (the frame cache compares them by identity) */
  private statusMap: Map<string, NodeStatus> | null = null;
  private matchSet: { search: SearchResult; ids: ReadonlySet<string> } | null = null;
  /** measurement attributes on the canvas (npm run bench:web): draws so far, live patches drawn */
  private draws = 0;
  private patchesDrawn = 0;
  private patchesPending = 0;
  /** when the oldest live patch not drawn yet reached the view (performance.now()) */
  private patchPendingSince: number | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly resizeObserver: ResizeObserver;
  private readonly requestDraw = perFrame(() => this.draw());
  private readonly refreshPanels = perFrame(() => this.updatePanels());
  private readonly refreshTables = debounce(() => this.updateTables(), 250);
  private readonly searchLater = debounce(() => {
    if (this.searchInput.value !== this.searchRan) this.userSearch();
  }, 350);
  /** compact topologies: the full edges of the hosts in focus, fetched and merged into the scene */
  private readonly focusEdges: FocusEdgeLoader;

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    this.focusEdges = new FocusEdgeLoader({
      target: this.scene,
      fetch: (hosts, at, signal) => this.ctx.rest.topologyEdges({ hosts, at }, signal),
      onChange: () => {
        this.requestDraw();
        this.refreshPanels();
      },
    });
    this.searchInput = this.searchBox(route);
    this.tableToggle = h('button', { type: 'button', 'data-testid': 'topology-table-toggle', 'aria-pressed': 'false', onclick: () => this.setParam('table', this.route.params.get('table') === '1' ? null : '1') }, 'Table');
    this.departedToggle = h('input', { type: 'checkbox', 'data-testid': 'topology-show-departed', onchange: () => this.setParam('departed', this.departedToggle.checked ? '1' : null) });
    const ctx2d = this.canvas.getContext('2d', { alpha: false });
    if (!ctx2d) throw new Error('no 2D canvas');
    this.ctx2d = ctx2d;
    this.canvasWrap = h('div', { class: 'canvas-wrap' }, this.canvas, this.tooltip, this.hostList, this.firstLookSlot);
    if (introShown(storage())) {
      const intro = introLegend(() => {
        dismissIntro(storage());
        intro.remove();
      });
      this.canvasWrap.append(intro);
    }
    this.traceOverlay = new TraceOverlay(ctx, () => {
      this.refreshPanels();
      this.requestDraw();
    });
    this.element = this.viewElement();
    this.zoomBehavior = this.canvasZoom();
    this.listenToPointer();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.canvasWrap);
    this.listenToStore();
    this.update(route);
  }

  /**
   * The search box: matches as you type, zooms to them a moment later or on Enter; an address one
   * pod has selects that pod. Escape clears the search (and its `q=`), not the selection: that goes
   * as it does after a click (a click on nothing, or the details' ×).
   */
  private searchBox(route: AppRoute): HTMLInputElement {
    return h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Search node, pod, IP or prefix',
      'aria-label': 'search the topology',
      'data-testid': 'topology-search',
      value: route.params.get('q') ?? '',
      oninput: () => {
        this.searchRan = null;
        this.runSearch(false);
        this.searchLater();
      },
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter') this.userSearch();
        if (e.key === 'Escape') {
          this.searchInput.value = '';
          this.userSearch();
        }
      },
    });
  }

  /** The view: toolbar, status, traced path, canvas with table and details beside it, legend. */
  private viewElement(): HTMLElement {
    return h(
      'section',
      { class: 'view topology-view', 'data-testid': 'view-topology' },
      h(
        'div',
        { class: 'toolbar' },
        this.searchInput,
        this.matchCount,
        this.tableToggle,
        h('button', { type: 'button', title: 'fit the whole cluster on screen', onclick: () => this.fit(true) }, 'Fit'),
        h('button', { type: 'button', title: 'lay out again from scratch, in name order (closes holes left by removed hosts)', onclick: () => this.relayout() }, 'Re-layout'),
        h('label', { class: 'check', title: 'nodes whose status is "left"' }, this.departedToggle, ' show departed nodes'),
        h('span', { class: 'spacer' }),
        this.summaryEl,
      ),
      this.status,
      this.traceOverlay.element,
      h('div', { class: 'topology-body' }, this.canvasWrap, this.tableWrap, this.details),
      legend(),
    );
  }

  /** Zoom and pan on the canvas (d3-zoom; its double-click zoom off: a double click opens the node). */
  private canvasZoom(): ZoomBehavior<HTMLCanvasElement, unknown> {
    const behavior = zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([0.02, 12])
      .on('zoom', (event: D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        this.transform = event.transform;
        if (event.sourceEvent) this.userMoved = true;
        this.requestDraw();
      });
    select(this.canvas).call(behavior).on('dblclick.zoom', null);
    return behavior;
  }

  /** Hover, click, and double click (the node's detail page) on the canvas. */
  private listenToPointer(): void {
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = null;
      this.tooltip.hidden = true;
      this.requestDraw();
    });
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    this.canvas.addEventListener('dblclick', (e) => {
      const n = this.pick(e);
      const host = n ? this.scene.hostOf(n.id) : null;
      if (host) this.ctx.navigate({ view: 'nodes', node: host, time: this.route.time, params: new Map() });
    });
  }

  /** Live patches, node statuses and alerts from the store; findings reloaded every 10 s while live. */
  private listenToStore(): void {
    const { store } = this.ctx;
    this.unsubscribe.push(
      store.on('topology', (patch) => this.onLivePatch(patch)),
      store.on('nodes', () => {
        this.statusMap = null;
        this.updateHidden();
        this.refreshPanels();
        this.requestDraw();
      }),
      store.on('alerts', () => void this.loadChecks()),
      store.on('synced', () => this.refreshPanels()),
    );
    // while live, findings follow the cluster (alert transitions also trigger a reload)
    this.checksTimer = setInterval(() => {
      if (this.route.time.mode === 'live' && !this.route.params.has('synthetic')) void this.loadChecks();
    }, 10_000);
  }

  update(route: AppRoute): void {
    const previous = this.route;
    this.route = route;
    this.statusMap = null;
    const table = route.params.get('table') === '1';
    this.tableToggle.setAttribute('aria-pressed', String(table));
    this.tableToggle.classList.toggle('active', table);
    this.canvasWrap.hidden = table;
    this.tableWrap.hidden = !table;
    this.departedToggle.checked = route.params.get('departed') === '1';
    const q = route.params.get('q') ?? '';
    if (this.searchInput.value !== q && document.activeElement !== this.searchInput) this.searchInput.value = q;
    const synthetic = route.params.get('synthetic') ?? null;
    if (this.shownTime === null || !sameTime(this.shownTime, route.time) || synthetic !== (previous.params.get('synthetic') ?? null)) void this.load();
    this.updateHidden();
    this.traceOverlay.update(route);
    // a search from a link (or the back button) frames its matches, once there is something to frame
    if (q !== '' && !this.searchNavigating && (previous === route || (previous.params.get('q') ?? '') !== q)) this.pendingSearchZoom = true;
    this.runSearch(this.takeSearchZoom());
    this.refreshPanels();
    if (table) this.updateTables();
    this.requestDraw();
  }

  destroy(): void {
    if (this.checksTimer) clearInterval(this.checksTimer);
    this.checksToken++;
    for (const u of this.unsubscribe) u();
    this.traceOverlay.destroy();
    this.resizeObserver.disconnect();
    this.focusEdges.destroy();
    this.frames.release();
    this.loadToken++;
  }

  // ---------------------------------------------------------------- data

  /** The findings at the moment shown (a compare range: at its end), as a badge per host. */
  private async loadChecks(): Promise<void> {
    if (this.route.params.has('synthetic')) return;
    const token = ++this.checksToken;
    try {
      const result = await this.ctx.rest.checks(shownMoment(this.route.time));
      if (token !== this.checksToken) return;
      this.findings = findingCounts(result);
      this.findingsTotal = result.findings.length;
      this.ranges = rangesByNode(result);
    } catch {
      // an API without checks, or down: no badges (the connection indicator tells the rest)
      if (token !== this.checksToken) return;
      this.findings = new Map();
      this.findingsTotal = null;
      this.ranges = new Map();
    }
    this.refreshPanels();
    if (!this.tableWrap.hidden) this.refreshTables();
    this.requestDraw();
  }

  private async load(): Promise<void> {
    const time = this.route.time;
    this.shownTime = time;
    const token = ++this.loadToken;
    void this.loadChecks();
    const synthetic = /^(\d+)x(\d+)$/.exec(this.route.params.get('synthetic') ?? '');
    if (synthetic) {
      // a generated cluster, for measuring the canvas without a real one
      const started = performance.now();
      this.scene.setTopology(syntheticTopology({ hosts: Number(synthetic[1]), podsPerHost: Number(synthetic[2]) }));
      this.focusEdges.reset(null, false);
      this.fill(`synthetic ${synthetic[1]} × ${synthetic[2]} topology (layout ${Math.round(performance.now() - started)} ms)`);
      return;
    }
    if (time.mode === 'live') {
      this.scene.setTopology(this.ctx.store.topology);
      this.focusEdges.reset(null, true);
      this.fill(this.ctx.store.ready ? '' : 'waiting for the API…');
      return;
    }
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    try {
      if (time.mode === 'at') {
        const t = await this.ctx.rest.topology({ at: time.at });
        if (token !== this.loadToken) return;
        this.scene.setTopology(t);
        this.focusEdges.reset(time.at.toISOString(), true);
        this.fill(`the network at ${formatDateTime(time.at)} UTC`);
      } else {
        const [from, to] = await Promise.all([this.ctx.rest.topology({ at: time.from }), this.ctx.rest.topology({ at: time.to })]);
        if (token !== this.loadToken) return;
        const { union, marks } = compareTopologies(topologyMaps(from), topologyMaps(to));
        this.scene.setTopology(union, marks);
        // a compare's union has no one moment to ask about: compact hosts show their counts only
        this.focusEdges.reset(null, false);
        const counts = { added: 0, removed: 0, changed: 0 };
        for (const m of marks.values()) counts[m]++;
        this.fill(`changes from ${formatDateTime(time.from)} to ${formatDateTime(time.to)} UTC: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed`);
      }
    } catch (error) {
      if (token !== this.loadToken) return;
      fill(this.status, failureBox('cannot load the topology', error));
    }
  }

  private fill(message: string): void {
    fill(this.status, message ? h('span', { class: 'muted' }, message) : null);
    this.afterChange();
  }

  private onLivePatch(patch: TopologyPatch): void {
    if (this.route.time.mode !== 'live' || this.route.params.has('synthetic')) return;
    const received = performance.now();
    this.scene.applyPatch(patch);
    this.focusEdges.applyPatch(patch);
    if (this.ctx.store.ready) fill(this.status);
    this.afterChange();
    this.patchPendingSince ??= received;
    this.patchesPending++;
    this.canvas.dataset['patchApplyMs'] = (performance.now() - received).toFixed(1);
  }

  private takeSearchZoom(): boolean {
    if (!this.pendingSearchZoom || this.scene.layout.hosts.size === 0 || this.size.width === 0) return false;
    this.pendingSearchZoom = false;
    return true;
  }

  private afterChange(): void {
    if (!this.userMoved && this.scene.layout.hosts.size > 0) this.fit(false);
    this.runSearch(this.takeSearchZoom());
    this.requestDraw();
    this.refreshPanels();
    if (!this.tableWrap.hidden) this.refreshTables();
  }

  /** Live: nodes that left are not drawn unless asked for. The past is drawn as it was. */
  private updateHidden(): void {
    const hide: string[] = [];
    if (this.route.time.mode === 'live' && this.route.params.get('departed') !== '1') {
      for (const [name, n] of this.ctx.store.nodes) if (n.status === 'left') hide.push(name);
    }
    this.scene.setHidden(hide);
  }

  private liveStatus(): Map<string, NodeStatus> {
    this.statusMap ??= this.route.time.mode !== 'live' ? new Map() : new Map([...this.ctx.store.nodes].map(([name, n]) => [name, n.status]));
    return this.statusMap;
  }

  private matches(): ReadonlySet<string> {
    if (this.matchSet?.search !== this.search) this.matchSet = { search: this.search, ids: new Set(this.search.ids) };
    return this.matchSet.ids;
  }

  // ---------------------------------------------------------------- drawing

  private resize(): void {
    const r = this.canvasWrap.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const dpr = window.devicePixelRatio || 1;
    this.size = { width: r.width, height: r.height };
    this.canvas.width = Math.round(r.width * dpr);
    this.canvas.height = Math.round(r.height * dpr);
    this.canvas.style.width = `${r.width}px`;
    this.canvas.style.height = `${r.height}px`;
    if (!this.userMoved) this.fit(false);
    if (this.takeSearchZoom()) this.runSearch(true);
    this.requestDraw();
  }

  private draw(): void {
    // what matters most first: the loader fetches the first few compact hosts only
    const focus = new Set<string>();
    for (const id of [this.hover, this.route.params.get('sel') ?? null]) {
      const host = id === null ? null : this.scene.hostOf(id);
      if (host !== null) focus.add(host);
    }
    for (const host of this.traceOverlay.highlight?.hosts ?? []) focus.add(host);
    for (const host of this.search.hosts) focus.add(host);
    this.focusEdges.setFocus(focus);
    if (this.size.width === 0) return;
    this.lastPaint = this.frames.draw(this.ctx2d, {
      scene: this.scene,
      transform: this.transform,
      width: this.size.width,
      height: this.size.height,
      dpr: window.devicePixelRatio || 1,
      hover: this.hover,
      selected: this.route.params.get('sel') ?? null,
      matches: this.matches(),
      focusHosts: focus,
      status: this.liveStatus(),
      findings: this.findings,
      path: this.traceOverlay.highlight,
    });
    const c = this.canvas.dataset;
    c['drawMs'] = this.lastPaint.ms.toFixed(1);
    c['hostsDrawn'] = String(this.lastPaint.hostsDrawn);
    c['scale'] = this.transform.k.toFixed(3);
    c['selectedDetail'] = this.selectedDetail();
    if (this.patchPendingSince !== null) {
      // a live patch is on screen: from its arrival in the view to the end of this draw
      c['patchMs'] = (performance.now() - this.patchPendingSince).toFixed(1);
      this.patchesDrawn += this.patchesPending;
      this.patchesPending = 0;
      this.patchPendingSince = null;
      c['patches'] = String(this.patchesDrawn);
    }
    c['draws'] = String(++this.draws);
  }

  /** How the selected element of a host is drawn now (collapsed, pods, labels, offscreen); empty: no selection in a host drawn. */
  private selectedDetail(): string {
    const sel = this.route.params.get('sel') ?? null;
    const host = sel === null ? null : this.scene.hostOf(sel);
    const hl = host === null ? undefined : this.scene.layout.hosts.get(host);
    const r = sel === null ? undefined : this.scene.rectOf(sel);
    if (!hl || !r) return '';
    const [x0, y0] = this.transform.apply([r.x, r.y]);
    const k = this.transform.k;
    return elementDetail(k, hl, { x: x0, y: y0, w: r.w * k, h: r.h * k }, this.size);
  }

  /** Zooms to a world rectangle (animated when asked), at a scale between minScale and maxScale. */
  private zoomTo(r: Rect, animate: boolean, maxScale = 2.5, minScale = 0): void {
    if (this.size.width === 0 || r.w <= 0 || r.h <= 0) return;
    const { k, x, y } = frameRect(r, this.size, maxScale, minScale);
    const t = zoomIdentity.translate(x, y).scale(k);
    const sel = select(this.canvas);
    if (animate) sel.transition().duration(450).call(this.zoomBehavior.transform, t);
    else sel.call(this.zoomBehavior.transform, t);
  }

  private fit(animate: boolean): void {
    if (animate) this.userMoved = false;
    this.zoomTo(layoutBounds(this.scene.layout), animate, 1.6);
  }

  private relayout(): void {
    this.scene.relayout();
    this.fit(true);
    this.requestDraw();
  }

  // ---------------------------------------------------------------- search, hover, selection

  /** A search the user ran (Enter, Escape, the pause after typing): in the route, framed, and an address one pod has selects it. */
  private userSearch(): void {
    this.searchRan = this.searchInput.value;
    this.runSearch(true, true);
  }

  /**
   * Runs the search box's query; `zoomToMatches`: puts it in the route (`q=`) and frames the matches.
   * `fromUser`: a search the user ran, whose one pod with the address becomes the selection (`sel=`,
   * as a click on it) and is framed with its host at a zoom that draws pods; a search from a link or
   * the back button, or run again after a live patch, leaves the selection alone.
   */
  private runSearch(zoomToMatches: boolean, fromUser = false): void {
    const q = this.searchInput.value;
    this.search = searchTopology(this.scene.maps.nodes.values(), q);
    this.matchCount.textContent = this.search.kind === 'empty' ? '' : `${this.search.ids.length}${this.search.truncated ? '+' : ''} match${this.search.ids.length === 1 ? '' : 'es'} in ${this.search.hosts.size} host${this.search.hosts.size === 1 ? '' : 's'}`;
    this.matchCount.dataset['matches'] = String(this.search.ids.length);
    const pod = fromUser ? searchSelection(this.search, (id) => this.scene.maps.nodes.get(id), (id) => this.scene.rectOf(id) !== undefined) : null;
    if (zoomToMatches) {
      const updates: Record<string, string | null> = {};
      if ((this.route.params.get('q') ?? '') !== q.trim()) updates['q'] = q.trim() || null;
      if (pod !== null && pod !== this.route.params.get('sel')) updates['sel'] = pod;
      if (Object.keys(updates).length > 0) {
        // the route's update runs the search again, which must not frame the matches: this does, below
        this.searchNavigating = true;
        try {
          this.setParams(updates);
        } finally {
          this.searchNavigating = false;
        }
        // a pod selected: the details open beside the canvas now, so that it is framed in the canvas left
        if (updates['sel']) {
          this.updatePanels();
          this.resize();
        }
      }
    }
    const host = pod === null ? undefined : this.scene.rectOf(`host:${this.scene.hostOf(pod) ?? ''}`);
    if (zoomToMatches && host) {
      // the pod's host, close enough to draw its pods (a heat map's cell would hide it)
      this.userMoved = true;
      this.zoomTo({ x: host.x - 20, y: host.y - 20, w: host.w + 40, h: host.h + 40 }, true, 2.5, PODS_SCALE);
    } else if (zoomToMatches && this.search.ids.length > 0) {
      // a few matches: frame them; many: frame their hosts
      const rects = (this.search.ids.length <= 20 ? this.search.ids : [...this.search.hosts].map((h) => `host:${h}`))
        .map((id) => this.scene.rectOf(id))
        .filter((r): r is Rect => r !== undefined);
      if (rects.length > 0) {
        const x0 = Math.min(...rects.map((r) => r.x));
        const y0 = Math.min(...rects.map((r) => r.y));
        const x1 = Math.max(...rects.map((r) => r.x + r.w));
        const y1 = Math.max(...rects.map((r) => r.y + r.h));
        this.userMoved = true;
        this.zoomTo({ x: x0 - 20, y: y0 - 20, w: x1 - x0 + 40, h: y1 - y0 + 40 }, true);
      }
    }
    this.requestDraw();
    if (!this.tableWrap.hidden) this.refreshTables();
  }

  private pick(e: MouseEvent): TopoNode | null {
    const r = this.canvas.getBoundingClientRect();
    const [x, y] = this.transform.invert([e.clientX - r.left, e.clientY - r.top]);
    return hitTest(this.scene, x, y, this.transform.k);
  }

  private onHover(e: MouseEvent): void {
    const n = this.pick(e);
    const id = n?.id ?? null;
    if (id !== this.hover) {
      this.hover = id;
      this.requestDraw();
    }
    if (!n) {
      this.tooltip.hidden = true;
      this.canvas.style.cursor = '';
      return;
    }
    this.canvas.style.cursor = 'pointer';
    fill(this.tooltip, ...tooltipLines(n, this.scene, this.ranges));
    const r = this.canvasWrap.getBoundingClientRect();
    this.tooltip.style.left = `${Math.min(e.clientX - r.left + 14, r.width - 340)}px`;
    this.tooltip.style.top = `${e.clientY - r.top + 14}px`;
    this.tooltip.hidden = false;
  }

  private onClick(e: MouseEvent): void {
    const n = this.pick(e);
    this.setParam('sel', n?.id ?? null);
  }

  private setParam(key: string, value: string | null): void {
    this.setParams({ [key]: value });
  }

  private setParams(updates: Readonly<Record<string, string | null>>): void {
    this.ctx.navigate(withParams(this.route, updates), true);
  }

  // ---------------------------------------------------------------- panels

  private updatePanels(): void {
    const s = this.scene.summary();
    const el = this.summaryEl;
    el.dataset['hosts'] = String(s.hosts);
    el.dataset['pods'] = String(s.pods);
    el.dataset['bgpEstablished'] = String(s.bgpEstablished);
    el.dataset['bgpSessions'] = String(s.bgpSessions);
    el.dataset['routes'] = String(s.routes);
    el.dataset['findings'] = this.findingsTotal === null ? '' : String(this.findingsTotal);
    el.textContent =
      `${s.hosts} hosts · ${s.pods} pods · BGP ${s.bgpEstablished}/${s.bgpSessions} established · ${s.routes} node routes` +
      (this.findingsTotal ? ` · ${this.findingsTotal} findings` : '');
    const look = firstLookOf({ live: this.route.time.mode === 'live', synthetic: this.route.params.has('synthetic'), ready: this.ctx.store.ready, hosts: s.hosts });
    if (look !== this.firstLook) {
      this.firstLook = look;
      fill(this.firstLookSlot, look === 'none' ? null : firstLookPanel(look));
    }

    // the hosts drawn, for screen readers and tests (the canvas itself has no DOM)
    if (this.canvasWrap.hidden) {
      this.hostList.replaceChildren();
      this.hostItems.clear();
    } else this.updateHostList();

    const sel = this.route.params.get('sel') ?? null;
    const node = sel === null ? undefined : (this.scene.maps.nodes.get(sel) ?? (sel.startsWith('host:') ? undefined : undefined));
    if (!node) {
      this.details.hidden = true;
      return;
    }
    this.details.hidden = false;
    fill(this.details, ...detailsOf(node, this.scene, this.ctx, this.route, this.ranges, () => this.setParam('sel', null)));
  }

  /**
   * The screen-reader list of hosts, updated in place: only the items whose host changed are
   * touched (rebuilding all of them after every live patch cost a 5000-host cluster ~0.3 s of
   * layout per frame, bench:web), and the list is reordered only when hosts come or go.
   */
  private updateHostList(): void {
    const names = [...this.scene.layout.hosts.keys()].sort();
    let sameHosts = names.length === this.hostItems.size;
    for (const name of names) {
      const st = this.scene.stats.get(name);
      const attrs: Record<string, string | null> = {
        'data-testid': `host-${name}`,
        'data-pods': String(st?.pods ?? 0),
        'data-bgp-established': String(st?.bgpEstablished ?? 0),
        'data-mark': this.scene.marks.get(`host:${name}`) ?? null,
        'data-findings': String(this.findings.get(name) ?? 0),
        'data-path': this.traceOverlay.hostMark(name),
        'data-routes': st?.routeCoverage ? `${st.routeCoverage.toHosts}/${st.routeCoverage.of}` : null,
      };
      const text = `${name}: ${st?.pods ?? 0} pods, BGP ${st?.bgpEstablished ?? 0}/${st?.bgpTotal ?? 0}, ${this.findings.get(name) ?? 0} findings`;
      const key = `${Object.values(attrs).join('\u0000')}\u0000${text}`;
      const item = this.hostItems.get(name);
      if (!item) {
        sameHosts = false;
        const el = document.createElement('li');
        setAttributes(el, attrs);
        el.textContent = text;
        this.hostItems.set(name, { el, key });
      } else if (item.key !== key) {
        setAttributes(item.el, attrs);
        item.el.textContent = text;
        item.key = key;
      }
    }
    if (sameHosts) return;
    const wanted = new Set(names);
    for (const name of [...this.hostItems.keys()]) if (!wanted.has(name)) this.hostItems.delete(name);
    this.hostList.replaceChildren(...names.map((name) => this.hostItems.get(name)!.el));
  }

  private updateTables(): void {
    if (this.tableWrap.hidden) return;
    fill(
      this.tableWrap,
      topologyTables(this.scene, this.search, this.liveStatus(), this.ranges, (name) => this.ctx.navigate({ view: 'nodes', node: name, time: this.route.time, params: new Map() })),
    );
  }
}

// ---------------------------------------------------------------- small pieces

/** The page's localStorage, or null where it cannot be reached. */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function legend(): HTMLElement {
  const item = (colour: string, label: string, line = false) =>
    h('span', { class: 'legend-item' }, h('span', { class: line ? 'swatch line' : 'swatch', style: `background:${colour}` }), label);
  return h(
    'div',
    { class: 'legend' },
    item(COLOURS.bridge, 'bridge'),
    item(COLOURS.tunnel, 'tunnel'),
    item(COLOURS.veth, 'veth'),
    item(COLOURS.pod, 'pod'),
    item(BGP_COLOURS.established, 'BGP established', true),
    item(BGP_COLOURS.pending, 'BGP connecting', true),
    item(BGP_COLOURS.down, 'BGP down', true),
    item(COLOURS.route, 'route to a node', true),
    item(COLOURS.routeMismatch, 'route via another node', true),
    item(COLOURS.tunnelEdge, 'vxlan tunnel', true),
    item(COLOURS.underlay, 'underlay', true),
    item(COLOURS.path, 'traced path', true),
    item(COLOURS.pathFailed, 'where it fails'),
    h('span', { class: 'muted' }, 'scroll to zoom · drag to pan · click to select · double-click a host for its detail'),
  );
}

const str = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A host's pod CIDRs, each with where it is known from (the checks' ranges). */
function rangeLines(host: string, scene: TopologyScene, ranges: ReadonlyMap<string, NodeRanges>): HTMLElement[] {
  const list = hostRanges(podCidrsOf(scene.hostEntry(host)?.node?.data), ranges.get(host));
  if (list.length === 0) return [];
  return [h('div', { class: 'muted' }, 'pod ranges:'), ...list.map((r) => h('div', { class: `mono range${r.sources ? '' : ' unknown'}`, 'data-testid': 'tooltip-range' }, r.text))];
}

function tooltipLines(n: TopoNode, scene: TopologyScene, ranges: ReadonlyMap<string, NodeRanges>): (HTMLElement | string)[] {
  const lines: (HTMLElement | string)[] = [h('strong', null, `${n.type} ${n.label}`)];
  const d = n.data;
  switch (n.type) {
    case 'host': {
      const st = scene.stats.get(n.label);
      lines.push(h('div', null, `${str(d['cniStyle'])} · ${str(d['nodeIps'])}`), ...rangeLines(n.label, scene, ranges));
      if (st) lines.push(h('div', null, `${st.pods} pods · BGP ${st.bgpEstablished}/${st.bgpTotal} · ${st.routes} routes`));
      if (st) lines.push(...coverageLines(st));
      break;
    }
    case 'bridge':
      // the canvas writes the host's pod CIDRs on its bridge
      if (n.host) lines.push(h('div', null, `on ${n.host}`), ...rangeLines(n.host, scene, ranges));
      break;
    case 'pod':
      lines.push(h('div', null, `IPs ${str(d['ips'])}`), h('div', null, `veth ${str(d['veth'])} on ${n.host ?? ''}`));
      break;
    case 'veth':
      lines.push(h('div', null, `mtu ${str(d['mtu'])} · ${str(d['operstate'])}`));
      break;
    default:
      if (n.host) lines.push(h('div', null, `on ${n.host}`));
  }
  return lines;
}

function detailsOf(n: TopoNode, scene: TopologyScene, ctx: ViewContext, route: AppRoute, ranges: ReadonlyMap<string, NodeRanges>, close: () => void): HTMLElement[] {
  const out: HTMLElement[] = [
    h('div', { class: 'details-head' }, h('h3', null, `${n.type} ${n.label}`), h('button', { type: 'button', class: 'close', 'aria-label': 'close', onclick: close }, '×')),
  ];
  const host = scene.hostOf(n.id);
  out.push(...detailsLinks(n, host, ctx, route));
  const mark = scene.marks.get(n.id);
  if (mark) out.push(h('p', { class: `mark-${mark}` }, `${mark} in the compared range`));
  out.push(dataList(n));
  if (n.type === 'host' && host) out.push(...hostDetails(n, host, scene, ctx, route, ranges));
  return out;
}

/** Links to the element's node detail page, and to a trace from it (a host or a pod). */
function detailsLinks(n: TopoNode, host: string | null, ctx: ViewContext, route: AppRoute): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (host) {
    out.push(
      h(
        'p',
        null,
        h('a', { href: `#/nodes/${encodeURIComponent(host)}`, onclick: (e: MouseEvent) => (e.preventDefault(), ctx.navigate({ view: 'nodes', node: host, time: route.time, params: new Map() })) }, `Open node detail of ${host} →`),
      ),
    );
  }
  const src = traceEndpointOf(n);
  if (src !== null) {
    const target = traceRoute(route.time, src);
    out.push(h('p', null, h('a', { href: formatHash(target), 'data-testid': 'trace-from-here', onclick: (e: MouseEvent) => (e.preventDefault(), ctx.navigate(target)) }, `Trace from here (${src}) →`)));
  }
  return out;
}

/** The element's data, field by field (empty ones left out). */
function dataList(n: TopoNode): HTMLElement {
  const dl = h('dl');
  for (const [k, v] of Object.entries(n.data)) {
    if (v === null || (Array.isArray(v) && v.length === 0)) continue;
    // a host's pod CIDRs are listed below with their sources
    if (n.type === 'host' && k === 'podCidrs') continue;
    // a compact host's counts: its route coverage is listed below, its sessions are in the counts
    if (n.type === 'host' && k === 'relations') continue;
    dl.append(h('dt', null, k), h('dd', null, str(v)));
  }
  return dl;
}

/** A host's pod ranges (and those not used), its collector, its BGP sessions and its routes to other nodes. */
function hostDetails(n: TopoNode, host: string, scene: TopologyScene, ctx: ViewContext, route: AppRoute, ranges: ReadonlyMap<string, NodeRanges>): HTMLElement[] {
  const out = podRangeLists(n, host, ranges);
  const status = ctx.store.nodes.get(host);
  if (status && route.time.mode === 'live') out.push(h('p', null, `collector ${status.status}, last seen ${formatAge(status.lastSeen, new Date())}`));
  const st = scene.stats.get(host);
  const coverage = st ? coverageLines(st) : [];
  if (coverage.length > 0) out.push(h('h4', null, 'Route coverage'), ...coverage);
  const sessions = [...scene.edgesOfHost(host)].map((id) => scene.maps.edges.get(id)).filter((e) => e?.type === 'bgp');
  if (sessions.length > 0) {
    out.push(h('h4', null, 'BGP sessions'));
    out.push(
      h(
        'ul',
        { class: 'plain' },
        ...sessions.map((e) =>
          h(
            'li',
            null,
            h('span', { class: 'dot', style: `background:${BGP_COLOURS[bgpStateClass(e!.data['state'])]}` }),
            ` ${str(e!.data['peerAddress'])} (${scene.hostOf(e!.target) ?? 'external'}) ${str(e!.data['state'])} · ${str(e!.data['daemon'])}`,
          ),
        ),
      ),
    );
  }
  const routes = [...scene.edgesOfHost(host)].map((id) => scene.maps.edges.get(id)).filter((e) => e?.type === 'route');
  if (routes.length > 0) {
    out.push(h('h4', null, 'Routes to other nodes'));
    out.push(
      h(
        'ul',
        { class: 'plain mono' },
        ...routes
          .slice(0, 300)
          .map((e) => h('li', { class: e!.data['nextHopMismatch'] === true ? 'warn' : null }, `${str(e!.data['dst'])} via ${str(e!.data['gateway']) || str(e!.data['dev'])} → ${str(e!.data['dstHost'])}`)),
      ),
    );
  }
  return out;
}

/** A compact host's routes into the other hosts' pod CIDRs (`routes k/N`) and the hosts it misses. */
function coverageLines(st: HostStats): HTMLElement[] {
  const c = st.routeCoverage;
  if (!c || c.of === 0) return [];
  const out = [h('div', { class: c.toHosts < c.of ? 'warn' : null, 'data-testid': 'route-coverage' }, `routes ${c.toHosts}/${c.of} hosts`)];
  if (c.missingCount > 0) out.push(h('div', { class: 'warn', 'data-testid': 'route-missing' }, `no route to ${missingHostsText(c)}`));
  return out;
}

/** A host's pod ranges with their sources, and the ranges it was given but does not use. */
function podRangeLists(n: TopoNode, host: string, ranges: ReadonlyMap<string, NodeRanges>): HTMLElement[] {
  const out: HTMLElement[] = [];
  const list = hostRanges(podCidrsOf(n.data), ranges.get(host));
  const ignored = ranges.get(host)?.ignored ?? [];
  if (list.length > 0) {
    out.push(h('h4', null, 'Pod ranges'));
    out.push(
      h(
        'ul',
        { class: 'plain mono', 'data-testid': 'details-ranges' },
        ...list.map((r) =>
          h(
            'li',
            { 'data-testid': 'pod-range', 'data-cidr': r.cidr, 'data-sources': r.sources?.map((s) => s.source).join(' ') ?? '', title: r.sources?.map((s) => RANGE_SOURCE_TITLES[s.source] ?? s.source).join('\n') ?? null },
            r.text,
          ),
        ),
      ),
    );
  }
  if (ignored.length > 0) {
    out.push(h('h4', null, 'Ranges not used'));
    out.push(h('ul', { class: 'plain mono muted' }, ...ignored.map((i) => h('li', { 'data-testid': 'ignored-range', 'data-cidr': i.cidr, 'data-source': i.source }, ignoredText(i)))));
  }
  return out;
}

/** Sets each attribute, or removes it where the value is null. */
function setAttributes(el: HTMLElement, attrs: Record<string, string | null>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null) el.removeAttribute(name);
    else el.setAttribute(name, value);
  }
}
