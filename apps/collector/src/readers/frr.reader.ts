import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ParseError, parseFrrBgpSummary, parseFrrOrigins, splitJsonDocuments } from '@netatlas/parsers';
import { CommandFailedError } from '../runner.js';
import { daemonAbsent, daemonAnswered, requireTool, toolSaid, type DaemonSource } from './daemon-source.js';
import type { Reader } from './reader.js';

/** Where FRR's daemons put their vty sockets unless told otherwise (`--vty_socket`, `-N`). */
export const FRR_VTY_DIR = '/var/run/frr';

/** vtysh's words when bgpd is not behind its socket (stale after a kill, or gone meanwhile). */
const NOT_ANSWERING = /failed to connect to any daemons|bgpd is not running|Connection refused/i;

const COMMANDS = ['show bgp summary json', 'show bgp all json'];

/**
 * One poll, one vtysh: the sessions (`show bgp summary json`) and the paths bgpd sources itself
 * (`show bgp all json`), printed back to back. vtysh builds its whole command tree at start (~25 ms
 * of CPU a run here), so both questions share one run.
 * `defaultDir`: where to look when no directory is configured.
 */
export function createFrrReader(defaultDir: string = FRR_VTY_DIR): Reader {
  return {
    name: 'frr',
    kinds: ['bgpSession', 'bgpOrigin'],
    pollGroup: 'bgp',
    triggers: [],
    async read(ctx) {
      const { runner, timeoutMs, options } = ctx;
      const dir = options.frrVtySocket ?? defaultDir;
      const src: DaemonSource = { daemon: 'FRR', what: `FRR vty socket directory ${dir}`, configured: options.frrVtySocket !== undefined };
      requireTool(runner, 'vtysh', src);
      if (!existsSync(join(dir, 'bgpd.vty'))) return daemonAbsent(ctx, src, existsSync(dir) ? 'no bgpd.vty in it' : 'no such directory');
      // bgpd alone (-d): vtysh need not reach zebra and the others to ask BGP questions
      const base = [...(dir === FRR_VTY_DIR ? [] : ['--vty_socket', dir]), '-d', 'bgpd'];
      let out: string;
      try {
        out = await runner.run('vtysh', [...base, ...COMMANDS.flatMap((c) => ['-c', c])], timeoutMs);
      } catch (err) {
        if (err instanceof CommandFailedError && NOT_ANSWERING.test(err.result.stderr + err.result.stdout)) {
          return daemonAbsent(ctx, src, toolSaid(err));
        }
        throw err;
      }
      daemonAnswered(ctx, dir);
      const docs = splitJsonDocuments(`vtysh -c '${COMMANDS.join("' -c '")}'`, out);
      const [summary, routes] = docs;
      if (docs.length !== 2 || summary === undefined || routes === undefined) {
        throw new ParseError('vtysh', `expected the answers of ${COMMANDS.length} commands, got ${docs.length} JSON documents`);
      }
      return [...parseFrrBgpSummary(summary), ...parseFrrOrigins(routes)];
    },
  };
}

export const frrReader = createFrrReader();
