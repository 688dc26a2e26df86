export { parseBirdProtocols } from './bird.js';
export { parseGobgpNeighbors } from './gobgp.js';
export { parseFrrBgpSummary } from './frr.js';
export { parseIpsetSave } from './ipset.js';
export { parseIpvsadm, parseProcIpVs } from './ipvs.js';
