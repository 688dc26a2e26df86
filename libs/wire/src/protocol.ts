// The wire protocol between collectors, the API and browsers (DESIGN.md step 4 and 8): namespaces,
// event maps and message types. No runtime schemas here, so the collector can import it without
// zod; the API validates every incoming message with protocol-schemas.ts.
import type { z } from 'zod';
import type { Fact, FactKind, ReaderStatus } from './fact.js';
import type { FactRef } from './messages.js';
import type { AlertTransition } from './alerts.js';
import type { TopologyPatch } from './topology.js';
import type { ChangeOpSchema, FactChangeSchema, NodeEventSchema, NodeSummarySchema } from './protocol-schemas.js';
import type { TopologyPatchBytes } from './topology-bytes.js';

/**
 * The protocol collectors speak. The API accepts this one and the two before it (SUPPORTED_PROTOCOLS),
 * so that during a rolling upgrade the collectors not yet upgraded keep streaming:
 *   3 — a collector asks for its turn (snapshotTurn) before each snapshot and sends it only once
 *       granted; told `retryAfterMs`, it asks again then (SnapshotTurnRequest). A snapshot on a
 *       protocol-3 connection without a turn is refused as `unavailable` (ask for one);
 *   2 — snapshots may come in parts (SnapshotPart); the hello ack announces maxSnapshotBytes; a
 *       snapshot is sent unasked, and refused as `unavailable` when the API's budget of snapshots in
 *       flight is spent (send it again after a back-off);
 *   1 — every snapshot whole (a part is refused as `invalid`); the hello ack announces no parts.
 * The messages are otherwise the same: a v1 or v2 stream changes nothing else.
 */
export const PROTOCOL_VERSION = 3;
/** the versions the API accepts: the current and the two before it */
export const SUPPORTED_PROTOCOLS = [1, 2, 3] as const;
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOLS)[number];
/** A reader's error message is at most this long on the wire (the collector clips longer ones). */
export const READER_ERROR_MAX = 2000;
/** An epoch is a collector's start time by its own clock: the API refuses one further ahead of its own clock than this. */
export const EPOCH_AHEAD_MAX_MS = 60_000;
/** A collector names at most this many readers. */
export const READERS_MAX = 64;
/** hello, leave and heartbeat are small: larger ones are refused whatever NETATLAS_MAX_MESSAGE_MB says (64 readers' errors fit). */
export const SMALL_MESSAGE_MAX_BYTES = 256 * 1024;

/** NUL or an unpaired UTF-16 surrogate: neither Postgres text nor jsonb can hold them. */
export const UNSTORABLE_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text the wire accepts: unstorable characters become U+FFFD, and what is longer than `max` keeps
 * its head and its tail (where a tool's stderr says the most) around a note of what was cut.
 */
export function clipText(raw: string, max: number): string {
  const s = raw.replace(new RegExp(UNSTORABLE_TEXT.source, 'g'), '\uFFFD');
  if (s.length <= max) return s;
  const note = ` … [${s.length - max} characters cut] … `;
  const room = Math.max(0, max - note.length - 8);
  let head = s.slice(0, Math.ceil(room * 0.7));
  let tail = s.slice(s.length - Math.floor(room * 0.3));
  // never split a surrogate pair: the halves would be unstorable
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  if (/^[\uDC00-\uDFFF]/.test(tail)) tail = tail.slice(1);
  return `${head}${note}${tail}`;
}
/** socket.io namespace for collectors (token required) */
export const INGEST_NAMESPACE = '/ingest';
/** socket.io namespace for browsers */
export const LIVE_NAMESPACE = '/live';

/** Whatever uniquely orders a collector's messages: a process run (epoch) and a counter in it. */
export interface StreamPosition {
  /** the collector process's start time in ms since 1970: a restarted collector has a larger one */
  epoch: number;
  /** 1 for the first message after hello, +1 for each snapshot or delta */
  seq: number;
}

export interface Hello {
  /** the collector's protocol: the API's PROTOCOL_VERSION or one of the two before it */
  protocol: ProtocolVersion;
  /** the node's name (Kubernetes node name, or hostname, or --node-name) */
  node: string;
  bootId: string;
  epoch: number;
  /** the collector's version */
  version: string;
  readers: Record<string, ReaderStatus>;
}

export type HelloAck =
  | {
      ok: true;
      /** the last message of this node the API committed, whatever collector process sent it */
      acked: StreamPosition | null;
      /** send a heartbeat at least this often */
      heartbeatMs: number;
      /** messages larger than this (JSON bytes) are rejected */
      maxMessageBytes: number;
      /**
       * Present when the API takes a snapshot in parts (SnapshotPart): the most JSON bytes all parts
       * of one snapshot may hold. Absent (an older API): send each snapshot whole.
       */
      maxSnapshotBytes?: number;
    }
  | IngestRejection;

/** A full state: sent after every hello, and whenever the collector cannot send a delta. */
export interface SnapshotMessage extends StreamPosition {
  /** one part of a snapshot sent in parts (absent: the whole snapshot) */
  part?: SnapshotPart;
  takenAt: string;
  facts: Fact[];
  readers: Record<string, ReaderStatus>;
}

/**
 * A large snapshot goes in parts of about SNAPSHOT_PART_BYTES, each its own message with the same
 * epoch, seq, takenAt and readers and a slice of the facts, sent one after the other: each but the
 * last is acked with `staged`, the last is applied with all of them as one snapshot. Part 0 starts
 * the snapshot anew (a part out of turn is `invalid`: send it again from part 0). So no message is
 * large: the API decodes ~256 kB at a time and never holds its event loop for one collector's state.
 */
export interface SnapshotPart {
  /** 0 … count-1 */
  index: number;
  /** how many parts the snapshot has (at least 2) */
  count: number;
}

/**
 * The size a collector aims at for each part of a snapshot (JSON bytes): decoding a part is one block
 * of the API's event loop, ~4 ms at 256 kB where 1 MB parts took ~15 ms.
 */
export const SNAPSHOT_PART_BYTES = 256 * 1024;
/** A snapshot has at most this many parts. */
export const SNAPSHOT_PARTS_MAX = 100_000;

/**
 * Protocol 3: before each snapshot (whole, or its part 0) a collector asks for a turn, once the
 * messages it has in flight are answered, and sends nothing meanwhile. The API grants a bounded
 * number of turns at once (NETATLAS_SNAPSHOT_TURNS); a granted turn is this connection's until the
 * snapshot's answer (a whole one's ack, its last part's, or any refusal), until no part of it came for
 * `idleMs`, or until the connection goes, so a collector that takes a turn and vanishes blocks
 * nobody. When every turn is held, the answer to the first few asks waits (at most 5 s) for a turn
 * that frees; the others are told when to ask again: `retryAfterMs`, from how many wait ahead of them
 * and the recent mean time of a turn, with jitter so that a herd spreads out. A resync herd thus
 * sends its snapshots a few at a time instead of all at once to be refused after the sending. A
 * snapshot sent again after a refusal (`unavailable`) needs a new turn.
 */
export interface SnapshotTurnRequest {
  /** the epoch of this connection's hello */
  epoch: number;
}

export type SnapshotTurnReply =
  | {
      ok: true;
      granted: true;
      /** the turn is taken back when no part of the snapshot comes for this long: send it now */
      idleMs: number;
    }
  | {
      ok: true;
      granted: false;
      /** ask again after this long (ms) */
      retryAfterMs: number;
      /** collectors waiting for a turn ahead of this one */
      ahead: number;
    }
  | IngestRejection;

/** What changed since the previous message of the same epoch. */
export interface DeltaMessage extends StreamPosition {
  takenAt: string;
  upserts: Fact[];
  deletes: FactRef[];
}

/**
 * The node leaves the cluster for good: everything it held ends at this message, and its status
 * becomes `left` until a collector says hello for it again. A collector sends it when it knows the
 * node is gone (its network namespace was deleted) or when told to (`--leave-on-exit`); a plain
 * stop is a disconnect, not a leave.
 */
export interface LeaveMessage extends StreamPosition {
  takenAt: string;
  reason: string;
}

/** "still here": the last seq sent. */
export interface Heartbeat {
  epoch: number;
  seq: number;
}

export type IngestErrorCode =
  /** the message does not match the schema (the error says where) */
  | 'invalid'
  /** larger than maxMessageBytes */
  | 'too-large'
  /** a delta whose seq does not follow the last one applied: send a snapshot */
  | 'out-of-order'
  /** snapshot or delta before hello */
  | 'no-hello'
  /** a hello for a node the connection's token does not speak for */
  | 'forbidden'
  /**
   * a hello whose epoch the API refuses: ahead of its clock by more than EPOCH_AHEAD_MAX_MS, or
   * older than the node's last stream. Start a new stream (epoch = now) and say hello again.
   */
  | 'stale-epoch'
  /**
   * the database is unavailable, or the API has no room for the message now (its connection's queue
   * is full; a snapshot over the budget, or without its turn on protocol 3): send it again later
   */
  | 'unavailable'
  /** the API failed for another reason (its log says why); a snapshot may get past it */
  | 'internal';

export interface IngestRejection {
  ok: false;
  code: IngestErrorCode;
  error: string;
  /** true when the same message may succeed later */
  retry: boolean;
}

export type IngestAck =
  | {
      ok: true;
      epoch: number;
      seq: number;
      /** true when this (epoch, seq) had been applied before: nothing was applied again */
      duplicate: boolean;
      /** the moment the changes were recorded at (null for a duplicate) */
      at: string | null;
      /** how many fact versions changed */
      changes: number;
      /** a snapshot part other than the last was kept (its index): send the next; nothing is applied yet */
      staged?: number;
    }
  | IngestRejection;

/** Sent on the collector's socket whenever a message is rejected, besides the negative ack. */
export interface IngestErrorEvent {
  event: string;
  epoch: number | null;
  seq: number | null;
  code: IngestErrorCode;
  error: string;
}

export interface IngestClientToServer {
  hello(message: Hello, ack: (reply: HelloAck) => void): void;
  /** protocol 3: a turn for the next snapshot (see SnapshotTurnRequest) */
  snapshotTurn(message: SnapshotTurnRequest, ack: (reply: SnapshotTurnReply) => void): void;
  snapshot(message: SnapshotMessage, ack: (reply: IngestAck) => void): void;
  delta(message: DeltaMessage, ack: (reply: IngestAck) => void): void;
  leave(message: LeaveMessage, ack: (reply: IngestAck) => void): void;
  heartbeat(message: Heartbeat): void;
}

export interface IngestServerToClient {
  ingestError(event: IngestErrorEvent): void;
}

// ------------------------------------------------------------------ live (browsers)

// What the API sends of a node: declared once, as schemas (protocol-schemas.ts); the types are theirs.

export type ChangeOp = z.infer<typeof ChangeOpSchema>;

/** One version change of one fact, as stored: `before` is null for add, `after` null for remove. */
export type FactChange = z.infer<typeof FactChangeSchema>;

export const NODE_STATUSES = ['pending', 'connected', 'disconnected', 'lost', 'left'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const NODE_EVENT_TYPES = [
  'first_seen', 'connected', 'disconnected', 'lost', 'resynced', 'gap', 'k8s_added', 'k8s_deleted', 'left',
] as const;
export type NodeEventType = (typeof NODE_EVENT_TYPES)[number];

export type NodeEvent = z.infer<typeof NodeEventSchema>;

export type NodeSummary = z.infer<typeof NodeSummarySchema>;

export interface LiveSubscription {
  /** only changes of these kinds (default: all) */
  kinds?: FactKind[];
  /** only changes of these nodes (default: all) */
  nodes?: string[];
  /** receive topology patches (default true) */
  topology?: boolean;
}

export interface LiveClientToServer {
  subscribe(subscription: LiveSubscription, ack: (reply: { ok: true; serverTime: string } | { ok: false; error: string }) => void): void;
}

/** The live events as a client hands them on, decoded (the topology patch from its bytes). */
export type LiveEvents = Omit<LiveServerToClient, 'topology'> & { topology(patch: TopologyPatch): void };

export interface LiveServerToClient {
  /** fact changes committed in the last batch interval, in commit order */
  changes(batch: { at: string; changes: FactChange[] }): void;
  /** how the derived topology changed in the last batch interval: the patch's JSON as bytes (topology-bytes.ts) */
  topology(patch: TopologyPatchBytes): void;
  /** node lifecycle events and status changes */
  nodeEvent(event: NodeEvent & { status: NodeStatus }): void;
  /** alerts that changed state (pending, firing, resolved), as they are decided */
  alerts(batch: { at: string; transitions: AlertTransition[] }): void;
}
