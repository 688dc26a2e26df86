// The Changes view: a timeline of node lifecycle events and route-change bursts; choosing one (or
// a compare range in the time control) shows the route diff it caused on every node, as +/- lines
// grouped by node, with the time each node took to converge. Live: new events and changes arrive
// without reload, and with nothing chosen the newest join, leave or burst is shown.
import type { FactChange, NodeEvent } from '@netatlas/wire/core';
import { axisBottom, scaleUtc, select } from 'd3';
import { formatClock, formatDateTime, formatDuration } from '../../format/time.js';
import { withParams, type AppRoute } from '../../state/route.js';
import { sameTime, type TimeSelection } from '../../state/time-control.js';
import { debounce, fill, h } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import type { View, ViewContext } from '../view.js';
import { clusterConvergenceMs, diffText, routeDiffByNode, type NodeRouteDiff } from './route-diff.js';
import { buildTimeline, defaultSelection, describeItem, rangeWindow, routeBursts, selectionWindow, type DiffWindow, type TimelineItem } from './timeline.js';

const HISTORY_MS = 24 * 3600_000;
const MAX_ITEMS = 500;

export class ChangesView implements View {
  readonly element: HTMLElement;
  private readonly status = h('div', { class: 'view-status' });
  private readonly strip = h('div', { class: 'timeline-strip' });
  private readonly list = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  private readonly detail = h('div', { class: 'route-diff', 'data-testid': 'route-diff' });
  private route: AppRoute;
  private shown: TimeSelection | null = null;
  private range = { from: new Date(0), to: new Date(0) };
  private events: NodeEvent[] = [];
  private changes: FactChange[] = [];
  private items: TimelineItem[] = [];
  private token = 0;
  private diffToken = 0;
  private diffKey = '';
  private readonly unsubscribe: (() => void)[] = [];
  private readonly rebuildLater = debounce(() => this.rebuild(), 250);

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    this.element = h(
      'section',
      { class: 'view changes-view', 'data-testid': 'view-changes' },
      h('h2', null, 'Changes'),
      this.status,
      this.strip,
      h('div', { class: 'changes-body' }, h('div', { class: 'timeline-wrap' }, this.list), this.detail),
    );
    this.unsubscribe.push(
      ctx.store.on('changes', (changes) => this.onLiveChanges(changes)),
      ctx.store.on('nodeEvent', (e) => this.onLiveEvent(e)),
    );
    this.update(route);
  }

  update(route: AppRoute): void {
    const selChanged = route.params.get('sel') !== this.route.params.get('sel');
    this.route = route;
    if (!this.shown || !sameTime(this.shown, route.time)) void this.load();
    else if (selChanged) this.rebuild();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.token++;
    this.diffToken++;
  }

  private async load(): Promise<void> {
    const time = this.route.time;
    this.shown = time;
    const token = ++this.token;
    const to = time.mode === 'live' ? new Date() : time.mode === 'at' ? time.at : time.to;
    const from = time.mode === 'compare' ? time.from : new Date(to.getTime() - HISTORY_MS);
    this.range = { from, to };
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    try {
      const [events, changes] = await Promise.all([
        this.ctx.rest.events({ from, to }),
        this.ctx.rest.allChanges({ from, to, kind: 'route' }, 20_000),
      ]);
      if (token !== this.token) return;
      this.events = events.events;
      this.changes = changes.changes;
      fill(
        this.status,
        h(
          'span',
          { class: 'muted' },
          `${time.mode === 'live' ? 'the last 24 hours, live' : `${formatDateTime(from)} → ${formatDateTime(to)} UTC`}: ${this.events.length} node events, ${this.changes.length} route changes${changes.truncated ? ' (the first 20000)' : ''}`,
        ),
      );
      this.diffKey = '';
      this.rebuild();
    } catch (error) {
      if (token !== this.token) return;
      fill(this.status, failureBox('cannot load the history', error));
    }
  }

  private onLiveChanges(changes: readonly FactChange[]): void {
    if (this.route.time.mode !== 'live' || !this.shown) return;
    const routes = changes.filter((c) => c.kind === 'route');
    if (routes.length === 0) return;
    this.changes.push(...routes);
    this.range.to = new Date();
    this.rebuildLater();
  }

  private onLiveEvent(e: NodeEvent): void {
    if (this.route.time.mode !== 'live' || !this.shown) return;
    if (this.events.some((x) => x.id === e.id)) return;
    this.events.push({ id: e.id, node: e.node, type: e.type, at: e.at, detail: e.detail });
    this.range.to = new Date();
    this.rebuildLater();
  }

  private selected(): { item: TimelineItem | null; window: DiffWindow | null; label: string } {
    const bursts = routeBursts(this.changes);
    const now = this.route.time.mode === 'live' ? new Date() : this.range.to;
    const sel = this.route.params.get('sel');
    const chosen = sel ? this.items.find((i) => i.id === sel) : undefined;
    if (chosen) return { item: chosen, window: selectionWindow(chosen, bursts, { now }), label: describeItem(chosen) };
    if (this.route.time.mode === 'compare') {
      const t = this.route.time;
      return { item: null, window: rangeWindow(t.from, t.to, bursts), label: `everything from ${formatDateTime(t.from)} to ${formatDateTime(t.to)} UTC` };
    }
    const d = defaultSelection(this.items);
    return d ? { item: d, window: selectionWindow(d, bursts, { now }), label: `${describeItem(d)} (newest)` } : { item: null, window: null, label: '' };
  }

  private rebuild(): void {
    this.items = buildTimeline(this.events, this.changes);
    const { item, window, label } = this.selected();
    this.renderStrip(item);
    this.renderList(item);
    if (!window) {
      fill(this.detail, h('p', { class: 'muted' }, 'No node joined or left and no route changed in this period. Choose a range with the compare toggle to see its diff.'));
      return;
    }
    const key = `${window.from.toISOString()}|${window.to.toISOString()}|${item?.id ?? ''}`;
    if (key !== this.diffKey) {
      this.diffKey = key;
      void this.loadDiff(item, window, label);
    }
  }

  private select(item: TimelineItem): void {
    this.ctx.navigate(withParams(this.route, { sel: item.id }), true);
  }

  private renderList(selected: TimelineItem | null): void {
    const rows = this.items.slice(0, MAX_ITEMS).map((item) => {
      const role = item.kind === 'routes' ? 'routes' : item.role;
      return h(
        'li',
        {
          class: `item role-${role}${selected?.id === item.id ? ' selected' : ''}`,
          'data-testid': 'change-item',
          'data-id': item.id,
          'data-kind': item.kind,
          'data-type': item.kind === 'event' ? item.type : 'routes',
          'data-node': item.kind === 'event' ? item.node : undefined,
          tabindex: 0,
          role: 'button',
          'aria-pressed': String(selected?.id === item.id),
          onclick: () => this.select(item),
          onkeydown: (e: KeyboardEvent) => {
            if (e.key === 'Enter' || e.key === ' ') this.select(item);
          },
        },
        h('time', { datetime: item.at, title: formatDateTime(item.at) }, formatClock(item.at, true)),
        h('span', { class: 'marker' }),
        h('span', { class: 'what' }, describeItem(item)),
      );
    });
    fill(this.list, ...(rows.length ? rows : [h('li', { class: 'muted' }, 'nothing happened in this period')]));
    if (this.items.length > MAX_ITEMS) this.list.append(h('li', { class: 'muted' }, `… and ${this.items.length - MAX_ITEMS} older items`));
  }

  /** A strip with the period on a time axis: events as dots, route bursts as bars. Click to choose. */
  private renderStrip(selected: TimelineItem | null): void {
    const width = Math.max(320, this.strip.clientWidth || 900);
    const height = 54;
    const x = scaleUtc().domain([this.range.from, this.range.to]).range([10, width - 10]);
    const svg = select(this.strip).selectAll<SVGSVGElement, null>('svg').data([null]).join('svg').attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', 'timeline');
    svg.selectAll('*').remove();
    svg
      .append('g')
      .attr('transform', `translate(0, ${height - 20})`)
      .call(axisBottom(x).ticks(Math.max(2, Math.floor(width / 110))));
    const bursts = this.items.filter((i): i is Extract<TimelineItem, { kind: 'routes' }> => i.kind === 'routes');
    svg
      .append('g')
      .selectAll('rect')
      .data(bursts)
      .join('rect')
      .attr('x', (b) => x(new Date(b.at)) - 2)
      .attr('y', 6)
      .attr('width', (b) => Math.max(4, x(new Date(b.until)) - x(new Date(b.at)) + 4))
      .attr('height', 12)
      .attr('class', (b) => `burst${selected?.id === b.id ? ' selected' : ''}`)
      .on('click', (_e, b) => this.select(b))
      .append('title')
      .text((b) => `${formatDateTime(b.at)} ${describeItem(b)}`);
    const events = this.items.filter((i): i is Extract<TimelineItem, { kind: 'event' }> => i.kind === 'event');
    svg
      .append('g')
      .selectAll('circle')
      .data(events)
      .join('circle')
      .attr('cx', (e) => x(new Date(e.at)))
      .attr('cy', 26)
      .attr('r', (e) => (selected?.id === e.id ? 6 : 4))
      .attr('class', (e) => `event role-${e.role}${selected?.id === e.id ? ' selected' : ''}`)
      .on('click', (_e, e) => this.select(e))
      .append('title')
      .text((e) => `${formatDateTime(e.at)} ${describeItem(e)}`);
  }

  private async loadDiff(item: TimelineItem | null, window: DiffWindow, label: string): Promise<void> {
    const token = ++this.diffToken;
    const head = h(
      'div',
      { class: 'diff-head' },
      h('h3', null, label),
      h(
        'p',
        { class: 'muted' },
        `route diff from ${formatClock(window.from, true)} to ${formatClock(window.to, true)} UTC (${formatDateTime(window.from).slice(0, 10)}); convergence measured from ${formatClock(window.t0, true)}`,
      ),
    );
    if (this.detail.childElementCount === 0 || !this.detail.querySelector('.node-diff')) fill(this.detail, head, h('p', { class: 'muted' }, 'loading…'));
    try {
      const diff = await this.ctx.rest.diff({ from: window.from, to: window.to });
      if (token !== this.diffToken) return;
      const inWindow = this.changes.filter((c) => {
        const ms = Date.parse(c.at);
        return ms > window.from.getTime() && ms <= window.to.getTime();
      });
      const others = [...this.ctx.store.nodes.values()].filter((n) => n.status !== 'left').map((n) => n.name);
      const diffs = routeDiffByNode(diff.nodes, {
        nodes: this.route.time.mode === 'live' ? others : [],
        exclude: item?.kind === 'event' ? [item.node] : [],
        changes: inWindow,
        t0: window.t0,
      });
      const total = clusterConvergenceMs(diffs);
      // which selection the diff on screen is for (tests wait for it)
      this.detail.dataset['item'] = item?.id ?? 'range';
      fill(
        this.detail,
        head,
        h(
          'p',
          { 'data-testid': 'convergence', 'data-ms': total ?? undefined },
          total === null ? 'No route changed on any node in this window.' : `Every node converged within ${formatDuration(total)}.`,
        ),
        ...diffs.map((d) => nodeDiff(d)),
      );
    } catch (error) {
      if (token !== this.diffToken) return;
      fill(this.detail, head, failureBox('cannot load the diff', error));
    }
  }
}

function nodeDiff(d: NodeRouteDiff): HTMLElement {
  return h(
    'section',
    {
      class: 'node-diff',
      'data-testid': `route-diff-${d.node}`,
      'data-node': d.node,
      'data-added': d.added,
      'data-removed': d.removed,
      'data-changed': d.changed,
      'data-convergence-ms': d.convergenceMs ?? undefined,
    },
    h(
      'h4',
      null,
      d.node,
      ' ',
      h('span', { class: 'muted' }, d.lines.length === 0 ? 'no route change' : `+${d.added + d.changed} −${d.removed + d.changed}`),
      d.convergenceMs !== null ? h('span', { class: 'converged', title: `last route change at ${formatDateTime(d.lastChangeAt ?? '')} UTC` }, ` converged in ${formatDuration(d.convergenceMs)}`) : null,
    ),
    d.lines.length
      ? h(
          'pre',
          { class: 'diff-lines', title: 'ip route, before → after' },
          ...d.lines.map((l) => h('div', { class: l.sign === '+' ? 'line add' : 'line del', 'data-sign': l.sign }, `${l.sign} ${l.text}`)),
        )
      : null,
    d.lines.length ? h('button', { type: 'button', class: 'copy', onclick: () => void navigator.clipboard?.writeText(diffText(d)) }, 'copy') : null,
  );
}

