// The trace endpoints' query strings (also their OpenAPI description).
import { z } from 'zod';
import { instant } from '../query-params/query.js';

const endpoint = z.string().min(1).max(320).describe('a node name, an IP address, or a pod as namespace/name (pod names need Kubernetes)');

export const TraceQuerySchema = z.strictObject({
  from: endpoint,
  to: endpoint,
  at: instant.optional().describe('a past moment (default: now)'),
});

export const TraceCompareQuerySchema = z.strictObject({
  from: endpoint,
  to: endpoint,
  at1: instant.describe('the earlier moment'),
  at2: instant.optional().describe('the later moment (default: now)'),
});

export const AddressHistoryQuerySchema = z.strictObject({
  from: instant.optional().describe('window start (default: 24 hours before `to`)'),
  to: instant.optional().describe('window end (default: now)'),
});
