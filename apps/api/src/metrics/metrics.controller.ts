// GET /metrics (outside the /api prefix, where Prometheus looks by default: app.ts excludes it).
// With NETATLAS_METRICS_TOKEN set it answers only `Authorization: Bearer <that token>` (Prometheus'
// `authorization` / `bearer_token_file` scrape settings): the metrics name every node and alert.
// Without it, /metrics is read like the rest: a viewer's API token (or the anonymous role).
import { Controller, Get, Header, Inject, Req, UnauthorizedException } from '@nestjs/common';
import { API_CONFIG } from '../app-tokens.js';
import { AuthService } from '../auth/auth.service.js';
import { Public, type HttpRequest } from '../auth/roles.js';
import type { CoreConfig } from '../config.js';
import { tokenMatches } from '../ingest/token.js';
import { MetricsService } from './metrics.service.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';

@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  @Get()
  @Header('content-type', PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  async render(@Req() req: HttpRequest): Promise<string> {
    const token = this.config.metricsToken;
    const authorization = req.headers.authorization;
    if (token === null) {
      const viewer = await this.auth.resolve({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
      if (!viewer) throw new UnauthorizedException('metrics: send Authorization: Bearer <API token>, or set NETATLAS_METRICS_TOKEN for Prometheus');
    } else {
      const given = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (given === undefined || !tokenMatches(token, given)) {
        throw new UnauthorizedException(given === undefined ? 'metrics: send Authorization: Bearer <NETATLAS_METRICS_TOKEN>' : 'metrics: wrong token');
      }
    }
    return this.metrics.render();
  }
}
