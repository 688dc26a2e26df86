import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '../auth/roles.js';
import type { Health } from '@netatlas/wire';
import { HealthService } from './health.service.js';

// open to all: Kubernetes probes and load balancers ask it without credentials, and it tells only
// the version and whether the database answers
@Controller('health')
@Public()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  /** Liveness: answers while the process runs, and says whether the database answers. */
  @Get()
  get(): Promise<Health> {
    return this.health.check();
  }

  /** Readiness: 503 while the database does not answer. */
  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<Health> {
    const health = await this.health.check();
    if (!health.database.ok) throw new ServiceUnavailableException(health);
    return health;
  }
}
