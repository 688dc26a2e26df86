// REST over the history: nodes, a node's facts, the whole state, changes, diffs, lifecycle events
// and the derived topology, each now or at a past moment.
import type { ChangesPage, EventsResponse, FactsResponse, NodesResponse, TopologyEdgesResponse } from '@netatlas/wire';
import { Controller, Get, Headers, Inject, NotFoundException, Optional, Param, Query, Res, ServiceUnavailableException } from '@nestjs/common';
import { FactKindSchema, FactRefSchema, NodeNameSchema, takesGzip } from '@netatlas/wire';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { HistoryReader, type ChangeCursor } from '../db/repositories/history/history-reader.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { LimiterFull } from '../realtime/limiter.js';
import { CurrentState, StateUnavailable } from '../state/current-state.js';
import { sendJsonBytes, type JsonTarget } from './json-body.js';
import { ResponseSpool, type SpoolTarget } from './response-spool.js';
import { lineFull, wholeRead, WHOLE_READS } from './whole-reads.js';
import {
  ChangesQuerySchema,
  decodeCursor,
  DiffQuerySchema,
  encodeCursor,
  EventsQuerySchema,
  FactsQuerySchema,
  parseInstant,
  parseQuery,
  StateQuerySchema,
  TopologyEdgesQuerySchema,
  TopologyQuerySchema,
} from '../query-params/query.js';

/** The part of Express' response that streaming needs (the API runs on @nestjs/platform-express). */
interface RawResponse extends SpoolTarget {
  status(code: number): RawResponse;
  type(contentType: string): RawResponse;
  setHeader(name: string, value: string): void;
}

/** A cursor this endpoint could have made: anything else (forged, edited) is a 400, never a query. */
const isCursor = (v: unknown): v is ChangeCursor => {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c['at'] === 'string' &&
    parseInstant(c['at']) instanceof Date &&
    Number.isInteger(c['nodeId']) &&
    (c['nodeId'] as number) >= 1 &&
    (c['nodeId'] as number) <= 2_147_483_647 &&
    FactKindSchema.safeParse(c['kind']).success &&
    FactRefSchema.shape.key.safeParse(c['key']).success
  );
};

@Controller()
export class HistoryController {
  constructor(
    @Inject(HistoryReader) private readonly history: HistoryReader,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(CurrentState) private readonly current: CurrentState,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {}

  @Get('nodes')
  async nodes(): Promise<NodesResponse> {
    return { nodes: await this.history.nodes() };
  }

  @Get('nodes/:name/facts')
  async nodeFacts(@Param('name') name: string, @Query() query: unknown): Promise<FactsResponse> {
    const q = parseQuery(FactsQuerySchema, query);
    const parsedName = NodeNameSchema.safeParse(name);
    if (!parsedName.success || !(await this.history.nodeExists(name))) throw new NotFoundException(`no node named ${JSON.stringify(name)}`);
    const facts = await this.history.nodeFacts(name, q.at ?? null, q.kind ?? null);
    return { node: name, at: q.at?.toISOString() ?? null, facts };
  }

  @Get('state')
  async state(@Query() query: unknown, @Res() res: RawResponse): Promise<void> {
    const q = parseQuery(StateQuerySchema, query);
    // { at, nodes: { <name>: Fact[] } }, written node by node as the state stream puts each node's
    // JSON together (db/repositories/history/state-stream.ts)
    await streamNodes(res, this.config.slowReaderTimeoutMs, `{"at":${JSON.stringify(q.at?.toISOString() ?? null)},"nodes":{`, (write, signal) =>
      this.history.streamState(q.at ?? null, q.kind ?? null, write, signal),
    );
  }

  @Get('changes')
  async changes(@Query() query: unknown): Promise<ChangesPage> {
    const q = parseQuery(ChangesQuerySchema, query);
    const to = q.to ?? new Date();
    const after = q.after === undefined ? undefined : decodeCursor(q.after, isCursor);
    const page = await this.history.changes({ from: q.from, to, node: q.node, kind: q.kind, limit: q.limit, after });
    return { from: q.from.toISOString(), to: to.toISOString(), changes: page.changes, next: page.next && encodeCursor(page.next) };
  }

  @Get('diff')
  async diff(@Query() query: unknown, @Res() res: RawResponse): Promise<void> {
    const q = parseQuery(DiffQuerySchema, query);
    const to = q.to ?? new Date();
    // { from, to, nodes: { <name>: { <kind>: { added, removed, changed } } } }, the nodes' JSON as
    // the diff stream puts it together (db/repositories/history/diff-stream.ts)
    await streamNodes(res, this.config.slowReaderTimeoutMs, `{"from":${JSON.stringify(q.from.toISOString())},"to":${JSON.stringify(to.toISOString())},"nodes":{`, (write, signal) =>
      this.history.streamDiff(q.from, to, q.node, write, undefined, signal),
    );
  }

  @Get('events')
  async events(@Query() query: unknown): Promise<EventsResponse> {
    const q = parseQuery(EventsQuerySchema, query);
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 24 * 3600_000);
    return { from: from.toISOString(), to: to.toISOString(), events: await this.history.events(from, to, q.node) };
  }

  /** TopologyResponse, gzipped when the client takes it */
  @Get('topology')
  async topology(@Query() query: unknown, @Headers('accept-encoding') acceptEncoding: string | undefined, @Res() res: JsonTarget): Promise<void> {
    const q = parseQuery(TopologyQuerySchema, query);
    const gzip = takesGzip(acceptEncoding);
    if (q.at) {
      // read and derived in the current state's worker (at 1000 nodes ~0.6 M facts parsed and a
      // derivation of seconds, which held the event loop here), one whole-cluster read at a time
      const at = q.at;
      const answer = await wholeRead(res, () => this.current.topologyBodyAt(at, q.form, gzip));
      return sendJsonBytes(res, answer.body, answer.gzip);
    }
    // now: from the current state, which the live patches come from too; pods are named from
    // Kubernetes for "now" only (at a past moment an IP may have been another pod's); the worker
    // makes the answer's bytes
    try {
      const answer = await this.current.topologyBody(this.podNames(), q.form, gzip);
      sendJsonBytes(res, answer.body, answer.gzip);
    } catch (error) {
      if (error instanceof StateUnavailable) throw new ServiceUnavailableException(`the current topology cannot be derived: ${error.message}`);
      throw error;
    }
  }

  /** The compact form's on-demand part: every edge that starts at the named hosts (or their elements), full form. */
  @Get('topology/edges')
  async topologyEdges(@Query() query: unknown, @Res({ passthrough: true }) res: { setHeader(name: string, value: string): void }): Promise<TopologyEdgesResponse> {
    const q = parseQuery(TopologyEdgesQuerySchema, query);
    if (q.at) {
      const at = q.at;
      return { at: at.toISOString(), hosts: q.hosts, edges: await wholeRead(res, () => this.current.edges(q.hosts, at)) };
    }
    try {
      return { at: null, hosts: q.hosts, edges: await this.current.edges(q.hosts) };
    } catch (error) {
      if (error instanceof StateUnavailable) throw new ServiceUnavailableException(`the current topology cannot be derived: ${error.message}`);
      throw error;
    }
  }

  private podNames() {
    return this.kube && this.kube.mode !== 'off' ? this.kube.podNamesByIp() : null;
  }
}

/**
 * Writes `head`, then `"<node>":<json>` for each node that `stream` hands over, then `}}`. The
 * read never waits on the client: what the socket does not take yet waits in a spool (memory, then
 * a temporary file) until the read is over and its connections are back in the pool
 * (response-spool.ts). The status goes out with the first node, so an error before it is still a
 * clean 5xx; an error after it cuts the response short, which no client can take for a whole answer.
 */
async function streamNodes(
  res: RawResponse,
  stallMs: number,
  head: string,
  stream: (write: (node: string, json: Buffer | readonly Buffer[], release?: () => void) => Promise<void>, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const spool = new ResponseSpool(res, { stallMs });
  // a client that leaves while the read goes on: what is being read for it is cancelled
  const left = new AbortController();
  const onClose = () => left.abort(new Error('the client went away'));
  res.once('close', onClose);
  let started = false;
  const begin = async () => {
    res.status(200).type('application/json');
    started = true;
    await spool.write(head);
  };
  let first = true;
  try {
    const read = () =>
      stream(async (node, json, release) => {
        if (!started) await begin();
        await spool.write(`${first ? '' : ','}${JSON.stringify(node)}:`);
        // the socket (or the spool's file) is done with the bytes when `release` comes: their buffer may serve the next read
        if (Buffer.isBuffer(json)) await spool.write(json, release);
        else {
          // a large node's JSON in pieces: its buffers are free once every piece is written (one may
          // wait in the spool's memory while a later one has gone to its file)
          let left = json.length;
          const one = () => {
            if (--left === 0) release?.();
          };
          for (const piece of json) await spool.write(piece, one);
        }
        first = false;
      }, left.signal);
    await WHOLE_READS.run(read);
    if (!started) await begin();
  } catch (error) {
    await spool.discard();
    if (error instanceof LimiterFull) throw lineFull(res, error);
    if (left.signal.aborted) return; // nobody to answer
    if (!started) throw error;
    res.destroy(error as Error);
    return;
  }
  res.off('close', onClose);
  // the read is over (committed, connections released): now the client's pace is its own
  await spool.finish('}}').catch(() => undefined);
}
