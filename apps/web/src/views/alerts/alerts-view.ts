// The Alerts view: the alerts of the time control's window — live: open now and resolved in the
// last 24 hours, updated by live transitions; at a moment: those open then; a compare range: those
// open at some moment of it — root causes first with their symptoms grouped (and collapsed) under
// them, lone alerts after. Each links to the route diff of the changes that caused it and, once
// resolved, of those that cleared it; a symptom says which root causes it was grouped under, until
// when. States and grouping are as of the moment shown (a range's end); regroupings arriving live
// move symptoms in place, and the counts of open symptoms are taken from the list itself. Every row
// says who acknowledged it and until when it is silenced; operators and admins also get buttons to
// acknowledge an open alert, silence it for an hour, or end its silence (alert-actions.ts).
import { roleAtLeast, type Alert, type AlertAcknowledgement, type AlertRule, type AlertTransition, type Silence } from '@netatlas/wire/core';
import { formatDateTime } from '../../format/time.js';
import type { AlertsQuery } from '../../api/rest-client.js';
import { laterAlert } from '../../state/live-store.js';
import { withParams, type AppRoute } from '../../state/route.js';
import { sameTime, shownMoment, type TimeSelection } from '../../state/time-control.js';
import { fill, h, perFrame } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import type { View, ViewContext } from '../view.js';
import { acknowledgedText, alertActions, alertMarks, silencedText, silenceRequest, unknownSilences, type AlertMarks } from './alert-actions.js';
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
  type CauseSpell,
} from './alert-model.js';

const HISTORY_MS = 24 * 3600_000;
const LIMIT = 5000;
const COLUMNS = ['', 'severity', 'rule', 'about', 'summary', 'state', 'since', 'resolved (UTC)', 'route diff'];

type ActionKind = 'ack' | 'silence' | 'unsilence';
const ACTION_VERBS: Record<ActionKind, string> = { ack: 'acknowledge', silence: 'silence', unsilence: 'end the silence of' };

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
  /** operators and admins get the action buttons (and their column) */
  private readonly canAct: boolean;
  private readonly columns: readonly string[];
  /** the silences in force by id; null until read (or when they cannot be) */
  private silences: Map<number, Silence> | null = null;
  private silencesLoading = false;
  /** silence ids named by alerts that were looked for by reading the silences again (once each) */
  private readonly silencesAsked = new Set<number>();
  /** acknowledgements made here, until the list carries them */
  private readonly acks = new Map<string, AlertAcknowledgement>();
  /** actions on their way, `ack:<id>` */
  private readonly busy = new Set<string>();
  /** per alert: the last action that failed */
  private readonly failures = new Map<string, { kind: ActionKind; error: unknown }>();
  /** the wall clock of the draw: silences are in force now, whatever moment is shown */
  private drawnAt = new Date();
  private destroyed = false;

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    this.canAct = roleAtLeast(ctx.viewer.role, 'operator');
    this.columns = this.canAct ? [...COLUMNS, ''] : COLUMNS;
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
        h('table', { class: 'data alerts-table', 'data-testid': 'alerts-table' }, h('thead', null, h('tr', null, ...this.columns.map((c) => h('th', null, c)))), this.body),
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
    this.destroyed = true;
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
    void this.loadSilences();
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
      fill(this.status, failureBox('cannot load the alerts', error));
    }
  }

  /** The silences in force, for "silenced until …" (a failure leaves the alerts' own `silencedBy` to go by). */
  private async loadSilences(): Promise<void> {
    // silences are about now, whatever window is shown: a read is good for every load
    if (this.silencesLoading) return;
    this.silencesLoading = true;
    try {
      const list = await this.ctx.rest.silences();
      this.silences = new Map(list.map((s) => [s.id, s]));
    } catch {
      this.silences = null;
    } finally {
      this.silencesLoading = false;
    }
    if (!this.destroyed) this.render();
  }

  private async act(kind: ActionKind, a: Alert, marks: AlertMarks): Promise<void> {
    const key = `${kind}:${a.id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.failures.delete(a.id);
    this.render();
    try {
      if (kind === 'ack') {
        const updated = await this.ctx.rest.acknowledgeAlert(a.id);
        this.acks.set(a.id, updated.acknowledged ?? { by: this.ctx.viewer.name, at: new Date().toISOString() });
        // the live list hears of it with the next transition: take the answer now
        const current = this.alerts.get(a.id);
        if (current) this.alerts.set(a.id, laterAlert(current, updated) === updated ? updated : { ...current, acknowledged: updated.acknowledged });
      } else if (kind === 'silence') {
        const silence = await this.ctx.rest.createSilence(silenceRequest(a));
        if (this.silences) this.silences.set(silence.id, silence);
        else void this.loadSilences();
        const current = this.alerts.get(a.id);
        if (current) this.alerts.set(a.id, { ...current, silencedBy: silence.id });
      } else if (marks.silence) {
        const id = marks.silence.id;
        await this.ctx.rest.endSilence(id);
        this.silences?.delete(id);
        for (const [alertId, other] of this.alerts) if (other.silencedBy === id) this.alerts.set(alertId, { ...other, silencedBy: null });
      }
    } catch (error) {
      this.failures.set(a.id, { kind, error });
    } finally {
      this.busy.delete(key);
      if (!this.destroyed) this.render();
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
    this.drawnAt = new Date();
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
    if (this.silences) {
      // an alert names a silence not read yet (made since, by someone else): read them again, once per id
      const missing = [...unknownSilences(this.alerts.values(), this.silences)].filter((id) => !this.silencesAsked.has(id));
      for (const id of missing) this.silencesAsked.add(id);
      if (missing.length > 0) void this.loadSilences();
    }
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
            { colspan: this.columns.length - 1 },
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
    const links = changeLinks(r);
    const spells = causeSpells(a, moment);
    const marks = alertMarks(a, this.acks, this.silences, this.drawnAt);
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
        'data-acknowledged': marks.acknowledged ? marks.acknowledged.by : undefined,
        'data-silenced': marks.silence ? marks.silence.id : undefined,
      },
      h('td', { class: 'toggle-cell' }, toggle ?? (group === 'symptom' ? h('span', { class: 'indent', 'aria-hidden': 'true' }, '└') : '')),
      h('td', null, h('span', { class: `badge sev-${a.severity}` }, a.severity)),
      h('td', { class: 'rule', title: RULE_INFO[a.rule]?.title ?? null }, a.rule),
      h('td', { class: 'labels' }, ...labels.map(labelChip)),
      summaryCell(a, g, spells, marks),
      h('td', null, h('span', { class: `badge state-${r.state}` }, r.state)),
      h('td', { title: `${times} UTC` }, sinceText(r, now)),
      h('td', null, a.resolvedAt ? formatDateTime(a.resolvedAt) : ''),
      h('td', { class: 'links' }, ...links),
      this.canAct ? this.actionsCell(a, marks) : null,
    );
  }

  private actionsCell(a: Alert, marks: AlertMarks): HTMLElement {
    const can = alertActions(this.ctx.viewer, a, marks);
    const button = (kind: ActionKind, testid: string, text: string, title: string) =>
      h('button', { type: 'button', class: `alert-action action-${kind}`, 'data-testid': testid, title, disabled: this.busy.has(`${kind}:${a.id}`), onclick: () => void this.act(kind, a, marks) }, text);
    const failure = this.failures.get(a.id);
    return h(
      'td',
      { class: 'actions' },
      h(
        'div',
        { class: 'action-buttons' },
        can.acknowledge ? button('ack', `ack-${a.id}`, 'Acknowledge', 'say you are on it (everyone sees who and when)') : null,
        can.silence ? button('silence', `silence-${a.id}`, 'Silence 1 h', `no notifications for ${a.rule} alerts with these labels for an hour`) : null,
        can.unsilence ? button('unsilence', `unsilence-${a.id}`, 'End silence', 'end the silence now (for every alert it covers)') : null,
        failure ? failureBox(`cannot ${ACTION_VERBS[failure.kind]} #${a.id}`, failure.error) : null,
      ),
    );
  }
}

const openText = (n: number): string => `${n} open symptom${n === 1 ? '' : 's'}`;

/** The links to the route diffs of the changes that caused the alert and, once resolved, of those that cleared it. */
function changeLinks(r: AlertRow): (HTMLElement | string)[] {
  const a = r.alert;
  const links: (HTMLElement | string)[] = [];
  if (r.causeHref) links.push(h('a', { href: r.causeHref, 'data-testid': 'alert-cause', title: `the changes from ${formatDateTime(a.cause!.from)} to ${formatDateTime(a.cause!.to)} UTC` }, 'cause'));
  if (r.clearHref) {
    if (links.length) links.push(' ');
    links.push(h('a', { href: r.clearHref, 'data-testid': 'alert-clear', title: `the changes from ${formatDateTime(a.clear!.from)} to ${formatDateTime(a.clear!.to)} UTC` }, 'cleared'));
  }
  return links;
}

/** A label as a chip: a node, a peer (→) and a prefix as they are, anything else as key=value. */
const labelChip = (l: { key: string; value: string }): HTMLElement =>
  h('span', { class: `label label-${l.key}`, title: l.key }, l.key === 'node' ? l.value : l.key === 'peer' ? `→ ${l.value}` : l.key === 'prefix' ? l.value : `${l.key}=${l.value}`);

/** The summary, a root cause's open symptoms, the root causes it was grouped under, who acknowledged it, its silence. */
function summaryCell(a: Alert, g: Extract<AlertGroup, { kind: 'root' }> | undefined, spells: readonly CauseSpell[], marks: AlertMarks): HTMLElement {
  return h(
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
    marks.acknowledged
      ? h('div', { class: 'alert-mark acknowledged', 'data-testid': 'alert-acknowledged', 'data-by': marks.acknowledged.by, 'data-at': marks.acknowledged.at }, acknowledgedText(marks.acknowledged))
      : null,
    marks.silence
      ? h(
          'div',
          { class: 'alert-mark silenced', 'data-testid': 'alert-silenced', 'data-silence': marks.silence.id, 'data-until': marks.silence.until ?? '', title: marks.silence.by ? `silenced by ${marks.silence.by}` : null },
          silencedText(marks.silence),
        )
      : null,
  );
}
