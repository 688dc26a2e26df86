// How busy the machine was apart from the bench: the CPU time of every process minus that of the
// bench and its descendants (Chromium's processes), from /proc. Browser frame rates on a machine
// that is running something else are pessimistic; the bench says so. Linux only (else: null).
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

interface Sample {
  /** busy CPU seconds of the whole machine */
  busy: number;
  /** CPU seconds of this process and its descendants */
  ours: number;
  at: number;
}

function sample(): Sample | null {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const parent = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // from the state field: ppid is 1, utime 11, stime 12, cutime 13, cstime 14
        parent.set(Number(name), Number(f[1]));
        cpu.set(Number(name), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK);
      } catch {
        // ended meanwhile
      }
    }
    const mine = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true;
      return false;
    };
    let ours = 0;
    for (const [pid, s] of cpu) if (mine(pid)) ours += s;
    return { busy: (total - idle) / CLK_TCK, ours, at: performance.now() };
  } catch {
    return null;
  }
}

/** Starts counting; `stop()` gives the share of the machine (0..1 of all cores) others used meanwhile. */
export function otherLoad(cores: number): { stop(): number | null } {
  const start = sample();
  return {
    stop() {
      const end = sample();
      if (!start || !end) return null;
      const wall = (end.at - start.at) / 1000;
      if (wall <= 0) return null;
      // processes of ours that ended meanwhile are counted by their parent's cutime/cstime
      const others = end.busy - start.busy - (end.ours - start.ours);
      return Math.max(0, Math.min(1, others / (wall * cores)));
    },
  };
}
