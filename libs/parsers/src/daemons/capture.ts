// Which parser reads which recorded daemon output: shared by the fixture tests and the script that
// captures the fixtures (tools/fixtures/capture-daemons.ts), so both read a capture the same way.
import type { Fact } from '@netatlas/wire/core';
import { parseBirdProtocols } from './bird.js';
import { parseBirdOrigins, type BirdOriginOutputs } from './bird-origins.js';
import { parseFrrBgpSummary } from './frr.js';
import { parseFrrOrigins } from './frr-origins.js';
import { parseGobgpNeighbors } from './gobgp.js';
import { parseGobgpOrigins } from './gobgp-origins.js';
import { parseIpsetSave } from './ipset.js';
import { parseIpvsadm, parseProcIpVs } from './ipvs.js';

export type CaptureParser = 'bird' | 'bird-origins' | 'gobgp' | 'gobgp-origins' | 'frr' | 'frr-origins' | 'ipset' | 'ipvsadm' | 'proc-ip-vs';

/**
 * A `bird-origins` capture: every birdc answer one read of BIRD's origins needs (the protocol list,
 * the export of each protocol the plan asks, the static routes when needed), each byte for byte.
 */
export interface BirdOriginsCapture {
  /** the birdc commands, in the order they ran */
  commands: string[];
  outputs: BirdOriginOutputs;
}

/** Parse one capture; `capturedAt` anchors BIRD's time-of-day stamps. */
export function parseCapture(parser: CaptureParser, text: string, capturedAt: string): Fact[] {
  switch (parser) {
    case 'bird':
      return parseBirdProtocols(text, new Date(capturedAt));
    case 'bird-origins':
      return parseBirdOrigins((JSON.parse(text) as BirdOriginsCapture).outputs);
    case 'gobgp':
      return parseGobgpNeighbors(text);
    case 'gobgp-origins':
      return parseGobgpOrigins(text);
    case 'frr':
      return parseFrrBgpSummary(text);
    case 'frr-origins':
      return parseFrrOrigins(text);
    case 'ipset':
      return parseIpsetSave(text);
    case 'ipvsadm':
      return parseIpvsadm(text);
    case 'proc-ip-vs':
      return parseProcIpVs(text, { hz: 250 });
  }
}
