// Decodes the parts of large snapshots in a worker thread (part-decoder-worker.ts), so that the
// API's thread — where every other collector's ack and /api/health are served — neither parses nor
// validates them. The gateway hands over a part's text before socket.io would parse it; what comes
// back is a SnapshotMessage whose facts are EncodedFacts (their values kept as JSON text).
import { Logger } from '@nestjs/common';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../state/worker-thread.js';
import { decodePartText, type DecodedPart, type PartDecoderReply, type PartDecoderRequest } from './decoded-part.js';

type Utilisation = ReturnType<typeof performance.eventLoopUtilization>;
const IDLE: Utilisation = { idle: 0, active: 0, utilization: 0 };

export class PartDecoder {
  private readonly log = new Logger('ingest');
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { text: string; resolve: (r: DecodedPart | { error: string }) => void }>();
  private closed = false;
  /** parts decoded in the worker, and on this thread (the worker failed) */
  readonly stats = { decoded: 0, decodedHere: 0 };

  /** Decodes a part in the worker; on this thread if the worker fails (it is started again for the next). */
  decode(text: string): Promise<DecodedPart | { error: string }> {
    if (this.closed) return Promise.resolve(this.here(text));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, { text, resolve });
      worker.postMessage({ id, text } satisfies PartDecoderRequest);
    });
  }

  /** The worker's event-loop utilisation since `since` (cumulative without it; zero while there is no worker). */
  utilisation(since?: Utilisation): Utilisation {
    const worker = this.worker as (Worker & { performance?: { eventLoopUtilization(u?: Utilisation): Utilisation } }) | null;
    if (!worker?.performance) return IDLE;
    return since ? worker.performance.eventLoopUtilization(since) : worker.performance.eventLoopUtilization();
  }

  close(): void {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failOver();
    void worker?.terminate();
  }

  private start(): Worker {
    const worker = startWorkerThread(import.meta.url, 'part-decoder-worker');
    worker.unref();
    worker.on('message', (reply: PartDecoderReply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      this.stats.decoded += 1;
      const { id: _, ...outcome } = reply;
      waiting.resolve(outcome);
    });
    const failed = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (!this.closed) this.log.error(`the snapshot part decoder failed (${why}); its parts are decoded on the API's thread, and it is started again for the next`);
      this.failOver();
      void worker.terminate();
    };
    worker.on('error', (error) => failed(error.stack ?? error.message));
    worker.on('exit', (code) => failed(`exit ${code}`));
    this.worker = worker;
    return worker;
  }

  /** what the worker had not answered is decoded here */
  private failOver(): void {
    const left = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of left) w.resolve(this.here(w.text));
  }

  private here(text: string): DecodedPart | { error: string } {
    this.stats.decodedHere += 1;
    return decodePartText(text);
  }
}
