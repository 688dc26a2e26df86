// What the alerts engine uses to notify: `enqueue(client, notice)` inside its transaction (the
// notice's outbox rows commit or roll back with the alert changes), then `kick()` after COMMIT so the
// sender does not wait for its next poll.
import { Inject, Injectable } from '@nestjs/common';
import { silenceMatches } from '@netatlas/wire';
import type pg from 'pg';
import { OutboxRepository } from '../db/repositories/outbox.repository.js';
import { SilencesRepository } from '../db/repositories/silences.repository.js';
import { NOTIFY_CONFIG, type NotifyConfig, type Receiver } from './notify-config.js';
import type { AlertNotice, AlertNotifier } from './notice.js';
import { enqueueNotice, OutboxSender, type ReceiverStats } from './outbox.js';

@Injectable()
export class Notifier implements AlertNotifier {
  constructor(
    @Inject(NOTIFY_CONFIG) private readonly settings: NotifyConfig,
    @Inject(OutboxSender) private readonly sender: OutboxSender,
    @Inject(SilencesRepository) private readonly silences: SilencesRepository,
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
  ) {}

  /**
   * Queues the notice for every receiver that should get it, in the caller's open transaction. A
   * notice goes nowhere when its group's root cause is silenced (a silenced node's maintenance is
   * one silence, not one per symptom), or when every alert that changed is.
   */
  async enqueue(client: pg.PoolClient, notice: AlertNotice): Promise<void> {
    if (this.settings.receivers.length === 0) return;
    const silences = await this.silences.active(client);
    const silenced = (a: { rule: string; labels: Record<string, string> }) => silences.some((s) => silenceMatches(s, a));
    if (silences.length > 0 && ((notice.alerts[0] && silenced(notice.alerts[0])) || (notice.transitions.length > 0 && notice.transitions.every((t) => silenced(t.alert))))) return;
    await enqueueNotice(this.outbox, client, notice, this.settings);
  }

  /** Sends what is due now (call after the transaction that enqueued commits). */
  kick(): void {
    this.sender.kick();
  }

  /** The configured receivers (their URLs and headers are secrets: show them with describeReceiver). */
  receivers(): Receiver[] {
    return this.sender.receiverList();
  }

  /** Per receiver, since the API started: delivered, failed attempts, refused. */
  stats(): Map<string, ReceiverStats> {
    return this.sender.receiverStats();
  }
}
