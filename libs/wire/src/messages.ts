// What the collector produces: snapshots and deltas of a node's facts.
import { z } from 'zod';
import { FactKindSchema, FactSchema, ReaderStatusSchema, text } from './fact.js';

export const FactRefSchema = z.strictObject({ kind: FactKindSchema, key: text().min(1).max(512) });

export const DeltaSchema = z.strictObject({
  upserts: z.array(FactSchema),
  deletes: z.array(FactRefSchema),
});

/** `netatlas-collector --once`: one node's whole state. */
export const SnapshotSchema = z.strictObject({
  node: text().min(1),
  takenAt: z.iso.datetime(),
  facts: z.array(FactSchema),
  readers: z.record(text(), ReaderStatusSchema),
});

export type FactRef = z.infer<typeof FactRefSchema>;
export type Delta = z.infer<typeof DeltaSchema>;
export type Snapshot = z.infer<typeof SnapshotSchema>;
