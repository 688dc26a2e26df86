// What /metrics says: alert states, ingest counters, per-node collector freshness and status, BGP
// sessions counted per node and state (one series per node and state, not per peer pair), the
// notification outbox, and the Kubernetes source's health (kube-metrics.ts). The database part is one
// round trip of five small indexed queries (ProbeRepository.metricsSnapshot); the counters are in
// memory (since this API process started, as Prometheus counters are).
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BGP_STATES, NODE_STATUSES } from '@netatlas/wire';
import { APP_VERSION } from '../app-version.js';
import { withDeadline } from '../db/database.js';
import { ProbeRepository, type MetricsSnapshot } from '../db/repositories/probe.repository.js';
import { IngestService, STAGINGS_MAX } from '../ingest/ingest.service.js';
import { socketStats } from '../realtime/socket-server.js';
import { addKubernetesMetrics } from './kube-metrics.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { Notifier } from '../notify/notifier.js';
import { PrometheusText, type Sample } from './prometheus-text.js';

@Injectable()
export class MetricsService implements OnModuleDestroy {
  /** how late the event loop runs timers: a block of the loop delays every collector's ack and every answer */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    @Inject(ProbeRepository) private readonly probe: ProbeRepository,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(Notifier) private readonly notifier: Notifier,
    @Inject(APP_VERSION) private readonly version: string,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {
    this.loopDelay.enable();
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  async render(): Promise<string> {
    const snapshot = await this.snapshot();
    const m = new PrometheusText();
    m.add('netatlas_build_info', 'gauge', 'The running API version (always 1).', [{ labels: { version: this.version }, value: 1 }]);
    // since the previous scrape (then reset): its median, p99 and worst, in seconds
    const d = this.loopDelay;
    const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    m.add('netatlas_event_loop_delay_seconds', 'gauge', 'How late the event loop ran since the previous scrape (sampled every 10 ms): median, p99 and max.', [
      { labels: { quantile: '0.5' }, value: seconds(d.percentile(50)) },
      { labels: { quantile: '0.99' }, value: seconds(d.percentile(99)) },
      { labels: { quantile: '1' }, value: seconds(d.max) },
    ]);
    d.reset();
    m.add('netatlas_database_up', 'gauge', 'Whether the database answered this scrape (its metrics are missing when 0).', [
      { value: snapshot ? 1 : 0 },
    ]);

    // alerts
    m.add(
      'netatlas_alerts',
      'gauge',
      'Open alerts by rule, severity and state (pending or firing).',
      (snapshot?.open ?? []).map((r) => ({ labels: { rule: r.rule, severity: r.severity, state: r.state }, value: r.n })),
    );
    m.add(
      'netatlas_alerts_resolved_last_hour',
      'gauge',
      'Alerts resolved during the last hour, by rule and severity.',
      (snapshot?.resolved ?? []).map((r) => ({ labels: { rule: r.rule, severity: r.severity }, value: r.n })),
    );

    // ingest
    const stats = this.ingest.stats;
    m.add('netatlas_ingest_messages_total', 'counter', 'Collector messages (snapshots, deltas, leaves) handled since the API started.', [{ value: stats.messages }]);
    m.add('netatlas_ingest_changes_total', 'counter', 'Fact changes committed from collector messages since the API started.', [{ value: stats.changes }]);
    m.add(
      'netatlas_ingest_rejected_total',
      'counter',
      'Collector messages rejected since the API started, by code (invalid, too-large, out-of-order, no-hello, unavailable, internal).',
      Object.entries(stats.rejectedByCode).map(([code, value]) => ({ labels: { code }, value })),
    );
    m.add('netatlas_ingest_throttled_total', 'counter', 'Collector messages refused at once (unavailable, send again) because their connection had 512 waiting, the snapshot budget was spent, a snapshot was already coming in parts, or a protocol-3 snapshot came without its turn, since the API started.', [
      { value: stats.throttled },
    ]);
    m.add('netatlas_ingest_snapshots_refused_undecoded_total', 'counter', 'Snapshots refused before they were decoded (over the budget of snapshot bytes in flight, a part 0 while another snapshot comes in parts, or a protocol-3 snapshot without its turn), since the API started.', [
      { value: stats.refusedUndecoded },
    ]);
    m.add('netatlas_socket_oversized_frames_cut_total', 'counter', 'Websocket connections cut at once for a frame over the transport\'s limit (twice NETATLAS_MAX_MESSAGE_MB plus 1 MB), since the API started.', [
      { value: socketStats.oversizedFramesCut },
    ]);
    m.add('netatlas_ingest_large_messages_waiting', 'gauge', 'Collector connections holding a message over 4 MB back until it is their turn to be read (one at a time).', [
      { value: this.ingest.largeMessages.queued },
    ]);
    m.add('netatlas_ingest_snapshot_parts_total', 'counter', 'Snapshot parts kept until their last part (a snapshot over ~1 MB comes in parts), since the API started.', [
      { value: stats.partsStaged },
    ]);
    const pacer = this.ingest.partPacer;
    m.add('netatlas_ingest_snapshot_parts_decoded_total', 'counter', 'Snapshot parts of 16 kB and more decoded and validated by the part decoder, by thread: its worker, or the API\'s own (the worker had failed), since the API started.', [
      { labels: { thread: 'worker' }, value: this.ingest.partDecoder.stats.decoded },
      { labels: { thread: 'api' }, value: this.ingest.partDecoder.stats.decodedHere },
    ]);
    m.add('netatlas_ingest_snapshot_parts_paced_total', 'counter', `Snapshot parts whose ack was held because the API's event loop or the part decoder's was over ${Math.round(pacer.target * 100)} % busy (at most ${pacer.maxWaitMs} ms each), since the API started.`, [
      { value: pacer.stats.held },
    ]);
    m.add('netatlas_ingest_snapshot_parts_paced_seconds_total', 'counter', 'Time snapshot parts\' acks were held by the pacer, in all, since the API started.', [
      { value: pacer.stats.heldMs / 1000 },
    ]);
    m.add('netatlas_ingest_snapshots_in_parts', 'gauge', `Snapshots being received in parts now (at most ${STAGINGS_MAX} at once; part 0 of another is refused as unavailable and sent again).`, [
      { value: this.ingest.snapshotsInParts },
    ]);
    const turns = this.ingest.turns;
    m.add('netatlas_ingest_snapshot_turns_held', 'gauge', `Collectors holding a turn to send a snapshot now (protocol 3; at most ${turns.limit}, NETATLAS_SNAPSHOT_TURNS).`, [{ value: turns.holding }]);
    m.add('netatlas_ingest_snapshot_turns_waiting', 'gauge', 'Collectors waiting for a snapshot turn: kept waiting for the next that frees, or told to ask again (retryAfterMs) and still expected back.', [{ value: turns.waiting }]);
    m.add('netatlas_ingest_snapshot_turns_granted_total', 'counter', 'Snapshot turns granted since the API started (at once, or handed to an ask kept waiting).', [{ value: turns.stats.granted }]);
    m.add('netatlas_ingest_snapshot_turns_deferred_total', 'counter', 'Asks for a snapshot turn answered with retryAfterMs (all turns held) since the API started.', [{ value: turns.stats.deferred }]);
    m.add('netatlas_ingest_snapshot_turns_taken_back_total', 'counter', 'Snapshot turns taken back from holders that sent no part of their snapshot for 10 s (or held one 120 s) since the API started.', [
      { value: turns.stats.takenBack },
    ]);
    m.add('netatlas_ingest_snapshot_turn_seconds', 'gauge', 'The mean time of the last 32 snapshot turns, grant to answer: what retryAfterMs is reckoned from.', [{ value: turns.meanTurnMs / 1000 }]);
    m.add('netatlas_ingest_connections_cut_total', 'counter', 'Collector connections cut for sending on past their limit of 512 waiting messages (64 refusals), since the API started.', [
      { value: stats.cut },
    ]);
    m.add('netatlas_log_lines_suppressed_total', 'counter', 'Log lines about rejected collector messages held back by the log budget (20 per 10 s) since the API started.', [
      { value: this.ingest.rejectionLog.suppressed },
    ]);
    m.add('netatlas_ingest_duplicates_total', 'counter', 'Repeated collector messages acknowledged without being applied again since the API started.', [
      { value: stats.duplicates },
    ]);
    m.add('netatlas_collectors_connected', 'gauge', 'Collectors with a live connection to this API.', [{ value: this.ingest.connectedNodes().length }]);

    // nodes
    const nodes = snapshot?.nodes ?? [];
    const status: Sample[] = [];
    for (const n of nodes) for (const s of NODE_STATUSES) status.push({ labels: { node: n.name, status: s }, value: n.status === s ? 1 : 0 });
    m.add('netatlas_node_status', 'gauge', 'Each node\'s status: 1 for the current one (pending, connected, disconnected, lost, left), 0 for the others.', status);
    // a node without a collector yet (pending) or gone for good (left) has no freshness to watch
    const watched = nodes.filter((n) => n.status !== 'pending' && n.status !== 'left');
    m.add(
      'netatlas_collector_last_seen_seconds',
      'gauge',
      'Seconds since the API last heard from the node\'s collector (nodes that are not pending or left).',
      watched.map((n) => ({ labels: { node: n.name }, value: round(Math.max(0, n.age)) })),
    );
    m.add(
      'netatlas_collector_last_seen_timestamp_seconds',
      'gauge',
      'When the API last heard from the node\'s collector, in Unix seconds (nodes that are not pending or left).',
      watched.map((n) => ({ labels: { node: n.name }, value: round(n.last_seen) })),
    );

    // BGP: every state of every node that has sessions, zeros included, so `== 0` works
    const bgp = new Map<string, Map<string, number>>();
    for (const r of snapshot?.bgp ?? []) {
      const states = bgp.get(r.name) ?? new Map(BGP_STATES.map((s) => [s as string, 0]));
      states.set(r.state ?? 'unknown', (states.get(r.state ?? 'unknown') ?? 0) + r.n);
      bgp.set(r.name, states);
    }
    const sessions: Sample[] = [];
    for (const [node, states] of bgp) for (const [state, n] of states) sessions.push({ labels: { node, state }, value: n });
    m.add('netatlas_bgp_sessions', 'gauge', 'BGP sessions of each node\'s daemon by state (current bgpSession facts).', sessions);

    // notifications
    const receivers = this.notifier.receivers().map((r) => r.name);
    const outbox = new Map((snapshot?.outbox ?? []).map((r) => [r.receiver, r]));
    const names = [...new Set([...receivers, ...outbox.keys()])].sort();
    if (snapshot) {
      m.add(
        'netatlas_notifications_pending',
        'gauge',
        'Notifications in the outbox not yet delivered, by receiver.',
        names.map((receiver) => ({ labels: { receiver }, value: outbox.get(receiver)?.n ?? 0 })),
      );
      m.add(
        'netatlas_notifications_oldest_pending_seconds',
        'gauge',
        'Age of the oldest notification not yet delivered, by receiver (0 when none waits).',
        names.map((receiver) => ({ labels: { receiver }, value: round(outbox.get(receiver)?.oldest ?? 0) })),
      );
    } else {
      m.add('netatlas_notifications_pending', 'gauge', 'Notifications in the outbox not yet delivered, by receiver.', []);
      m.add('netatlas_notifications_oldest_pending_seconds', 'gauge', 'Age of the oldest notification not yet delivered, by receiver (0 when none waits).', []);
    }
    const sent = this.notifier.stats();
    const per = (pick: (s: { delivered: number; failedAttempts: number; rejected: number }) => number): Sample[] =>
      receivers.map((receiver) => ({ labels: { receiver }, value: pick(sent.get(receiver) ?? { delivered: 0, failedAttempts: 0, rejected: 0 }) }));
    m.add('netatlas_notifications_delivered_total', 'counter', 'Notifications a receiver accepted (2xx) since the API started.', per((s) => s.delivered));
    m.add('netatlas_notifications_failed_attempts_total', 'counter', 'Delivery attempts that failed and will be retried, since the API started.', per((s) => s.failedAttempts));
    m.add('netatlas_notifications_rejected_total', 'counter', 'Notifications a receiver refused with a 4xx and that are not sent again, since the API started.', per((s) => s.rejected));

    // Kubernetes
    if (this.kube) addKubernetesMetrics(m, this.kube.health());
    return m.toString();
  }

  /** The database's part, or null while it does not answer (the in-memory metrics are still served). */
  private async snapshot(): Promise<MetricsSnapshot | null> {
    try {
      return await withDeadline(this.probe.metricsSnapshot(), 2000);
    } catch {
      return null;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
