// What a streamed response cannot send yet waits here, not in Postgres: the database read goes on
// at its own pace and ends (its transaction committed, its connections back in the pool) whatever
// the client's pace, while what the socket has not taken waits in memory up to a bound, then in a
// temporary file. A slow reader costs itself (its spool, its file) and is cut when it makes no
// progress for `stallMs`: it never holds a database connection or a transaction.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of Express' response the spool writes to. */
export interface SpoolTarget {
  write(chunk: string | Buffer, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: string): void;
  once(event: 'drain' | 'close', listener: () => void): void;
  off(event: 'drain' | 'close', listener: () => void): void;
  destroy(error?: Error): void;
  readonly destroyed: boolean;
}

export interface SpoolOptions {
  /** bytes held in memory before the rest goes to a temporary file (default 8 MB) */
  memoryBytes?: number;
  /** a client that takes nothing for this long is cut (default 60 s) */
  stallMs?: number;
  /** where the temporary files go (default the system's temporary directory) */
  dir?: string;
}

export const SPOOL_DEFAULTS = { memoryBytes: 8 << 20, stallMs: 60_000 };

/** Counters for /metrics and the tests. */
export const spoolStats = { spooledResponses: 0, fileSpools: 0, stalledCut: 0 };

export class ResponseSpool {
  private readonly memory: Array<{ buf: Buffer; release?: () => void }> = [];
  private memoryBytes = 0;
  private file: { dir: string; path: string; out: WriteStream } | null = null;
  /** the socket asked us to wait (its write returned false) and has not drained since */
  private blocked = false;
  private finishing = false;
  private counted = false;
  private readonly limit: number;
  private readonly stallMs: number;
  private readonly dir: string;
  /** the file's write failed (a full disk): the response fails, the API goes on */
  private fileError: Error | null = null;

  constructor(
    private readonly res: SpoolTarget,
    options: SpoolOptions = {},
  ) {
    this.limit = options.memoryBytes ?? SPOOL_DEFAULTS.memoryBytes;
    this.stallMs = options.stallMs ?? SPOOL_DEFAULTS.stallMs;
    this.dir = options.dir ?? tmpdir();
  }

  /**
   * Sends `chunk` now if the socket takes it and nothing waits before it, else keeps it. Never waits
   * on the client; waits only on the local file once the memory bound is passed. `release` is
   * called once the bytes are no longer needed (written to the socket or copied to the file).
   */
  async write(chunk: string | Buffer, release?: () => void): Promise<void> {
    if (this.res.destroyed) throw new Error('the client went away');
    if (!this.blocked && this.memory.length === 0 && this.file === null) {
      this.toSocket(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, release);
      return;
    }
    if (!this.counted) {
      this.counted = true;
      spoolStats.spooledResponses += 1;
    }
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.file === null && this.memoryBytes + buf.length <= this.limit) {
      this.memory.push({ buf, release });
      this.memoryBytes += buf.length;
      return;
    }
    await this.toFile(buf, release);
  }

  /**
   * The read is over: sends what waits, in order, with back-pressure, then `tail`, and ends the
   * response. A client that takes nothing for stallMs is cut.
   */
  async finish(tail: string): Promise<void> {
    this.finishing = true;
    this.res.off('drain', this.pump);
    try {
      while (this.memory.length > 0 || this.blocked) {
        if (this.blocked) await this.drained();
        else this.sendNext();
      }
      if (this.file) {
        const file = this.file;
        await new Promise<void>((resolve, reject) => file.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
        for await (const piece of createReadStream(file.path, { highWaterMark: 1 << 20 })) {
          this.toSocket(piece as Buffer);
          if (this.blocked) await this.drained();
        }
      }
      if (!this.res.destroyed) this.res.end(tail);
    } catch (error) {
      // the file failed, or the client went: what it has is incomplete, and it must not wait for more
      this.res.destroy(error as Error);
      throw error;
    } finally {
      await this.discard();
    }
  }

  /** Drops what waits (the response failed or the client left). */
  async discard(): Promise<void> {
    this.res.off('drain', this.pump);
    for (const { release } of this.memory.splice(0)) release?.();
    this.memoryBytes = 0;
    if (this.file) {
      const { dir, out } = this.file;
      this.file = null;
      out.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }

  private toSocket(buf: Buffer, release?: () => void): void {
    if (this.res.destroyed) throw new Error('the client went away');
    const more = release ? this.res.write(buf, (error) => error || release()) : this.res.write(buf);
    if (!more) {
      this.blocked = true;
      if (!this.finishing) this.res.once('drain', this.pump);
    }
  }

  private sendNext(): void {
    const next = this.memory.shift()!;
    this.memoryBytes -= next.buf.length;
    this.toSocket(next.buf, next.release);
  }

  /** While the read goes on: the socket drained, so what waits in memory goes on to it. */
  private readonly pump = (): void => {
    this.blocked = false;
    while (!this.blocked && this.memory.length > 0 && !this.res.destroyed) this.sendNext();
  };

  /** `release` once the file has the bytes: until its write is done the stream reads `buf` */
  private async toFile(buf: Buffer, release?: () => void): Promise<void> {
    if (this.file === null) {
      const dir = await mkdtemp(join(this.dir, 'netatlas-spool-'));
      const path = join(dir, 'response');
      const out = createWriteStream(path);
      // without a listener a failed write (ENOSPC) would be an uncaught error: the whole API down
      out.on('error', (error) => void (this.fileError ??= error));
      this.file = { dir, path, out };
      spoolStats.fileSpools += 1;
    }
    const out = this.file.out;
    if (this.fileError) throw this.fileError;
    const more = release ? out.write(buf, (error) => error || release()) : out.write(buf);
    if (!more)
      await new Promise<void>((resolve, reject) => {
        const drained = () => {
          out.off('error', failed);
          resolve();
        };
        const failed = (error: Error) => {
          out.off('drain', drained);
          reject(error);
        };
        out.once('drain', drained);
        out.once('error', failed);
      });
  }

  /** The socket's next 'drain' (or 'close'); a client that takes nothing for stallMs is cut. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.res.off('drain', done);
        this.res.off('close', done);
        this.blocked = false;
        if (this.res.destroyed) reject(new Error('the client went away'));
        else resolve();
      };
      const timer = setTimeout(() => {
        this.res.off('drain', done);
        this.res.off('close', done);
        spoolStats.stalledCut += 1;
        const error = new Error(`the client took nothing for ${this.stallMs / 1000} s`);
        this.res.destroy(error);
        reject(error);
      }, this.stallMs);
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }
}
