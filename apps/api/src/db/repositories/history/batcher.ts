// Gathers work items that arrive while earlier ones are being written and hands them over as one
// batch (group commit): 200 collectors' deltas then cost one transaction of a few statements
// instead of 200 transactions of six, which on this 2-core machine was most of the API's and
// Postgres's time (apps/api/bench, `npm run bench:api`). A batch holds at most one item per key, so
// the items of one node stay in order, and no key is in two batches at once; at most `concurrency`
// batches are written at once.

export interface BatcherOptions {
  /** batches written at once (default 2) */
  concurrency?: number;
  /** items per batch at most (default 256) */
  maxItems?: number;
}

/** A result that rejects one item of a batch and not the others. */
export class BatchItemError {
  constructor(readonly error: unknown) {}
}

interface Entry<I, R> {
  key: string;
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Entry<I, R>[] = [];
  private running = 0;
  /** keys of the batches being written */
  private readonly busy = new Set<string>();
  private readonly concurrency: number;
  private readonly maxItems: number;

  /** `write` returns one result per item, in the items' order (a BatchItemError rejects that item). */
  constructor(
    private readonly write: (items: I[]) => Promise<Array<R | BatchItemError>>,
    options: BatcherOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.maxItems = Math.max(1, options.maxItems ?? 256);
  }

  /** Resolves with the item's result once its batch is written; rejects when the batch fails. */
  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ key, item, resolve, reject });
      this.kick();
    });
  }

  /** items waiting for a batch */
  get waiting(): number {
    return this.queue.length;
  }

  /** whether anything waits or is being written */
  get active(): boolean {
    return this.queue.length > 0 || this.running > 0;
  }

  private kick(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch: Entry<I, R>[] = [];
      const keys = new Set<string>();
      const rest: Entry<I, R>[] = [];
      for (const e of this.queue) {
        if (batch.length < this.maxItems && !keys.has(e.key) && !this.busy.has(e.key)) {
          keys.add(e.key);
          batch.push(e);
        } else rest.push(e);
      }
      this.queue = rest;
      if (batch.length === 0) return; // every waiting key is being written
      for (const k of keys) this.busy.add(k);
      this.running += 1;
      void this.run(batch);
    }
  }

  private async run(batch: Entry<I, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((e) => e.item));
      if (results.length !== batch.length) throw new Error(`batch writer returned ${results.length} results for ${batch.length} items`);
      batch.forEach((e, i) => {
        const r = results[i]!;
        if (r instanceof BatchItemError) e.reject(r.error);
        else e.resolve(r);
      });
    } catch (error) {
      for (const e of batch) e.reject(error);
    } finally {
      for (const e of batch) this.busy.delete(e.key);
      this.running -= 1;
      this.kick();
    }
  }
}
