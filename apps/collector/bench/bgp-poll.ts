// npm run bench:collector -- --bgp [--runs N]
// What one BGP poll costs: builds a calico lab mixing the three daemons (`--daemons bird,gobgp,frr`,
// lab `benchbgp`), then polls each node's daemon reader N times through the real tools (`ip netns
// exec`, as the lab's collectors run) and prints, per poll, the wall time and the CPU of the
// collector itself, of the tools it ran (its reaped children) and of the daemon answering. Takes
// the lab down.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Collector } from '../src/collector.js';
import type { ReaderOptions } from '../src/readers/reader.js';
import { selectReaders } from '../src/readers/registry.js';
import { SystemRunner } from '../src/runner.js';

const LAB = 'benchbgp';
const TICK_MS = 10; // USER_HZ 100

interface LabNode {
  name: string;
  namespace: string;
  daemon: 'bird' | 'gobgp' | 'frr';
  collectorArgs: string[];
}

function lab(args: string[]): string {
  return execFileSync('npm', ['run', '--silent', 'lab', '--', ...args, '--name', LAB], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** utime, stime, cutime, cstime of a process, in ms. */
function cpuOf(pid: number | 'self'): number[] {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return [11, 12, 13, 14].map((i) => Number(fields[i]) * TICK_MS);
}

function daemonCpu(ns: string): number {
  let ms = 0;
  for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    try {
      const [u = 0, s = 0] = cpuOf(Number(pid));
      ms += u + s;
    } catch {
      /* gone */
    }
  }
  return ms;
}

function optionsOf(args: string[]): ReaderOptions {
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  return { birdSocket: value('--bird-socket'), gobgpApi: value('--gobgp-api'), frrVtySocket: value('--frr-vty-socket') };
}

export async function benchBgpPoll(runs: number): Promise<void> {
  lab(['down']);
  try {
    const up = lab(['up', '--style', 'calico', '--daemons', 'bird,gobgp,frr', '--nodes', '3', '--pods', '1']);
    const converged = /converged ([\d.]+) s/.exec(up)?.[1] ?? '?';
    const nodes = (JSON.parse(lab(['status', '--json'])) as { nodes: LabNode[] }).nodes;
    const out = [`BGP poll, ${runs} polls of each node's own daemon (lab ${LAB} converged ${converged} s after its nodes were built)`];
    for (const n of nodes) {
      const c = new Collector({
        nodeName: n.name,
        runner: new SystemRunner(n.namespace),
        readers: selectReaders([n.daemon]),
        options: optionsOf(n.collectorArgs),
        timeoutMs: 5000,
      });
      await c.start();
      const status = c.readerStatuses()[n.daemon]?.status;
      if (status !== 'ok') throw new Error(`${n.name}: reader ${n.daemon} is ${status}`);
      const self0 = cpuOf('self');
      const daemon0 = daemonCpu(n.namespace);
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await c.refresh([n.daemon]);
      const wall = (performance.now() - t0) / runs;
      const self1 = cpuOf('self');
      const [collector, tools] = [(self1[0]! + self1[1]! - self0[0]! - self0[1]!) / runs, (self1[2]! + self1[3]! - self0[2]! - self0[3]!) / runs];
      const daemon = (daemonCpu(n.namespace) - daemon0) / runs;
      out.push(
        `  ${n.daemon.padEnd(6)} wall ${wall.toFixed(1)} ms; CPU ${(collector + tools + daemon).toFixed(1)} ms = collector ${collector.toFixed(1)} + tools ${tools.toFixed(1)} + daemon ${daemon.toFixed(1)}` +
          ` (${(((collector + tools + daemon) / 1000) * 100).toFixed(1)}% of a core at --poll-bgp 1)`,
      );
    }
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    lab(['down']);
  }
}
