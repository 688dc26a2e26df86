// Lab support for other projects' tests (`@netatlas/lab-testing`): drive the lab through its CLI
// and read ground truth straight from the kernel and the daemons.
export * from './ground-truth.js';
export * from './lab-cli.js';
export type { LabStatus, NodeStatus as LabNodeStatus } from '../lab.js';
export { SHAPES, shapeNamed, type Shape } from '../shapes.js';
