// The collectors' token check, in constant time: both sides are hashed first so that neither the
// comparison nor its length check reveals how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
