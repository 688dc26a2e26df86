// Notifications (README "Notifications"): webhook receivers fed through the notification outbox.
// Global, so the alerts engine can @Inject(Notifier) without importing this module.
import { Global, Module } from '@nestjs/common';
import { DATABASE } from '../app-tokens.js';
import type { Database } from '../db/database.js';
import { OutboxRepository } from '../db/repositories/outbox.repository.js';
import { SilencesRepository } from '../db/repositories/silences.repository.js';
import { NOTIFIER } from './notice.js';
import { Notifier } from './notifier.js';
import { OutboxSender } from './outbox.js';

@Global()
@Module({
  providers: [
    { provide: OutboxRepository, useFactory: (db: Database) => new OutboxRepository(db.pool), inject: [DATABASE] },
    OutboxSender,
    Notifier,
    { provide: NOTIFIER, useExisting: Notifier },
    { provide: SilencesRepository, useFactory: (db: Database) => new SilencesRepository(db.pool), inject: [DATABASE] },
  ],
  exports: [Notifier, NOTIFIER, SilencesRepository],
})
export class NotifyModule {}
