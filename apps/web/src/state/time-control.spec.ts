import { describe, expect, it } from 'vitest';
import { parseHash, formatHash, withParams } from './route.js';
import {
  describeTime,
  LIVE,
  parseInstant,
  setMoment,
  shownMoment,
  stepTime,
  timeFromParams,
  timeToParams,
  toggleCompare,
  type TimeSelection,
} from './time-control.js';

const d = (s: string) => new Date(s);
const NOW = d('2026-11-23T15:00:00Z');

describe('parseInstant', () => {
  it.each([
    ['2026-11-23T14:00:00Z', '2026-11-23T14:00:00.000Z'],
    ['2026-11-23T14:00:00.250Z', '2026-11-23T14:00:00.250Z'],
    ['2026-11-23T16:00:00+02:00', '2026-11-23T14:00:00.000Z'],
    ['2026-11-23T16:00:00+0200', '2026-11-23T14:00:00.000Z'],
    // a '+' that a query string turned into a space
    ['2026-11-23T16:00:00 02:00', '2026-11-23T14:00:00.000Z'],
    // no zone: UTC, as the UI shows UTC
    ['2026-11-23T14:00', '2026-11-23T14:00:00.000Z'],
    ['2026-11-23 14:00:05', '2026-11-23T14:00:05.000Z'],
    ['2026-11-23', '2026-11-23T00:00:00.000Z'],
    ['1795442400000', '2026-11-23T14:00:00.000Z'],
  ])('%s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '2026-13-45T99:00:00Z', '14:00', '2026-11-23T14'])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

describe('time selection in links', () => {
  it('live has no parameters; a moment is `at`; a range is `from` and `to`', () => {
    expect(timeToParams(LIVE)).toEqual([]);
    expect(timeToParams({ mode: 'at', at: d('2026-11-23T14:00:00Z') })).toEqual([['at', '2026-11-23T14:00:00Z']]);
    expect(timeToParams({ mode: 'compare', from: d('2026-11-23T14:00:00Z'), to: d('2026-11-23T14:00:00.5Z') })).toEqual([
      ['from', '2026-11-23T14:00:00Z'],
      ['to', '2026-11-23T14:00:00.500Z'],
    ]);
  });

  it('round-trips through the hash', () => {
    const cases: [string, TimeSelection][] = [
      ['#/topology', LIVE],
      ['#/topology?at=2026-11-23T14:00:00Z', { mode: 'at', at: d('2026-11-23T14:00:00Z') }],
      ['#/changes?from=2026-11-23T14:00:00Z&to=2026-11-23T14:15:00Z', { mode: 'compare', from: d('2026-11-23T14:00:00Z'), to: d('2026-11-23T14:15:00Z') }],
    ];
    for (const [hash, time] of cases) {
      const route = parseHash(hash);
      expect(route.time).toEqual(time);
      expect(formatHash(route)).toBe(hash);
    }
  });

  it('takes a reversed range in order, and ignores what does not parse', () => {
    expect(timeFromParams(new Map([['from', '2026-11-23T15:00:00Z'], ['to', '2026-11-23T14:00:00Z']]))).toEqual({
      mode: 'compare',
      from: d('2026-11-23T14:00:00Z'),
      to: d('2026-11-23T15:00:00Z'),
    });
    expect(timeFromParams(new Map([['at', 'soon']]))).toEqual(LIVE);
    expect(timeFromParams(new Map([['from', '2026-11-23T15:00:00Z']]))).toEqual(LIVE);
  });

  it('keeps an offset written with + in a hand-written link', () => {
    expect(parseHash('#/bgp?at=2026-11-23T16:00:00+02:00').time).toEqual({ mode: 'at', at: d('2026-11-23T14:00:00Z') });
  });
});

describe('routes', () => {
  it('parses view, node and options; unknown views fall back to the topology', () => {
    const r = parseHash('#/nodes/lab-node2?at=2026-11-23T14:00:00Z&recent=60');
    expect(r.view).toBe('nodes');
    expect(r.node).toBe('lab-node2');
    expect(r.params.get('recent')).toBe('60');
    expect(r.params.has('at')).toBe(false);
    expect(parseHash('#/nowhere').view).toBe('topology');
    expect(parseHash('').view).toBe('topology');
  });

  it('formats options after the time, sorted, and drops empty ones', () => {
    const r = withParams(parseHash('#/topology?at=2026-11-23T14:00:00Z'), { q: '10.233.2.0/24', table: '1', sel: null });
    expect(formatHash(r)).toBe('#/topology?at=2026-11-23T14:00:00Z&q=10.233.2.0%2F24&table=1');
    expect(parseHash(formatHash(r)).params.get('q')).toBe('10.233.2.0/24');
    expect(formatHash(withParams(r, { q: '' }))).toBe('#/topology?at=2026-11-23T14:00:00Z&table=1');
  });
});

describe('stepping and live', () => {
  it('steps back from live to now minus the step, and forward again to live', () => {
    const back = stepTime(LIVE, -1, 60_000, NOW);
    expect(back).toEqual({ mode: 'at', at: d('2026-11-23T14:59:00Z') });
    expect(stepTime(back, -1, 60_000, NOW)).toEqual({ mode: 'at', at: d('2026-11-23T14:58:00Z') });
    expect(stepTime(back, 1, 60_000, NOW)).toEqual(LIVE);
    expect(stepTime(LIVE, 1, 60_000, NOW)).toEqual(LIVE);
  });

  it('moves a compare range as a whole, never past now', () => {
    const range: TimeSelection = { mode: 'compare', from: d('2026-11-23T14:00:00Z'), to: d('2026-11-23T14:30:00Z') };
    expect(stepTime(range, -1, 600_000, NOW)).toEqual({ mode: 'compare', from: d('2026-11-23T13:50:00Z'), to: d('2026-11-23T14:20:00Z') });
    expect(stepTime(range, 1, 3_600_000, NOW)).toEqual({ mode: 'compare', from: d('2026-11-23T14:30:00Z'), to: NOW });
  });

  it('compare starts from the moment shown (or now) and ends back at it', () => {
    const at: TimeSelection = { mode: 'at', at: d('2026-11-23T14:00:00Z') };
    const c = toggleCompare(at, NOW, 15 * 60_000);
    expect(c).toEqual({ mode: 'compare', from: d('2026-11-23T13:45:00Z'), to: d('2026-11-23T14:00:00Z') });
    expect(toggleCompare(c, NOW)).toEqual(at);
    expect(toggleCompare(toggleCompare(LIVE, NOW), NOW)).toEqual(LIVE);
  });

  it('a typed moment: in the past it is shown, now or later is live, comparing it moves one end', () => {
    expect(setMoment(LIVE, d('2026-11-23T14:00:00Z'), NOW)).toEqual({ mode: 'at', at: d('2026-11-23T14:00:00Z') });
    expect(setMoment(LIVE, d('2026-11-23T16:00:00Z'), NOW)).toEqual(LIVE);
    const range: TimeSelection = { mode: 'compare', from: d('2026-11-23T14:00:00Z'), to: d('2026-11-23T14:30:00Z') };
    expect(setMoment(range, d('2026-11-23T13:00:00Z'), NOW, 'from')).toEqual({ ...range, from: d('2026-11-23T13:00:00Z') });
    expect(setMoment(range, d('2026-11-23T13:00:00Z'), NOW, 'to')).toEqual({ mode: 'compare', from: d('2026-11-23T13:00:00Z'), to: d('2026-11-23T14:00:00Z') });
  });

  it('says what is shown', () => {
    expect(shownMoment(LIVE)).toBeNull();
    expect(describeTime(LIVE)).toBe('live');
    expect(describeTime({ mode: 'at', at: d('2026-11-23T14:00:00Z') })).toBe('at 2026-11-23 14:00:00 UTC');
  });
});
