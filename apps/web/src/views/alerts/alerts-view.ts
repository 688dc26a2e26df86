// The Alerts view: the alerts of the time control's window — live: open now and resolved in the
// last 24 hours, updated by live transitions; at a moment: those open then; a compare range: those
// open at some moment of it — root causes first with their symptoms grouped (and collapsed) under
// them, lone alerts after. Each links to the route diff of the changes that caused it and, once
// resolved, of those that cleared it; a symptom says which root causes it was grouped under, until
// when. States and grouping are as of the moment shown (a range's end); regroupings arriving live
// move symptoms in place, and the counts of open symptoms are taken from the list itself.
import type { Alert, AlertRule, AlertTransition } from '@netatlas/wire/core';
import { formatDateTime } from '../../format/time.js';
import type { AlertsQuery } from '../../api/rest-client.js';
import { withParams, type AppRoute } from '../../state/route.js';
import { sameTime, shownMoment, type TimeSelection } from '../../state/time-control.js';
import { errorBox, fill, h, perFrame } from '../../ui/dom.js';
import type { View, ViewContext } from '../view.js';
import {
  alertRow,
  causeName,
  causeSpells,
  countRows,
  filterAlertRows,
  filtersFromParams,
  groupAlerts,
  labelParts,
  mergeTransitions,
  pruneResolved,
  rootAt,
  ruleCounts,
  RULE_INFO,
  sinceText,
  spellText,
  spellTitle,
  STATE_FILTER_TITLES,
  STATE_FILTERS,
  type AlertGroup,
  type AlertRow,
} from './alert-model.js';

const HISTORY_MS = 24 * 3600_000;
const LIMIT = 5000;
const COLUMNS = ['', 'severity', 'rule', 'about', 'summary', 'state', 'since', 'resolved (UTC)', 'route diff'];

export class AlertsView implements View {
  readonly element: HTMLElement;
  private readonly status = h('div', { class: 'view-status' });
  private readonly summary = h('span', { class: 'summary', 'data-testid': 'alerts-summary' });
  private readonly stateSelect: HTMLSelectElement;
  private readonly ruleSelect: HTMLSelectElement;
  private readonly expandButton: HTMLButtonElement;
  private readonly body = h('tbody');
  private readonly empty = h('p', { class: 'muted' });
  private route: AppRoute;
  private shown: TimeSelection | null = null;
  /** the window's alerts by id */
  private alerts = new Map<string, Alert>();
  private loading = false;
  private held: AlertTransition[] = [];
  private truncated = false;
  /** groups folded or unfolded by hand (against their default) */
  private readonly toggled = new Set<string>();
  private token = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly render = perFrame(() => this.draw());
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    this.stateSelect = h(
      'select',
      { 'aria-label': 'state', 'data-testid': 'alerts-state', onchange: () => this.setParam('state', this.stateSelect.value === 'all' ? null : this.stateSelect.value) },
      ...STATE_FILTERS.map((s) => h('option', { value: s }, STATE_FILTER_TITLES[s])),
    );
    this.ruleSelect = h('select', { 'aria-label': 'rule', 'data-testid': 'alerts-rule', onchange: () => this.setParam('rule', this.ruleSelect.value || null) });
    this.expandButton = h('button', { type: 'button', 'data-testid': 'alerts-expand', onclick: () => this.toggleAll() });
    this.element = h(
      'section',
      { class: 'view alerts-view', 'data-testid': 'view-alerts' },
      h('h2', null, 'Alerts'),
      this.status,
      h('div', { class: 'toolbar' }, this.summary, h('label', { class: 'inline' }, 'state ', this.stateSelect), h('label', { class: 'inline' }, 'rule ', this.ruleSelect), this.expandButton),
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'data alerts-table', 'data-testid': 'alerts-table' }, h('thead', null, h('tr', null, ...COLUMNS.map((c) => h('th', null, c)))), this.body),
      ),
      this.empty,
      h(
        'p',
        { class: 'muted' },
        'Root causes come first, with the alerts they explain (their symptoms) folded under them. "cause" opens the route diff of the changes that raised an alert, "cleared" the diff of those that resolved it.',
      ),
    );
    this.unsubscribe.push(ctx.store.on('alerts', (info) => this.onStoreAlerts(info.transitions, info.resync)));
    this.ticker = setInterval(() => {
      if (this.route.time.mode !== 'live') return;
      pruneResolved(this.alerts, new Date(Date.now() - HISTORY_MS));
      this.render();
    }, 10_000);
    this.update(route);
  }

  update(route: AppRoute): void {
    this.route = route;
    if (!this.shown || !sameTime(this.shown, route.time)) void this.load();
    else this.render();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    clearInterval(this.ticker);
    this.token++;
  }

  private setParam(key: string, value: string | null): void {
    this.ctx.navigate(withParams(this.route, { [key]: value }), true);
  }

  /** `expand=all` unfolds every group, `expand=none` folds every group; else the defaults. */
  private get expand(): 'all' | 'none' | null {
    const e = this.route.params.get('expand');
    return e === 'all' || e === 'none' ? e : null;
  }

  private toggleAll(): void {
    this.toggled.clear();
    this.setParam('expand', this.expand === 'all' ? 'none' : 'all');
  }

  private async load(): Promise<void> {
    const time = this.route.time;
    this.shown = time;
    const token = ++this.token;
    this.loading = true;
    this.held = [];
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    const q: AlertsQuery =
      time.mode === 'live' ? { limit: LIMIT } : time.mode === 'at' ? { from: time.at, to: time.at, limit: LIMIT } : { from: time.from, to: time.to, limit: LIMIT };
    try {
      const res = await this.ctx.rest.alerts(q);
      if (token !== this.token) return;
      this.alerts = new Map(res.alerts.map((a) => [a.id, a]));
      this.truncated = res.alerts.length >= LIMIT;
      if (time.mode === 'live') {
        // what changed while the list was on its way
        mergeTransitions(this.alerts, this.held);
      }
      this.loading = false;
      this.held = [];
      const what =
        time.mode === 'live'
          ? 'open now, and resolved in the last 24 hours; live'
          : time.mode === 'at'
            ? `open at ${formatDateTime(time.at)} UTC`
            : `open at some moment from ${formatDateTime(time.from)} to ${formatDateTime(time.to)} UTC; states as of the end`;
      fill(this.status, h('span', { class: 'muted' }, `${what}${this.truncated ? ` (the newest ${LIMIT})` : ''}`));
      this.draw();
    } catch (error) {
      if (token !== this.token) return;
      this.loading = false;
      fill(this.status, errorBox(`cannot load the alerts: ${(error as Error).message}`));
    }
  }

  private onStoreAlerts(transitions: readonly AlertTransition[], resync: boolean): void {
    if (this.route.time.mode !== 'live' || !this.shown) return;
    // after a reconnect: what resolved meanwhile is only in the API's history
    if (resync) {
      if (!this.loading && this.ctx.store.alertsReady) void this.load();
      return;
    }
    if (this.loading) {
      this.held.push(...transitions);
      return;
    }
    if (mergeTransitions(this.alerts, transitions)) this.render();
  }

  private draw(): void {
    const moment = shownMoment(this.route.time);
    const now = moment ?? new Date();
    const filters = filtersFromParams(this.route.params);
    const rows = [...this.alerts.values()].map((a) => alertRow(a, moment));
    const counts = countRows(rows);
    this.summary.dataset['firing'] = String(counts.firing);
    this.summary.dataset['pending'] = String(counts.pending);
    this.summary.dataset['resolved'] = String(counts.resolved);
    fill(
      this.summary,
      h('span', { class: 'sev-critical' }, `${counts.firing} firing`),
      ' · ',
      h('span', { class: 'sev-warning' }, `${counts.pending} pending`),
      ' · ',
      `${counts.resolved} resolved`,
    );
    this.stateSelect.value = filters.state;
    const rules = ruleCounts(rows);
    if (filters.rule !== null && !rules.has(filters.rule)) rules.set(filters.rule, 0);
    const option = ([rule, n]: [AlertRule, number]) => h('option', { value: rule, title: RULE_INFO[rule].title }, `${rule} (${n})`);
    const roots = [...rules].filter(([rule]) => RULE_INFO[rule].root);
    const others = [...rules].filter(([rule]) => !RULE_INFO[rule].root);
    fill(
      this.ruleSelect,
      h('option', { value: '' }, 'every rule'),
      roots.length ? h('optgroup', { label: 'root causes' }, ...roots.map(option)) : null,
      others.length ? h('optgroup', { label: 'symptoms and others' }, ...others.map(option)) : null,
    );
    this.ruleSelect.value = filters.rule ?? '';
    this.expandButton.textContent = this.expand === 'all' ? 'collapse all' : 'expand all';

    const shown = filterAlertRows(rows, filters);
    const groups = groupAlerts(shown, { known: this.alerts, at: moment });
    const trs: HTMLElement[] = [];
    for (const g of groups) trs.push(...this.groupRows(g, now, moment));
    this.body.replaceChildren(...trs);
    this.element.dataset['shown'] = String(shown.length);
    this.empty.textContent =
      rows.length === 0 ? (this.route.time.mode === 'live' ? 'No alert is open, and none resolved in the last 24 hours.' : 'No alert was open then.') : shown.length === 0 ? 'No alert matches the filters.' : '';
  }

  /** Root causes start folded; symptoms whose root is not shown start unfolded (nothing else stands for them). */
  private isOpen(g: Extract<AlertGroup, { kind: 'root' | 'orphans' }>): boolean {
    const byDefault = this.expand === null ? g.kind === 'orphans' : this.expand === 'all';
    return byDefault !== this.toggled.has(`${g.kind}:${g.id}`);
  }

  private toggle(g: Extract<AlertGroup, { kind: 'root' | 'orphans' }>): void {
    const key = `${g.kind}:${g.id}`;
    if (this.toggled.has(key)) this.toggled.delete(key);
    else this.toggled.add(key);
    this.draw();
  }

  private toggleButton(g: Extract<AlertGroup, { kind: 'root' | 'orphans' }>): HTMLElement {
    const open = this.isOpen(g);
    const n = g.symptoms.length;
    return h(
      'button',
      {
        type: 'button',
        class: 'group-toggle',
        'data-testid': 'alert-toggle',
        'data-root': g.id,
        'aria-expanded': String(open),
        title: `${open ? 'hide' : 'show'} the ${n} symptom${n === 1 ? '' : 's'}`,
        onclick: () => this.toggle(g),
      },
      `${open ? '▾' : '▸'} ${n}`,
    );
  }

  private groupRows(g: AlertGroup, now: Date, moment: Date | null): HTMLElement[] {
    if (g.kind === 'lone') return [this.alertRow(g.alert, now, moment, 'lone', null)];
    const out: HTMLElement[] = [];
    if (g.kind === 'root') {
      out.push(this.alertRow(g.root, now, moment, 'root', g.symptoms.length > 0 ? this.toggleButton(g) : null, g));
    } else {
      const root = g.root;
      out.push(
        h(
          'tr',
          { class: 'group-head', 'data-testid': 'alert-orphans', 'data-root': g.id, 'data-symptoms': g.symptoms.length, 'data-open-symptoms': g.open },
          h('td', null, this.toggleButton(g)),
          h(
            'td',
            { colspan: COLUMNS.length - 1 },
            root
              ? `symptoms of ${root.rule} ${root.summary} (${root.state}; not shown: filtered out)`
              : g.cause
                ? `symptoms of ${causeName(g.cause)}: ${g.cause.summary} (not in this window)`
                : `symptoms of root cause #${g.id} (not in this window)`,
            g.open > 0 ? ` · ${openText(g.open)}` : '',
          ),
        ),
      );
    }
    if (this.isOpen(g)) for (const s of g.symptoms) out.push(this.alertRow(s, now, moment, 'symptom', null));
    return out;
  }

  private alertRow(
    r: AlertRow,
    now: Date,
    moment: Date | null,
    group: 'root' | 'symptom' | 'lone',
    toggle: HTMLElement | null,
    g?: Extract<AlertGroup, { kind: 'root' }>,
  ): HTMLElement {
    const a = r.alert;
    const labels = labelParts(a.labels);
    const links: (HTMLElement | string)[] = [];
    if (r.causeHref) links.push(h('a', { href: r.causeHref, 'data-testid': 'alert-cause', title: `the changes from ${formatDateTime(a.cause!.from)} to ${formatDateTime(a.cause!.to)} UTC` }, 'cause'));
    if (r.clearHref) {
      if (links.length) links.push(' ');
      links.push(h('a', { href: r.clearHref, 'data-testid': 'alert-clear', title: `the changes from ${formatDateTime(a.clear!.from)} to ${formatDateTime(a.clear!.to)} UTC` }, 'cleared'));
    }
    const spells = causeSpells(a, moment);
    const times = [`pending since ${formatDateTime(a.startsAt)}`, a.firedAt ? `firing since ${formatDateTime(a.firedAt)}` : '', a.resolvedAt ? `resolved at ${formatDateTime(a.resolvedAt)}` : '']
      .filter(Boolean)
      .join(', ');
    return h(
      'tr',
      {
        class: `alert ${group} state-${r.state} sev-row-${a.severity}`,
        'data-testid': 'alert-row',
        'data-id': a.id,
        'data-fingerprint': a.fingerprint,
        'data-rule': a.rule,
        'data-severity': a.severity,
        'data-state': r.state,
        'data-root': rootAt(a, moment) ?? '',
        'data-group': group,
        'data-symptoms': g?.symptoms.length,
        'data-open-symptoms': g?.open,
        'data-caused-by': spells.length ? spells.map((s) => s.rootId).join(' ') : undefined,
      },
      h('td', { class: 'toggle-cell' }, toggle ?? (group === 'symptom' ? h('span', { class: 'indent', 'aria-hidden': 'true' }, '└') : '')),
      h('td', null, h('span', { class: `badge sev-${a.severity}` }, a.severity)),
      h('td', { class: 'rule', title: RULE_INFO[a.rule]?.title ?? null }, a.rule),
      h('td', { class: 'labels' }, ...labels.map((l) => h('span', { class: `label label-${l.key}`, title: l.key }, l.key === 'node' ? l.value : l.key === 'peer' ? `→ ${l.value}` : l.key === 'prefix' ? l.value : `${l.key}=${l.value}`))),
      h(
        'td',
        { class: 'alert-summary' },
        h('span', { title: a.fingerprint }, a.summary),
        g && g.open > 0 ? h('span', { class: 'muted', 'data-testid': 'alert-open-symptoms' }, ` · ${openText(g.open)}`) : null,
        spells.length
          ? h(
              'ul',
              { class: 'alert-causes' },
              ...spells.map((s) =>
                h(
                  'li',
                  {
                    class: s.current ? 'current' : 'closed',
                    'data-testid': 'alert-caused-by',
                    'data-root': s.rootId,
                    'data-rule': s.rule,
                    'data-from': s.from,
                    'data-to': s.to ?? '',
                    title: spellTitle(s),
                  },
                  spellText(s),
                ),
              ),
            )
          : null,
      ),
      h('td', null, h('span', { class: `badge state-${r.state}` }, r.state)),
      h('td', { title: `${times} UTC` }, sinceText(r, now)),
      h('td', null, a.resolvedAt ? formatDateTime(a.resolvedAt) : ''),
      h('td', { class: 'links' }, ...links),
    );
  }
}

const openText = (n: number): string => `${n} open symptom${n === 1 ? '' : 's'}`;
