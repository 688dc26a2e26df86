// Buffers for whole-cluster JSON, given back once a response has written them and taken again by
// the next read. The state of 200 nodes is built in ~45 MB of per-node buffers, and allocating
// them anew for each read drove V8's external-memory garbage collections (a quarter of the API's
// CPU per read, apps/api/bench). A free buffer is kept for a while only, and the pool holds a
// bounded number of bytes, so an idle API gives the memory back.

export class BufferPool {
  private free: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly keepMs: number,
  ) {}

  /** A buffer of at least `size` bytes: a free one when there is one that large, else a new one. */
  take(size: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const buf = this.free[i]!;
      if (buf.length < size) continue;
      this.free[i] = this.free[this.free.length - 1]!;
      this.free.pop();
      this.bytes -= buf.length;
      return buf;
    }
    return Buffer.allocUnsafe(size);
  }

  /** `buf` is no longer used by anyone: the next take() may hand it out. */
  give(buf: Buffer): void {
    if (this.bytes + buf.length > this.maxBytes) return;
    this.free.push(buf);
    this.bytes += buf.length;
    // one timer for the pool: idle for keepMs, everything goes
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.free = [];
        this.bytes = 0;
      }, this.keepMs);
      this.timer.unref();
    }
  }

  /** free bytes held (tests) */
  get held(): number {
    return this.bytes;
  }
}
