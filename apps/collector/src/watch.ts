// Keeps a Collector current: kernel events (`ip monitor`, `bridge monitor fdb`) trigger a debounced
// re-read of the tables they concern; every reader is also polled on its group's interval. Rules and
// the forwarding sysctls have events too (`rule`, `netconf`), so they are read like the tables.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseMonitorEvent, type MonitorEvent } from '@netatlas/parsers';
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

const LABELS: Record<string, string> = {
  '[LINK]': 'link', '[ADDR]': 'address', '[ROUTE]': 'route', '[RULE]': 'rule', '[NETCONF]': 'netconf', '[NEIGH]': 'neigh',
};

/** The objects of the one `ip monitor` that is not per family (neighbors are: see start()). */
const IP_MONITOR_OBJECTS = ['link', 'address', 'route', 'rule', 'netconf'];

/** `[ROUTE]10.0.0.0/24 dev eth0 …` -> `route`; continuation lines and others -> null. */
export function monitorObject(line: string): string | null {
  const m = /^\[(LINK|ADDR|ROUTE|RULE|NETCONF|NEIGH)\]/.exec(line);
  return m ? (LABELS[`[${m[1]}]`] ?? null) : null;
}

/** How long to wait for a monitor to join its netlink groups before going on without knowing. */
const SUBSCRIBE_TIMEOUT_MS = 3000;

/**
 * A source this node does not have (`missing`: no such daemon, no such tool) is looked for again
 * at most this often rather than on every poll of its group: on a BIRD node the GoBGP and FRR
 * probes would otherwise run every second for nothing. A daemon that starts is found within it.
 */
export const MISSING_RECHECK_MS = 10_000;

/**
 * True once process `pid` holds a NETLINK_ROUTE socket bound to at least one multicast group: from
 * then on the kernel queues every event for it. `/proc/<pid>/net/netlink` lists the sockets of the
 * process's own network namespace, where `ip -n NS monitor` has switched before opening its socket;
 * the first socket a process autobinds gets its pid as port id.
 */
export function netlinkSubscribed(procNetNetlink: string, pid: number): boolean {
  for (const line of procNetNetlink.split('\n').slice(1)) {
    const [, eth, portId, groups] = line.trim().split(/\s+/);
    if (eth === '0' && portId === String(pid) && groups !== undefined && /[1-9a-f]/i.test(groups)) return true;
  }
  return false;
}

export class Watcher {
  private readonly pending = new Set<string>();
  /** route and neighbor events (labelled line + continuation lines) waiting for the next flush */
  private events: string[][] = [];
  private readonly triggers = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  private readonly monitors = new Set<ChildProcess>();
  /** when each reader was last polled (missing ones are polled at most every MISSING_RECHECK_MS) */
  private readonly polledAt = new Map<string, number>();
  private stopped = false;
  /** deltas before start() resolves are folded into the snapshot the caller takes afterwards */
  private started = false;

  constructor(
    private readonly collector: Collector,
    private readonly opts: WatchOptions,
  ) {}

  /**
   * Starts the monitors and the polls, waits until the monitors are subscribed, then re-reads the
   * kernel tables once, so that nothing changed between the caller's first read and the
   * subscriptions goes unseen. Take the snapshot after this resolves: deltas before it are not
   * reported, since the snapshot holds them.
   */
  async start(): Promise<void> {
    const kernelReaders = this.collector.readers.filter((r) => r.triggers.length > 0);
    const subscribed: Promise<boolean>[] = [];
    if (kernelReaders.some((r) => r.triggers.some((t) => t !== 'fdb'))) {
      subscribed.push(this.startMonitor('ip', ['monitor', 'label', ...IP_MONITOR_OBJECTS], this.ipLineHandler()));
      // neighbors per family: without -4/-6, `ip monitor neigh` also prints bridge fdb entries,
      // and a vxlan fdb entry with a remote reads exactly like a neighbor
      subscribed.push(this.startMonitor('ip', ['-4', 'monitor', 'label', 'neigh'], this.ipLineHandler()));
      subscribed.push(this.startMonitor('ip', ['-6', 'monitor', 'label', 'neigh'], this.ipLineHandler()));
    }
    if (kernelReaders.some((r) => r.triggers.includes('fdb'))) {
      subscribed.push(
        this.startMonitor('bridge', ['monitor', 'fdb'], (line) => {
          if (line.trim()) this.schedule(this.collector.readersTriggeredBy('fdb'), 'fdb', this.opts.debounceMs);
        }),
      );
    }
    const groups = new Set(this.collector.readers.map((r) => r.pollGroup));
    for (const group of groups) {
      const names = this.collector.readers.filter((r) => r.pollGroup === group).map((r) => r.name);
      this.intervals.push(setInterval(() => this.schedule(this.duePolls(names), `poll:${group}`, 0), this.opts.pollSeconds[group] * 1000));
    }
    await Promise.all(subscribed);
    if (kernelReaders.length > 0) await this.collector.refresh(kernelReaders.map((r) => r.name)).catch(() => undefined);
    this.started = true;
  }

  /** The readers of a poll that are due: all but the missing ones polled less than MISSING_RECHECK_MS ago. */
  duePolls(names: readonly string[], now = Date.now()): string[] {
    const statuses = this.collector.readerStatuses();
    const due = names.filter((n) => statuses[n]?.status !== 'missing' || now - (this.polledAt.get(n) ?? 0) >= MISSING_RECHECK_MS);
    for (const n of due) this.polledAt.set(n, now);
    return due;
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.intervals) clearInterval(i);
    if (this.timer) clearTimeout(this.timer);
    for (const m of this.monitors) m.kill();
  }

  /**
   * Route and neighbor events are kept to be applied as facts; link and address events trigger
   * re-reads. Each monitor stream gets its own handler, so continuation lines stay with their event.
   */
  private ipLineHandler(): (line: string) => void {
    let current: string[] | null = null;
    return (line) => {
      const object = monitorObject(line);
      if (object === null) {
        // a continuation line (multipath nexthops, link details) belongs to the event before it
        if (/^\s/.test(line) && current) current.push(line);
        return;
      }
      if (object === 'route' || object === 'neigh') {
        current = [line];
        this.events.push(current);
        this.schedule([], object, this.opts.debounceMs);
      } else {
        current = null;
        this.schedule(this.collector.readersTriggeredBy(object), object, this.opts.debounceMs);
      }
    };
  }

  /** Resolves true once the monitor is subscribed, false if it could not be told or it died. */
  private startMonitor(tool: string, args: string[], onLine: (line: string) => void, attempt = 0): Promise<boolean> {
    const argv = this.opts.netns ? ['-n', this.opts.netns, ...args] : args;
    const child = spawn(tool, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitors.add(child);
    let sawOutput = false;
    let exited = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      sawOutput = true;
      onLine(line);
    });
    child.on('error', (err) => this.opts.onLog(`${tool} monitor: ${err.message}`));
    child.on('exit', (code) => {
      exited = true;
      this.monitors.delete(child);
      if (this.stopped) return;
      // events may have been missed: start it again, then re-read what this monitor covers
      const delay = Math.min(30_000, 1000 * 2 ** (sawOutput ? 0 : attempt));
      this.opts.onLog(`${tool} ${args.join(' ')} exited (${code}); restarting in ${delay / 1000} s`);
      const covered = tool === 'bridge' ? ['fdb'] : args.includes('neigh') ? ['neigh'] : IP_MONITOR_OBJECTS;
      const readers = [...new Set(covered.flatMap((o) => this.collector.readersTriggeredBy(o)))];
      this.schedule(readers, `${tool}-monitor-restart`, 0);
      setTimeout(() => {
        if (this.stopped) return;
        void this.startMonitor(tool, args, onLine, sawOutput ? 0 : attempt + 1).then((ok) => {
          if (ok) this.schedule(readers, `${tool}-monitor-restart`, 0);
        });
      }, delay);
    });
    return this.whenSubscribed(child, `${tool} ${args.join(' ')}`, () => exited);
  }

  private async whenSubscribed(child: ChildProcess, what: string, exited: () => boolean): Promise<boolean> {
    const deadline = Date.now() + SUBSCRIBE_TIMEOUT_MS;
    while (!exited() && !this.stopped && child.pid !== undefined) {
      const table = await readFile(`/proc/${child.pid}/net/netlink`, 'utf8').catch(() => '');
      if (netlinkSubscribed(table, child.pid)) return true;
      if (Date.now() > deadline) {
        this.opts.onLog(`${what}: not seen subscribing within ${SUBSCRIBE_TIMEOUT_MS} ms; going on`);
        return false;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  private schedule(names: readonly string[], trigger: string, delayMs: number): void {
    if (names.length === 0 && this.events.length === 0) return;
    for (const n of names) this.pending.add(n);
    this.triggers.add(trigger);
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delayMs);
  }

  private flush(): void {
    this.timer = null;
    const names = new Set(this.pending);
    const trigger = [...this.triggers].join(',');
    const raw = this.events;
    this.events = [];
    this.pending.clear();
    this.triggers.clear();
    const events: MonitorEvent[] = [];
    for (const lines of raw) {
      const ev = parseMonitorEvent(lines);
      if (ev) events.push(ev);
      // an event the parser cannot turn into an exact fact: re-read its table instead
      else for (const n of this.collector.readersTriggeredBy(monitorObject(lines[0] ?? '') ?? '')) names.add(n);
    }
    this.collector.refresh([...names], events).then(
      (delta) => {
        if (this.started && delta.upserts.length > 0 || delta.deletes.length > 0) this.opts.onDelta(delta, trigger);
      },
      (err: Error) => this.opts.onLog(`refresh failed: ${err.message}`),
    );
  }
}
