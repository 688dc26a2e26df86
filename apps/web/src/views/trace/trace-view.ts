// The Trace view: how a packet from a source (a pod, a node, an address) to a destination travels
// through the nodes' forwarding state, at the time control's moment — the verdict, and per branch
// (ECMP) a table of hops with the failing one red and its reason. Live, the trace follows changes
// on its path; at a moment it is that moment's; comparing, it is the later moment's with the hop
// that changed and the fact changes between the two. Links open the path on the topology.
import type { AddressHistory, TraceComparison, TraceResult } from '@netatlas/wire/core';
import { formatDateTime } from '../../format/time.js';
import { formatHash, withParams, type AppRoute } from '../../state/route.js';
import { describeTime, shownMoment } from '../../state/time-control.js';
import { debounce, fill, h } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import type { View, ViewContext } from '../view.js';
import { TraceFollower } from './trace-follower.js';
import {
  branchViews,
  changedHopIndex,
  DST_PARAM,
  endpointText,
  hopSummary,
  RESULT_TITLES,
  sortedChanges,
  SRC_PARAM,
  topologyTraceRoute,
  traceSuggestions,
  VERDICT_TITLES,
  type BranchView,
  type HopRow,
} from './trace-model.js';

const HOP_COLUMNS = ['#', 'node', 'in', 'route', 'table', 'proto', 'gateway', 'out', 'neighbor', 'encap', 'MTU', 'outcome'] as const;
const HISTORY_WINDOW_MS = 24 * 3600_000;
let datalistIds = 0;

export class TraceView implements View {
  readonly element: HTMLElement;
  private readonly fromInput: HTMLInputElement;
  private readonly toInput: HTMLInputElement;
  private readonly suggestions: HTMLDataListElement;
  private readonly topologyLink = h('a', { class: 'button', 'data-testid': 'trace-on-topology', hidden: true }, 'Show on topology →');
  private readonly timeNote = h('span', { class: 'muted' });
  private readonly status = h('div', { class: 'view-status' });
  private readonly body = h('div', { class: 'trace-result' });
  private readonly history = h('div', { class: 'trace-history' });
  private readonly follower: TraceFollower;
  private route: AppRoute;
  private historyToken = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly refreshSuggestions = debounce(() => this.fillSuggestions(), 1000);

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    const listId = `trace-endpoints-${++datalistIds}`;
    this.suggestions = h('datalist', { id: listId });
    const field = (testid: string, label: string) =>
      h('input', {
        type: 'text',
        class: 'trace-endpoint',
        list: listId,
        spellcheck: 'false',
        autocomplete: 'off',
        placeholder: 'pod IP, node name, address or namespace/pod',
        'aria-label': label,
        'data-testid': testid,
      });
    this.fromInput = field('trace-from', 'source');
    this.toInput = field('trace-to', 'destination');
    const form = h(
      'form',
      { class: 'toolbar trace-form', onsubmit: (e: SubmitEvent) => (e.preventDefault(), this.submit()) },
      h('label', { class: 'inline' }, 'From ', this.fromInput),
      h('button', { type: 'button', title: 'swap source and destination', 'aria-label': 'swap', 'data-testid': 'trace-swap', onclick: () => this.swap() }, '⇄'),
      h('label', { class: 'inline' }, 'To ', this.toInput),
      h('button', { type: 'submit', class: 'active', 'data-testid': 'trace-run' }, 'Trace'),
      this.topologyLink,
      this.timeNote,
    );
    this.element = h(
      'section',
      { class: 'view trace-view', 'data-testid': 'view-trace', 'data-state': 'idle' },
      h('h2', null, 'Path trace'),
      form,
      this.suggestions,
      this.status,
      this.body,
      this.history,
      h(
        'p',
        { class: 'muted' },
        "The path a packet takes through the nodes' routes, neighbors and fdb entries as netatlas recorded them (a pod's packets enter its node on its host-side interface). Live, the trace is taken again when a node on the path changes.",
      ),
    );
    this.follower = new TraceFollower(ctx.rest, ctx.store, () => this.render());
    this.unsubscribe.push(
      ctx.store.on('topology', () => this.refreshSuggestions()),
      () => this.follower.destroy(),
    );
    this.fillSuggestions();
    this.update(route);
  }

  update(route: AppRoute): void {
    this.route = route;
    const src = route.params.get(SRC_PARAM) ?? '';
    const dst = route.params.get(DST_PARAM) ?? '';
    if (document.activeElement !== this.fromInput) this.fromInput.value = src;
    if (document.activeElement !== this.toInput) this.toInput.value = dst;
    this.timeNote.textContent = route.time.mode === 'live' ? 'live: traced again when the path changes' : route.time.mode === 'at' ? `at ${formatDateTime(route.time.at)} UTC` : `comparing ${describeTime(route.time)}`;
    this.follower.follow(src !== '' && dst !== '' ? { src, dst, time: route.time } : null);
    this.render();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.historyToken++;
  }

  private submit(): void {
    const src = this.fromInput.value.trim();
    const dst = this.toInput.value.trim();
    const next = withParams(this.route, { [SRC_PARAM]: src || null, [DST_PARAM]: dst || null });
    const same = (this.route.params.get(SRC_PARAM) ?? '') === src && (this.route.params.get(DST_PARAM) ?? '') === dst;
    if (same && src !== '' && dst !== '') this.follower.follow({ src, dst, time: this.route.time }, true);
    else this.ctx.navigate(next);
  }

  private swap(): void {
    const from = this.fromInput.value;
    this.fromInput.value = this.toInput.value;
    this.toInput.value = from;
    if (this.fromInput.value.trim() !== '' && this.toInput.value.trim() !== '') this.submit();
  }

  private fillSuggestions(): void {
    const list = traceSuggestions(this.ctx.store.topology.nodes.values());
    fill(this.suggestions, ...list.map((s) => h('option', { value: s.value }, s.label)));
  }

  // ---------------------------------------------------------------- rendering

  private render(): void {
    const f = this.follower;
    const req = f.current;
    const el = this.element.dataset;
    el['runs'] = String(f.runs);
    this.topologyLink.hidden = req === null;
    if (req !== null) {
      const target = topologyTraceRoute(this.route.time, req.src, req.dst);
      this.topologyLink.setAttribute('href', formatHash(target));
      this.topologyLink.onclick = (e: MouseEvent) => {
        e.preventDefault();
        this.ctx.navigate(target);
      };
    }
    if (req === null) {
      el['state'] = 'idle';
      delete el['verdict'];
      fill(this.status, h('span', { class: 'muted' }, 'Pick a source and a destination: a pod IP, a node name, an address, or namespace/pod.'));
      fill(this.body);
      this.clearHistory();
      return;
    }
    el['state'] = f.loading ? 'loading' : f.error ? 'error' : 'ok';
    if (f.error) {
      delete el['verdict'];
      fill(this.status, failureBox('cannot trace', f.error));
      fill(this.body);
      this.clearHistory();
      return;
    }
    fill(this.status, f.loading && !f.result ? h('span', { class: 'muted' }, 'tracing…') : null);
    if (!f.result) return;
    el['verdict'] = f.result.verdict;
    this.renderResult(f.result, f.comparison);
  }

  private renderResult(result: TraceResult, comparison: TraceComparison | null): void {
    const changed = comparison ? changedHopIndex(comparison) : null;
    const branches = branchViews(result, changed);
    fill(
      this.body,
      this.verdictLine(result),
      comparison ? this.compareSection(comparison) : null,
      ...branches.map((b) => this.branchSection(b, branches.length)),
      comparison ? this.earlierSection(comparison.before) : null,
    );
    this.renderHistory(result);
  }

  private verdictLine(r: TraceResult): HTMLElement {
    return h(
      'div',
      { class: `trace-verdict verdict-${r.verdict}`, 'data-testid': 'trace-verdict', 'data-verdict': r.verdict },
      h('strong', null, RESULT_TITLES[r.verdict]),
      h('span', { class: 'endpoints' }, ` ${endpointText(r.from)} → ${endpointText(r.to)}`),
      h('span', { class: 'muted' }, ` · ${r.branches.length} branch${r.branches.length === 1 ? '' : 'es'}${r.mtu !== null ? ` · path MTU ${r.mtu}` : ''} · traced at ${formatDateTime(r.at)} UTC`),
    );
  }

  private branchSection(b: BranchView, count: number, testid = 'trace-branch'): HTMLElement {
    const head = h(
      'h3',
      null,
      count > 1 ? `Branch ${b.index + 1} of ${count} ` : 'Path ',
      b.ecmp ? h('span', { class: 'badge ecmp', title: 'the kernel spreads packets over several next hops (ECMP)' }, 'ECMP') : null,
      h('span', { class: `badge verdict-${b.delivered ? 'ok' : 'bad'}` }, VERDICT_TITLES[b.verdict]),
      h('span', { class: 'muted' }, ` at ${b.at}${b.mtu !== null ? ` · MTU ${b.mtu}` : ''}`),
    );
    const reason = h('p', { class: `trace-reason${b.delivered ? '' : ' bad'}`, 'data-testid': testid === 'trace-branch' ? 'trace-reason' : null, 'data-verdict': b.verdict }, b.reason);
    const rows = b.rows.flatMap((r) => this.hopRows(r, testid === 'trace-branch'));
    const table =
      b.rows.length === 0
        ? null
        : h(
            'div',
            { class: 'table-wrap' },
            h('table', { class: 'data trace-hops' }, h('thead', null, h('tr', null, ...HOP_COLUMNS.map((c) => h('th', { class: c === 'MTU' || c === '#' ? 'num' : null }, c)))), h('tbody', null, ...rows)),
          );
    return h(
      'section',
      { class: `trace-branch${b.delivered ? '' : ' failed'}`, 'data-testid': testid, 'data-index': b.index, 'data-verdict': b.verdict, 'data-ecmp': String(b.ecmp), 'data-at': b.at },
      head,
      reason,
      table,
    );
  }

  private hopRows(r: HopRow, current: boolean): HTMLElement[] {
    const cell = (text: string | number | null, cls: string | null = null, title: string | null = null) => h('td', { class: cls, title }, text === null ? '—' : String(text));
    const tr = h(
      'tr',
      {
        class: [r.failed ? 'hop-failed' : '', r.changed ? 'mark-changed' : ''].filter(Boolean).join(' ') || null,
        'data-testid': current ? 'trace-hop' : null,
        'data-node': r.node,
        'data-outcome': r.outcome,
        'data-failed': r.failed ? 'true' : null,
        'data-changed': r.changed ? 'true' : null,
        title: r.facts.length ? `facts read:\n${r.facts.join('\n')}` : null,
      },
      cell(r.index + 1, 'num'),
      h('td', { class: 'node' }, r.node, r.changed ? h('span', { class: 'badge changed', title: 'the first hop whose decision differs from the earlier moment' }, 'changed') : null),
      cell(r.iif),
      cell(r.route ? `${r.route.type !== 'unicast' ? `${r.route.type} ` : ''}${r.route.dst}` : 'no route', r.route ? null : 'bad', r.route?.text ?? null),
      cell(r.route?.table ?? null),
      cell(r.route?.protocol ?? null),
      cell(r.gateway),
      cell(r.dev),
      cell(r.neighbor),
      cell(r.encap),
      cell(r.mtu, 'num'),
      h('td', { class: `outcome outcome-${r.outcome}` }, r.ecmp ? h('span', { class: 'badge ecmp' }, 'ECMP') : null, r.next),
    );
    if (!r.failed || r.reason === null) return [tr];
    return [tr, h('tr', { class: 'hop-reason' }, h('td', { colspan: HOP_COLUMNS.length, 'data-testid': current ? 'trace-hop-reason' : null }, `✗ ${r.reason}`))];
  }

  private compareSection(c: TraceComparison): HTMLElement {
    const changes = sortedChanges(c);
    const at = c.changedAt;
    return h(
      'section',
      { class: 'trace-compare', 'data-testid': 'trace-compare', 'data-changed': at ? 'true' : 'false' },
      h('h3', null, 'What changed'),
      h(
        'p',
        null,
        `At ${formatDateTime(c.before.at)} UTC: `,
        h('strong', null, RESULT_TITLES[c.before.verdict]),
        `; at ${formatDateTime(c.after.at)} UTC: `,
        h('strong', null, RESULT_TITLES[c.after.verdict]),
        '.',
      ),
      at
        ? h(
            'div',
            { class: 'trace-changed-at', 'data-testid': 'trace-changed-at', 'data-node': at.node, 'data-hop': at.hop },
            h('p', null, `The path changed at hop ${at.hop + 1}, on ${at.node}:`),
            h('pre', { class: 'diff-lines' }, h('span', { class: 'line del' }, `- ${hopSummary(at.before)}\n`), h('span', { class: 'line add' }, `+ ${hopSummary(at.after)}`)),
          )
        : h('p', { class: 'muted', 'data-testid': 'trace-changed-at', 'data-node': '' }, 'The path is the same at both moments.'),
      h('h4', null, `${changes.length} change${changes.length === 1 ? '' : 's'} on the path's nodes between the two moments`),
      changes.length === 0
        ? null
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'data', 'data-testid': 'trace-changes' },
              h('thead', null, h('tr', null, h('th', null, 'time (UTC)'), h('th', null, 'node'), h('th', null, 'change'), h('th', null, 'kind'), h('th', null, 'key'))),
              h(
                'tbody',
                null,
                ...changes.map((x) =>
                  h(
                    'tr',
                    { class: `op-${x.op}`, 'data-testid': 'trace-change', 'data-node': x.node, 'data-kind': x.kind, 'data-op': x.op },
                    h('td', null, formatDateTime(x.at)),
                    h('td', null, x.node),
                    h('td', null, x.op),
                    h('td', null, x.kind),
                    h('td', null, x.key),
                  ),
                ),
              ),
            ),
          ),
    );
  }

  private earlierSection(before: TraceResult): HTMLElement {
    const branches = branchViews(before);
    return h(
      'details',
      { class: 'trace-earlier', 'data-testid': 'trace-before', 'data-verdict': before.verdict },
      h('summary', null, `The trace at ${formatDateTime(before.at)} UTC: ${RESULT_TITLES[before.verdict]}`),
      ...branches.map((b) => this.branchSection(b, branches.length, 'trace-before-branch')),
    );
  }

  /** Where the destination address lived over the day before the moment shown (read when opened). */
  private renderHistory(result: TraceResult): void {
    const ip = result.to.ip;
    if (ip === null) {
      this.clearHistory();
      return;
    }
    // a live re-run keeps what is open
    const key = `${ip} ${describeTime(this.route.time)}`;
    if (this.history.dataset['key'] === key) return;
    this.history.dataset['key'] = key;
    const slot = h('div');
    const details = h('details', { 'data-testid': 'trace-address-history', ontoggle: () => details.open && void this.loadHistory(ip, slot) }, h('summary', null, `Where ${ip} was in the 24 hours before`), slot);
    fill(this.history, details);
  }

  private clearHistory(): void {
    fill(this.history);
    delete this.history.dataset['key'];
  }

  private async loadHistory(ip: string, slot: HTMLElement): Promise<void> {
    const token = ++this.historyToken;
    const to = shownMoment(this.route.time) ?? new Date();
    fill(slot, h('span', { class: 'muted' }, 'loading…'));
    try {
      const hist: AddressHistory = await this.ctx.rest.addressHistory(ip, { from: new Date(to.getTime() - HISTORY_WINDOW_MS), to });
      if (token !== this.historyToken) return;
      fill(
        slot,
        hist.entries.length === 0
          ? h('p', { class: 'muted' }, 'on no node in that window')
          : h(
              'table',
              { class: 'data' },
              h('thead', null, h('tr', null, ...['node', 'interface', 'as', 'MAC', 'first seen', 'last seen', 'pod'].map((c) => h('th', null, c)))),
              h(
                'tbody',
                null,
                ...hist.entries.map((e) =>
                  h(
                    'tr',
                    null,
                    h('td', null, e.node),
                    h('td', null, e.interface),
                    h('td', null, e.via),
                    h('td', null, e.mac ?? '—'),
                    h('td', null, formatDateTime(e.firstSeen)),
                    h('td', null, e.lastSeen ? formatDateTime(e.lastSeen) : 'still there'),
                    h('td', null, e.pod ? `${e.pod.namespace}/${e.pod.name}` : '—'),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      if (token !== this.historyToken) return;
      fill(slot, failureBox('cannot read the address history', error));
    }
  }
}
