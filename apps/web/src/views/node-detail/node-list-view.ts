// Every node the API knows: status, CNI style, when it was seen, readers that do not work, and how
// many expected-state findings it has now (one /api/checks for all, re-read while open).
import type { NodeSummary } from '@netatlas/wire/core';
import { formatAge, formatDateTime } from '../../format/time.js';
import type { AppRoute } from '../../state/route.js';
import { dataTable } from '../../ui/data-table.js';
import { debounce, fill, h, perFrame } from '../../ui/dom.js';
import { nextSort, sortRows, type Column, type SortState } from '../../ui/table-model.js';
import type { View, ViewContext } from '../view.js';
import { findingCounts } from './findings.js';

const CHECKS_REFRESH_MS = 10_000;

const problems = (n: NodeSummary): string =>
  Object.entries(n.readers)
    .filter(([, r]) => r.status !== 'ok' && r.status !== 'disabled')
    .map(([name, r]) => `${name} ${r.status}`)
    .join(', ');

const columns = (findings: ReadonlyMap<string, number> | null): Column<NodeSummary>[] => [
  { id: 'name', label: 'node', value: (n) => n.name },
  { id: 'status', label: 'status', value: (n) => n.status },
  { id: 'cni', label: 'CNI', value: (n) => n.cniStyle ?? '' },
  { id: 'firstSeen', label: 'first seen (UTC)', value: (n) => formatDateTime(n.firstSeen) },
  { id: 'lastSeen', label: 'last seen', value: (n) => n.lastSeen },
  { id: 'readers', label: 'readers not ok', value: problems },
  { id: 'findings', label: 'findings', value: (n) => (findings ? (findings.get(n.name) ?? 0) : null), numeric: true },
];

export class NodeListView implements View {
  readonly element: HTMLElement;
  private readonly slot = h('div');
  private sort: SortState = { column: 'name', dir: 'asc' };
  private readonly unsubscribe: () => void;
  private readonly render = perFrame(() => this.draw());
  private readonly ticker: ReturnType<typeof setInterval>;
  /** node → findings now; null until /api/checks answered (or when it cannot) */
  private findings: Map<string, number> | null = null;
  private checksToken = 0;
  private readonly checksTicker: ReturnType<typeof setInterval>;
  private readonly checksSoon = debounce(() => void this.loadChecks(), 500);

  constructor(
    private readonly ctx: ViewContext,
    private route: AppRoute,
  ) {
    this.element = h(
      'section',
      { class: 'view node-list', 'data-testid': 'view-nodes' },
      h('h2', null, 'Nodes'),
      h('p', { class: 'muted' }, 'Current status of every node whose collector has reported. Open one for its interfaces, addresses, routes, neighbors, FDB, IP sets and BGP sessions.'),
      this.slot,
    );
    const offNodes = ctx.store.on('nodes', this.render);
    const offAlerts = ctx.store.on('alerts', this.checksSoon);
    this.unsubscribe = () => {
      offNodes();
      offAlerts();
    };
    this.ticker = setInterval(this.render, 5000);
    this.checksTicker = setInterval(() => void this.loadChecks(), CHECKS_REFRESH_MS);
    void this.loadChecks();
    this.draw();
  }

  private async loadChecks(): Promise<void> {
    const token = ++this.checksToken;
    try {
      const result = await this.ctx.rest.checks();
      if (token !== this.checksToken) return;
      this.findings = findingCounts(result);
      this.render();
    } catch {
      // an API without checks: the column stays empty
    }
  }

  update(route: AppRoute): void {
    this.route = route;
    this.render();
  }

  destroy(): void {
    this.unsubscribe();
    clearInterval(this.ticker);
    clearInterval(this.checksTicker);
    this.checksToken++;
  }

  private draw(): void {
    const now = new Date();
    const COLUMNS = columns(this.findings);
    const nodes = sortRows([...this.ctx.store.nodes.values()], COLUMNS, this.sort);
    fill(
      this.slot,
      this.ctx.store.ready || nodes.length ? null : h('p', { class: 'muted' }, 'waiting for the API…'),
      dataTable({
        columns: COLUMNS,
        rows: nodes,
        sort: this.sort,
        testid: 'nodes-table',
        empty: 'no node has reported yet',
        onSort: (c) => {
          this.sort = nextSort(this.sort, c);
          this.draw();
        },
        rowAttrs: (n) => ({ 'data-testid': `node-row-${n.name}`, 'data-status': n.status, 'data-findings': this.findings ? String(this.findings.get(n.name) ?? 0) : undefined }),
        renderCell: (n, c) => {
          if (c.id === 'name')
            return h('a', { href: `#/nodes/${encodeURIComponent(n.name)}`, onclick: (e: MouseEvent) => (e.preventDefault(), this.ctx.navigate({ ...this.route, node: n.name, params: new Map() })) }, n.name);
          if (c.id === 'status') return h('span', { class: `badge status-${n.status}` }, n.status);
          if (c.id === 'lastSeen') return h('span', { title: formatDateTime(n.lastSeen) }, formatAge(n.lastSeen, now));
          if (c.id === 'findings' && (this.findings?.get(n.name) ?? 0) > 0) return h('span', { class: 'badge finding-count', title: 'expected-state findings now: see the node' }, String(this.findings!.get(n.name)));
          return null;
        },
      }),
    );
  }
}
