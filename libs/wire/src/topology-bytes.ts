// The live topology patch on the wire: its JSON in UTF-8, a socket.io binary attachment. The API's
// state worker makes the bytes once and every browser gets them as they are: a patch of a big
// cluster (the first is the whole topology: ~40 MB of JSON at 1000 nodes) never costs the API's
// event loop a structured clone or a JSON.stringify per browser.
import type { TopologyPatch } from './topology.js';

/** Uint8Array (a Node Buffer) where it is sent; an ArrayBuffer in a browser, a Buffer in Node where it is received. */
export type TopologyPatchBytes = Uint8Array | ArrayBuffer;

// (the library is built without DOM or Node types: both have these two, globally)
const codecs = globalThis as unknown as {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new () => { decode(bytes: TopologyPatchBytes): string };
};

export function encodeTopologyPatch(patch: TopologyPatch): Uint8Array {
  return new codecs.TextEncoder().encode(JSON.stringify(patch));
}

export function decodeTopologyPatch(bytes: TopologyPatchBytes): TopologyPatch {
  return JSON.parse(new codecs.TextDecoder().decode(bytes)) as TopologyPatch;
}
