export { FACT_KINDS, FactKindSchema, FactSchema, FactValueSchema } from './fact.js';
export type { Fact, FactKind, FactValue } from './fact.js';
