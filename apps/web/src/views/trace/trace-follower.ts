// Runs one trace question (source, destination, time selection) and keeps its answer current:
// live, a `changes` batch that touches a forwarding fact of a node on the path re-runs it (at most
// `delayMs` after the first such batch, so a burst of changes costs one request); at a moment it
// is asked once; comparing, the compare endpoint answers. Shared by the Trace view and the
// topology's path overlay. No DOM.
import type { TraceComparison, TraceResult } from '@netatlas/wire/core';
import type { RestClient } from '../../api/rest-client.js';
import type { LiveStore } from '../../state/live-store.js';
import { sameTime, type TimeSelection } from '../../state/time-control.js';
import { pathNodes, touchesPath } from './trace-model.js';

export interface TraceRequest {
  src: string;
  dst: string;
  time: TimeSelection;
}

export type TraceSource = Pick<RestClient, 'trace' | 'traceCompare'>;

export const LIVE_RERUN_MS = 300;

export function sameRequest(a: TraceRequest | null, b: TraceRequest | null): boolean {
  if (a === null || b === null) return a === b;
  return a.src === b.src && a.dst === b.dst && sameTime(a.time, b.time);
}

export class TraceFollower {
  /** the answer to the question followed (comparing: the later moment's trace) */
  result: TraceResult | null = null;
  comparison: TraceComparison | null = null;
  /** the last run failed (the API's 400/404 names the parameter) */
  error: unknown = null;
  loading = false;
  /** runs answered so far (live re-runs included) */
  runs = 0;
  private request: TraceRequest | null = null;
  /** the nodes of the last answer: their changes re-run a live trace */
  private nodes = new Set<string>();
  private token = 0;
  private inFlight = false;
  /** a live re-run was asked for while one was in flight */
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly rest: TraceSource,
    store: Pick<LiveStore, 'on'>,
    private readonly onChange: () => void,
    private readonly delayMs = LIVE_RERUN_MS,
  ) {
    this.unsubscribe = store.on('changes', (changes) => {
      if (this.request?.time.mode !== 'live' || !touchesPath(changes, this.nodes)) return;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        if (this.inFlight) this.again = true;
        else void this.run();
      }, this.delayMs);
    });
  }

  get current(): TraceRequest | null {
    return this.request;
  }

  /** Follows a question (null: none). The same question again is not asked again unless `force`. */
  follow(request: TraceRequest | null, force = false): void {
    if (!force && sameRequest(request, this.request)) return;
    const sameEndpoints = request !== null && this.request !== null && request.src === this.request.src && request.dst === this.request.dst;
    this.request = request;
    this.cancelTimer();
    this.again = false;
    if (!sameEndpoints) {
      // what is shown answered another question
      this.result = null;
      this.comparison = null;
      this.nodes = new Set();
    }
    this.error = null;
    if (request === null) {
      this.token++;
      this.loading = false;
      this.inFlight = false;
      this.onChange();
      return;
    }
    void this.run();
  }

  destroy(): void {
    this.unsubscribe();
    this.cancelTimer();
    this.token++;
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    const request = this.request;
    if (request === null) return;
    const token = ++this.token;
    this.inFlight = true;
    this.loading = true;
    this.onChange();
    try {
      const t = request.time;
      if (t.mode === 'compare') {
        const c = await this.rest.traceCompare({ from: request.src, to: request.dst, at1: t.from, at2: t.to });
        if (token !== this.token) return;
        this.comparison = c;
        this.result = c.after;
        this.nodes = pathNodes(c.before, c.after);
      } else {
        const r = await this.rest.trace({ from: request.src, to: request.dst, at: t.mode === 'at' ? t.at : null });
        if (token !== this.token) return;
        this.comparison = null;
        this.result = r;
        this.nodes = pathNodes(r);
      }
      this.error = null;
    } catch (error) {
      if (token !== this.token) return;
      // the answer now is the error; the last path's nodes still say when to ask again
      this.result = null;
      this.comparison = null;
      this.error = error;
    }
    this.inFlight = false;
    this.loading = false;
    this.runs++;
    this.onChange();
    if (this.again) {
      this.again = false;
      void this.run();
    }
  }
}
