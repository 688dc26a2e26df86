// The live topology, derived in a worker thread (topology-worker.ts) from a copy of the current
// facts that the worker keeps: the API's thread only forwards changes and asks for a patch.
import type { PodName } from '@netatlas/graph';
import type { FactChange, FactKind, TopologyPatch } from '@netatlas/wire';
import type { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './topology-worker.js';
import { ChangePoster, startWorkerThread } from './worker-thread.js';

export class TopologyTracker {
  private readonly worker: Worker;
  private deriving = false;
  private again = false;
  private closed = false;
  /** no derivation starts before this (ms since epoch) */
  private notBefore = 0;
  private timer: NodeJS.Timeout | null = null;
  /** how long the last derivation took in the worker */
  lastMs = 0;
  private readonly poster = new ChangePoster<FactChange>((changes) => this.post({ type: 'changes', changes }));

  /** The worker reads the current facts of `kinds` from the database at `url` itself. */
  constructor(
    url: string,
    kinds: readonly FactKind[],
    private readonly onPatch: (patch: TopologyPatch) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.worker = startWorkerThread(import.meta.url, 'topology-worker');
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'failed') {
        if (!this.closed) this.onError(new Error(`cannot load the current topology: ${message.error}`));
        return;
      }
      // what changed while the worker read the state goes out at once
      if (message.type === 'loaded') this.derive();
      if (message.type !== 'patch') return;
      this.lastMs = message.ms;
      this.deriving = false;
      // the worker shares 2 cores with ingest and Postgres: idle 4x as long as a derivation took
      this.notBefore = Date.now() + 4 * message.ms;
      if (message.patch) this.onPatch(message.patch);
      if (this.again) {
        this.again = false;
        this.derive();
      }
    });
    this.worker.on('error', (error) => {
      if (!this.closed) this.onError(error);
    });
    this.post({ type: 'load', url, kinds: [...kinds] });
  }

  /** Kubernetes pods by IP; the next derivation labels pods with their names. */
  pods(pods: Array<[string, PodName]>): void {
    this.post({ type: 'pods', pods });
  }

  changes(changes: FactChange[]): void {
    this.poster.add(changes);
  }

  /** Asks for a patch; while one is being derived, one more follows it (never a queue). */
  derive(): void {
    if (this.deriving || this.timer) {
      this.again ||= this.deriving;
      return;
    }
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.derive();
      }, wait);
      this.timer.unref();
      return;
    }
    this.deriving = true;
    this.post({ type: 'derive' });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    void this.worker.terminate();
  }

  private post(message: ToWorker): void {
    // anything but changes goes after the changes queued before it, in order
    const send = () => {
      if (!this.closed) this.worker.postMessage(message);
    };
    if (message.type !== 'changes') this.poster.after(send);
    else send();
  }
}
