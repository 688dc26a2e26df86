// A snapshot's part decoded and validated (in the part decoder's worker thread, part-decoder.ts):
// its head, and per fact its kind, key and value's JSON text, three flat arrays that are cheap to
// copy between threads; and back on the API's thread, the message it is (its facts EncodedFacts).
import { cniSigns } from '@netatlas/graph';
import { describeZodError, SnapshotMessageSchema, type Fact, type SnapshotMessage } from '@netatlas/wire';
import { EncodedFact } from '../db/repositories/history/encoded-fact.js';

/**
 * A part decoded: the message without its facts, and its facts packed in one string (the JSON of
 * [kinds, keys, values' JSON texts]): one string costs the API's heap nothing to hold and its
 * collector nothing to trace, where a 31 MB state held as facts was ~500k objects per snapshot.
 */
export interface DecodedPart {
  head: Omit<SnapshotMessage, 'facts'>;
  packed: string;
  /** its facts */
  count: number;
  /** what its facts show of the node's CNI (cni-style.ts) */
  signs: string[];
  /** the JSON text of its node fact's value, if it has one */
  nodeValue: string | null;
}
export interface PartDecoderRequest {
  id: number;
  /** the event's arguments as socket.io wrote them: `["snapshot",{…}]` */
  text: string;
}
export type PartDecoderReply = { id: number } & (DecodedPart | { error: string });

/** `text`, the event's arguments (`["snapshot",{…}]`), decoded and validated as a snapshot message. */
export function decodePartText(text: string): DecodedPart | { error: string } {
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (error) {
    return { error: `the message is not JSON: ${(error as Error).message}` };
  }
  const result = SnapshotMessageSchema.safeParse(Array.isArray(args) ? args[1] : undefined);
  if (!result.success) return { error: describeZodError(result.error) };
  const { facts, ...head } = result.data;
  const kinds: string[] = new Array(facts.length);
  const keys: string[] = new Array(facts.length);
  const values: string[] = new Array(facts.length);
  let nodeValue: string | null = null;
  for (let i = 0; i < facts.length; i++) {
    kinds[i] = facts[i]!.kind;
    keys[i] = facts[i]!.key;
    values[i] = JSON.stringify(facts[i]!.value);
    if (facts[i]!.kind === 'node') nodeValue = values[i]!;
  }
  return { head, packed: JSON.stringify([kinds, keys, values]), count: facts.length, signs: [...cniSigns(facts)], nodeValue };
}

/** A packed part's facts, as facts whose values stay JSON text until read (EncodedFact). */
export function unpackFacts(packed: string): Fact[] {
  const [kinds, keys, values] = JSON.parse(packed) as [string[], string[], string[]];
  const facts: Fact[] = new Array(kinds.length);
  for (let i = 0; i < facts.length; i++) facts[i] = new EncodedFact(kinds[i] as Fact['kind'], keys[i]!, values[i]!).asFact();
  return facts;
}

/** The key of the gateway's stand-in for a part it hands over undecoded: the event's arguments' text. */
export const RAW_PART = '$netatlasPart';
/** What the snapshot handler gets for such a part: its text, and its index (read from its head) */
export interface RawPart {
  [RAW_PART]: string;
  part: { index: number };
}
export function isRawPart(raw: unknown): raw is RawPart {
  return !!raw && typeof raw === 'object' && typeof (raw as Record<string, unknown>)[RAW_PART] === 'string';
}
