// GET /api/alerts: alerts open at some moment of a window, newest first, with their root cause.
import { Controller, Get, Inject, Query } from '@nestjs/common';
import type { Alert, ChecksResult } from '@netatlas/wire';
import { AlertsQuerySchema, ChecksQuerySchema, parseQuery } from '../http/query.js';
import { AlertEngine } from './alert-engine.js';

@Controller()
export class AlertsController {
  constructor(@Inject(AlertEngine) private readonly engine: AlertEngine) {}

  @Get('checks')
  async checks(@Query() query: unknown): Promise<ChecksResult> {
    const q = parseQuery(ChecksQuerySchema, query);
    return this.engine.checks(q.at ?? null);
  }

  @Get('alerts')
  async alerts(@Query() query: unknown): Promise<{ from: string; to: string; alerts: Alert[] }> {
    const q = parseQuery(AlertsQuerySchema, query);
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 24 * 3600_000);
    const alerts = await this.engine.store.query({ from, to, state: q.state, rule: q.rule, node: q.node, limit: q.limit });
    return { from: from.toISOString(), to: to.toISOString(), alerts };
  }
}
