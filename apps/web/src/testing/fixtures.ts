// Real data for specs: API responses captured from a lab (fixtures/wdev-kube-router.json),
// imported as a JSON module so this stays free of Node built-ins like the rest of the app. (The
// facts libs/graph captured from labs of each style are read by the specs themselves: see
// graph-fixtures in the specs.)
import type { FactChange, NodeEvent } from '@netatlas/wire/core';
import type { DiffResponse, StateResponse } from '../api/rest-client.js';
import capture from './fixtures/wdev-kube-router.json' with { type: 'json' };

export interface LabCapture {
  capturedWith: string;
  events: { from: string; to: string; events: NodeEvent[] };
  routeChanges: { from: string; to: string; changes: FactChange[]; next: string | null };
  diffAroundRemoval: DiffResponse;
  bgpBefore: StateResponse;
  bgpAfterStopBgpNode2: StateResponse;
}

/** A fresh copy each time: specs may edit it. */
export const labCapture = (): LabCapture => structuredClone(capture as unknown as LabCapture);
