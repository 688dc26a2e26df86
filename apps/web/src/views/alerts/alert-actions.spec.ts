import type { AlertAcknowledgement, Silence, Viewer } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { alert, resolvedAlert } from '../../testing/alerts.js';
import { silenceMatches } from '@netatlas/wire/core';
import { acknowledgedText, alertActions, alertMarks, silencedText, silenceRequest, unknownSilences } from './alert-actions.js';

const NOW = new Date('2026-11-23T15:30:00.000Z');
const who = (role: Viewer['role']): Viewer => ({ subject: 'alice', name: 'alice', role, via: 'oidc' });
const routeLoss = alert({ id: '11', rule: 'RouteLoss', labels: { node: 'n1', peer: 'n2', prefix: '10.233.2.0/24' } });
const silence = (over: Partial<Silence> & Pick<Silence, 'id'>): Silence => ({
  rule: 'RouteLoss',
  labels: { node: 'n1', peer: 'n2', prefix: '10.233.2.0/24' },
  until: '2026-11-23T16:00:00.000Z',
  comment: 'from the alerts view',
  createdBy: 'bob',
  createdAt: '2026-11-23T15:00:00.000Z',
  ...over,
});
const byId = (...list: Silence[]) => new Map(list.map((s) => [s.id, s]));
const noAcks = new Map<string, AlertAcknowledgement>();

describe('silencing from the alerts view', () => {
  it('"Silence 1 h": the alert\'s rule and labels, for 3600 s, saying where it came from', () => {
    expect(silenceRequest(routeLoss)).toEqual({ rule: 'RouteLoss', labels: { node: 'n1', peer: 'n2', prefix: '10.233.2.0/24' }, durationS: 3600, comment: 'from the alerts view' });
  });

  it('a silence covers alerts of its rule (any when null) whose labels include its labels', () => {
    expect(silenceMatches(silence({ id: 1 }), routeLoss)).toBe(true);
    expect(silenceMatches(silence({ id: 1, labels: { node: 'n1' } }), routeLoss)).toBe(true);
    expect(silenceMatches(silence({ id: 1, rule: null, labels: { node: 'n1' } }), routeLoss)).toBe(true);
    expect(silenceMatches(silence({ id: 1, rule: 'BgpSessionDown', labels: { node: 'n1' } }), routeLoss)).toBe(false);
    expect(silenceMatches(silence({ id: 1, labels: { node: 'n3' } }), routeLoss)).toBe(false);
    expect(silenceMatches(silence({ id: 1, labels: { node: 'n1', interface: 'eth0' } }), routeLoss)).toBe(false);
  });
});

describe('what a row says', () => {
  it("the alert's own acknowledgement, else the one this view made", () => {
    const ack = { by: 'bob', at: '2026-11-23T15:10:00.000Z' };
    expect(alertMarks({ ...routeLoss, acknowledged: ack }, noAcks, byId(), NOW).acknowledged).toEqual(ack);
    expect(alertMarks(routeLoss, new Map([['11', { by: 'alice', at: '2026-11-23T15:20:00.000Z' }]]), byId(), NOW).acknowledged).toEqual({ by: 'alice', at: '2026-11-23T15:20:00.000Z' });
    expect(alertMarks(routeLoss, noAcks, byId(), NOW)).toEqual({ acknowledged: null, silence: null });
    expect(acknowledgedText(ack)).toBe('acknowledged by bob at 2026-11-23 15:10:00 UTC');
  });

  it('silenced until the end of the silence it names, looked up among those in force', () => {
    const marks = alertMarks({ ...routeLoss, silencedBy: 5 }, noAcks, byId(silence({ id: 5 })), NOW);
    expect(marks.silence).toEqual({ id: 5, until: '2026-11-23T16:00:00.000Z', by: 'bob' });
    expect(silencedText(marks.silence!)).toBe('silenced until 2026-11-23 16:00:00 UTC');
  });

  it('a silence that covers the alert counts before the alert hears of it (the longest one)', () => {
    const list = byId(silence({ id: 5, labels: { node: 'n1' } }), silence({ id: 6, until: '2026-11-23T17:00:00.000Z' }), silence({ id: 7, labels: { node: 'n9' }, until: '2026-11-23T18:00:00.000Z' }));
    expect(alertMarks(routeLoss, noAcks, list, NOW).silence?.id).toBe(6);
  });

  it('a silence that is over does not count, whatever the alert still says', () => {
    // ended: not among those in force
    expect(alertMarks({ ...routeLoss, silencedBy: 5 }, noAcks, byId(), NOW).silence).toBeNull();
    // expired since the list was read
    expect(alertMarks({ ...routeLoss, silencedBy: 5 }, noAcks, byId(silence({ id: 5, until: '2026-11-23T15:29:59.000Z' })), NOW).silence).toBeNull();
  });

  it('without the silences (they could not be read), the alert\'s own `silencedBy` as it is', () => {
    const marks = alertMarks({ ...routeLoss, silencedBy: 5 }, noAcks, null, NOW);
    expect(marks.silence).toEqual({ id: 5, until: null, by: null });
    expect(silencedText(marks.silence!)).toBe('silenced (silence #5)');
    expect(alertMarks(routeLoss, noAcks, null, NOW).silence).toBeNull();
  });

  it('a resolved alert is not said to be silenced by a silence that merely matches it', () => {
    const resolved = resolvedAlert(routeLoss, '2026-11-23T15:20:00.000Z');
    expect(alertMarks(resolved, noAcks, byId(silence({ id: 5 })), NOW).silence).toBeNull();
    expect(alertMarks({ ...resolved, silencedBy: 5 }, noAcks, byId(silence({ id: 5 })), NOW).silence?.id).toBe(5);
  });

  it('names the silences the list does not know (to read them again)', () => {
    expect([...unknownSilences([{ ...routeLoss, silencedBy: 5 }, { ...routeLoss, id: '12', silencedBy: 9 }, routeLoss], byId(silence({ id: 5 })))]).toEqual([9]);
  });
});

describe('who may act on an alert', () => {
  const none = { acknowledge: false, silence: false, unsilence: false };

  it('viewers read only', () => {
    expect(alertActions(who('viewer'), routeLoss, { acknowledged: null, silence: null })).toEqual(none);
  });

  it('operators and admins acknowledge and silence open alerts, firing or pending', () => {
    expect(alertActions(who('operator'), routeLoss, { acknowledged: null, silence: null })).toEqual({ acknowledge: true, silence: true, unsilence: false });
    expect(alertActions(who('admin'), { ...routeLoss, state: 'pending' }, { acknowledged: null, silence: null })).toEqual({ acknowledge: true, silence: true, unsilence: false });
  });

  it('no Acknowledge once acknowledged; a silenced alert offers to end its silence instead', () => {
    const marks = { acknowledged: { by: 'bob', at: '2026-11-23T15:10:00.000Z' }, silence: { id: 5, until: '2026-11-23T16:00:00.000Z', by: 'bob' } };
    expect(alertActions(who('operator'), routeLoss, marks)).toEqual({ acknowledge: false, silence: false, unsilence: true });
  });

  it('nothing to do about a resolved alert', () => {
    expect(alertActions(who('admin'), resolvedAlert(routeLoss, '2026-11-23T15:20:00.000Z'), { acknowledged: null, silence: null })).toEqual(none);
  });
});
