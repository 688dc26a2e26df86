// Deletes history older than NETATLAS_RETENTION_DAYS: fact versions that ended before the cutoff and
// lifecycle events older than it. Current versions (valid_to null) are never touched, however old,
// so the state now and at any moment inside the retention window stays exact.
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { RetentionRepository } from '../db/repositories/retention.repository.js';

const BATCH = 10_000;
const EVERY_MS = 3600_000;

@Injectable()
export class RetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('retention');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(RetentionRepository) private readonly repository: RetentionRepository,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.retentionDays <= 0) return;
    const run = () =>
      void this.prune(new Date(Date.now() - this.config.retentionDays * 86400_000)).catch((error: unknown) => {
        if (!isDatabaseUnavailable(error)) this.log.error(`pruning failed: ${(error as Error).message}`);
      });
    setTimeout(run, 10_000).unref();
    this.timer = setInterval(run, EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Deletes, in batches, what ended before `cutoff`. Returns the numbers of rows deleted. */
  async prune(cutoff: Date): Promise<{ facts: number; events: number }> {
    let facts = 0;
    for (;;) {
      const deleted = await this.repository.deleteEndedFacts(cutoff, BATCH);
      facts += deleted;
      if (deleted < BATCH) break;
    }
    const events = await this.repository.deleteEventsBefore(cutoff);
    if (facts || events) this.log.log(`deleted ${facts} fact versions and ${events} events older than ${cutoff.toISOString()}`);
    return { facts, events };
  }
}
