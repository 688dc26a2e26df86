// A validated fact whose value is held as its JSON text: what the part decoder (a worker thread)
// hands the API's thread for each fact of a snapshot's part. Tens of thousands of them cost the
// thread's heap three strings each, not a tree of objects to trace and copy; the text goes into the
// writer's JSON documents as it is, and the value is parsed only where it is read (a change to
// publish, the node fact).
import type { Fact } from '@netatlas/wire';

export class EncodedFact {
  private parsed: Fact['value'] | undefined;

  constructor(
    readonly kind: Fact['kind'],
    readonly key: string,
    /** JSON.stringify of the validated value */
    readonly valueJson: string,
  ) {}

  get value(): Fact['value'] {
    if (this.parsed === undefined) this.parsed = JSON.parse(this.valueJson) as Fact['value'];
    return this.parsed;
  }

  /** as a Fact, for the code that reads facts (kind and key at once, the value when first read) */
  asFact(): Fact {
    return this as unknown as Fact;
  }
}

/** The JSON text of a fact's value: an encoded fact's own, else JSON.stringify's (`null` for none). */
export function valueJsonOf(fact: { value: unknown }): string {
  return fact instanceof EncodedFact ? fact.valueJson : (JSON.stringify(fact.value) ?? 'null');
}
