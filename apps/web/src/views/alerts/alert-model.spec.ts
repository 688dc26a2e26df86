import type { Alert } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { parseHash } from '../../state/route.js';
import { alert, calicoStopBgpAlerts, regrouped, regrouping, resolvedAlert, stopBgpAlerts, transition } from '../../testing/alerts.js';
import {
  alertRow,
  causeName,
  causeSpells,
  changesHref,
  compareRows,
  countRows,
  filterAlertRows,
  filtersFromParams,
  groupAlerts,
  labelParts,
  mergeTransitions,
  openSymptomCounts,
  pruneResolved,
  rootAt,
  RULE_INFO,
  ruleCounts,
  sinceText,
  spellText,
  spellTitle,
  stateAt,
  type AlertGroup,
} from './alert-model.js';

const NOW = new Date('2026-11-23T15:03:32.000Z');
const rows = (alerts: readonly Alert[], at: Date | null = null) => alerts.map((a) => alertRow(a, at));
/** each group in one line: kind:id [symptom ids] */
const shape = (groups: readonly AlertGroup[]) => groups.map((g) => (g.kind === 'lone' ? `lone:${g.id}` : `${g.kind}:${g.id} [${g.symptoms.map((s) => s.alert.id).join(' ')}]`));

describe('grouping symptoms under their root cause', () => {
  it('puts root causes first with their symptoms, a symptom whose root is missing in a group of its own, lone alerts after', () => {
    const groups = groupAlerts(rows(stopBgpAlerts()));
    expect(shape(groups)).toEqual([
      // firing before pending, critical before warning, newest first
      'root:10 [12 11 13 14]',
      'orphans:9 [20]',
      'lone:30',
      'lone:32',
      'lone:31',
    ]);
    const orphans = groups[1] as Extract<AlertGroup, { kind: 'orphans' }>;
    expect(orphans.root).toBeNull();
  });

  it('names a missing root cause when it is known (filtered out), and keeps its symptoms grouped', () => {
    const all = stopBgpAlerts();
    const known = new Map(all.map((a) => [a.id, a]));
    const onlyRouteLoss = filterAlertRows(rows(all), { state: 'all', rule: 'RouteLoss' });
    const groups = groupAlerts(onlyRouteLoss, { known });
    expect(shape(groups)).toEqual(['orphans:10 [12 11]', 'orphans:9 [20]']);
    expect((groups[0] as Extract<AlertGroup, { kind: 'orphans' }>).root?.rule).toBe('NodeUnreachable');
    expect((groups[1] as Extract<AlertGroup, { kind: 'orphans' }>).root).toBeNull();
  });

  it('a root cause whose symptoms are all filtered out stays a root, counting them from the window, not from its own stale count', () => {
    const all = calicoStopBgpAlerts();
    const known = new Map(all.map((a) => [a.id, a]));
    const groups = groupAlerts(filterAlertRows(rows(all), { state: 'all', rule: 'BgpDaemonDown' }), { known });
    expect(shape(groups)).toEqual(['root:50 []']);
    expect((groups[0] as Extract<AlertGroup, { kind: 'root' }>).open).toBe(4);
    // the API's count alone makes no root: a root cause with no symptom in the window stands alone
    expect(shape(groupAlerts(rows([alert({ id: '10', rule: 'NodeUnreachable', labels: { node: 'n2' }, symptoms: 3 })])))).toEqual(['lone:10']);
  });

  it('symptoms of a symptom go under the outermost root cause in the list; a cycle does not hang', () => {
    const a = [
      alert({ id: '1', rule: 'NodeUnreachable' }),
      alert({ id: '2', rule: 'BgpSessionDown', rootId: '1' }),
      alert({ id: '3', rule: 'RouteLoss', rootId: '2' }),
      alert({ id: '7', rule: 'RouteLoss', rootId: '8' }),
      alert({ id: '8', rule: 'RouteLoss', rootId: '7' }),
    ];
    const groups = groupAlerts(rows(a));
    expect(shape(groups).slice(0, 1)).toEqual(['root:1 [3 2]']);
    // every alert is shown exactly once
    const ids = groups.flatMap((g) => (g.kind === 'lone' ? [g.id] : [...(g.kind === 'root' ? [g.root.alert.id] : []), ...g.symptoms.map((s) => s.alert.id)]));
    expect(ids.sort()).toEqual(['1', '2', '3', '7', '8']);
  });
});

describe('regrouping live (transitions whose from equals to)', () => {
  /** the Alerts view's list after transitions, as drawn: the groups and each root's open symptoms */
  const drawn = (list: ReadonlyMap<string, Alert>, at: Date | null = null) => {
    const groups = groupAlerts(rows([...list.values()], at), { known: list, at });
    return { shape: shape(groups), open: Object.fromEntries(groups.flatMap((g) => (g.kind === 'lone' ? [] : [[g.id, g.open]]))) };
  };
  const start = () => new Map(calicoStopBgpAlerts().map((a) => [a.id, a]));
  const byId = (list: ReadonlyMap<string, Alert>, id: string) => list.get(id)!;

  it('a lone symptom that joins its root moves under it in place; the open count follows the list', () => {
    const list = start();
    expect(drawn(list)).toEqual({ shape: ['root:50 [52 51 54 53]', 'lone:56'], open: { '50': 4 } });
    const root = byId(list, '50');
    expect(mergeTransitions(list, [regrouping(regrouped(byId(list, '56'), root, '2026-11-23T15:00:06.000Z'))])).toBe(true);
    expect(drawn(list)).toEqual({ shape: ['root:50 [52 51 54 53 56]'], open: { '50': 5 } });
    // the root's own count comes after, as a regrouping of the root: nothing moves
    expect(mergeTransitions(list, [regrouping({ ...root, symptoms: 5 })])).toBe(true);
    expect(drawn(list).shape).toEqual(['root:50 [52 51 54 53 56]']);
  });

  it('counts what the list shows, not the root\'s stale count ("5 open symptoms" over 4 rows)', () => {
    const list = start();
    list.set('50', { ...byId(list, '50'), symptoms: 5 });
    expect(drawn(list).open).toEqual({ '50': 4 });
    // a symptom resolves: it stays listed under its root, no longer counted as open
    mergeTransitions(list, [transition(resolvedAlert(byId(list, '54'), '2026-11-23T15:02:00.000Z'), 'firing', 'resolved')]);
    expect(drawn(list)).toEqual({ shape: ['root:50 [52 51 53 54]', 'lone:56'], open: { '50': 3 } });
    expect(openSymptomCounts(list.values(), null)).toEqual(new Map([['50', 3]]));
  });

  it('a symptom moved from one root cause to another goes to the other group, with both spells in its history', () => {
    const list = start();
    const uplink = alert({ id: '60', rule: 'UnderlayDown', labels: { node: 'h4-node3', interface: 'eth0' }, startsAt: '2026-11-23T15:02:00.000Z' });
    mergeTransitions(list, [transition(uplink, null, 'firing'), regrouping(regrouped(byId(list, '52'), uplink, '2026-11-23T15:02:00.000Z'))]);
    expect(drawn(list)).toEqual({ shape: ['root:60 [52]', 'root:50 [51 54 53]', 'lone:56'], open: { '60': 1, '50': 3 } });
    expect(causeSpells(byId(list, '52'), null).map(spellText)).toEqual([
      'caused by #50 BgpDaemonDown (h4-node2, bird) until 15:02:00',
      'caused by #60 UnderlayDown (h4-node3, eth0) since 15:02:00',
    ]);
  });

  it('a root that resolves while a symptom outlives it: the symptom stands alone with its history, never silently orphaned', () => {
    const list = start();
    const at = '2026-11-23T15:05:02.000Z';
    const root = byId(list, '50');
    mergeTransitions(list, [
      transition(resolvedAlert({ ...root, symptoms: 0 }, at), 'firing', 'resolved', at),
      // 51 still fires: out of any group; the others resolved in the same evaluation
      regrouping(regrouped(byId(list, '51'), null, at), at),
      ...['52', '53', '54'].map((id) => transition(resolvedAlert(byId(list, id), at), 'firing', 'resolved', at)),
    ]);
    const after = drawn(list);
    // the open ones first: the lone RouteLoss before the resolved group
    expect(after).toEqual({ shape: ['lone:51', 'lone:56', 'root:50 [52 54 53]'], open: { '50': 0 } });
    const spells = causeSpells(byId(list, '51'), null);
    expect(spells.map(spellText)).toEqual(['caused by #50 BgpDaemonDown (h4-node2, bird) until 15:05:02']);
    expect(spells[0]).toMatchObject({ rootId: '50', current: false, to: at });
    expect(spellTitle(spells[0]!)).toBe(`${root.summary}\n2026-11-23 15:00:03 – 2026-11-23 15:05:02 UTC`);
  });

  it('order-safe: a regrouping older than the list changes nothing, and a repeated one neither', () => {
    const list = start();
    const at = '2026-11-23T15:05:02.000Z';
    const old = byId(list, '51');
    const out = regrouped(old, null, at);
    expect(mergeTransitions(list, [regrouping(out, at)])).toBe(true);
    // held while the list was loading, from before it: the list is further along
    expect(mergeTransitions(list, [regrouping(old)])).toBe(false);
    expect(mergeTransitions(list, [regrouping(out, at)])).toBe(false);
    expect(byId(list, '51').rootId).toBeNull();
  });

  it('at a moment, symptoms are grouped as they were then (their cause history), and spells after it are not shown', () => {
    const list = start();
    const at = '2026-11-23T15:05:02.000Z';
    mergeTransitions(list, [
      transition(resolvedAlert(byId(list, '50'), at), 'firing', 'resolved', at),
      regrouping(regrouped(byId(list, '51'), null, at), at),
      transition(resolvedAlert(byId(list, '52'), at), 'firing', 'resolved', at),
    ]);
    const during = new Date('2026-11-23T15:03:00.000Z');
    expect(rootAt(byId(list, '51'), during)).toBe('50');
    expect(rootAt(byId(list, '51'), null)).toBeNull();
    expect(drawn(list, during)).toEqual({ shape: ['root:50 [52 51 54 53]', 'lone:56'], open: { '50': 4 } });
    expect(causeSpells(byId(list, '51'), during).map(spellText)).toEqual(['caused by #50 BgpDaemonDown (h4-node2, bird) since 15:00:03']);
    // later: 51 alone; 52, resolved with its root, stays with the root its resolution closed
    const later = new Date('2026-11-23T15:06:00.000Z');
    expect(rootAt(byId(list, '52'), later)).toBe('50');
    expect(drawn(list, later).shape).toEqual(['lone:51', 'lone:56', 'root:50 [54 53 52]']);
    // before any spell began there is no history to tell
    expect(causeSpells(byId(list, '51'), new Date('2026-11-23T15:00:02.000Z'))).toEqual([]);
  });

  it('symptoms of a root cause outside the window are grouped under its name, from their history', () => {
    const list = start();
    list.delete('50');
    const groups = groupAlerts(rows([...list.values()]), { known: list });
    const orphans = groups[0] as Extract<AlertGroup, { kind: 'orphans' }>;
    expect(shape(groups)).toEqual(['orphans:50 [52 51 54 53]', 'lone:56']);
    expect(orphans.root).toBeNull();
    expect(orphans.cause && causeName(orphans.cause)).toBe('#50 BgpDaemonDown (h4-node2, bird)');
    expect(orphans.open).toBe(4);
  });
});

describe('rules', () => {
  it('every rule says what it is; the root causes are the rules claimed on evidence', () => {
    expect(Object.entries(RULE_INFO).filter(([, i]) => i.root).map(([r]) => r)).toEqual([
      'NodeUnreachable',
      'CollectorLost',
      'UnderlayDown',
      'BgpDaemonDown',
      'BgpPeeringDown',
      'KubernetesUnavailable',
      'NodeLeft',
    ]);
    for (const info of Object.values(RULE_INFO)) expect(info.title).not.toBe('');
    expect(causeName({ rootId: '7', rule: 'KubernetesUnavailable', fingerprint: 'KubernetesUnavailable{}' })).toBe('#7 KubernetesUnavailable');
  });
});

describe('ordering', () => {
  it('firing, then pending, then resolved; then critical, warning, info; then newest first; then the higher id', () => {
    const t = '2026-11-23T15:00:00.000Z';
    const list = [
      alert({ id: '1', rule: 'NodeLeft', severity: 'info', startsAt: t }),
      alert({ id: '2', rule: 'RouteLoss', state: 'pending', startsAt: t }),
      alert({ id: '3', rule: 'RouteLoss', startsAt: '2026-11-23T14:00:00.000Z' }),
      alert({ id: '4', rule: 'RouteLoss', startsAt: t }),
      alert({ id: '9', rule: 'RouteLoss', startsAt: t }),
      alert({ id: '10', rule: 'RouteLoss', startsAt: t }),
      resolvedAlert(alert({ id: '5', rule: 'RouteLoss', startsAt: t }), '2026-11-23T15:01:00.000Z'),
      alert({ id: '6', rule: 'MtuMismatch', severity: 'warning', startsAt: t }),
    ];
    expect(rows(list).sort(compareRows).map((r) => r.alert.id)).toEqual(['10', '9', '4', '3', '6', '1', '2', '5']);
  });
});

describe('filters', () => {
  const all = rows(stopBgpAlerts());
  const ids = (f: Parameters<typeof filterAlertRows>[1]) => filterAlertRows(all, f).map((r) => r.alert.id);

  it('by state: open is pending and firing, firing only firing, all everything', () => {
    expect(ids({ state: 'all', rule: null })).toHaveLength(9);
    expect(ids({ state: 'open', rule: null })).toEqual(['10', '11', '12', '13', '14', '20', '30', '32']);
    expect(ids({ state: 'firing', rule: null })).toEqual(['10', '11', '12', '13', '20', '30']);
  });

  it('by rule, together with the state', () => {
    expect(ids({ state: 'all', rule: 'BgpSessionDown' })).toEqual(['13', '14']);
    expect(ids({ state: 'firing', rule: 'BgpSessionDown' })).toEqual(['13']);
  });

  it('from the link: state= and rule=, unknown values ignored', () => {
    expect(filtersFromParams(new Map([['state', 'firing'], ['rule', 'RouteLoss']]))).toEqual({ state: 'firing', rule: 'RouteLoss' });
    expect(filtersFromParams(new Map([['state', 'bogus'], ['rule', 'NoSuchRule']]))).toEqual({ state: 'all', rule: null });
    expect(filtersFromParams(new Map())).toEqual({ state: 'all', rule: null });
  });

  it('counts per rule for the rule filter, in the rules order', () => {
    expect([...ruleCounts(all)]).toEqual([
      ['NodeUnreachable', 1],
      ['NodeLeft', 1],
      ['RouteLoss', 3],
      ['StaleRoute', 1],
      ['BgpSessionDown', 2],
      ['MtuMismatch', 1],
    ]);
  });
});

describe('states at the moment shown', () => {
  const a = resolvedAlert(alert({ id: '1', rule: 'RouteLoss', startsAt: '2026-11-23T15:00:00.000Z', firedAt: '2026-11-23T15:00:30.000Z' }), '2026-11-23T15:05:00.000Z');

  it('live: as recorded; at a moment: pending, then firing, then resolved, by its times', () => {
    expect(stateAt(a, null)).toBe('resolved');
    expect(stateAt(a, new Date('2026-11-23T14:59:59.000Z'))).toBeNull();
    expect(stateAt(a, new Date('2026-11-23T15:00:10.000Z'))).toBe('pending');
    expect(stateAt(a, new Date('2026-11-23T15:00:30.000Z'))).toBe('firing');
    expect(stateAt(a, new Date('2026-11-23T15:04:59.999Z'))).toBe('firing');
    expect(stateAt(a, new Date('2026-11-23T15:05:00.000Z'))).toBe('resolved');
    // an alert that cleared before its `for` ran out never fired
    expect(stateAt({ ...a, firedAt: null }, new Date('2026-11-23T15:04:00.000Z'))).toBe('pending');
  });

  it('says since when and for how long', () => {
    const firing = alertRow(a, new Date('2026-11-23T15:03:35.000Z'));
    expect(firing.state).toBe('firing');
    expect(firing.since).toBe('2026-11-23T15:00:30.000Z');
    expect(sinceText(firing, new Date('2026-11-23T15:03:35.000Z'))).toBe('firing for 3m 05s');
    const pending = alertRow(a, new Date('2026-11-23T15:00:10.000Z'));
    expect(sinceText(pending, new Date('2026-11-23T15:00:10.000Z'))).toBe('pending for 10 s');
    const resolved = alertRow(a, null);
    expect(resolved.since).toBe('2026-11-23T15:05:00.000Z');
    expect(sinceText(resolved, NOW)).toBe('was open 5m 00s');
  });

  it('counts what is firing, pending and resolved at the moment (the summary)', () => {
    expect(countRows(rows(stopBgpAlerts()))).toEqual({ firing: 6, pending: 2, resolved: 1, total: 9 });
    // at 15:00:20, before the root cause fired (it fired at 15:00:32)
    expect(countRows(rows(stopBgpAlerts(), new Date('2026-11-23T15:00:20.000Z'))).firing).toBe(5);
  });
});

describe('links to the route diff', () => {
  it('the cause window opens the Changes view comparing that range', () => {
    const a = alert({ id: '1', rule: 'RouteLoss', cause: { from: '2026-11-23T14:59:58.000Z', to: '2026-11-23T15:00:00.250Z' } });
    const r = alertRow(a, null);
    expect(r.causeHref).toBe('#/changes?from=2026-11-23T14:59:58Z&to=2026-11-23T15:00:00.250Z');
    const route = parseHash(r.causeHref!);
    expect(route.view).toBe('changes');
    expect(route.time).toEqual({ mode: 'compare', from: new Date('2026-11-23T14:59:58.000Z'), to: new Date('2026-11-23T15:00:00.250Z') });
    expect(r.clearHref).toBeNull();
  });

  it('once resolved, the clearing window too', () => {
    const r = alertRow(resolvedAlert(alert({ id: '1', rule: 'RouteLoss' }), '2026-11-23T15:10:00.000Z'), null);
    expect(r.clearHref).toBe('#/changes?from=2026-11-23T15:09:58Z&to=2026-11-23T15:10:00Z');
  });

  it('no link without a window or with a bad one; a reversed one is put right', () => {
    expect(alertRow(alert({ id: '1', rule: 'NodeLeft', cause: null }), null).causeHref).toBeNull();
    expect(changesHref({ from: 'soon', to: '2026-11-23T15:00:00Z' })).toBeNull();
    expect(changesHref({ from: '2026-11-23T15:00:00Z', to: '2026-11-23T14:00:00Z' })).toBe('#/changes?from=2026-11-23T14:00:00Z&to=2026-11-23T15:00:00Z');
  });
});

describe('live transitions into the list', () => {
  const base = alert({ id: '40', rule: 'RouteLoss', labels: { node: 'n1', peer: 'n2' }, state: 'pending' });
  const firing = { ...base, state: 'firing' as const, firedAt: '2026-11-23T15:00:30.000Z' };
  const resolved = resolvedAlert(firing, '2026-11-23T15:02:00.000Z');

  it('pending → firing → resolved, each replacing the one before', () => {
    const list = new Map<string, Alert>();
    expect(mergeTransitions(list, [transition(base, null, 'pending')])).toBe(true);
    expect(list.get('40')?.state).toBe('pending');
    mergeTransitions(list, [transition(firing, 'pending', 'firing')]);
    expect(list.get('40')?.firedAt).toBe('2026-11-23T15:00:30.000Z');
    mergeTransitions(list, [transition(resolved, 'firing', 'resolved')]);
    expect(list.get('40')).toMatchObject({ state: 'resolved', resolvedAt: '2026-11-23T15:02:00.000Z' });
    // a resolved alert stays in the list (live shows the last 24 hours)
    expect(list.size).toBe(1);
  });

  it('out of order: a late pending or firing does not undo a resolution', () => {
    const list = new Map<string, Alert>();
    mergeTransitions(list, [transition(resolved, 'firing', 'resolved'), transition(base, null, 'pending')]);
    expect(mergeTransitions(list, [transition(firing, 'pending', 'firing')])).toBe(false);
    expect(list.get('40')?.state).toBe('resolved');
  });

  it('an alert inserted firing at once (pending and firing in one evaluation) is firing', () => {
    const list = new Map<string, Alert>();
    mergeTransitions(list, [
      { alert: firing, from: null, to: 'pending', at: '2026-11-23T15:00:30.000Z' },
      { alert: firing, from: 'pending', to: 'firing', at: '2026-11-23T15:00:30.000Z' },
    ]);
    expect(list.get('40')?.state).toBe('firing');
  });

  it('resolved alerts leave once the 24-hour window has moved past them', () => {
    const list = new Map(stopBgpAlerts().map((a) => [a.id, a]));
    expect(pruneResolved(list, new Date('2026-11-23T14:40:00.000Z'))).toBe(0);
    expect(pruneResolved(list, new Date('2026-11-23T14:50:00.000Z'))).toBe(1);
    expect(list.has('31')).toBe(false);
    expect(list.size).toBe(8);
  });
});

describe('labels', () => {
  it('node, peer and prefix first, then the others by name', () => {
    expect(labelParts({ set: 'kube-router-pod-subnets', prefix: '10.233.2.0/24', daemon: 'gobgp', node: 'n1', peer: 'n2' }).map((l) => l.key)).toEqual(['node', 'peer', 'prefix', 'daemon', 'set']);
  });
});
