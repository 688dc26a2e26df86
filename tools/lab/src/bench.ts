// npm run bench:lab -- [--styles kube-router,calico,flannel] [--nodes 20] [--pods 5]
// Builds each style's lab, prints how long `up` (to convergence) and `down` take and the memory
// the lab uses, then tears it down.
import { down, up } from './lab.js';
import { isStyle, STYLES, type Style } from './plan.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const styles = flag('styles', STYLES.join(',')).split(',');
  const nodes = Number(flag('nodes', '20'));
  const pods = Number(flag('pods', '5'));
  const rows: string[] = [];
  for (const style of styles) {
    if (!isStyle(style)) throw new Error(`unknown style '${style}'`);
    const name = 'bench';
    await down(name);
    const log = (m: string) => process.stderr.write(`[${style}] ${m}\n`);
    const r = await up({ name, style: style as Style, nodes, pods, timers: 'lab', routeReflector: false }, log);
    const d = await down(name);
    rows.push(
      [
        style.padEnd(12),
        `${nodes}x${pods}`.padEnd(7),
        `${r.seconds.toFixed(1)} s`.padStart(8),
        `${r.convergeSeconds.toFixed(1)} s`.padStart(10),
        `${d.seconds.toFixed(1)} s`.padStart(8),
        `${r.memory.processes}`.padStart(6),
        `${r.memory.processRssMb} MB`.padStart(10),
        (r.memAvailableDeltaMb >= 0 ? `${r.memAvailableDeltaMb} MB` : 'n/a').padStart(12),
      ].join(' '),
    );
  }
  process.stdout.write(
    `style        size         up  converge     down  procs  proc RSS  MemAvail -\n${rows.join('\n')}\n` +
      `(up includes convergence: every pod route present and every BGP session Established;\n` +
      ` MemAvail - is the drop in the system's MemAvailable while the lab is up, kernel objects included)\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:lab: ${err.message}\n`);
  process.exit(1);
});
