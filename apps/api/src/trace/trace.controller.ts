// GET /api/trace, /api/trace/compare and /api/addresses/{ip}/history: thin over TraceService and
// the address history repository.
import { BadRequestException, Controller, Get, Inject, Optional, Param, Query } from '@nestjs/common';
import { formatIp, parseIp } from '@netatlas/graph';
import type { AddressHistory, TraceComparison, TraceResult } from '@netatlas/wire';
import { AddressHistoryRepository } from '../db/repositories/address-history.repository.js';
import { parseQuery } from '../query-params/query.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { addressEntries } from './address-history.js';
import { AddressHistoryQuerySchema, TraceCompareQuerySchema, TraceQuerySchema } from './trace-query.js';
import { TraceService } from './trace.service.js';

const DAY_MS = 24 * 3600_000;

@Controller()
export class TraceController {
  constructor(
    @Inject(TraceService) private readonly traces: TraceService,
    @Inject(AddressHistoryRepository) private readonly addresses: AddressHistoryRepository,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {}

  @Get('trace')
  trace(@Query() query: unknown): Promise<TraceResult> {
    const q = parseQuery(TraceQuerySchema, query);
    return this.traces.trace(q.from, q.to, q.at ?? null);
  }

  @Get('trace/compare')
  compare(@Query() query: unknown): Promise<TraceComparison> {
    const q = parseQuery(TraceCompareQuerySchema, query);
    return this.traces.compare(q.from, q.to, q.at1, q.at2 ?? new Date());
  }

  @Get('addresses/:ip/history')
  async addressHistory(@Param('ip') raw: string, @Query() query: unknown): Promise<AddressHistory> {
    const ip = parseIp(raw);
    if (ip === null) throw new BadRequestException(`ip: ${JSON.stringify(raw.slice(0, 64))} is not an IPv4 or IPv6 address`);
    const q = parseQuery(AddressHistoryQuerySchema, query);
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - DAY_MS);
    if (from > to) throw new BadRequestException('from: must not be later than to');
    const text = formatIp(ip);
    const versions = await this.addresses.versions(text, `${text}/${ip.v === 4 ? 32 : 128}`, from, to);
    const pod = this.kube && this.kube.mode !== 'off' ? (this.kube.podNamesByIp().get(text) ?? null) : null;
    return { ip: text, from: from.toISOString(), to: to.toISOString(), entries: addressEntries(versions, pod) };
  }
}
