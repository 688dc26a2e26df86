import { Inject, Injectable } from '@nestjs/common';
import type { Health } from '@netatlas/wire';
import { API_CONFIG } from '../app-tokens.js';
import { APP_VERSION } from '../app-version.js';
import type { CoreConfig } from '../config.js';
import { withDeadline } from '../db/database.js';
import { ProbeRepository } from '../db/repositories/probe.repository.js';

@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_VERSION) private readonly version: string,
    @Inject(ProbeRepository) private readonly probe: ProbeRepository,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
  ) {}

  async check(): Promise<Health> {
    const t0 = performance.now();
    const embedded = this.config.databaseUrl === null;
    try {
      await withDeadline(this.probe.ping(), 2000);
      return { status: 'ok', version: this.version, database: { ok: true, latencyMs: Math.round((performance.now() - t0) * 10) / 10, error: null, embedded } };
    } catch (error) {
      return { status: 'degraded', version: this.version, database: { ok: false, latencyMs: null, error: (error as Error).message, embedded } };
    }
  }
}
