// Whole-cluster reads (the state, a diff, the topology or the checks at a past moment) take turns.
import { ServiceUnavailableException } from '@nestjs/common';
import { Limiter, LimiterFull } from '../realtime/limiter.js';

/**
 * Whole-cluster reads being read from Postgres at once, and waiting for their turn, at most. A read
 * keeps two connections and the cores busy while it lasts; five readers of a 300k-fact state, two
 * at a time, held the health probe's answers for 56–107 ms and the deltas' acks for 67–84 ms (p99;
 * baseline 17–29), one at a time 39 and 59 (npm run bench:abuse). A read waits for its turn without
 * a connection, and a response still being sent to its client holds no place: the line moves at the
 * database's pace, never at a client's. A past moment's topology or checks also parse the whole
 * state in the current state's worker (~1 GB at 1000 nodes while it lasts): one at a time bounds that.
 */
export const WHOLE_READS_AT_ONCE = 1;
export const WHOLE_READS = new Limiter(WHOLE_READS_AT_ONCE, 32);
/** seconds a client refused for a full line is told to wait */
export const WHOLE_READS_RETRY_AFTER_S = 2;

/** The refusal of a read when the line is full: 503 with Retry-After. */
export function lineFull(res: { setHeader(name: string, value: string): void }, error: LimiterFull): ServiceUnavailableException {
  res.setHeader('Retry-After', String(WHOLE_READS_RETRY_AFTER_S));
  return new ServiceUnavailableException(`too many whole-cluster reads at once (${error.message}); retry in ${WHOLE_READS_RETRY_AFTER_S} s`);
}

/** A whole-cluster read that makes no stream: runs in its turn, or is refused (503) when the line is full. */
export async function wholeRead<T>(res: { setHeader(name: string, value: string): void }, read: () => Promise<T>): Promise<T> {
  try {
    return await WHOLE_READS.run(read);
  } catch (error) {
    if (error instanceof LimiterFull) throw lineFull(res, error);
    throw error;
  }
}
