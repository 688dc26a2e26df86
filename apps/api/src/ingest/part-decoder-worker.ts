// Runs in a worker thread: decodes and validates the parts of large snapshots off the API's thread
// (part-decoder.ts says why). Each request's reply is its part as flat arrays, cheap to copy back.
import { parentPort } from 'node:worker_threads';
import { decodePartText, type PartDecoderReply, type PartDecoderRequest } from './decoded-part.js';

parentPort!.on('message', (request: PartDecoderRequest) => {
  parentPort!.postMessage({ id: request.id, ...decodePartText(request.text) } satisfies PartDecoderReply);
});
