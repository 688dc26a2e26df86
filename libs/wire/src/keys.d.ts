import type { Fact, FactKind, FactOf, FactValueOf } from './fact.js';
type KeyFns = {
    [K in FactKind]: (v: FactValueOf<K>) => string;
};
export declare const FACT_KEYS: KeyFns;
export declare function makeFact<K extends FactKind>(kind: K, value: FactValueOf<K>): FactOf<K>;
/** The identity of a fact across snapshots and deltas: its kind and key. */
export declare function factId(fact: Pick<Fact, 'kind' | 'key'>): string;
export {};
