// Notifications (README "Notifications"): webhook receivers fed through the notification outbox.
// Global, so the alerts engine can @Inject(Notifier) without importing this module.
import { Global, Module } from '@nestjs/common';
import { NOTIFIER } from './notice.js';
import { Notifier } from './notifier.js';
import { OutboxSender } from './outbox.js';

@Global()
@Module({
  providers: [OutboxSender, Notifier, { provide: NOTIFIER, useExisting: Notifier }],
  exports: [Notifier, NOTIFIER],
})
export class NotifyModule {}
