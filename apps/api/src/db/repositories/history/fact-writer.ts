// Writes collector messages into the history (DESIGN.md step 5): every message in a transaction,
// with the node's stream position checked and advanced under a row lock, so a message is applied
// once and entirely or not at all. A changed fact closes its current version and opens the next one
// at the same instant; a deleted fact only closes it. Deltas, the steady stream, are written in
// batches (batcher.ts): the deltas of many nodes that arrive while earlier ones are being written
// share one transaction, in two round trips. Node rows are locked FOR NO KEY UPDATE (only their
// non-key columns change), which does not block the foreign-key checks of rows referring to them:
// with FOR UPDATE, a batch holding many nodes and a bulk insert of facts could deadlock.
// The node row's reader status and CNI style are what the collector last reported (its hello, its
// snapshot, or the `node` fact of a delta), written by the statement that advances the node's stream
// position, so `/api/nodes` changes in the transaction that commits the facts, at no extra round trip.
import { EPOCH_AHEAD_MAX_MS } from '@netatlas/wire';
import type { CniStyle, DeltaMessage, FactChange, FactKind, FactRef, NodeEvent, NodeStatus, ReaderStatus, SnapshotMessage } from '@netatlas/wire';
import type { Fact } from '@netatlas/wire';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../errors.js';
import { withOwnTransaction, withTransaction } from '../../transaction.js';
import { pauseTurnsWhile, Turns } from '../../../realtime/turns.js';
import { Batcher, BatchItemError } from './batcher.js';
import { EncodedFact, valueJsonOf } from './encoded-fact.js';
import { nodeEventOf, type NodeEventRow } from './rows.js';
import { valuesDiffer } from './value-sql.js';

export type IngestOutcome =
  | { kind: 'applied'; at: Date; changes: FactChange[]; events: NodeEvent[]; status: NodeStatus }
  | { kind: 'duplicate' }
  | { kind: 'out-of-order'; expected: string };

export interface NodeRow {
  id: number;
  name: string;
  status: NodeStatus;
  acked_epoch: string | null;
  acked_seq: string | null;
  last_seen: Date;
}

interface ClosedRow {
  kind: FactKind;
  key: string;
  value: Fact['value'];
}

interface DeltaItem {
  name: string;
  message: DeltaMessage;
}

interface HelloItem {
  name: string;
  hello: { epoch: number; bootId: string; readers: Record<string, ReaderStatus> };
  /** the API's clock at the hello (Date.now()) */
  now: number;
}

export interface HelloOutcome {
  node: NodeRow;
  events: NodeEvent[];
  /** why the hello is refused (its epoch goes back), or null */
  error: string | null;
  /** the last stream's epoch, when it was beyond the API's clock and this hello replaced it */
  replacedFutureEpoch: number | null;
}

/** What a message says of the node itself: each reader's status and the CNI style. */
interface NodeReport {
  readers: Record<string, ReaderStatus>;
  cniStyle: CniStyle;
}

/** The report among a message's facts: the `node` fact, which the collector sends whenever it changed. */
function reportOf(upserts: readonly Fact[]): NodeReport | null {
  for (const f of upserts) if (f.kind === 'node') return { readers: f.value.readers, cniStyle: f.value.cniStyle };
  return null;
}

/** Whether a message of the node's stream is the next one: 'next', or why not. */
function streamPosition(
  node: NodeRow,
  message: { epoch: number; seq: number },
  isDelta: boolean,
): { kind: 'next' } | { kind: 'duplicate' } | { kind: 'out-of-order'; expected: string } {
  const ackedEpoch = node.acked_epoch === null ? null : Number(node.acked_epoch);
  const ackedSeq = node.acked_seq === null ? null : Number(node.acked_seq);
  if (ackedEpoch !== null && ackedSeq !== null) {
    if (message.epoch < ackedEpoch || (message.epoch === ackedEpoch && message.seq <= ackedSeq)) return { kind: 'duplicate' };
  }
  // deltas and leaves continue the stream; a snapshot may start anywhere
  if (isDelta && (ackedEpoch !== message.epoch || ackedSeq !== message.seq - 1)) {
    return {
      kind: 'out-of-order',
      expected:
        ackedEpoch === message.epoch ? `seq ${(ackedSeq ?? 0) + 1} of epoch ${message.epoch}` : `a snapshot (nothing of epoch ${message.epoch} was applied yet)`,
    };
  }
  return { kind: 'next' };
}

/**
 * The changes of one node's write: opened versions (added or changed), then what only closed. A
 * snapshot's 100k go in turns (realtime/turns.ts); a delta's few never wait.
 */
async function changesOf(opened: readonly ClosedRow[], closed: readonly ClosedRow[], at: Date): Promise<FactChange[]> {
  const iso = at.toISOString();
  const turns = new Turns();
  const before = new Map<string, ClosedRow>();
  for (let i = 0; i < closed.length; i++) {
    const row = closed[i]!;
    before.set(`${row.kind}\u0000${row.key}`, row);
    if (turns.due()) await turns.yield();
  }
  const changes: FactChange[] = [];
  for (let i = 0; i < opened.length; i++) {
    const row = opened[i]!;
    const id = `${row.kind}\u0000${row.key}`;
    const prev = before.get(id);
    before.delete(id);
    changes.push({ node: '', kind: row.kind, key: row.key, at: iso, op: prev ? 'change' : 'add', before: prev?.value ?? null, after: row.value });
    if (turns.due()) await turns.yield();
  }
  for (const row of before.values()) changes.push({ node: '', kind: row.kind, key: row.key, at: iso, op: 'remove', before: row.value, after: null });
  return changes;
}

/** A text[] literal for simple-protocol statements (pg's own quoting). */
function textArrayLiteral(texts: readonly string[]): string {
  return `ARRAY[${texts.map((t) => pg.escapeLiteral(t)).join(',') || "''"}]::text[]`;
}

/** A value as a dollar-quoted JSON literal: no escaping, so no pass over the text but a search for the tag. */
function jsonLiteral(value: unknown): string {
  const text = JSON.stringify(value);
  let tag = '$j$';
  for (let i = 0; text.includes(tag); i++) tag = `$j${i}$`;
  return `${tag}${text}${tag}::json`;
}

/** Postgres keeps microseconds; the API stamps whole milliseconds, strictly increasing per node. */
function nextInstant(lastSeen: Date): Date {
  return new Date(Math.max(Date.now(), lastSeen.getTime() + 1));
}

export class FactWriter {
  private readonly deltas: Batcher<DeltaItem, IngestOutcome>;
  /** delta batches written, and the deltas in them (a batch retried item by item counts once) */
  readonly batchStats = { batches: 0, deltas: 0 };

  private readonly touches: Batcher<string, { revived: NodeEvent | null }>;
  /** hello batches written, and the hellos in them */
  readonly helloStats = { batches: 0, hellos: 0 };
  /** hellos, a batch per transaction, two transactions at once (a herd's leave the pool to the deltas) */
  private readonly hellos: Batcher<HelloItem, HelloOutcome>;

  constructor(private readonly pool: pg.Pool) {
    this.deltas = new Batcher((items) => this.writeDeltas(items));
    pauseTurnsWhile(() => this.deltas.active);
    this.touches = new Batcher((names) => this.touchMany(names), { concurrency: 1 });
    this.hellos = new Batcher((items) => this.helloMany(items), { concurrency: 2 });
  }

  /**
   * Records a hello: creates the node on first sight, marks it connected. Returns the last
   * committed stream position, or an error message when the hello goes back in time. Written in a
   * batch with the hellos of other nodes (helloMany); the outcome is the same as alone.
   */
  hello(name: string, hello: HelloItem['hello'], now = Date.now()): Promise<HelloOutcome> {
    return this.hellos.submit(name, { name, hello, now });
  }

  /**
   * Hellos of different nodes in one transaction of five statements, whatever their number: the
   * nodes locked in id order (those seen for the first time created first, in name order), then one
   * statement advances them and one records their events. A herd of collectors reconnecting after
   * an API restart was paced by its hellos when each was a transaction of its own (5000 nodes: the
   * last said hello ~100 s after the API listened). A batch that fails for any reason but an
   * unavailable database is tried again hello by hello, so a bad one fails by itself.
   */
  private async helloMany(items: HelloItem[]): Promise<Array<HelloOutcome | BatchItemError>> {
    this.helloStats.batches += 1;
    this.helloStats.hellos += items.length;
    try {
      return await this.transaction((client) => this.helloBatch(client, items));
    } catch (error) {
      if (items.length === 1 || isDatabaseUnavailable(error)) throw error;
      return Promise.all(items.map((i) => this.transaction((client) => this.helloBatch(client, [i])).then((r) => r[0]!, (e: unknown) => new BatchItemError(e))));
    }
  }

  private async helloBatch(client: pg.PoolClient, items: HelloItem[]): Promise<Array<HelloOutcome | BatchItemError>> {
    const lock = async (names: string[]) =>
      (
        await client.query<NodeRow>(
          `SELECT id, name, status, acked_epoch, acked_seq, last_seen FROM nodes WHERE name = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
          [names],
        )
      ).rows;
    const byName = new Map((await lock(items.map((i) => i.name))).map((n) => [n.name, n]));
    const firstSeen = new Map<number, NodeEventRow>();
    const missing = items.filter((i) => !byName.has(i.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (missing.length > 0) {
      const created = await client.query<{ id: number }>(
        `WITH made AS (
           INSERT INTO nodes (name, status, boot_id, reader_status)
           SELECT u.name, 'connected', u.boot, u.readers FROM json_to_recordset($1::json) AS u(name text, boot text, readers jsonb)
           ON CONFLICT (name) DO NOTHING RETURNING id)
         INSERT INTO node_events (node_id, type, detail) SELECT id, 'first_seen', '{}' FROM made ORDER BY id
         RETURNING node_id AS id, id AS event_id, type, at, detail`,
        [JSON.stringify(missing.map((i) => ({ name: i.name, boot: i.hello.bootId, readers: i.hello.readers })))],
      );
      for (const r of created.rows as unknown as Array<{ id: number; event_id: NodeEventRow['id'] } & Omit<NodeEventRow, 'id'>>) {
        firstSeen.set(r.id, { id: r.event_id, type: r.type, at: r.at, detail: r.detail });
      }
      for (const n of await lock(missing.map((i) => i.name))) byName.set(n.name, n);
    }
    const outcomes: Array<HelloOutcome | BatchItemError | null> = [];
    const updates: Array<{ id: number; boot: string; readers: HelloItem['hello']['readers']; future: boolean; epoch: number; detail: Record<string, unknown> }> = [];
    for (const { name, hello, now } of items) {
      const node = byName.get(name);
      if (!node) {
        outcomes.push(new BatchItemError(new Error(`node ${name} vanished while being created`)));
        continue;
      }
      // a stream position from beyond the API's clock binds nobody: it was forged, or written by a
      // clock that ran ahead (or before epochs were bounded); the hello starts the stream anew
      const ackedEpoch = node.acked_epoch === null ? null : Number(node.acked_epoch);
      const fromTheFuture = ackedEpoch !== null && ackedEpoch > now + EPOCH_AHEAD_MAX_MS;
      if (ackedEpoch !== null && !fromTheFuture && hello.epoch < ackedEpoch) {
        outcomes.push({
          node,
          events: [],
          replacedFutureEpoch: null,
          error:
            `epoch ${hello.epoch} is older than the last stream of node ${name} (epoch ${node.acked_epoch}): ` +
            'another collector runs with the same node name, or this host’s clock went back',
        });
        continue;
      }
      outcomes.push(null);
      updates.push({
        id: node.id,
        boot: hello.bootId,
        readers: hello.readers,
        future: fromTheFuture,
        epoch: hello.epoch,
        detail: { epoch: hello.epoch, bootId: hello.bootId, ...(fromTheFuture ? { replacedFutureEpoch: ackedEpoch } : {}) },
      });
    }
    if (updates.length > 0) {
      // last_seen stays the last message received: a resync's gap starts there, not at this hello
      const document = JSON.stringify(updates);
      const updated = await client.query<NodeRow>(
        `UPDATE nodes n SET status = 'connected', boot_id = u.boot, reader_status = u.readers,
                acked_epoch = CASE WHEN u.future THEN u.epoch ELSE n.acked_epoch END, acked_seq = CASE WHEN u.future THEN 0 ELSE n.acked_seq END
         FROM json_to_recordset($1::json) AS u(id int, boot text, readers jsonb, future boolean, epoch bigint)
         WHERE n.id = u.id RETURNING n.id, n.name, n.status, n.acked_epoch, n.acked_seq, n.last_seen`,
        [document],
      );
      const connected = await client.query<NodeEventRow & { node_id: number }>(
        `INSERT INTO node_events (node_id, type, detail) SELECT u.id, 'connected', u.detail FROM json_to_recordset($1::json) AS u(id int, detail jsonb)
         RETURNING node_id, id, type, at, detail`,
        [document],
      );
      const rowOf = new Map(updated.rows.map((r) => [r.id, r]));
      const eventOf = new Map(connected.rows.map(({ node_id, ...e }) => [node_id, e as NodeEventRow]));
      let u = 0;
      items.forEach(({ name }, i) => {
        if (outcomes[i] !== null) return;
        const update = updates[u++]!;
        const node = rowOf.get(update.id) ?? byName.get(name)!;
        const events = [firstSeen.get(update.id), eventOf.get(update.id)].filter((e): e is NodeEventRow => e !== undefined);
        outcomes[i] = {
          node,
          events: events.map((e) => nodeEventOf(e, name)),
          error: null,
          replacedFutureEpoch: update.future ? Number(byName.get(name)!.acked_epoch) : null,
        };
      });
    }
    return outcomes as Array<HelloOutcome | BatchItemError>;
  }

  /**
   * Applies a snapshot: the node's whole state, recorded as changes against what was held. The node's
   * reader status becomes its node fact's (the snapshot's `readers` without one), its style `cniStyle`.
   */
  applySnapshot(name: string, message: SnapshotMessage, cniStyle: CniStyle): Promise<IngestOutcome> {
    return this.apply(name, message, async (client, node, at) => {
      const changes = await this.write(client, node.id, at, message.facts, [], true);
      const events: NodeEventRow[] = [];
      if (node.acked_epoch !== null) {
        // a resync: whatever changed since the last acknowledged message happened at some moment in
        // between that nobody saw; record the window as a gap when anything did change.
        const previous = { epoch: Number(node.acked_epoch), seq: Number(node.acked_seq) };
        events.push(await this.event(client, node.id, 'resynced', { epoch: message.epoch, seq: message.seq, previous, changes: changes.length }, at));
        if (changes.length > 0) {
          events.push(
            await this.event(client, node.id, 'gap', { from: node.last_seen.toISOString(), to: at.toISOString(), changes: changes.length }, at),
          );
        }
      }
      // the node fact's readers, like a delta's; the snapshot's own list for a client that sends none
      return { changes, events, report: { readers: reportOf(message.facts)?.readers ?? message.readers, cniStyle } };
    });
  }

  /**
   * Applies a delta; it must follow the last applied message of the same epoch. Written in a batch
   * with the deltas of other nodes (writeDeltas); the outcome is the same as alone. A delta with a
   * `node` fact sets the node's reader status and CNI style to the fact's.
   */
  applyDelta(name: string, message: DeltaMessage): Promise<IngestOutcome> {
    return this.deltas.submit(name, { name, message });
  }

  /** A delta in a transaction of its own (a batch that failed is retried this way, item by item). */
  private applyDeltaAlone(name: string, message: DeltaMessage): Promise<IngestOutcome> {
    return this.apply(name, message, async (client, node, at) => {
      const changes = await this.write(client, node.id, at, message.upserts, message.deletes, false);
      return { changes, events: [], report: reportOf(message.upserts) };
    });
  }

  /**
   * One transaction for deltas of different nodes, in two round trips (on this machine a round trip
   * to Postgres costs ~80 µs of the API's CPU, mostly in the kernel): BEGIN with the nodes locked (in
   * id order, so concurrent batches cannot deadlock); then, each delta's position checked here, one
   * statement closes every changed or deleted version, one opens every new version, one advances
   * the nodes, and COMMIT. When the batch fails for any reason but an unavailable database, each
   * delta is tried alone, so a bad one fails by itself.
   */
  private async writeDeltas(items: DeltaItem[]): Promise<Array<IngestOutcome | BatchItemError>> {
    this.batchStats.batches += 1;
    this.batchStats.deltas += items.length;
    try {
      return await this.deltaBatch(items);
    } catch (error) {
      if (items.length === 1 || isDatabaseUnavailable(error)) throw error;
      return Promise.all(
        items.map((i) => this.applyDeltaAlone(i.name, i.message).catch((e: unknown) => new BatchItemError(e))),
      );
    }
  }

  private deltaBatch(items: DeltaItem[]): Promise<Array<IngestOutcome | BatchItemError>> {
    return withOwnTransaction(this.pool, async (client) => {
      // simple-protocol statements, several per round trip: their values are literals
      const begun = (await client.query(
        `BEGIN; SELECT id, name, status, acked_epoch, acked_seq, last_seen FROM nodes
         WHERE name = ANY(${textArrayLiteral(items.map((i) => i.name))}) ORDER BY id FOR NO KEY UPDATE`,
      )) as unknown as pg.QueryResult[];
      const locked = begun[1]!.rows as NodeRow[];
      const byName = new Map(locked.map((n) => [n.name, n]));
      const outcomes: Array<IngestOutcome | BatchItemError | null> = [];
      const accepted: Array<{ index: number; node: NodeRow; at: Date }> = [];
      const facts: Array<{ n: number; at: string; kind: string; key: string; value: Fact['value'] | null }> = [];
      // a node's readers and style only where its delta reports them (an absent key reads as NULL)
      const acks: Array<{ id: number; epoch: number; seq: number; at: string; readers?: NodeReport['readers']; cni?: CniStyle }> = [];
      items.forEach(({ name, message }, index) => {
        const node = byName.get(name);
        if (!node) {
          outcomes.push(new BatchItemError(new Error(`node ${name} is unknown: hello first`)));
          return;
        }
        const position = streamPosition(node, message, true);
        if (position.kind !== 'next') {
          outcomes.push(position);
          return;
        }
        outcomes.push(null);
        const at = nextInstant(node.last_seen);
        const iso = at.toISOString();
        accepted.push({ index, node, at });
        for (const f of message.upserts) facts.push({ n: node.id, at: iso, kind: f.kind, key: f.key, value: f.value });
        for (const d of message.deletes) facts.push({ n: node.id, at: iso, kind: d.kind, key: d.key, value: null });
        const ack = { id: node.id, epoch: message.epoch, seq: message.seq, at: iso };
        const report = reportOf(message.upserts);
        acks.push(report ? { ...ack, readers: report.readers, cni: report.cniStyle } : ack);
      });
      if (accepted.length === 0) {
        await client.query('COMMIT');
        return outcomes as Array<IngestOutcome | BatchItemError>;
      }
      // one JSON literal rather than arrays: Postgres parses it faster than pg escapes arrays
      const recordset = `json_to_recordset(${jsonLiteral(facts)}) AS u(n int, at timestamptz, kind text, key text, value json)`;
      const written = (await client.query(
        `UPDATE facts f SET valid_to = u.at FROM ${recordset}
         WHERE f.node_id = u.n AND f.valid_to IS NULL AND f.kind = u.kind AND f.key = u.key AND (u.value IS NULL OR ${valuesDiffer('f.value', 'u.value')})
         RETURNING f.node_id, f.kind, f.key, f.value;
         INSERT INTO facts (node_id, kind, key, value, valid_from)
         SELECT u.n, u.kind, u.key, u.value, u.at FROM ${recordset}
         WHERE u.value IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.node_id = u.n AND f.valid_to IS NULL AND f.kind = u.kind AND f.key = u.key)
         RETURNING node_id, kind, key, value;
         UPDATE nodes n SET acked_epoch = u.epoch, acked_seq = u.seq, last_seen = u.at, status = 'connected',
           reader_status = coalesce(u.readers, n.reader_status), cni_style = coalesce(u.cni, n.cni_style)
         FROM json_to_recordset(${jsonLiteral(acks)}) AS u(id int, epoch bigint, seq bigint, at timestamptz, readers jsonb, cni text) WHERE n.id = u.id;
         COMMIT`,
      )) as unknown as pg.QueryResult[];
      const group = (list: Array<ClosedRow & { node_id: number }>) => {
        const out = new Map<number, ClosedRow[]>();
        for (const r of list) {
          let xs = out.get(r.node_id);
          if (!xs) out.set(r.node_id, (xs = []));
          xs.push(r);
        }
        return out;
      };
      const closedBy = group(written[0]!.rows as Array<ClosedRow & { node_id: number }>);
      const openedBy = group(written[1]!.rows as Array<ClosedRow & { node_id: number }>);
      for (const { index, node, at } of accepted) {
        const changes = (await changesOf(openedBy.get(node.id) ?? [], closedBy.get(node.id) ?? [], at)).map((c) => ({ ...c, node: node.name }));
        outcomes[index] = { kind: 'applied', at, changes, events: [], status: 'connected' };
      }
      return outcomes as Array<IngestOutcome | BatchItemError>;
    });
  }

  /**
   * The node leaves: every current fact of it ends now (recorded as removals), its status becomes
   * `left` and a `left` event is recorded. Ordered like a delta: it must follow the last message.
   */
  leave(name: string, message: { epoch: number; seq: number; reason: string }): Promise<IngestOutcome> {
    return this.apply(name, message, async (client, node, at) => {
      const changes = await this.write(client, node.id, at, [], [], true);
      const event = await this.event(client, node.id, 'left', { reason: message.reason, facts: changes.length }, at);
      return { changes, events: [event], status: 'left' };
    });
  }

  /**
   * A heartbeat: the node is alive (and connected again if it had been marked lost). The heartbeats
   * of many nodes share one statement (200 collectors send 40 a second).
   */
  touch(name: string): Promise<{ revived: NodeEvent | null }> {
    return this.touches.submit(name, name);
  }

  private async touchMany(names: string[]): Promise<Array<{ revived: NodeEvent | null }>> {
    // one statement, so one transaction: nodes that were not connected get a 'connected' event
    const { rows } = await this.pool.query<{ name: string; was: NodeStatus; event: NodeEventRow | null }>(
      `WITH old AS (SELECT id, name, status AS was FROM nodes WHERE name = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE),
            up AS (UPDATE nodes n SET last_seen = greatest(now(), n.last_seen), status = 'connected' FROM old WHERE n.id = old.id RETURNING n.id),
            ev AS (INSERT INTO node_events (node_id, type, detail)
                   SELECT old.id, 'connected', jsonb_build_object('after', old.was) FROM old JOIN up ON up.id = old.id WHERE old.was <> 'connected'
                   RETURNING node_id, id, type, at, detail)
       SELECT old.name, old.was, (SELECT to_jsonb(ev) - 'node_id' FROM ev WHERE ev.node_id = old.id) AS event FROM old`,
      [names],
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    return names.map((name) => {
      const row = byName.get(name);
      if (!row?.event) return { revived: null };
      const event = { ...row.event, at: new Date(row.event.at as unknown as string) };
      return { revived: nodeEventOf(event, name) };
    });
  }

  /** The collector's connection closed. */
  async disconnected(name: string, reason: string): Promise<NodeEvent | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: number }>(
        `UPDATE nodes SET status = 'disconnected' WHERE name = $1 AND status = 'connected' RETURNING id`,
        [name],
      );
      if (!rows[0]) return null;
      return nodeEventOf(await this.event(client, rows[0].id, 'disconnected', { reason }), name);
    });
  }

  /**
   * Records that the node's changes committed at `to` happened unseen since `from` (the database
   * was unreachable meanwhile: they were stamped when it came back).
   */
  async gap(name: string, detail: { from: Date; to: Date; changes: number; reason: string }): Promise<{ event: NodeEvent; status: NodeStatus } | null> {
    return this.transaction(async (client) => {
      // the row is locked, so the status read is the one after the gap (a gap changes none)
      const { rows } = await client.query<{ id: number; status: NodeStatus }>(`SELECT id, status FROM nodes WHERE name = $1 FOR NO KEY UPDATE`, [name]);
      if (!rows[0]) return null;
      const row = await this.event(client, rows[0].id, 'gap', { from: detail.from.toISOString(), to: detail.to.toISOString(), changes: detail.changes, reason: detail.reason }, detail.to);
      return { event: nodeEventOf(row, name), status: rows[0].status };
    });
  }

  /** Marks lost every connected or disconnected node not heard from since `before`, but `heard`. */
  async markLost(before: Date, heard: readonly string[] = []): Promise<NodeEvent[]> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: number; name: string; last_seen: Date }>(
        // a node whose row is locked is being written to, so not lost: skip it rather than wait
        `WITH quiet AS (
           SELECT id FROM nodes WHERE status IN ('connected', 'disconnected') AND last_seen < $1 AND name <> ALL($2::text[])
           FOR UPDATE SKIP LOCKED)
         UPDATE nodes n SET status = 'lost' FROM quiet WHERE n.id = quiet.id
         RETURNING n.id, n.name, n.last_seen`,
        [before, heard],
      );
      const events: NodeEvent[] = [];
      for (const row of rows) {
        events.push(nodeEventOf(await this.event(client, row.id, 'lost', { lastSeen: row.last_seen.toISOString() }), row.name));
      }
      return events;
    });
  }

  // ---------------------------------------------------------------- internals

  private async apply(
    name: string,
    message: { epoch: number; seq: number },
    write: (
      client: pg.PoolClient,
      node: NodeRow,
      at: Date,
    ) => Promise<{ changes: FactChange[]; events: NodeEventRow[]; status?: NodeStatus; report?: NodeReport | null }>,
  ): Promise<IngestOutcome> {
    return this.transaction(async (client) => {
      const node = await this.lockNode(client, name);
      if (!node) throw new Error(`node ${name} is unknown: hello first`);
      // deltas and leaves continue the stream; a snapshot may start anywhere
      const position = streamPosition(node, message, !('facts' in message));
      if (position.kind !== 'next') return position;
      const at = nextInstant(node.last_seen);
      const { changes, events, status = 'connected', report = null } = await write(client, node, at);
      await client.query(
        `UPDATE nodes SET acked_epoch = $2, acked_seq = $3, last_seen = $4, status = $5,
           reader_status = coalesce($6::jsonb, reader_status), cni_style = coalesce($7, cni_style)
         WHERE id = $1`,
        [node.id, message.epoch, message.seq, at, status, report && JSON.stringify(report.readers), report?.cniStyle ?? null],
      );
      // the changes are this write's own objects: named in place, in turns (a snapshot's 100k)
      const turns = new Turns();
      for (const c of changes) {
        c.node = name;
        if (turns.due()) await turns.yield();
      }
      return {
        kind: 'applied',
        at,
        changes,
        events: events.map((e) => nodeEventOf(e, name)),
        status,
      };
    });
  }

  /**
   * Closes the current versions that an upsert changes or a delete removes (and, for a snapshot,
   * every current fact not in it), then opens a version for every upsert without a current one.
   */
  private async write(
    client: pg.PoolClient,
    nodeId: number,
    at: Date,
    upserts: readonly Fact[],
    deletes: readonly FactRef[],
    snapshot: boolean,
  ): Promise<FactChange[]> {
    if (snapshot) return this.writeSnapshot(client, nodeId, at, upserts);
    const closed = await this.closeChanged(client, nodeId, at, [...upserts, ...deletes.map((d) => ({ kind: d.kind, key: d.key, value: null }))]);
    const opened = upserts.length > 0 ? await this.open(client, nodeId, at, upserts) : [];
    return changesOf(opened, closed, at);
  }

  /**
   * A snapshot against what is held. The sets are compared here, not by anti-joins: without
   * planner statistics (a new or never-analyzed table) Postgres may nest those joins, and a
   * 40k → 120k resnapshot took minutes; a map of the current keys and primary keys are linear
   * whatever it knows. Only facts held before are compared by value; the rest are opened as they are.
   */
  private async writeSnapshot(client: pg.PoolClient, nodeId: number, at: Date, upserts: readonly Fact[]): Promise<FactChange[]> {
    const turns = new Turns();
    const held = new Map<string, string>();
    // read a page at a time: the driver parses a result in one piece, and 117k rows held the event
    // loop for ~0.15 s under a herd of resyncs
    await client.query(`DECLARE held_facts NO SCROLL CURSOR FOR SELECT id, kind, key FROM facts WHERE node_id = $1 AND valid_to IS NULL`, [nodeId]);
    for (;;) {
      const page = await client.query<{ id: string; kind: string; key: string }>(`FETCH ${SLICE} FROM held_facts`);
      for (let i = 0; i < page.rows.length; i++) {
        const r = page.rows[i]!;
        held.set(`${r.kind}\u0000${r.key}`, r.id);
        if (turns.due()) await turns.yield();
      }
      if (page.rows.length < SLICE) break;
    }
    await client.query('CLOSE held_facts');
    const kept: Fact[] = [];
    const fresh: Fact[] = [];
    for (let i = 0; i < upserts.length; i++) {
      const f = upserts[i]!;
      (held.delete(`${f.kind}\u0000${f.key}`) ? kept : fresh).push(f);
      if (turns.due()) await turns.yield();
    }
    // what is left in `held` the snapshot no longer holds: it ends
    const gone: ClosedRow[] = [];
    for (const ids of slices([...held.values()])) {
      const result = await client.query<ClosedRow>(
        `UPDATE facts f SET valid_to = $2 FROM unnest($1::bigint[]) AS m(id) WHERE f.id = m.id AND f.valid_to IS NULL RETURNING f.kind, f.key, f.value`,
        [ids, at],
      );
      for (const row of result.rows) gone.push(row);
    }
    // in slices: each slice's JSON is written (and Postgres parses it) while the event loop serves
    // the other connections in between, where 120k facts in one document held it for ~0.4 s
    const changed: ClosedRow[] = [];
    for (const part of slices(kept)) changed.push(...(await this.closeChanged(client, nodeId, at, part)));
    // a new version for each changed fact, and the facts not held before: under the node's lock
    // none of them has a current version, so they are inserted as they are and not read back
    if (changed.length > 0) {
      const again = new Set<string>();
      for (let i = 0; i < changed.length; i++) {
        again.add(`${changed[i]!.kind}\u0000${changed[i]!.key}`);
        if (turns.due()) await turns.yield();
      }
      for (let i = 0; i < kept.length; i++) {
        if (again.has(`${kept[i]!.kind}\u0000${kept[i]!.key}`)) fresh.push(kept[i]!);
        if (turns.due()) await turns.yield();
      }
    }
    const parts = slices(fresh);
    for (const [i, part] of parts.entries()) {
      const t0 = performance.now();
      await client.query(
        `INSERT INTO facts (node_id, kind, key, value, valid_from)
         SELECT $1, u.kind, u.key, u.value, $3 FROM json_to_recordset($2::json) AS u(kind text, key text, value json)`,
        [nodeId, factsDocument(part), at],
      );
      if (i < parts.length - 1) await this.letDeltasThrough(performance.now() - t0);
    }
    const opened: ClosedRow[] = new Array(fresh.length);
    for (let i = 0; i < fresh.length; i++) {
      opened[i] = { kind: fresh[i]!.kind, key: fresh[i]!.key, value: fresh[i]!.value };
      if (turns.due()) await turns.yield();
    }
    return changesOf(opened, gone.length > 0 ? [...changed, ...gone] : changed, at);
  }

  /**
   * Between a large snapshot's statements: while other collectors' deltas wait or are being written,
   * Postgres is left to them, for at most as long as the last statement took (the steady stream
   * keeps its pace through a herd of resyncs; with no deltas about, the snapshot does not wait).
   */
  private async letDeltasThrough(maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    while (this.deltas.active && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Ends the current versions whose value differs from the given one, or that a null value deletes. */
  private async closeChanged(client: pg.PoolClient, nodeId: number, at: Date, items: ReadonlyArray<{ kind: string; key: string; value: unknown }>): Promise<ClosedRow[]> {
    const closed = await client.query<ClosedRow>(
      `UPDATE facts f SET valid_to = $3
       FROM json_to_recordset($2::json) AS u(kind text, key text, value json)
       WHERE f.node_id = $1 AND f.valid_to IS NULL AND f.kind = u.kind AND f.key = u.key
         AND (u.value IS NULL OR ${valuesDiffer('f.value', 'u.value')})
       RETURNING f.kind, f.key, f.value`,
      [nodeId, factsDocument(items), at],
    );
    return closed.rows;
  }

  /** Opens a version for each given fact that has no current one. */
  private async open(client: pg.PoolClient, nodeId: number, at: Date, facts: readonly Fact[]): Promise<ClosedRow[]> {
    const opened = await client.query<ClosedRow>(
      `INSERT INTO facts (node_id, kind, key, value, valid_from)
       SELECT $1, u.kind, u.key, u.value, $3
       FROM json_to_recordset($2::json) AS u(kind text, key text, value json)
       WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.node_id = $1 AND f.valid_to IS NULL AND f.kind = u.kind AND f.key = u.key)
       RETURNING kind, key, value`,
      [nodeId, factsDocument(facts), at],
    );
    return opened.rows;
  }

  private async lockNode(client: pg.PoolClient, name: string): Promise<NodeRow | null> {
    const { rows } = await client.query<NodeRow>(
      `SELECT id, name, status, acked_epoch, acked_seq, last_seen FROM nodes WHERE name = $1 FOR NO KEY UPDATE`,
      [name],
    );
    return rows[0] ?? null;
  }

  private async event(
    client: pg.PoolClient,
    nodeId: number,
    type: NodeEvent['type'],
    detail: Record<string, unknown>,
    at?: Date,
  ): Promise<NodeEventRow> {
    const { rows } = await client.query<NodeEventRow>(
      `INSERT INTO node_events (node_id, type, at, detail) VALUES ($1, $2, coalesce($3, now()), $4)
       RETURNING id, type, at, detail`,
      [nodeId, type, at ?? null, JSON.stringify(detail)],
    );
    return rows[0]!;
  }

  private transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, run);
  }
}

/**
 * Facts a snapshot writes per statement: ~0.6 MB of JSON. Encoding a slice and handing it to the
 * socket is one block of the event loop (10k facts: ~30 ms under a herd of resyncs, enough to double
 * the p99 of other collectors' acks); Postgres's cost per statement is small beside it.
 */
const SLICE = 2_500;

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += SLICE) out.push(items.slice(i, i + SLICE));
  return out;
}

/**
 * Facts as one JSON document for json_to_recordset: one parameter that JSON.stringify writes and
 * Postgres parses at native speed, where three text[] parameters cost more to escape and parse than
 * the rows cost to write (120k facts: 6.8 s with arrays, 3.9 s so). Each value's text in it is what
 * JSON.stringify(value) gives, which json keeps as written.
 */
function factsDocument(items: ReadonlyArray<{ kind: string; key: string; value: unknown }>): string {
  // one JSON.stringify is ~30 % faster than a value at a time; encoded facts (a snapshot's parts,
  // part-decoder.ts) have their values' text already, which goes in as it is
  if (!items.some((f) => f instanceof EncodedFact)) return JSON.stringify(items.map((f) => ({ kind: f.kind, key: f.key, value: f.value })));
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const f = items[i]!;
    out += `${i > 0 ? ',' : ''}{"kind":${JSON.stringify(f.kind)},"key":${JSON.stringify(f.key)},"value":${valueJsonOf(f)}}`;
  }
  return out + ']';
}
