import { z } from 'zod';

export const FACT_KINDS = [
  'link',
  'addr',
  'route',
  'neigh',
  'fdb',
  'ipset',
  'ipsetMember',
  'bgpSession',
  'ipvsService',
  'node',
] as const;

export const FactKindSchema = z.enum(FACT_KINDS);

/** A plain JSON object: the attributes of one fact, as read from its source. */
export const FactValueSchema = z.record(z.string(), z.json());

export const FactSchema = z.strictObject({
  kind: FactKindSchema,
  /** Stable identity of the object within its kind (e.g. `main|inet|10.244.1.0/24|0|0`). */
  key: z.string().min(1),
  value: FactValueSchema,
});

export type FactKind = z.infer<typeof FactKindSchema>;
export type FactValue = z.infer<typeof FactValueSchema>;
export type Fact = z.infer<typeof FactSchema>;
