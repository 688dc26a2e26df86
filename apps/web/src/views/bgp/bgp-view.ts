// The BGP matrix view: every node × peer session with its state (colour), how long it has been in
// it, and prefix counts; sessions that are not established listed above. Live changes of
// bgpSession facts recolour cells as they arrive; a past moment or a compare range is fetched.
import type { BgpSessionValue, Fact, FactChange } from '@netatlas/wire/core';
import { formatDateTime, formatDuration } from '../../format/time.js';
import type { AppRoute } from '../../state/route.js';
import { sameTime, type TimeSelection } from '../../state/time-control.js';
import { fill, h, perFrame } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import { BGP_COLOURS } from '../topology/palette.js';
import type { View, ViewContext } from '../view.js';
import { addressOwners, buildBgpMatrix, cellKey, changedCells, formatPrefixes, sessionsFromFacts, type BgpCell, type BgpMatrix } from './bgp-matrix.js';

/** Above this many peer columns, cells show colour only (details on hover). */
const COMPACT_FROM = 24;

export class BgpView implements View {
  readonly element: HTMLElement;
  private readonly status = h('div', { class: 'view-status' });
  private readonly summary = h('div', { class: 'bgp-summary', 'data-testid': 'bgp-summary' });
  private readonly problems = h('div', { class: 'bgp-problems' });
  private readonly matrixSlot = h('div', { class: 'bgp-matrix-wrap' });
  private route: AppRoute;
  private shown: TimeSelection | null = null;
  /** node → session key → session */
  private sessions = new Map<string, Map<string, BgpSessionValue>>();
  private changed = new Map<string, [string | null, string | null]>();
  private token = 0;
  private ages: [HTMLElement, string][] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly render = perFrame(() => this.draw());
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    private readonly ctx: ViewContext,
    route: AppRoute,
  ) {
    this.route = route;
    this.element = h(
      'section',
      { class: 'view bgp-view', 'data-testid': 'view-bgp' },
      h('h2', null, 'BGP sessions'),
      this.status,
      this.summary,
      this.problems,
      this.matrixSlot,
      h('p', { class: 'muted' }, 'Rows: the node reporting the session. Columns: its peer (the node owning the address, or an external peer). ↓ received, ✓ accepted, ↑ sent prefixes; the time is how long the session has been in its state.'),
    );
    this.unsubscribe.push(
      ctx.store.on('changes', (changes) => this.onLiveChanges(changes)),
      ctx.store.on('nodes', this.render),
      ctx.store.on('synced', (info) => {
        if (info.reconnect && this.route.time.mode === 'live') void this.load();
      }),
    );
    this.ticker = setInterval(() => this.refreshAges(), 5000);
    this.update(route);
  }

  update(route: AppRoute): void {
    this.route = route;
    if (!this.shown || !sameTime(this.shown, route.time)) void this.load();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    clearInterval(this.ticker);
    this.token++;
  }

  private toMaps(state: Record<string, Fact[]>): Map<string, Map<string, BgpSessionValue>> {
    const out = new Map<string, Map<string, BgpSessionValue>>();
    for (const [node, facts] of Object.entries(state)) {
      const m = new Map<string, BgpSessionValue>();
      for (const f of facts) if (f.kind === 'bgpSession') m.set(f.key, f.value);
      out.set(node, m);
    }
    return out;
  }

  private async load(): Promise<void> {
    const time = this.route.time;
    this.shown = time;
    const token = ++this.token;
    fill(this.status, h('span', { class: 'muted' }, 'loading…'));
    try {
      if (time.mode === 'compare') {
        const [from, to] = await Promise.all([
          this.ctx.rest.state({ kind: ['bgpSession'], at: time.from }),
          this.ctx.rest.state({ kind: ['bgpSession'], at: time.to }),
        ]);
        if (token !== this.token) return;
        this.sessions = this.toMaps(to.nodes);
        this.changed = changedCells(buildBgpMatrix(sessionsFromFacts(from.nodes)), buildBgpMatrix(sessionsFromFacts(to.nodes)));
        fill(this.status, h('span', { class: 'muted' }, `sessions at ${formatDateTime(time.to)} UTC; outlined: changed since ${formatDateTime(time.from)} UTC (${this.changed.size})`));
      } else {
        const at = time.mode === 'at' ? time.at : null;
        const state = await this.ctx.rest.state({ kind: ['bgpSession'], at });
        if (token !== this.token) return;
        this.sessions = this.toMaps(state.nodes);
        this.changed = new Map();
        fill(this.status, at ? h('span', { class: 'muted' }, `sessions at ${formatDateTime(at)} UTC`) : null);
      }
      this.draw();
    } catch (error) {
      if (token !== this.token) return;
      fill(this.status, failureBox('cannot load the BGP sessions', error));
    }
  }

  private onLiveChanges(changes: readonly FactChange[]): void {
    if (this.route.time.mode !== 'live' || !this.shown) return;
    let any = false;
    for (const c of changes) {
      if (c.kind !== 'bgpSession') continue;
      any = true;
      let m = this.sessions.get(c.node);
      if (!m) this.sessions.set(c.node, (m = new Map()));
      if (c.after === null) m.delete(c.key);
      else m.set(c.key, c.after as BgpSessionValue);
    }
    if (any) this.render();
  }

  /** The moment ages are measured from: now, or the moment shown. */
  private reference(): Date {
    const t = this.route.time;
    return t.mode === 'live' ? new Date() : t.mode === 'at' ? t.at : t.to;
  }

  private matrix(): BgpMatrix {
    const byNode = new Map([...this.sessions].map(([n, m]) => [n, [...m.values()]]));
    const live = this.route.time.mode === 'live';
    // node IPs from the topology name peers whose sessions are down on both sides
    const nodeIps = new Map<string, string[]>();
    for (const n of this.ctx.store.topology.nodes.values()) {
      if (n.type === 'host' && Array.isArray(n.data['nodeIps'])) nodeIps.set(n.label, n.data['nodeIps'] as string[]);
    }
    const nodes = live ? [...this.ctx.store.nodes.values()] : [];
    const rows = nodes.filter((n) => n.status !== 'left').map((n) => n.name);
    // live: nodes that left have no row unless they still report sessions (bgp-matrix.ts says why)
    const departed = new Set(nodes.filter((n) => n.status === 'left').map((n) => n.name));
    return buildBgpMatrix(byNode, { nodes: rows, owners: addressOwners(byNode, nodeIps), departed });
  }

  private draw(): void {
    const m = this.matrix();
    const now = this.reference();
    this.ages = [];
    const t = m.totals;
    this.summary.dataset['sessions'] = String(t.sessions);
    this.summary.dataset['established'] = String(t.established);
    fill(
      this.summary,
      h('strong', null, `${t.established}/${t.sessions} established`),
      ' · ',
      Object.entries(t.byState)
        .map(([s, n]) => `${n} ${s}`)
        .join(' · '),
    );
    fill(
      this.problems,
      m.problems.length === 0
        ? null
        : h(
            'details',
            { open: m.problems.length <= 12 },
            h('summary', null, `${m.problems.length} session${m.problems.length === 1 ? '' : 's'} not established`),
            h(
              'ul',
              { class: 'plain' },
              ...m.problems.slice(0, 200).map((c) =>
                h(
                  'li',
                  null,
                  h('span', { class: 'dot', style: `background:${BGP_COLOURS[c.colour]}` }),
                  ` ${c.node} → ${c.peerHost ?? c.peerAddress} (${c.peerAddress}) ${c.state}`,
                  c.since ? ` for ${formatDuration(now.getTime() - Date.parse(c.since))}` : '',
                  c.sessions.some((s) => s.lastError) ? h('span', { class: 'muted' }, ` — ${c.sessions.map((s) => s.lastError).filter(Boolean).join('; ')}`) : null,
                ),
              ),
            ),
          ),
    );
    if (m.rows.length === 0 && m.columns.length === 0) {
      fill(this.matrixSlot, h('p', { class: 'muted' }, this.ctx.store.ready ? 'no BGP sessions (flannel clusters have none)' : 'waiting for the API…'));
      return;
    }
    const compact = m.columns.length > COMPACT_FROM;
    const head = this.headRow(m, compact);
    const body = document.createDocumentFragment();
    for (const r of m.rows) {
      const tr = h(
        'tr',
        { 'data-testid': `bgp-row-${r.node}`, 'data-departed': r.departed ? 'true' : undefined, class: r.departed ? 'departed' : undefined },
        h('th', { class: 'row-head', scope: 'row', title: r.departed ? `${r.node} has left the cluster` : undefined }, r.node, r.departed ? h('small', { class: 'departed-mark' }, ' left') : null, h('small', null, ` ${r.established}/${r.sessions}`)),
      );
      for (const c of m.columns) {
        const cell = m.cells.get(cellKey(r.node, c.peerAddress));
        if (cell) tr.append(this.cell(cell, now, compact));
        else if (c.host === r.node) tr.append(h('td', { class: 'bgp-cell self' }));
        else {
          // no session between two nodes (its daemon is down, or it was never configured): still a cell to look at
          const change = this.changed.get(cellKey(r.node, c.peerAddress));
          tr.append(
            h('td', {
              class: `bgp-cell none${change ? ' changed' : ''}`,
              'data-testid': `bgp-${r.node}-${c.peerAddress}`,
              'data-state': 'none',
              title: `${r.node} has no session with ${c.label} (${c.peerAddress})${change ? `; was ${change[0] ?? 'none'}` : ''}`,
            }),
          );
        }
      }
      body.append(tr);
    }
    fill(this.matrixSlot, h('table', { class: `bgp-matrix${compact ? ' compact' : ''}`, 'data-testid': 'bgp-matrix' }, h('thead', null, head), h('tbody', null, body)));
  }

  /** The header: the corner naming both axes, then a column per peer. */
  private headRow(m: BgpMatrix, compact: boolean): HTMLElement {
    return h(
      'tr',
      null,
      // the corner names both axes, split by a diagonal line drawn in CSS (no glyph a font may lack)
      h('th', { class: 'corner', 'data-testid': 'bgp-corner', title: 'rows: the node reporting the session; columns: its peer' }, h('span', { class: 'corner-peer' }, 'peer'), h('span', { class: 'corner-node' }, 'node')),
      ...m.columns.map((c) =>
        h(
          'th',
          { class: `peer${c.departed ? ' departed' : ''}`, title: c.departed ? `${c.peerAddress}: ${c.label} has left the cluster; some nodes still peer with it` : c.peerAddress, 'data-peer': c.peerAddress, 'data-departed': c.departed ? 'true' : undefined },
          h('span', null, c.label),
          c.departed ? h('small', { class: 'departed-mark' }, 'left') : null,
          c.host !== null && !compact ? h('small', null, c.peerAddress) : null,
        ),
      ),
    );
  }

  private cell(c: BgpCell, now: Date, compact: boolean): HTMLElement {
    const key = cellKey(c.node, c.peerAddress);
    const change = this.changed.get(key);
    const title = [
      `${c.node} → ${c.peerHost ?? 'external'} ${c.peerAddress}`,
      ...c.sessions.map(
        (s) =>
          `${s.daemon}${s.name ? ` ${s.name}` : ''}: ${s.state}${s.since ? ` since ${formatDateTime(s.since)} UTC` : ''}, AS ${s.localAs ?? '?'} → ${s.peerAs ?? '?'}, prefixes ${formatPrefixes({ received: s.prefixesReceived, accepted: s.prefixesAccepted, sent: s.prefixesSent }) || '—'}${s.lastError ? `, last error: ${s.lastError}` : ''}`,
      ),
      change ? `changed: ${change[0] ?? 'none'} → ${change[1] ?? 'none'}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const td = h('td', {
      class: `bgp-cell c-${c.colour}${change ? ' changed' : ''}`,
      'data-testid': `bgp-${c.node}-${c.peerAddress}`,
      'data-state': c.state,
      'data-daemons': c.daemons.join(','),
      'data-since': c.since ?? undefined,
      title,
    });
    if (compact) return td;
    const age = h('span', { class: 'age' }, c.since ? formatDuration(now.getTime() - Date.parse(c.since)) : '');
    if (c.since) this.ages.push([age, c.since]);
    td.append(h('span', { class: 'state' }, c.state), age, h('span', { class: 'prefixes' }, formatPrefixes(c.prefixes)));
    return td;
  }

  private refreshAges(): void {
    if (this.route.time.mode !== 'live') return;
    const now = Date.now();
    for (const [el, since] of this.ages) el.textContent = formatDuration(now - Date.parse(since));
  }
}
