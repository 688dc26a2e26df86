// GET /metrics (outside the /api prefix, where Prometheus looks by default: app.ts excludes it).
// With NETATLAS_METRICS_TOKEN set it answers only `Authorization: Bearer <that token>` (Prometheus'
// `authorization` / `bearer_token_file` scrape settings): the metrics name every node and alert.
import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { API_CONFIG } from '../app-tokens.js';
import type { ApiConfig } from '../config.js';
import { tokenMatches } from '../ingest/token.js';
import { MetricsService } from './metrics.service.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';

@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @Header('content-type', PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  render(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const token = this.config.metricsToken;
    if (token !== null) {
      const given = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (given === undefined || !tokenMatches(token, given)) {
        throw new UnauthorizedException(given === undefined ? 'metrics: send Authorization: Bearer <NETATLAS_METRICS_TOKEN>' : 'metrics: wrong token');
      }
    }
    return this.metrics.render();
  }
}
