// The live connection as the header shows it: `connecting` (never connected yet), `live`
// (connected and subscribed), `reconnecting…` (lost, retrying, for a grace period), then
// `disconnected since …` (still retrying, but long enough that the screen is stale). Pure.
import { formatAge, formatClock } from '../format/time.js';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'disconnected';

export interface ConnectionState {
  status: ConnectionStatus;
  /** when the status began; for `reconnecting` and `disconnected`, when the connection was lost */
  since: Date;
  /** reconnection attempts since the connection was lost */
  attempts: number;
  /** the last error the transport reported */
  error: string | null;
}

export type ConnectionEvent =
  /** the socket connected (the subscription is not acknowledged yet) */
  | { type: 'connect' }
  /** the subscription was acknowledged: updates flow */
  | { type: 'subscribed' }
  | { type: 'disconnect'; reason?: string }
  | { type: 'attempt' }
  | { type: 'error'; message: string }
  /** time passes (moves `reconnecting` to `disconnected` after the grace period) */
  | { type: 'tick' };

/** After this long without a connection, `reconnecting…` becomes `disconnected since …`. */
export const RECONNECT_GRACE_MS = 5000;

export function initialConnectionState(now: Date): ConnectionState {
  return { status: 'connecting', since: now, attempts: 0, error: null };
}

export function nextConnectionState(s: ConnectionState, e: ConnectionEvent, now: Date, graceMs = RECONNECT_GRACE_MS): ConnectionState {
  switch (e.type) {
    case 'connect':
      return s;
    case 'subscribed':
      return { status: 'live', since: now, attempts: 0, error: null };
    case 'disconnect':
      if (s.status !== 'live') return s;
      return { status: 'reconnecting', since: now, attempts: 0, error: e.reason ?? null };
    case 'attempt':
      return advance({ ...s, attempts: s.attempts + 1 }, now, graceMs);
    case 'error':
      return advance({ ...s, error: e.message }, now, graceMs);
    case 'tick':
      return advance(s, now, graceMs);
  }
}

function advance(s: ConnectionState, now: Date, graceMs: number): ConnectionState {
  const stale = now.getTime() - s.since.getTime() >= graceMs;
  if (stale && (s.status === 'reconnecting' || s.status === 'connecting')) return { ...s, status: 'disconnected' };
  return s;
}

/** `live`, `connecting…`, `reconnecting…`, `disconnected since 14:02:11 (2m 05s ago)`. */
export function connectionLabel(s: ConnectionState, now: Date): string {
  switch (s.status) {
    case 'live':
      return 'live';
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return 'reconnecting…';
    case 'disconnected':
      return `disconnected since ${formatClock(s.since)} UTC (${formatAge(s.since, now)})`;
  }
}
