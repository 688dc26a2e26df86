import { existsSync } from 'node:fs';
import {
  BIRD_STATICS_COMMAND,
  birdExportCommand,
  birdOriginsNeedStatics,
  parseBirdOrigins,
  parseBirdProtocols,
  planBirdOrigins,
} from '@netatlas/parsers';
import type { FactOf } from '@netatlas/wire/core';
import { CommandFailedError } from '../runner.js';
import { daemonAbsent, daemonAnswered, requireTool, toolSaid, type DaemonSource } from './daemon-source.js';
import type { Reader } from './reader.js';

/** Calico's BIRD puts its socket here; a stand-alone BIRD uses the second. */
export const BIRD_SOCKETS = ['/var/run/calico/bird.ctl', '/run/bird/bird.ctl'];

/** birdc's words for a socket with no BIRD behind it (stale after a kill, or removed meanwhile). */
const NOT_ANSWERING = /Unable to connect to server control socket|Connection refused|No such file or directory/i;

/**
 * One poll: the sessions (`show protocols all`) and what BIRD originates (the exports of its
 * BGP protocols less what it learned over BGP; see libs/parsers/src/daemons/bird-origins.ts).
 * `sockets`: where to look when no socket is configured.
 */
export function createBirdReader(sockets: readonly string[] = BIRD_SOCKETS): Reader {
  return {
    name: 'bird',
    kinds: ['bgpSession', 'bgpOrigin'],
    pollGroup: 'bgp',
    triggers: [],
    async read(ctx) {
      const { runner, timeoutMs, now, options } = ctx;
      const candidates = options.birdSocket ? [options.birdSocket] : sockets;
      const src: DaemonSource = { daemon: 'BIRD', what: `BIRD control socket ${candidates.join(' or ')}`, configured: options.birdSocket !== undefined };
      requireTool(runner, 'birdc', src);
      const socket = candidates.find((s) => existsSync(s));
      if (!socket) return daemonAbsent(ctx, src, 'no such file');
      const birdc = async (args: string[]) => {
        try {
          return await runner.run('birdc', ['-s', socket, ...args], timeoutMs);
        } catch (err) {
          if (err instanceof CommandFailedError && NOT_ANSWERING.test(err.result.stderr + err.result.stdout)) {
            return daemonAbsent(ctx, { ...src, what: `BIRD control socket ${socket}` }, toolSaid(err));
          }
          throw err;
        }
      };
      const protocols = await birdc(['show', 'protocols', 'all']);
      daemonAnswered(ctx, socket);
      const sessions = parseBirdProtocols(protocols, now());
      return [...sessions, ...(await birdOrigins(birdc, protocols))];
    },
  };
}

export const birdReader = createBirdReader();

async function birdOrigins(birdc: (args: string[]) => Promise<string>, protocols: string): Promise<FactOf<'bgpOrigin'>[]> {
  // usually one protocol: sessions made from one template share their export filter
  const asked = planBirdOrigins(protocols);
  const answers = await Promise.all(asked.map((p) => birdc(birdExportCommand(p))));
  const exports = Object.fromEntries(asked.map((p, i) => [p, answers[i] ?? '']));
  const statics = birdOriginsNeedStatics({ protocols, exports }) ? await birdc(BIRD_STATICS_COMMAND) : undefined;
  return parseBirdOrigins({ protocols, exports, ...(statics === undefined ? {} : { statics }) });
}
