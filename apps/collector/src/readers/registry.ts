// Every reader, in the order their facts are reported.
import { addrsReader } from './addrs.reader.js';
import { birdReader } from './bird.reader.js';
import { cniReader } from './cni.reader.js';
import { fdbReader } from './fdb.reader.js';
import { frrReader } from './frr.reader.js';
import { gobgpReader } from './gobgp.reader.js';
import { ipsetsReader } from './ipsets.reader.js';
import { ipvsReader } from './ipvs.reader.js';
import { linksReader } from './links.reader.js';
import { neighborsReader } from './neighbors.reader.js';
import type { Reader } from './reader.js';
import { routesReader } from './routes.reader.js';
import { rulesReader } from './rules.reader.js';
import { sysctlsReader } from './sysctls.reader.js';

export const ALL_READERS: readonly Reader[] = [
  linksReader,
  addrsReader,
  routesReader,
  rulesReader,
  neighborsReader,
  sysctlsReader,
  fdbReader,
  ipsetsReader,
  birdReader,
  gobgpReader,
  frrReader,
  ipvsReader,
  cniReader,
];

export function selectReaders(names: readonly string[] | undefined): Reader[] {
  if (!names) return [...ALL_READERS];
  const unknown = names.filter((n) => !ALL_READERS.some((r) => r.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown reader ${unknown.join(', ')} (readers: ${ALL_READERS.map((r) => r.name).join(', ')})`);
  }
  return ALL_READERS.filter((r) => names.includes(r.name));
}
