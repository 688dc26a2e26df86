// One node's facts as sortable, filterable tables per kind, with what changed recently (or in
// the compared range) highlighted, and above them the node's expected-state findings (Checks).
// Honours the time control: facts and findings now (and live), at a moment, or at the end of a
// compare range with the range's diff marked. The Checks section starts with the node's pod
// ranges, where each is known from (on hover), and the ranges a source names that are not used.
import type { ChecksResult, Fact, FactChange, Finding } from '@netatlas/wire/core';
import { factId } from '@netatlas/wire/core';
import { summarizeFacts } from '../../fact-summary.js';
import { formatAge, formatDateTime } from '../../format/time.js';
import { formatHash, withParams, type AppRoute } from '../../state/route.js';
import { sameTime, shownMoment, type TimeSelection } from '../../state/time-control.js';
import { dataTable } from '../../ui/data-table.js';
import { debounce, fill, h } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import { nextSort, type Column, type SortState } from '../../ui/table-model.js';
import { traceRoute } from '../trace/trace-model.js';
import type { View, ViewContext } from '../view.js';
import { FINDING_TITLES, formatDetail, nodeFindings } from './findings.js';
import { ignoredText, rangesByNode, rangeText, RANGE_SOURCE_TITLES, sourcesText } from './ranges.js';
import { buildFactTable, DEFAULT_SORT, FACT_TABLE_KINDS, KIND_TITLES, marksFromChanges, marksFromDiff, type RowMarks, type TableKind } from './fact-table.js';

export const RECENT_CHOICES = [5, 15, 60, 360] as const;
const DEFAULT_RECENT_MIN = 15;
const ROW_LIMIT = 500;
/** while live, the findings are re-read this often (and after alert transitions) */
const CHECKS_REFRESH_MS = 10_000;

const FINDING_COLUMNS: Column<Finding>[] = [
  { id: 'type', label: 'type', value: (f) => FINDING_TITLES[f.type] ?? f.type },
  { id: 'peer', label: 'peer', value: (f) => f.peer },
  { id: 'subject', label: 'subject', value: (f) => f.subject, compare: 'address' },
  { id: 'message', label: 'finding', value: (f) => f.message },
  { id: 'expected', label: 'expected', value: (f) => formatDetail(f.expected) },
  { id: 'actual', label: 'actual', value: (f) => formatDetail(f.actual) },
];

export class NodeDetailView implements View {
  readonly element: HTMLElement;
  private readonly header = h('div', { class: 'node-header' });
  private readonly status = h('div', { class: 'view-status' });
  private readonly body = h('div', { class: 'fact-tables' });
  private readonly checks = h('section', { class: 'checks-section', 'data-testid': 'node-findings' });
  private checksResult: ChecksResult | null = null;
  private checksError: string | null = null;
  private checksShown: TimeSelection | null = null;
  private checksToken = 0;
  private readonly checksSoon = debounce(() => void this.loadChecks(), 500);
  private readonly checksTicker: ReturnType<typeof setInterval>;
  private route: AppRoute;
  private shown: { time: TimeSelection; recent: number } | null = null;
  private facts = new Map<string, Fact>();
  private changes: FactChange[] = [];
  private marks: RowMarks = { byKind: new Map() };
  private readonly filters = new Map<TableKind, string>();
  private readonly sorts = new Map<TableKind, SortState | null>();
  private readonly sections = new Map<TableKind, { section: HTMLElement; tableSlot: HTMLElement; count: HTMLElement }>();
  private token = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly rerender = debounce(() => this.renderTables(), 150);
  private readonly expiry: ReturnType<typeof setInterval>;

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
    private readonly node: string,
  ) {
    this.route = route;
    this.element = h('section', { class: 'view node-detail', 'data-testid': 'view-node-detail', 'data-node': node }, this.header, this.status, this.checks, this.body);
    for (const kind of FACT_TABLE_KINDS) this.sections.set(kind, this.makeSection(kind));
    this.unsubscribe.push(
      ctx.store.on('changes', (changes) => this.onLiveChanges(changes)),
      ctx.store.on('nodes', () => this.renderHeader()),
      // an alert changing state means the findings did
      ctx.store.on('alerts', () => {
        if (this.route.time.mode === 'live') this.checksSoon();
      }),
    );
    this.checksTicker = setInterval(() => {
      if (this.route.time.mode === 'live') void this.loadChecks();
    }, CHECKS_REFRESH_MS);
    // recent marks fade out as time passes
    this.expiry = setInterval(() => {
      if (this.route.time.mode === 'live') this.recomputeMarks();
    }, 30_000);
    this.update(route);
  }

  private get recentMinutes(): number {
    const n = Number(this.route.params.get('recent') ?? DEFAULT_RECENT_MIN);
    return Number.isFinite(n) && n > 0 ? n : DEFAULT_RECENT_MIN;
  }

  update(route: AppRoute): void {
    this.route = route;
    const recent = this.recentMinutes;
    if (!this.shown || !sameTime(this.shown.time, route.time) || this.shown.recent !== recent) void this.load();
    if (!this.checksShown || !sameTime(this.checksShown, route.time)) void this.loadChecks();
    this.renderHeader();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    clearInterval(this.expiry);
    clearInterval(this.checksTicker);
    this.token++;
    this.checksToken++;
  }

  /** The findings at the moment shown (a compare range: at its end). */
  private async loadChecks(): Promise<void> {
    const time = this.route.time;
    const changedTime = !this.checksShown || !sameTime(this.checksShown, time);
    this.checksShown = time;
    const token = ++this.checksToken;
    if (changedTime) {
      this.checksResult = null;
      this.checksError = null;
      this.renderChecks(true);
    }
    try {
      const result = await this.ctx.rest.checks(shownMoment(time));
      if (token !== this.checksToken) return;
      this.checksResult = result;
      this.checksError = null;
    } catch (error) {
      if (token !== this.checksToken) return;
      this.checksError = (error as Error).message;
    }
    this.renderChecks(false);
  }

  private renderChecks(loading: boolean): void {
    const { own, about } = nodeFindings(this.checksResult, this.node);
    const known = this.checksResult !== null;
    this.checks.dataset['count'] = known ? String(own.length) : '';
    this.checks.dataset['state'] = loading ? 'loading' : this.checksError && !known ? 'error' : 'ok';
    this.checks.classList.toggle('has-findings', own.length > 0);
    const moment = shownMoment(this.route.time);
    fill(
      this.checks,
      h(
        'h3',
        null,
        'Checks ',
        h('span', { class: 'muted count' }, known ? (own.length === 0 ? 'no finding' : `${own.length} finding${own.length === 1 ? '' : 's'}`) : ''),
      ),
      loading
        ? h('p', { class: 'muted' }, 'loading…')
        : this.checksError && !known
          ? h('p', { class: 'muted' }, `the expected-state checks are not available: ${this.checksError}`)
          : null,
      known ? this.rangesBlock() : null,
      known && own.length === 0
        ? h('p', { class: 'muted' }, `${this.node} has every route and ipset member the cluster expects${moment ? ` (at ${formatDateTime(moment)} UTC)` : ''}.`)
        : null,
      own.length > 0
        ? dataTable({
            columns: FINDING_COLUMNS,
            rows: own,
            sort: null,
            testid: 'findings-table',
            rowAttrs: (f) => ({ 'data-testid': 'finding-row', 'data-type': f.type, 'data-key': f.key, class: `finding type-${f.type}` }),
            renderCell: (f, c) => (c.id === 'type' ? h('span', { class: `badge finding-${f.type}` }, FINDING_TITLES[f.type] ?? f.type) : null),
          })
        : null,
      about.length > 0
        ? h(
            'details',
            { class: 'findings-about' },
            h('summary', { class: 'muted' }, `${about.length} finding${about.length === 1 ? '' : 's'} on other nodes concern ${this.node}`),
            h('ul', { class: 'plain' }, ...about.map((f) => h('li', { class: 'mono' }, f.message))),
          )
        : null,
      this.checksError && known ? h('p', { class: 'muted' }, `refresh failed: ${this.checksError}`) : null,
    );
  }

  /** The node's pod ranges (sources on hover) and the ranges not used, with why. */
  private rangesBlock(): HTMLElement {
    const mine = rangesByNode(this.checksResult).get(this.node);
    const ranges = mine?.ranges ?? [];
    const ignored = mine?.ignored ?? [];
    return h(
      'div',
      { class: 'node-ranges', 'data-testid': 'node-ranges', 'data-count': ranges.length, 'data-ignored': ignored.length },
      h('div', { class: 'muted' }, ranges.length === 0 ? 'no pod range known' : `pod range${ranges.length === 1 ? '' : 's'}, and where each is known from:`),
      ranges.length > 0
        ? h(
            'ul',
            { class: 'plain' },
            ...ranges.map((r) =>
              h(
                'li',
                null,
                h(
                  'span',
                  {
                    class: 'range mono',
                    'data-testid': 'pod-range',
                    'data-cidr': r.cidr,
                    'data-sources': r.sources.map((x) => x.source).join(' '),
                    title: [rangeText(r), ...r.sources.map((x) => `${x.source}: ${RANGE_SOURCE_TITLES[x.source] ?? x.source}`)].join('\n'),
                  },
                  r.cidr,
                ),
                h('span', { class: 'muted' }, ` — ${sourcesText(r.sources)}`),
              ),
            ),
          )
        : null,
      ignored.length > 0
        ? h(
            'details',
            { class: 'ignored-ranges' },
            h('summary', { class: 'muted' }, `${ignored.length} range${ignored.length === 1 ? '' : 's'} named by a source but not used`),
            h('ul', { class: 'plain mono' }, ...ignored.map((x) => h('li', { 'data-testid': 'ignored-range', 'data-cidr': x.cidr, 'data-source': x.source }, ignoredText(x)))),
          )
        : null,
    );
  }

  private async load(): Promise<void> {
    const time = this.route.time;
    const recent = this.recentMinutes;
    this.shown = { time, recent };
    const token = ++this.token;
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    try {
      if (time.mode === 'compare') {
        const [facts, diff] = await Promise.all([
          this.ctx.rest.nodeFacts(this.node, { at: time.to }),
          this.ctx.rest.diff({ from: time.from, to: time.to, node: this.node }),
        ]);
        if (token !== this.token) return;
        this.facts = new Map(facts.facts.map((f) => [factId(f), f]));
        this.changes = [];
        this.marks = marksFromDiff(diff.nodes[this.node]);
        fill(this.status, h('span', { class: 'muted' }, `facts at ${formatDateTime(time.to)} UTC, marked by what changed since ${formatDateTime(time.from)} UTC`));
      } else {
        const at = time.mode === 'at' ? time.at : null;
        const end = at ?? new Date();
        const [facts, changes] = await Promise.all([
          this.ctx.rest.nodeFacts(this.node, { at }),
          this.ctx.rest.allChanges({ from: new Date(end.getTime() - recent * 60_000), to: end, node: this.node }, 5000),
        ]);
        if (token !== this.token) return;
        this.facts = new Map(facts.facts.map((f) => [factId(f), f]));
        this.changes = changes.changes;
        this.marks = marksFromChanges(this.changes);
        fill(
          this.status,
          h('span', { class: 'muted' }, `${at ? `facts at ${formatDateTime(at)} UTC` : 'live facts'}; changes in the ${recent} minutes before are highlighted${changes.truncated ? ' (the first 5000)' : ''}`),
        );
      }
      this.renderHeader();
      this.renderTables();
    } catch (error) {
      if (token !== this.token) return;
      fill(this.status, failureBox(`cannot load ${this.node}`, error));
    }
  }

  private onLiveChanges(changes: readonly FactChange[]): void {
    if (this.route.time.mode !== 'live' || !this.shown) return;
    const mine = changes.filter((c) => c.node === this.node);
    if (mine.length === 0) return;
    for (const c of mine) {
      const id = factId(c);
      if (c.after === null) this.facts.delete(id);
      else this.facts.set(id, { kind: c.kind, key: c.key, value: c.after } as Fact);
    }
    this.changes.push(...mine);
    this.recomputeMarks();
  }

  private recomputeMarks(): void {
    const from = Date.now() - this.recentMinutes * 60_000;
    this.changes = this.changes.filter((c) => Date.parse(c.at) > from);
    this.marks = marksFromChanges(this.changes);
    this.rerender();
  }

  private renderHeader(): void {
    const n = this.ctx.store.nodes.get(this.node);
    const now = new Date();
    const readers = n ? Object.entries(n.readers) : [];
    const back = h('a', { href: '#/nodes', onclick: (e: MouseEvent) => (e.preventDefault(), this.ctx.navigate({ ...this.route, node: null, params: new Map() })) }, '← all nodes');
    const recentSelect = h(
      'select',
      {
        'aria-label': 'highlight changes of the last',
        'data-testid': 'recent-minutes',
        onchange: (e: Event) => this.ctx.navigate(withParams(this.route, { recent: (e.target as HTMLSelectElement).value }), true),
      },
      ...RECENT_CHOICES.map((m) => h('option', { value: m, selected: m === this.recentMinutes }, m < 60 ? `${m} min` : `${m / 60} h`)),
    );
    const trace = traceRoute(this.route.time, this.node);
    const traceLink = h('a', { class: 'trace-from-node', href: formatHash(trace), 'data-testid': 'trace-from-here', onclick: (e: MouseEvent) => (e.preventDefault(), this.ctx.navigate(trace)) }, 'Trace from this node →');
    fill(
      this.header,
      back,
      ' · ',
      traceLink,
      h(
        'h2',
        null,
        this.node,
        ' ',
        n ? h('span', { class: `badge status-${n.status}`, 'data-testid': 'node-status', 'data-state': n.status }, n.status) : null,
      ),
      h(
        'p',
        { class: 'muted' },
        n ? `${n.cniStyle ?? 'unknown'} CNI · first seen ${formatDateTime(n.firstSeen)} · last seen ${formatAge(n.lastSeen, now)} · ` : '',
        summarizeFacts([...this.facts.values()]),
      ),
      readers.length
        ? h(
            'p',
            { class: 'readers' },
            'readers: ',
            ...readers.map(([name, r]) => h('span', { class: `badge reader-${r.status}`, title: r.error ?? '' }, `${name} ${r.status}`)),
          )
        : null,
      this.route.time.mode === 'compare' ? null : h('label', { class: 'inline' }, 'highlight changes of the last ', recentSelect),
    );
  }

  private makeSection(kind: TableKind): { section: HTMLElement; tableSlot: HTMLElement; count: HTMLElement } {
    const count = h('span', { class: 'muted count' });
    const tableSlot = h('div');
    const filter = h('input', {
      type: 'search',
      class: 'filter',
      placeholder: 'filter (word, column:word, -word)',
      'aria-label': `filter ${kind}`,
      'data-testid': `filter-${kind}`,
      oninput: debounce((e: Event) => {
        this.filters.set(kind, (e.target as HTMLInputElement).value);
        this.renderTable(kind);
      }, 150),
    });
    const section = h(
      'details',
      { class: 'fact-section', open: kind !== 'ipsetMember', 'data-testid': `facts-${kind}` },
      h('summary', null, h('h3', null, KIND_TITLES[kind]), count),
      h('div', { class: 'section-tools' }, filter),
      tableSlot,
    );
    this.body.append(section);
    return { section, tableSlot, count };
  }

  private renderTables(): void {
    for (const kind of FACT_TABLE_KINDS) this.renderTable(kind);
  }

  private renderTable(kind: TableKind): void {
    const s = this.sections.get(kind)!;
    const facts = [...this.facts.values()];
    const sort = this.sorts.has(kind) ? this.sorts.get(kind)! : undefined;
    const table = buildFactTable(kind, facts, { sort, filter: this.filters.get(kind) ?? '', marks: this.marks });
    s.section.hidden = table.total === 0 && (this.filters.get(kind) ?? '') === '';
    s.count.textContent = ` ${table.rows.length === table.total ? table.total : `${table.rows.length} of ${table.total}`}${table.marked ? ` · ${table.marked} changed` : ''}`;
    fill(
      s.tableSlot,
      dataTable({
        columns: table.columns,
        rows: table.rows,
        sort: sort === undefined ? DEFAULT_SORT[kind] : sort,
        limit: ROW_LIMIT,
        testid: `table-${kind}`,
        onSort: (column) => {
          this.sorts.set(kind, nextSort(this.sorts.get(kind) ?? DEFAULT_SORT[kind], column));
          this.renderTable(kind);
        },
        rowAttrs: (r) => ({
          class: r.mark ? `mark-${r.mark}` : undefined,
          'data-key': r.key,
          'data-mark': r.mark ?? undefined,
          title: r.mark ? `${r.mark}${r.changedAt ? ` at ${formatDateTime(r.changedAt)} UTC` : ''}` : undefined,
        }),
      }),
    );
  }
}
