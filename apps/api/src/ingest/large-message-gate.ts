// Large messages take turns before they are read. A connection that starts sending one (over
// LARGE_MESSAGE_BYTES on the wire) reads on only while it holds one of the gate's slots; otherwise its
// TCP socket is paused where it is, and TCP holds the sender back until a slot frees. So a herd of
// 30 MB snapshots is received, decoded and applied one at a time, instead of all being received and
// most refused; the messages of ordinary size never wait here.
export const LARGE_MESSAGE_BYTES = 4 * 1024 * 1024;

export class LargeMessageGate {
  /** connections reading, or having their large message handled */
  private readonly admitted = new Set<string>();
  private waiting: Array<{ id: string; go: () => void }> = [];

  constructor(private readonly slots = 1) {}

  /** Connection `id` has a large message under way: true if it may read on now; else `go` is called when it may. */
  enter(id: string, go: () => void): boolean {
    if (this.admitted.has(id)) return true;
    if (this.admitted.size < this.slots && this.waiting.length === 0) {
      this.admitted.add(id);
      return true;
    }
    if (!this.waiting.some((w) => w.id === id)) this.waiting.push({ id, go });
    return false;
  }

  /** Its large message was answered, or the connection went: the next in line reads on. */
  leave(id: string): void {
    this.admitted.delete(id);
    this.waiting = this.waiting.filter((w) => w.id !== id);
    while (this.admitted.size < this.slots && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.admitted.add(next.id);
      next.go();
    }
  }

  /** connections waiting for a slot */
  get queued(): number {
    return this.waiting.length;
  }
}
