// Whether something listens on a TCP port in the node's namespace, from /proc/net/tcp{,6}
// (per namespace): a cheap look before asking a daemon's client, which waits its full
// time-out when nothing answers.
import type { Runner } from '../runner.js';

export function listensOn(procNetTcp: string, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // local_address is ADDR:PORT in hex; state 0A is LISTEN
    if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A') return true;
  }
  return false;
}

export async function somethingListens(runner: Runner, port: number, timeoutMs: number): Promise<boolean> {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      if (listensOn(await runner.readFile(file, timeoutMs), port)) return true;
    } catch {
      /* no IPv6, say */
    }
  }
  return false;
}
