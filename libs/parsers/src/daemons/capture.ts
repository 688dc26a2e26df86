// Which parser reads which recorded daemon output: shared by the fixture tests and the script that
// captures the fixtures (tools/fixtures/capture-daemons.ts), so both read a capture the same way.
import type { Fact } from '@netatlas/wire/core';
import { parseBirdProtocols } from './bird.js';
import { parseFrrBgpSummary } from './frr.js';
import { parseGobgpNeighbors } from './gobgp.js';
import { parseIpsetSave } from './ipset.js';
import { parseIpvsadm, parseProcIpVs } from './ipvs.js';

export type CaptureParser = 'bird' | 'gobgp' | 'frr' | 'ipset' | 'ipvsadm' | 'proc-ip-vs';

/** Parse one capture; `capturedAt` anchors BIRD's time-of-day stamps. */
export function parseCapture(parser: CaptureParser, text: string, capturedAt: string): Fact[] {
  switch (parser) {
    case 'bird':
      return parseBirdProtocols(text, new Date(capturedAt));
    case 'gobgp':
      return parseGobgpNeighbors(text);
    case 'frr':
      return parseFrrBgpSummary(text);
    case 'ipset':
      return parseIpsetSave(text);
    case 'ipvsadm':
      return parseIpvsadm(text);
    case 'proc-ip-vs':
      return parseProcIpVs(text, { hz: 250 });
  }
}
