// The protocol's types (protocol.ts, which the collector imports without zod) and its schemas
// (protocol-schemas.ts, which the API validates with) are one contract: each message type is
// exactly what its schema accepts. Checked by the type checker (`npm run typecheck` runs over the
// specs; vitest runs the assertions too, as no-ops), so a field added to one and not the other fails.
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { DeltaMessage, Heartbeat, Hello, LeaveMessage, LiveSubscription, SnapshotMessage, SnapshotPart, SnapshotTurnRequest } from './protocol.js';
import type {
  DeltaMessageSchema,
  HeartbeatSchema,
  HelloSchema,
  LeaveMessageSchema,
  LiveSubscriptionSchema,
  SnapshotMessageSchema,
  SnapshotPartSchema,
  SnapshotTurnRequestSchema,
} from './protocol-schemas.js';

describe('the protocol’s types and its schemas', () => {
  it('are the same, message by message', () => {
    expectTypeOf<z.infer<typeof HelloSchema>>().toEqualTypeOf<Hello>();
    expectTypeOf<z.infer<typeof SnapshotPartSchema>>().toEqualTypeOf<SnapshotPart>();
    expectTypeOf<z.infer<typeof SnapshotMessageSchema>>().toEqualTypeOf<SnapshotMessage>();
    expectTypeOf<z.infer<typeof SnapshotTurnRequestSchema>>().toEqualTypeOf<SnapshotTurnRequest>();
    expectTypeOf<z.infer<typeof DeltaMessageSchema>>().toEqualTypeOf<DeltaMessage>();
    expectTypeOf<z.infer<typeof LeaveMessageSchema>>().toEqualTypeOf<LeaveMessage>();
    expectTypeOf<z.infer<typeof HeartbeatSchema>>().toEqualTypeOf<Heartbeat>();
    expectTypeOf<z.infer<typeof LiveSubscriptionSchema>>().toEqualTypeOf<LiveSubscription>();
  });
});
