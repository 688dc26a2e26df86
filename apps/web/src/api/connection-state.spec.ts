import { describe, expect, it } from 'vitest';
import { connectionLabel, initialConnectionState, nextConnectionState, RECONNECT_GRACE_MS, type ConnectionEvent, type ConnectionState } from './connection-state.js';

const t0 = new Date('2026-11-23T14:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function run(events: [number, ConnectionEvent][]): ConnectionState {
  let s = initialConnectionState(t0);
  for (const [ms, e] of events) s = nextConnectionState(s, e, at(ms));
  return s;
}

describe('connection state', () => {
  it('is live only once the subscription is acknowledged', () => {
    expect(run([[10, { type: 'connect' }]]).status).toBe('connecting');
    const s = run([[10, { type: 'connect' }], [20, { type: 'subscribed' }]]);
    expect(s.status).toBe('live');
    expect(connectionLabel(s, at(30))).toBe('live');
  });

  it('reconnecting for the grace period after a loss, then disconnected since the loss', () => {
    const lost: [number, ConnectionEvent][] = [
      [0, { type: 'connect' }],
      [10, { type: 'subscribed' }],
      [1000, { type: 'disconnect', reason: 'transport close' }],
      [1500, { type: 'attempt' }],
    ];
    const s = run(lost);
    expect(s.status).toBe('reconnecting');
    expect(s.attempts).toBe(1);
    expect(connectionLabel(s, at(1500))).toBe('reconnecting…');
    const later = run([...lost, [1000 + RECONNECT_GRACE_MS, { type: 'tick' }]]);
    expect(later.status).toBe('disconnected');
    expect(later.since).toEqual(at(1000));
    expect(connectionLabel(later, at(1000 + 65_000))).toBe('disconnected since 14:00:01 UTC (1m 05s ago)');
    // and live again after the next acknowledged subscription
    expect(run([...lost, [9000, { type: 'tick' }], [9500, { type: 'connect' }], [9600, { type: 'subscribed' }]]).status).toBe('live');
  });

  it('a page that never reaches the API says disconnected after the grace period', () => {
    const s = run([[100, { type: 'error', message: 'xhr poll error' }], [RECONNECT_GRACE_MS + 1, { type: 'tick' }]]);
    expect(s.status).toBe('disconnected');
    expect(s.error).toBe('xhr poll error');
  });
});
