// A node's current facts, kept per reader, and the deltas that keep them current.
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { ParseError, type MonitorEvent } from '@netatlas/parsers';
import { detectCniStyle, jsonEqual, stateOf } from '@netatlas/graph';
import {
  clipText,
  factId,
  makeFact,
  READER_ERROR_MAX,
  type Delta,
  type Fact,
  type ReaderStatus,
  type Snapshot,
} from '@netatlas/wire/core';
import type { Reader, ReaderMemory, ReaderOptions } from './readers/reader.js';
import { SourceAbsentError, SourceGoneError } from './readers/reader.js';
import { CommandTimeoutError, ToolMissingError, type Runner } from './runner.js';

export interface CollectorConfig {
  nodeName: string;
  runner: Runner;
  readers: readonly Reader[];
  options: ReaderOptions;
  /** per command */
  timeoutMs: number;
  now?: () => Date;
  /** host facts; defaults read from this machine (a network namespace shares the host's kernel) */
  host?: { hostname: string; kernel: string; bootId: string };
}

export interface ReaderRun {
  reader: string;
  ms: number;
  status: ReaderStatus['status'];
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** A failure becomes a status; the message keeps the tool's stderr (clipped to what the wire takes) and is stable across polls. */
export function statusOf(err: unknown): ReaderStatus {
  const error = clipText(err instanceof Error ? err.message : String(err), READER_ERROR_MAX);
  if (err instanceof ToolMissingError || err instanceof SourceAbsentError) return { status: 'missing', error };
  if (err instanceof CommandTimeoutError) return { status: 'timeout', error };
  if (err instanceof ParseError) return { status: 'unparseable', error };
  return { status: 'failed', error };
}

/** Which reader owns the facts a kernel event carries. */
const EVENT_READER: Partial<Record<Fact['kind'], string>> = { route: 'routes', neigh: 'neighbors' };

/** A reader's facts by id. */
type ReaderFacts = Map<string, Fact>;

/** The delta between two reads of one reader, added to `into`. */
function diffReads(prev: ReaderFacts, next: ReaderFacts, into: Delta): void {
  for (const [id, n] of next) {
    const p = prev.get(id);
    if (!p || !jsonEqual(p.value, n.value)) into.upserts.push(n);
  }
  for (const [id, p] of prev) if (!next.has(id)) into.deletes.push({ kind: p.kind, key: p.key });
}

export class Collector {
  /** the last facts each reader produced */
  private readonly byReader = new Map<string, ReaderFacts>();
  private readonly statuses = new Map<string, ReaderStatus>();
  /** each reader's memory across reads (where its daemon last answered) */
  private readonly memories = new Map<string, ReaderMemory>();
  /** the node fact last reported; every other fact lives in `byReader` */
  private node: Fact | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;
  private readonly host: { hostname: string; kernel: string; bootId: string };
  lastRuns: ReaderRun[] = [];
  /** how long the last refresh spent computing its delta, tools and parsing excluded */
  lastDeltaMs = 0;

  constructor(private readonly config: CollectorConfig) {
    this.now = config.now ?? (() => new Date());
    this.host = config.host ?? { hostname: hostname(), kernel: release(), bootId: readBootId() };
    for (const r of config.readers) this.byReader.set(r.name, new Map());
  }

  get readers(): readonly Reader[] {
    return this.config.readers;
  }

  /** Read every source once; the returned delta is against the empty state. */
  start(): Promise<Delta> {
    return this.refresh(this.config.readers.map((r) => r.name));
  }

  /**
   * Re-read the named readers and return what changed. Refreshes run one at a time, so deltas
   * leave in the order the state changed.
   */
  refresh(names: readonly string[], events: readonly MonitorEvent[] = []): Promise<Delta> {
    const run = this.queue.then(() => this.doRefresh(names, events));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doRefresh(requested: readonly string[], events: readonly MonitorEvent[]): Promise<Delta> {
    const names = [...new Set([...requested, ...this.eventsNeedingReread(events)])];
    const readers = this.config.readers.filter((r) => names.includes(r.name));
    const base = { runner: this.config.runner, timeoutMs: this.config.timeoutMs, now: this.now, options: this.config.options };
    const runs: ReaderRun[] = [];
    const results = await Promise.all(
      readers.map(async (r) => {
        const t0 = performance.now();
        let facts: Fact[] | null = null;
        let status: ReaderStatus;
        let memory = this.memories.get(r.name);
        if (!memory) this.memories.set(r.name, (memory = { answered: null }));
        try {
          facts = await r.read({ ...base, memory });
          status = { status: 'ok', error: null };
        } catch (err) {
          status = statusOf(err);
          // the source is not there, or its daemon is gone: nothing of it exists. A source that
          // fails otherwise (time-out, output it cannot parse): keep what we knew.
          if (status.status === 'missing' || err instanceof SourceGoneError) facts = [];
        }
        runs.push({ reader: r.name, ms: performance.now() - t0, status: status.status });
        return { reader: r, facts, status };
      }),
    );
    this.lastRuns = runs;
    const t0 = performance.now();
    const delta: Delta = { upserts: [], deletes: [] };
    for (const { reader, facts, status } of results) {
      this.statuses.set(reader.name, status);
      if (facts === null) continue;
      const next = stateOf(facts);
      diffReads(this.byReader.get(reader.name) ?? new Map(), next, delta);
      this.byReader.set(reader.name, next);
    }
    this.applyEvents(events, names, delta);
    this.lastDeltaMs = performance.now() - t0;
    const node = this.nodeFact();
    if (!this.node || !jsonEqual(this.node.value, node.value)) {
      this.node = node;
      delta.upserts.push(node);
    }
    return delta;
  }

  /**
   * Kernel events applied as facts, in the order they happened: a delta costs the events, not a
   * re-read of the table. Readers re-read in the same refresh already hold the newer truth.
   */
  /**
   * The kernel does not announce everything: a route moved to another device (replace) leaves no
   * deletion of the old one, and removing one next hop of an IPv6 multipath route is announced as
   * a deletion of a single-path route. Either shows as an event that does not fit what is held;
   * then the table is re-read instead.
   */
  private eventsNeedingReread(events: readonly MonitorEvent[]): string[] {
    const out = new Set<string>();
    for (const ev of events) {
      const reader = EVENT_READER[ev.fact.kind];
      const held = reader ? this.byReader.get(reader) : undefined;
      if (!reader || !held) continue;
      const id = factId(ev.fact);
      if (ev.op === 'delete' && !held.has(id)) out.add(reader);
      if (ev.op === 'upsert' && ev.fact.kind === 'route' && !held.has(id)) {
        const sansDev = id.slice(0, id.lastIndexOf('|') + 1);
        for (const other of held.keys()) {
          if (other.startsWith(sansDev) && other.indexOf('|', sansDev.length) === -1) {
            out.add(reader);
            break;
          }
        }
      }
    }
    return [...out];
  }

  private applyEvents(events: readonly MonitorEvent[], reread: readonly string[], delta: Delta): void {
    // several events may touch one object (added then deleted): only the net change leaves
    const touched = new Map<string, { held: ReaderFacts; before: Fact | undefined }>();
    for (const ev of events) {
      const reader = EVENT_READER[ev.fact.kind];
      if (!reader || reread.includes(reader)) continue;
      const held = this.byReader.get(reader);
      if (!held) continue; // reader not enabled
      const id = factId(ev.fact);
      if (!touched.has(id)) touched.set(id, { held, before: held.get(id) });
      if (ev.op === 'delete') held.delete(id);
      else held.set(id, ev.fact);
    }
    for (const [id, { held, before }] of touched) {
      const after = held.get(id);
      if (!after) {
        if (before) delta.deletes.push({ kind: before.kind, key: before.key });
      } else if (!before || !jsonEqual(before.value, after.value)) {
        delta.upserts.push(after);
      }
    }
  }

  private nodeFact(): Fact {
    const readers: Record<string, ReaderStatus> = {};
    for (const r of this.config.readers) readers[r.name] = this.statuses.get(r.name) ?? { status: 'failed', error: 'not read yet' };
    return makeFact('node', {
      hostname: this.host.hostname,
      kernel: this.host.kernel,
      bootId: this.host.bootId,
      cniStyle: detectCniStyle(this.facts()),
      readers,
    });
  }

  readerStatuses(): Record<string, ReaderStatus> {
    return Object.fromEntries(this.config.readers.map((r) => [r.name, this.statuses.get(r.name) ?? { status: 'failed', error: 'not read yet' }]));
  }

  /** Every fact, sorted by id, with the readers' statuses. */
  /** Every reader's facts (the node fact aside). */
  private *facts(): Iterable<Fact> {
    for (const held of this.byReader.values()) yield* held.values();
  }

  snapshot(): Snapshot {
    const all = [...this.facts(), ...(this.node ? [this.node] : [])];
    const facts = all.map((f) => [factId(f), f] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
    return { node: this.config.nodeName, takenAt: this.now().toISOString(), facts, readers: this.readerStatuses() };
  }

  /** The reader names whose facts a kernel event on `object` may have changed. */
  readersTriggeredBy(object: string): string[] {
    return this.config.readers.filter((r) => (r.triggers as readonly string[]).includes(object)).map((r) => r.name);
  }
}
