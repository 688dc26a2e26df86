// Keeps a Collector current: kernel events (`ip monitor`, `bridge monitor fdb`) trigger a debounced
// re-read of the tables they concern; every reader is also polled on its group's interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Delta } from '@netatlas/wire/core';
import type { Collector } from './collector.js';
import type { PollGroup } from './readers/reader.js';

export interface WatchOptions {
  netns?: string;
  debounceMs: number;
  pollSeconds: Record<PollGroup, number>;
  onDelta: (delta: Delta, trigger: string) => void;
  onLog: (message: string) => void;
}

const LABELS: Record<string, string> = { '[LINK]': 'link', '[ADDR]': 'address', '[ROUTE]': 'route', '[NEIGH]': 'neigh' };

/** `[ROUTE]10.0.0.0/24 dev eth0 …` -> `route`; continuation lines and others -> null. */
export function monitorObject(line: string): string | null {
  const m = /^\[(LINK|ADDR|ROUTE|NEIGH)\]/.exec(line);
  return m ? (LABELS[`[${m[1]}]`] ?? null) : null;
}

export class Watcher {
  private readonly pending = new Set<string>();
  private readonly triggers = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  private readonly monitors = new Map<string, ChildProcess>();
  private stopped = false;

  constructor(
    private readonly collector: Collector,
    private readonly opts: WatchOptions,
  ) {}

  start(): void {
    const kernelReaders = this.collector.readers.filter((r) => r.triggers.length > 0);
    if (kernelReaders.some((r) => r.triggers.some((t) => t !== 'fdb'))) {
      this.startMonitor('ip', ['monitor', 'label', 'link', 'address', 'route', 'neigh'], (line) => monitorObject(line));
    }
    if (kernelReaders.some((r) => r.triggers.includes('fdb'))) {
      this.startMonitor('bridge', ['monitor', 'fdb'], (line) => (line.trim() ? 'fdb' : null));
    }
    const groups = new Set(this.collector.readers.map((r) => r.pollGroup));
    for (const group of groups) {
      const names = this.collector.readers.filter((r) => r.pollGroup === group).map((r) => r.name);
      this.intervals.push(setInterval(() => this.schedule(names, `poll:${group}`, 0), this.opts.pollSeconds[group] * 1000));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.intervals) clearInterval(i);
    if (this.timer) clearTimeout(this.timer);
    for (const m of this.monitors.values()) m.kill();
  }

  private startMonitor(tool: string, args: string[], classify: (line: string) => string | null, attempt = 0): void {
    const argv = this.opts.netns ? ['-n', this.opts.netns, ...args] : args;
    const child = spawn(tool, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitors.set(tool, child);
    let sawOutput = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      sawOutput = true;
      const object = classify(line);
      if (object) this.schedule(this.collector.readersTriggeredBy(object), object, this.opts.debounceMs);
    });
    child.on('error', (err) => this.opts.onLog(`${tool} monitor: ${err.message}`));
    child.on('exit', (code) => {
      if (this.stopped) return;
      // events may have been missed: re-read what this monitor covers, then start it again
      const delay = Math.min(30_000, 1000 * 2 ** (sawOutput ? 0 : attempt));
      this.opts.onLog(`${tool} monitor exited (${code}); restarting in ${delay / 1000} s`);
      const covered = tool === 'bridge' ? ['fdb'] : ['link', 'address', 'route', 'neigh'];
      this.schedule([...new Set(covered.flatMap((o) => this.collector.readersTriggeredBy(o)))], `${tool}-monitor-restart`, 0);
      setTimeout(() => {
        if (!this.stopped) this.startMonitor(tool, args, classify, sawOutput ? 0 : attempt + 1);
      }, delay);
    });
  }

  private schedule(names: readonly string[], trigger: string, delayMs: number): void {
    if (names.length === 0) return;
    for (const n of names) this.pending.add(n);
    this.triggers.add(trigger);
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delayMs);
  }

  private flush(): void {
    this.timer = null;
    const names = [...this.pending];
    const trigger = [...this.triggers].join(',');
    this.pending.clear();
    this.triggers.clear();
    this.collector.refresh(names).then(
      (delta) => {
        if (delta.upserts.length > 0 || delta.deletes.length > 0) this.opts.onDelta(delta, trigger);
      },
      (err: Error) => this.opts.onLog(`refresh failed: ${err.message}`),
    );
  }
}
