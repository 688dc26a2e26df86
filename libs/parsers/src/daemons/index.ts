export { parseBirdProtocols } from './bird.js';
export {
  BIRD_STATICS_COMMAND,
  birdExportCommand,
  birdOriginsNeedStatics,
  parseBirdOrigins,
  planBirdOrigins,
  type BirdOriginOutputs,
} from './bird-origins.js';
export { parseGobgpNeighbors } from './gobgp.js';
export { parseGobgpOrigins } from './gobgp-origins.js';
export { parseFrrBgpSummary } from './frr.js';
export { parseFrrOrigins } from './frr-origins.js';
export { parseIpsetSave } from './ipset.js';
export { parseIpvsadm, parseProcIpVs } from './ipvs.js';
export { splitJsonDocuments } from './util.js';
