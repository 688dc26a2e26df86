// GET /api/alerts: alerts open at some moment of a window, newest first, with their root cause and
// the silence that keeps each from receivers. Operators acknowledge alerts and silence them.
import type { AcknowledgeResponse, AlertsResponse, SilenceEndedResponse, SilenceResponse, SilencesResponse } from '@netatlas/wire';
import { Body, Controller, Delete, Get, Inject, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ALERT_STATES_OF_FILTER, NewSilenceSchema, silenceMatches, type Alert, type ChecksResult, type Silence } from '@netatlas/wire';
import { Requires, type ViewerRequest } from '../auth/roles.js';
import { SilencesRepository } from '../db/repositories/silences.repository.js';
import { AlertsQuerySchema, ChecksQuerySchema, idParam, parseBody, parseQuery } from '../query-params/query.js';
import { wholeRead } from '../http/whole-reads.js';
import { AlertEngine } from './alert-engine.js';

/** The alerts with the silence (if any) that covers each now. */
function withSilences(alerts: Alert[], silences: Silence[]): Alert[] {
  if (silences.length === 0) return alerts;
  return alerts.map((a) => ({ ...a, silencedBy: a.state === 'resolved' ? null : (silences.find((s) => silenceMatches(s, a))?.id ?? null) }));
}

/** The store's order: the newest start first, then the higher id. */
function newestFirst(a: Alert, b: Alert): number {
  const byStart = Date.parse(b.startsAt) - Date.parse(a.startsAt);
  if (byStart !== 0) return byStart;
  return BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0;
}

@Controller()
export class AlertsController {
  constructor(
    @Inject(AlertEngine) private readonly engine: AlertEngine,
    @Inject(SilencesRepository) private readonly silences: SilencesRepository,
  ) {}

  @Get('checks')
  async checks(@Query() query: unknown, @Res({ passthrough: true }) res: { setHeader(name: string, value: string): void }): Promise<ChecksResult> {
    const q = parseQuery(ChecksQuerySchema, query);
    // a past moment's checks read the whole state then: one whole-cluster read at a time
    return q.at ? wholeRead(res, () => this.engine.checks(q.at!)) : this.engine.checks(null);
  }

  @Get('alerts')
  async alerts(@Query() query: unknown): Promise<AlertsResponse> {
    const { from, to, state, rule, node, limit } = parseQuery(AlertsQuerySchema, query);
    // a filter of several states (open: pending or firing) is a query per state, merged
    const states = state === undefined ? [undefined] : ALERT_STATES_OF_FILTER[state];
    const [lists, silences] = await Promise.all([Promise.all(states.map((s) => this.engine.store.query({ from, to, state: s, rule, node, limit }))), this.silences.active()]);
    const alerts = lists.length === 1 ? lists[0]! : lists.flat().sort(newestFirst).slice(0, limit);
    return { from: from.toISOString(), to: to.toISOString(), alerts: withSilences(alerts, silences) };
  }

  @Post('alerts/:id/acknowledge')
  @Requires('operator')
  async acknowledge(@Param('id') id: string, @Req() req: ViewerRequest): Promise<AcknowledgeResponse> {
    const alert = await this.engine.store.acknowledge(String(idParam(id, 'alert')), req.viewer!.name);
    if (!alert) throw new NotFoundException(`no open alert with id ${id}`);
    return { alert: withSilences([alert], await this.silences.active())[0]! };
  }

  @Get('silences')
  async activeSilences(): Promise<SilencesResponse> {
    return { silences: await this.silences.active() };
  }

  @Post('silences')
  @Requires('operator')
  async silence(@Body() body: unknown, @Req() req: ViewerRequest): Promise<SilenceResponse> {
    return { silence: await this.silences.create(parseBody(NewSilenceSchema, body), req.viewer!.name) };
  }

  @Delete('silences/:id')
  @Requires('operator')
  async endSilence(@Param('id') id: string): Promise<SilenceEndedResponse> {
    if (!(await this.silences.end(idParam(id, 'silence')))) throw new NotFoundException(`no silence in force with id ${id}`);
    return { ended: true };
  }
}
