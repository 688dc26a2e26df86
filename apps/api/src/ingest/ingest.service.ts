// The collectors' side of the API: every message is validated against the shared schemas, then
// applied in one transaction by the FactWriter, and acknowledged only after commit. Messages of one
// connection are handled strictly in order; a node has one live connection (a newer hello wins).
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { cniSigns, cniStyleOf, cniStyleOfSigns } from '@netatlas/graph';
import {
  EPOCH_AHEAD_MAX_MS,
  SMALL_MESSAGE_MAX_BYTES,
  DeltaMessageSchema,
  FactSchema,
  describeZodError,
  HeartbeatSchema,
  HelloSchema,
  LeaveMessageSchema,
  SnapshotMessageSchema,
  SnapshotTurnRequestSchema,
  type SnapshotMessage,
  type SnapshotTurnReply,
  factId,
  type CniStyle,
  type Fact,
  type NodeValue,
  type FactRef,
  type HelloAck,
  type ProtocolVersion,
  type IngestAck,
  type IngestErrorCode,
  type IngestRejection,
} from '@netatlas/wire';
import type { z } from 'zod';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { FactWriter, type IngestOutcome } from '../db/repositories/history/fact-writer.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { LargeMessageGate } from './large-message-gate.js';
import { LogBudget } from './log-budget.js';
import { isRawPart, unpackFacts, type DecodedPart, type RawPart } from './decoded-part.js';
import { PartDecoder } from './part-decoder.js';
import { PartPacer } from './part-pacer.js';
import { SnapshotTurns } from './snapshot-turns.js';
import { EventBus } from '../realtime/event-bus.js';
import { Limiter } from '../realtime/limiter.js';
import { Turns } from '../realtime/turns.js';

/** What the service keeps per collector connection. */
export interface IngestSession {
  readonly id: string;
  /** the node this connection's token speaks for; null: the shared token, which speaks for any */
  readonly speaksFor: string | null;
  node: string | null;
  epoch: number | null;
  /** the protocol its hello spoke (null before it): 3 asks for a turn before each snapshot, 2 sends it unasked, 1 sends it whole */
  protocol?: ProtocolVersion | null;
  /** the node left through this connection: nothing more is taken from it */
  left: boolean;
  /** messages of this connection, one at a time */
  queue: Promise<unknown>;
  /** messages waiting in `queue` (or being handled) */
  pending: number;
  /** the socket went: what still waits is dropped, not applied */
  gone: boolean;
  /** size of the last raw packet received (the gateway reads it when the event arrives) */
  lastPacketBytes: number;
  /** messages refused because this connection's queue was full (a collector that waits for its acks has none) */
  overruns: number;
  /** the snapshot this connection is sending in parts, its parts so far */
  staging: Staging | null;
  /** closes the connection (used when a newer connection takes the node over) */
  close(reason: string): void;
}

/** A snapshot being received in parts (SnapshotPart): what its parts so far hold. */
export interface Staging {
  epoch: number;
  seq: number;
  count: number;
  /** the index of the part expected next */
  next: number;
  takenAt: string;
  readers: SnapshotMessage['readers'];
  facts: Fact[];
  /** the parts decoded in the part decoder's thread, packed (decoded-part.ts) */
  packed: string[];
  bytes: number;
  /** performance.now() at part 0 (the snapshot's time in the API is counted from it) */
  startedAt: number;
  /** Date.now() at the last part */
  touched: number;
  /** the last part came: the snapshot is being applied (not dropped for being idle or held long) */
  applying?: boolean;
  /** the facts' ids so far (a repeat is refused with the part that brings it; in packed parts, once whole) */
  ids: Set<string>;
  /** the CNI signs among the facts so far, and their node fact's value (the style, once whole) */
  signs: Set<string>;
  nodeValue: NodeValue | null;
}

export class IngestError extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    readonly retry = false,
  ) {
    super(message);
  }
}

export interface IngestStats {
  messages: number;
  changes: number;
  rejected: number;
  /** rejections by code (invalid, too-large, unavailable, internal, …) */
  rejectedByCode: Record<string, number>;
  duplicates: number;
  /** messages refused at once because their connection, or the snapshot budget, was full */
  throttled: number;
  /** the most messages one connection has had waiting */
  pendingHighWater: number;
  /** connections cut for sending on past their queue's limit */
  cut: number;
  /** snapshots refused before they were decoded (over the budget of snapshot bytes in flight) */
  refusedUndecoded: number;
  /** snapshot parts kept until their snapshot's last part */
  partsStaged: number;
  /** the most snapshots received in parts being applied at once (they take turns: 1), and those that waited for another's */
  partsApplyingMost: number;
  partsApplyWaited: number;
  /** protocol 3: snapshots refused for coming without a turn (a turn expired, or none was asked for) */
  refusedNoTurn: number;
  /** the last snapshot applied: its facts and the API's time on it (validation to commit, ms) */
  lastSnapshot: { facts: number; ms: number } | null;
}

/** Messages one connection may have waiting; a collector pipelines up to 256 unacked deltas by default, which it then sends as one snapshot. */
export const PENDING_MAX = 512;
/**
 * Refusals for a full queue after which a connection is cut: it is not waiting for its acks, and
 * each message it sends on costs the API a decode. A collector never gets near (256 unacked at most).
 */
export const OVERRUN_MAX = 64;
/** Messages with more facts than this are validated a fact at a time, in turns (realtime/turns.ts). */
const VALIDATE_WHOLE_MAX = 200;
/**
 * Snapshots received in parts at once, over every connection. A snapshot's decoded facts are held
 * until its last part, and receiving it costs the API's thread ~40 ms a MB, so a herd of resyncing
 * collectors takes turns (part 0 of another is refused as `unavailable`, and sent again after the
 * collector's back-off) instead of holding twenty states; two at once raised the acks' p99 by half.
 */
export const STAGINGS_MAX = 1;
/** A snapshot in parts whose next part has not come for this long is dropped (its sender stopped halfway). */
export const STAGING_IDLE_MS = 60_000;
/**
 * A snapshot in parts under way for longer than this gives its place up to another connection's
 * part 0 (its sender must start again): one part every 59 s must not hold the one place for good.
 * A 31 MB state in 256 kB parts takes seconds.
 */
export const STAGING_HOLD_MAX_MS = 120_000;

@Injectable()
export class IngestService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('ingest');
  /** node name → its live connection */
  private readonly active = new Map<string, IngestSession>();
  /** node → when this API last heard from it (kept in memory, so a database outage is not a silence) */
  private readonly heard = new Map<string, number>();
  private watchdog: NodeJS.Timeout | null = null;
  private markingLost = false;
  /** bytes of snapshots waiting or being applied, over every connection */
  private snapshotBytes = 0;
  /** at most this many bytes of snapshots at once (a single one is always taken) */
  private readonly snapshotBudget: number;
  /** connections with a snapshot in parts under way */
  private readonly stagings = new Set<IngestSession>();
  /** snapshots received in parts (large states) are applied one at a time */
  private readonly partsApply = new Limiter(1, Number.MAX_SAFE_INTEGER);
  /** node → when a message of it was first refused because the database was unreachable */
  private readonly outage = new Map<string, number>();
  /** set when the API shuts down: what is still queued is refused as `unavailable` (send it again) */
  private stopping = false;
  readonly stats: IngestStats = { messages: 0, changes: 0, rejected: 0, rejectedByCode: {}, duplicates: 0, throttled: 0, pendingHighWater: 0, cut: 0, refusedUndecoded: 0, partsStaged: 0, partsApplyingMost: 0, partsApplyWaited: 0, refusedNoTurn: 0, lastSnapshot: null };
  /** protocol 3: the turns to send a snapshot (snapshot-turns.ts) */
  readonly turns: SnapshotTurns;
  /** large snapshots' parts are decoded and validated in a worker thread */
  readonly partDecoder = new PartDecoder();
  /** the pace at which snapshots' parts are taken in (their acks held while the API's or the decoder's thread is busy) */
  readonly partPacer = new PartPacer(undefined, undefined, (since) => performance.eventLoopUtilization(since), (since) => this.partDecoder.utilisation(since));
  /** messages over 4 MB are read one at a time (large-message-gate.ts) */
  readonly largeMessages = new LargeMessageGate(1);
  /** rejections are logged within a budget: a flood of bad messages costs its sender, not the log */
  readonly rejectionLog = new LogBudget((line) => this.log.warn(line));

  constructor(
    @Inject(FactWriter) private readonly writer: FactWriter,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
  ) {
    // two of the largest snapshots at once: a herd of resyncing collectors waits its turn instead
    // of holding twenty decoded states in memory
    this.snapshotBudget = 2 * config.maxMessageBytes;
    this.turns = new SnapshotTurns(config.snapshotTurns);
  }

  onModuleInit(): void {
    const every = Math.max(250, Math.min(5000, this.config.lostAfterMs / 4));
    this.watchdog = setInterval(() => {
      this.dropIdleStagings();
      this.turns.expire();
      void this.markLost();
    }, every);
    this.watchdog.unref();
  }

  /** The first shutdown hook: from here on, what is still queued is refused before the database closes under it. */
  onModuleDestroy(): void {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.partDecoder.close();
  }

  /**
   * Runs `handle` after the connection's earlier messages; rejections become negative acks. A
   * connection may have PENDING_MAX messages waiting; past that, and past the budget for snapshot
   * bytes in flight across every connection, messages are refused at once as `unavailable` (the
   * collector sends them again after its back-off: it slows down, and memory stays bounded).
   */
  enqueue<T>(session: IngestSession, event: string, handle: () => Promise<T>, bytes = 0): Promise<T | IngestRejection> {
    if (session.node) this.heard.set(session.node, Date.now());
    if (event !== 'heartbeat' && session.pending >= PENDING_MAX) {
      this.stats.throttled += 1;
      session.overruns += 1;
      if (session.overruns === OVERRUN_MAX) {
        this.stats.cut += 1;
        this.rejectionLog.log(`connection ${session.id} (${session.node ?? 'no hello'}): cut off after ${OVERRUN_MAX} messages past its limit of ${PENDING_MAX} waiting`);
        session.close(`cut off: ${OVERRUN_MAX} messages sent past this connection's limit of ${PENDING_MAX} waiting; wait for the acks`);
      }
      return Promise.resolve(this.reject(session, event, new IngestError('unavailable', `this connection has ${session.pending} messages waiting (at most ${PENDING_MAX}); send it again after the acks`, true)));
    }
    const snapshot = event === 'snapshot';
    // protocol 3: a snapshot comes in its turn, which bounds the snapshots in flight; the others wait for the budget
    const turn = snapshot && this.takesTurns(session);
    if (turn && !this.turns.holds(session.id)) return Promise.resolve(this.refuseNoTurn(session));
    if (snapshot && !turn && !this.admitsSnapshot(bytes)) return Promise.resolve(this.refuseSnapshot(session));
    session.pending += 1;
    if (session.pending > this.stats.pendingHighWater) this.stats.pendingHighWater = session.pending;
    if (snapshot) this.snapshotBytes += bytes;
    if (turn) this.turns.busy(session.id, 1);
    const run = session.queue
      .then(() => {
        if (this.stopping) throw new IngestError('unavailable', 'the API is shutting down; send it again to the next one', true);
        if (session.gone) throw new IngestError('unavailable', 'the connection went before this message was applied', true);
        return handle();
      })
      .catch((error: unknown) => this.reject(session, event, error))
      .finally(() => {
        session.pending -= 1;
        if (snapshot) this.snapshotBytes -= bytes;
      });
    if (turn) {
      // the turn stays while the snapshot's parts come (each acked `staged`); its answer frees it
      void run.then((reply) => {
        this.turns.busy(session.id, -1);
        const ack = reply as IngestAck;
        if (ack.ok && ack.staged !== undefined) return;
        this.turns.release(session.id, ack.ok);
      });
    }
    session.queue = run;
    return run;
  }

  /** Whether this connection asks for a turn before each snapshot (protocol 3). */
  takesTurns(session: IngestSession): boolean {
    return (session.protocol ?? 0) >= 3;
  }

  /** Whether this connection holds a turn to send a snapshot now (the gateway asks before decoding one). */
  holdsTurn(session: IngestSession): boolean {
    return this.turns.holds(session.id);
  }

  /**
   * Protocol 3: a turn for the connection's next snapshot (SnapshotTurnRequest): granted at once, or
   * when one frees for the first few kept waiting (at most 5 s), or when to ask again.
   */
  async snapshotTurn(session: IngestSession, raw: unknown, bytes = 0): Promise<SnapshotTurnReply> {
    const node = this.requireHello(session);
    this.checkSize(bytes, SMALL_MESSAGE_MAX_BYTES, 'a snapshot turn request');
    if (session.left) throw new IngestError('invalid', `node ${node} has left through this connection; say hello again to rejoin`);
    const message = this.parse(SnapshotTurnRequestSchema, raw);
    this.checkEpoch(session, message.epoch);
    if (!this.takesTurns(session)) {
      throw new IngestError('invalid', `snapshot turns are protocol 3; this connection said hello with protocol ${session.protocol}: send the snapshot unasked`);
    }
    const answer = await this.turns.ask(session.id);
    return answer.granted ? { ok: true, granted: true, idleMs: this.turns.idleMs } : { ok: true, ...answer };
  }

  /** The refusal of a protocol-3 snapshot that came without its turn (the gateway's, before decoding it, too). */
  refuseNoTurn(session: IngestSession, undecoded = false): IngestRejection {
    this.stats.throttled += 1;
    this.stats.refusedNoTurn += 1;
    if (undecoded) this.stats.refusedUndecoded += 1;
    this.dropStaging(session);
    return this.reject(session, 'snapshot', new IngestError('unavailable', 'this connection holds no turn to send a snapshot (none was granted, or it was taken back after an idle spell): ask for one (snapshotTurn), then send it', true));
  }

  /** Whether a snapshot of `bytes` fits the budget of snapshot bytes in flight now (one always does when none is). */
  admitsSnapshot(bytes: number): boolean {
    return this.snapshotBytes === 0 || this.snapshotBytes + bytes <= this.snapshotBudget;
  }

  /** The refusal of a snapshot over the budget (the gateway's, before decoding it, too). */
  refuseSnapshot(session: IngestSession, undecoded = false): IngestRejection {
    this.stats.throttled += 1;
    if (undecoded) this.stats.refusedUndecoded += 1;
    return this.reject(
      session,
      'snapshot',
      new IngestError('unavailable', `the API is applying ${Math.round(this.snapshotBytes / 1048576)} MB of snapshots (budget ${Math.round(this.snapshotBudget / 1048576)} MB); send it again shortly`, true),
    );
  }

  /** The refusal of a message over its size limit, seen before it was decoded (the gateway's). */
  refuseTooLarge(session: IngestSession, event: string, bytes: number): IngestRejection {
    // a snapshot's turn ends with its answer, this one too
    if (event === 'snapshot') this.turns.release(session.id, false);
    const stream = event === 'snapshot' || event === 'delta';
    return this.reject(session, event, this.tooLarge(bytes, this.sizeLimit(event), stream ? 'the message' : `a ${event}`));
  }

  /** The size limit of a message of `event`: snapshots and deltas NETATLAS_MAX_MESSAGE_MB, the rest SMALL_MESSAGE_MAX_BYTES. */
  sizeLimit(event: string): number {
    return event === 'snapshot' || event === 'delta' ? this.config.maxMessageBytes : SMALL_MESSAGE_MAX_BYTES;
  }

  async hello(session: IngestSession, raw: unknown, bytes = 0): Promise<HelloAck> {
    this.checkSize(bytes, SMALL_MESSAGE_MAX_BYTES, 'a hello');
    const hello = this.parse(HelloSchema, raw);
    if (session.speaksFor !== null && session.speaksFor !== hello.node) {
      throw new IngestError('forbidden', `this token speaks for node ${session.speaksFor}, not ${hello.node}`);
    }
    if (session.node !== null && session.node !== hello.node) {
      throw new IngestError('invalid', `this connection speaks for node ${session.node}; a collector speaks for one node (open another connection for ${hello.node})`);
    }
    // the epoch is the collector's start time by its clock: none may come from beyond the API's
    const ahead = hello.epoch - Date.now();
    if (ahead > EPOCH_AHEAD_MAX_MS) {
      throw new IngestError(
        'stale-epoch',
        `epoch ${hello.epoch} is ${Math.round(ahead / 1000)} s ahead of the API's clock (at most ${EPOCH_AHEAD_MAX_MS / 1000} s): ` +
          "the collector's clock runs ahead, or the hello is forged; start a new stream with an epoch of now",
      );
    }
    // written in batches, two at a time (fact-writer.ts): a herd's hellos leave the pool to the deltas
    const result = await this.writer.hello(hello.node, hello);
    if (result.error) throw new IngestError('stale-epoch', result.error);
    if (result.replacedFutureEpoch !== null) {
      this.log.warn(`node ${hello.node}: its last stream's epoch ${result.replacedFutureEpoch} was beyond this API's clock; epoch ${hello.epoch} starts the stream anew`);
    }
    const previous = this.active.get(hello.node);
    if (previous && previous !== session) previous.close(`a newer connection of node ${hello.node} took over`);
    this.active.set(hello.node, session);
    session.node = hello.node;
    session.epoch = hello.epoch;
    session.protocol = hello.protocol;
    session.left = false;
    this.heard.set(hello.node, Date.now());
    for (const event of result.events) this.events.nodeEvent(event, 'connected');
    this.log.log(`node ${hello.node} connected (epoch ${hello.epoch}, collector ${hello.version}, protocol ${hello.protocol})`);
    const acked =
      result.node.acked_epoch === null ? null : { epoch: Number(result.node.acked_epoch), seq: Number(result.node.acked_seq) };
    const ack: HelloAck = { ok: true, acked, heartbeatMs: this.config.heartbeatMs, maxMessageBytes: this.config.maxMessageBytes };
    // parts are protocol 2: a collector of protocol 1 is not told of them, and sends snapshots whole
    return hello.protocol >= 2 ? { ...ack, maxSnapshotBytes: this.config.maxSnapshotBytes } : ack;
  }

  async snapshot(session: IngestSession, raw: unknown, bytes = 0): Promise<IngestAck> {
    const node = this.requireHello(session);
    this.checkSize(bytes);
    if (session.left) throw new IngestError('invalid', `node ${node} has left through this connection; say hello again to rejoin`);
    const t0 = performance.now();
    // part 0 of a snapshot there is no room for is refused before the cost of validating it (a
    // protocol-3 snapshot comes in its turn: the turns bound the snapshots in parts at once)
    if (isFirstPart(raw) && !this.takesTurns(session) && this.stagingsFull(session)) throw this.noRoomForParts();
    const decoded = isRawPart(raw) ? await this.decodePart(raw) : null;
    const message = decoded ? { ...decoded.head, facts: decoded.head.part ? [] : unpackFacts(decoded.packed) } : await this.parseSnapshot(raw);
    this.checkEpoch(session, message.epoch);
    if (message.part) {
      if (session.protocol === 1) throw new IngestError('invalid', `snapshot parts are protocol 2; this connection said hello with protocol 1: send the snapshot whole`);
      return this.snapshotPart(session, node, message, bytes, decoded);
    }
    // a whole snapshot supersedes one that was coming in parts
    this.dropStaging(session);
    return this.applySnapshot(node, message, t0);
  }

  /** One part of a snapshot: kept until the last, which applies them all as one snapshot. */
  private async snapshotPart(session: IngestSession, node: string, message: SnapshotMessage, bytes: number, decoded: DecodedPart | null): Promise<IngestAck> {
    const { index, count } = message.part!;
    if (index === 0) {
      this.dropStaging(session);
      if (!this.takesTurns(session) && this.stagingsFull(session)) throw this.noRoomForParts();
      session.staging = {
        epoch: message.epoch,
        seq: message.seq,
        count,
        next: 0,
        takenAt: message.takenAt,
        readers: message.readers,
        facts: [],
        packed: [],
        bytes: 0,
        startedAt: performance.now(),
        touched: Date.now(),
        ids: new Set(),
        signs: new Set(),
        nodeValue: null,
      };
      this.stagings.add(session);
    }
    const staging = session.staging;
    if (!staging || staging.epoch !== message.epoch || staging.seq !== message.seq || staging.count !== count || staging.next !== index) {
      const expected = staging ? `part ${staging.next} of ${staging.count} of seq ${staging.seq}` : 'part 0';
      this.dropStaging(session);
      throw new IngestError('invalid', `snapshot seq ${message.seq} part ${index} of ${count} is out of turn (expected ${expected}); send the snapshot again from part 0`);
    }
    staging.bytes += bytes;
    if (staging.bytes > this.config.maxSnapshotBytes) {
      this.dropStaging(session);
      throw new IngestError('too-large', `the snapshot's parts hold more than ${this.config.maxSnapshotBytes} bytes by part ${index} of ${count} (NETATLAS_MAX_SNAPSHOT_MB)`);
    }
    if (decoded) {
      // decoded in the part decoder's thread: held packed, checked for repeats once whole
      staging.packed.push(decoded.packed);
      for (const sign of decoded.signs) staging.signs.add(sign);
      if (decoded.nodeValue !== null) staging.nodeValue = JSON.parse(decoded.nodeValue) as NodeValue;
    }
    // what applying a whole snapshot checks and derives from its facts, a part at a time here
    for (const fact of message.facts) {
      const id = factId(fact);
      if (staging.ids.has(id)) {
        this.dropStaging(session);
        throw new IngestError('invalid', `facts[${staging.facts.length}] (part ${index}) repeats ${fact.kind} ${JSON.stringify(fact.key)}`);
      }
      staging.ids.add(id);
      staging.facts.push(fact);
      if (fact.kind === 'node') staging.nodeValue = fact.value;
    }
    cniSigns(message.facts, staging.signs);
    staging.next += 1;
    staging.touched = Date.now();
    if (index < count - 1) {
      this.stats.partsStaged += 1;
      // the next part comes after this ack: it waits while the API's thread is busy (part-pacer.ts)
      await this.partPacer.pace();
      return { ok: true, epoch: message.epoch, seq: message.seq, duplicate: false, at: null, changes: 0, staged: index };
    }
    // the one place stays taken until the snapshot is applied: applying one is the larger part of
    // its cost, and a herd whose next snapshot was received while the last was applied had several
    // 117k-fact snapshots applied at once
    staging.applying = true;
    const cniStyle = staging.nodeValue ? staging.nodeValue.cniStyle : cniStyleOfSigns(staging.signs);
    staging.ids.clear();
    try {
      // applied one at a time, whichever way they were admitted: protocol 3's turns let several
      // snapshots in parts be received at once, and four 117k-fact states applied together took the
      // others' ack p99 from 29.5 to 135 ms (bench:abuse's herd)
      if (this.partsApply.active > 0) this.stats.partsApplyWaited += 1;
      return await this.partsApply.run(async () => {
        this.stats.partsApplyingMost = Math.max(this.stats.partsApplyingMost, this.partsApply.active);
        // packed parts are unpacked in their turn: one snapshot's facts at a time are decoded
        const facts = staging.packed.length > 0 ? await this.unpackStaging(staging) : staging.facts;
        const whole: SnapshotMessage = { epoch: staging.epoch, seq: staging.seq, takenAt: staging.takenAt, facts, readers: staging.readers };
        return this.applySnapshot(node, whole, staging.startedAt, cniStyle);
      });
    } finally {
      if (session.staging === staging) this.dropStaging(session);
    }
  }

  /** A whole snapshot; `cniStyle` given: its parts were checked for repeats as they came. */
  private async applySnapshot(node: string, message: SnapshotMessage, t0: number, cniStyle?: CniStyle): Promise<IngestAck> {
    if (cniStyle === undefined) {
      const duplicate = await firstDuplicate(message.facts);
      if (duplicate) throw new IngestError('invalid', `facts[${duplicate.index}] repeats ${duplicate.kind} ${JSON.stringify(duplicate.key)}`);
      cniStyle = cniStyleOf(message.facts);
    }
    const outcome = await this.writer.applySnapshot(node, message, cniStyle);
    if (outcome.kind === 'applied') this.stats.lastSnapshot = { facts: message.facts.length, ms: performance.now() - t0 };
    return this.finish(node, message, outcome);
  }

  /** Whether STAGINGS_MAX other connections are sending snapshots in parts (idle ones dropped first). */
  private stagingsFull(session: IngestSession): boolean {
    this.dropIdleStagings();
    const cutoff = performance.now() - STAGING_HOLD_MAX_MS;
    for (const other of this.stagings) if (other !== session && other.staging && !other.staging.applying && other.staging.startedAt < cutoff) this.dropStaging(other);
    return this.stagings.size - (this.stagings.has(session) ? 1 : 0) >= STAGINGS_MAX;
  }

  /** Whether part 0 of a snapshot from this connection would be taken now (the gateway asks before decoding it). */
  hasRoomForParts(session: IngestSession): boolean {
    return !this.stagingsFull(session);
  }

  /** The refusal of a part 0 there is no room for, seen before it was decoded (the gateway's). */
  refuseParts(session: IngestSession): IngestRejection {
    this.stats.refusedUndecoded += 1;
    return this.reject(session, 'snapshot', this.noRoomForParts());
  }

  private noRoomForParts(): IngestError {
    this.stats.throttled += 1;
    return new IngestError('unavailable', `the API is receiving ${this.stagings.size} snapshots in parts (at most ${STAGINGS_MAX} at once); send part 0 again shortly`, true);
  }

  /** Forget the snapshot this connection was sending in parts, if any. */
  private dropStaging(session: IngestSession): void {
    session.staging = null;
    this.stagings.delete(session);
  }

  /** Snapshots in parts whose sender went quiet halfway no longer hold a place. */
  private dropIdleStagings(): void {
    const cutoff = Date.now() - STAGING_IDLE_MS;
    for (const session of this.stagings) if (!session.staging || (!session.staging.applying && session.staging.touched < cutoff)) this.dropStaging(session);
  }

  async delta(session: IngestSession, raw: unknown, bytes = 0): Promise<IngestAck> {
    const node = this.requireHello(session);
    this.checkSize(bytes);
    if (session.left) throw new IngestError('invalid', `node ${node} has left through this connection; say hello again to rejoin`);
    const message = this.parse(DeltaMessageSchema, raw);
    this.checkEpoch(session, message.epoch);
    const duplicate = await firstDuplicate([...message.upserts, ...message.deletes]);
    if (duplicate) {
      const where = duplicate.index < message.upserts.length ? `upserts[${duplicate.index}]` : `deletes[${duplicate.index - message.upserts.length}]`;
      throw new IngestError('invalid', `${where} repeats ${duplicate.kind} ${JSON.stringify(duplicate.key)} (one change per fact per delta)`);
    }
    const outcome = await this.writer.applyDelta(node, message);
    return this.finish(node, message, outcome);
  }

  /** The node leaves for good: its facts end and its status becomes `left` (LeaveMessage). */
  async leave(session: IngestSession, raw: unknown, bytes = 0): Promise<IngestAck> {
    const node = this.requireHello(session);
    this.checkSize(bytes, SMALL_MESSAGE_MAX_BYTES, 'a leave');
    const message = this.parse(LeaveMessageSchema, raw);
    this.checkEpoch(session, message.epoch);
    const outcome = await this.writer.leave(node, message);
    const ack = this.finish(node, message, outcome);
    if (outcome.kind === 'applied') {
      session.left = true;
      this.heard.delete(node);
      this.log.log(`node ${node} left (${message.reason}); ${outcome.changes.length} facts ended`);
    }
    return ack;
  }

  async heartbeat(session: IngestSession, raw: unknown, bytes = 0): Promise<void> {
    const node = this.requireHello(session);
    this.checkSize(bytes, SMALL_MESSAGE_MAX_BYTES, 'a heartbeat');
    if (session.left) return;
    this.parse(HeartbeatSchema, raw);
    const { revived } = await this.writer.touch(node);
    if (revived) this.events.nodeEvent(revived, 'connected');
  }

  async disconnected(session: IngestSession, reason: string): Promise<void> {
    this.dropStaging(session);
    this.turns.forget(session.id);
    const node = session.node;
    if (!node || this.active.get(node) !== session) return;
    this.active.delete(node);
    this.log.log(`node ${node} disconnected (${reason})`);
    try {
      const event = await this.writer.disconnected(node, reason);
      if (event) this.events.nodeEvent(event, 'disconnected');
    } catch (error) {
      this.log.warn(`could not record that node ${node} disconnected: ${(error as Error).message}`);
    }
  }

  /** snapshots being received in parts now */
  get snapshotsInParts(): number {
    return this.stagings.size;
  }

  /** The nodes with a live collector connection. */
  connectedNodes(): string[] {
    return [...this.active.keys()];
  }

  // ---------------------------------------------------------------- internals

  private finish(node: string, message: { epoch: number; seq: number }, outcome: IngestOutcome): IngestAck {
    this.stats.messages += 1;
    switch (outcome.kind) {
      case 'duplicate':
        this.stats.duplicates += 1;
        return { ok: true, epoch: message.epoch, seq: message.seq, duplicate: true, at: null, changes: 0 };
      case 'out-of-order':
        throw new IngestError('out-of-order', `seq ${message.seq} of epoch ${message.epoch} does not follow the last applied message: expected ${outcome.expected}`);
      case 'applied':
        this.stats.changes += outcome.changes.length;
        this.closeOutage(node, outcome.at, outcome.changes.length);
        for (const event of outcome.events) this.events.nodeEvent(event, outcome.status);
        this.events.changes(outcome.changes);
        return { ok: true, epoch: message.epoch, seq: message.seq, duplicate: false, at: outcome.at.toISOString(), changes: outcome.changes.length };
    }
  }

  /**
   * The first message of a node applied after the database was unreachable: whatever it and the
   * messages resent after it hold happened since the first refusal, unseen — a gap, as after a
   * reconnect.
   */
  private closeOutage(node: string, at: Date, changes: number): void {
    const since = this.outage.get(node);
    if (since === undefined) return;
    this.outage.delete(node);
    if (changes === 0) return;
    void this.writer.gap(node, { from: new Date(since), to: at, changes, reason: 'database unavailable' }).then(
      (gap) => gap && this.events.nodeEvent(gap.event, gap.status),
      (error: unknown) => this.log.warn(`could not record the gap of node ${node}: ${(error as Error).message}`),
    );
  }

  private reject(session: IngestSession, event: string, error: unknown): IngestRejection {
    this.stats.rejected += 1;
    let rejection: IngestRejection;
    if (error instanceof IngestError) {
      rejection = { ok: false, code: error.code, error: error.message, retry: error.retry };
    } else if (isDatabaseUnavailable(error) || this.stopping) {
      if (!this.stopping && session.node && !this.outage.has(session.node)) this.outage.set(session.node, Date.now());
      const why = this.stopping ? 'the API is shutting down' : `the database is unavailable (${(error as Error).message})`;
      rejection = { ok: false, code: 'unavailable', error: `${why}; send it again later`, retry: true };
    } else {
      this.rejectionLog.log(`${event} from ${session.node ?? session.id} failed: ${(error as Error)?.stack ?? String(error)}`);
      rejection = { ok: false, code: 'internal', error: `the API failed to apply the ${event}: ${(error as Error)?.message ?? String(error)}`, retry: false };
    }
    this.stats.rejectedByCode[rejection.code] = (this.stats.rejectedByCode[rejection.code] ?? 0) + 1;
    if (rejection.code !== 'unavailable') {
      this.rejectionLog.log(`rejected ${event} from ${session.node ?? session.id}: ${rejection.code}: ${rejection.error.slice(0, 500)}`);
    }
    return rejection;
  }

  private parse<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
    const result = schema.safeParse(raw);
    if (!result.success) throw new IngestError('invalid', describeZodError(result.error));
    return result.data;
  }

  /** A part the gateway handed over undecoded: decoded and validated in the part decoder's thread. */
  private async decodePart(raw: RawPart): Promise<DecodedPart> {
    const decoded = await this.partDecoder.decode(raw.$netatlasPart);
    if ('error' in decoded) throw new IngestError('invalid', decoded.error);
    return decoded;
  }

  /** A snapshot's facts once its last part came: the packed parts' (in turns), then the others', checked for repeats. */
  private async unpackStaging(staging: Staging): Promise<Fact[]> {
    const facts: Fact[] = [];
    const turns = new Turns();
    for (const packed of staging.packed) {
      for (const fact of unpackFacts(packed)) facts.push(fact);
      if (turns.due()) await turns.yield();
    }
    for (const fact of staging.facts) facts.push(fact);
    const duplicate = await firstDuplicate(facts);
    if (duplicate) throw new IngestError('invalid', `facts[${duplicate.index}] repeats ${duplicate.kind} ${JSON.stringify(duplicate.key)}`);
    return facts;
  }

  /**
   * SnapshotMessageSchema's parse, the facts one by one in turns of TURN_MS with the event loop
   * served in between (a 256 kB part's ~1000 facts take ~4 ms). A fact that fails is reported by the
   * whole schema, with the same message as ever.
   */
  private async parseSnapshot(raw: unknown): Promise<SnapshotMessage> {
    const facts = raw && typeof raw === 'object' ? (raw as { facts?: unknown }).facts : undefined;
    if (!Array.isArray(facts) || facts.length <= VALIDATE_WHOLE_MAX) return this.parse(SnapshotMessageSchema, raw);
    const head = SnapshotMessageSchema.safeParse({ ...(raw as object), facts: [] });
    if (!head.success) return this.parse(SnapshotMessageSchema, raw);
    const out: SnapshotMessage['facts'] = new Array(facts.length);
    const turns = new Turns();
    for (let j = 0; j < facts.length; j++) {
      const fact = FactSchema.safeParse(facts[j]);
      if (!fact.success) return this.parse(SnapshotMessageSchema, raw);
      out[j] = fact.data;
      if (turns.due()) await turns.yield();
    }
    return { ...head.data, facts: out };
  }

  private requireHello(session: IngestSession): string {
    if (!session.node) throw new IngestError('no-hello', 'say hello first');
    return session.node;
  }

  private checkSize(bytes: number, limit = this.config.maxMessageBytes, what = 'the message'): void {
    if (bytes > limit) throw this.tooLarge(bytes, limit, what);
  }

  private tooLarge(bytes: number, limit: number, what: string): IngestError {
    const why = limit === this.config.maxMessageBytes ? ' (NETATLAS_MAX_MESSAGE_MB)' : '';
    return new IngestError('too-large', `${what} is ${bytes} bytes; the limit is ${limit}${why}`);
  }

  private checkEpoch(session: IngestSession, epoch: number): void {
    if (epoch !== session.epoch) throw new IngestError('invalid', `epoch ${epoch} is not the epoch of this connection's hello (${session.epoch})`);
  }

  private async markLost(): Promise<void> {
    // one check at a time: behind a slow database the checks must not pile up on the pool
    if (this.markingLost) return;
    this.markingLost = true;
    try {
      const cutoff = Date.now() - this.config.lostAfterMs;
      const recent = [...this.heard].filter(([, at]) => at >= cutoff).map(([node]) => node);
      for (const [node, at] of this.heard) if (at < cutoff) this.heard.delete(node);
      const events = await this.writer.markLost(new Date(cutoff), recent);
      for (const event of events) {
        this.log.warn(`node ${event.node} lost: no message since ${String(event.detail['lastSeen'])}`);
        this.events.nodeEvent(event, 'lost');
      }
    } catch (error) {
      if (!isDatabaseUnavailable(error)) this.log.error(`lost-node check failed: ${(error as Error).message}`);
    } finally {
      this.markingLost = false;
    }
  }
}

/** Whether an undecoded snapshot says it is part 0 of a snapshot in parts. */
function isFirstPart(raw: unknown): boolean {
  const part = raw && typeof raw === 'object' ? (raw as { part?: unknown }).part : undefined;
  return !!part && typeof part === 'object' && (part as { index?: unknown }).index === 0;
}

/** The first fact (or reference) whose kind and key came before in the same message, or null. */
async function firstDuplicate(refs: readonly (Fact | FactRef)[]): Promise<{ index: number; kind: string; key: string } | null> {
  const seen = new Set<string>();
  const turns = new Turns();
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const id = factId(ref);
    if (seen.has(id)) return { index: i, kind: ref.kind, key: ref.key };
    seen.add(id);
    // a snapshot's 100k serve the event loop in between
    if (turns.due()) await turns.yield();
  }
  return null;
}
