// The webhook bodies: Alertmanager's version 4 shape field for field, and netatlas's own JSON.
import { describe, expect, it } from 'vitest';
import { ALERTMANAGER_ZERO_TIME, alertmanagerBody, buildBody, jsonBody, labelsFingerprint, noticeSeverity, quoteMeta } from './payloads.js';
import { nodeDownGroup, testAlert, testNotice } from './test-notices.js';

const EXTERNAL = 'https://netatlas.example.org';
const receiver = { name: 'am', maxAlerts: 0 };

describe('Alertmanager webhook body (version 4)', () => {
  it('has exactly the fields Alertmanager sends, in its order', () => {
    const body = alertmanagerBody(testNotice(nodeDownGroup('node2', 2)), receiver, EXTERNAL);
    expect(Object.keys(body)).toEqual([
      'receiver',
      'status',
      'alerts',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'externalURL',
      'version',
      'groupKey',
      'truncatedAlerts',
    ]);
    expect(Object.keys(body.alerts[0]!)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);
    expect(body).toMatchObject({ receiver: 'am', status: 'firing', externalURL: EXTERNAL, version: '4', truncatedAlerts: 0 });
    // every value of labels and annotations is a string (Alertmanager's KV)
    for (const a of body.alerts) for (const v of [...Object.values(a.labels), ...Object.values(a.annotations)]) expect(typeof v).toBe('string');
  });

  it('labels: alertname is the rule, then severity and the alert\'s own labels; annotations carry the summary and the root cause', () => {
    const group = nodeDownGroup('node2', 2);
    const body = alertmanagerBody(testNotice(group), receiver, EXTERNAL);
    const [root, symptom] = body.alerts;
    expect(root!.labels).toEqual({ alertname: 'NodeUnreachable', severity: 'critical', node: 'node2' });
    expect(root!.annotations).toMatchObject({ summary: group[0]!.summary, alert_id: group[0]!.id, symptoms: '2' });
    expect(symptom!.labels).toEqual({ alertname: 'RouteLoss', severity: 'critical', node: 'peer1', peer: 'node2' });
    expect(symptom!.annotations).toMatchObject({
      summary: group[1]!.summary,
      root_cause_id: group[0]!.id,
      root_cause: 'NodeUnreachable{node=node2}',
      root_cause_summary: group[0]!.summary,
    });
    expect(root!.generatorURL).toBe(`${EXTERNAL}/#/changes?from=2026-11-23T09%3A59%3A59.000Z&to=2026-11-23T10%3A00%3A00.000Z`);
  });

  it('the fingerprint is Alertmanager\'s: FNV-1a 64 of the sorted labels, 16 hex digits', () => {
    // prometheus/common model/signature_test.go
    expect(labelsFingerprint({})).toBe('cbf29ce484222325');
    expect(labelsFingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe((5799056148416392346n).toString(16).padStart(16, '0'));
    const body = alertmanagerBody(testNotice([testAlert('BgpSessionDown', { node: 'n1', peer: '172.20.0.12' })]), receiver, EXTERNAL);
    expect(body.alerts[0]!.fingerprint).toBe(labelsFingerprint({ alertname: 'BgpSessionDown', severity: 'critical', node: 'n1', peer: '172.20.0.12' }));
    expect(body.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('startsAt is when the alert fired; endsAt is the zero time while it fires and the resolution once resolved', () => {
    const firing = alertmanagerBody(testNotice([testAlert('RouteLoss', { node: 'a', peer: 'b' })]), receiver, EXTERNAL);
    expect(firing.alerts[0]).toMatchObject({ status: 'firing', startsAt: '2026-11-23T10:00:10.000Z', endsAt: ALERTMANAGER_ZERO_TIME });
    expect(ALERTMANAGER_ZERO_TIME).toBe('0001-01-01T00:00:00Z');
    const resolved = alertmanagerBody(testNotice([testAlert('RouteLoss', { node: 'a', peer: 'b' }, { state: 'resolved' })]), receiver, EXTERNAL);
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', startsAt: '2026-11-23T10:00:10.000Z', endsAt: '2026-11-23T10:05:00.000Z' });
  });

  it('a firing group lists its resolved members as resolved and leaves pending ones out', () => {
    const root = testAlert('NodeUnreachable', { node: 'n9' });
    const gone = testAlert('RouteLoss', { node: 'n1', peer: 'n9' }, { state: 'resolved', rootId: root.id });
    const pending = testAlert('RouteLoss', { node: 'n2', peer: 'n9' }, { state: 'pending', rootId: root.id });
    const body = alertmanagerBody(testNotice([root, gone, pending], 'firing'), receiver, EXTERNAL);
    expect(body.status).toBe('firing');
    expect(body.alerts.map((a) => [a.labels['alertname'], a.status])).toEqual([
      ['NodeUnreachable', 'firing'],
      ['RouteLoss', 'resolved'],
    ]);
  });

  it('groupLabels are the root cause\'s labels, groupKey renders them like Alertmanager, commonLabels/commonAnnotations are shared by all', () => {
    const body = alertmanagerBody(testNotice(nodeDownGroup('node2', 3)), receiver, EXTERNAL);
    expect(body.groupLabels).toEqual({ alertname: 'NodeUnreachable', severity: 'critical', node: 'node2' });
    expect(body.groupKey).toBe('{}:{alertname="NodeUnreachable", node="node2", severity="critical"}');
    // the symptoms differ in alertname, node and severity; nothing else is common to all four
    expect(body.commonLabels).toEqual({});
    const lone = alertmanagerBody(testNotice([testAlert('BgpSessionDown', { node: 'n1', peer: 'p' })]), receiver, EXTERNAL);
    expect(lone.commonLabels).toEqual(lone.alerts[0]!.labels);
    expect(lone.commonAnnotations).toEqual(lone.alerts[0]!.annotations);
    const two = alertmanagerBody(
      testNotice([testAlert('BgpSessionDown', { node: 'n1', peer: 'p1' }), testAlert('BgpSessionDown', { node: 'n1', peer: 'p2' })]),
      receiver,
      EXTERNAL,
    );
    expect(two.commonLabels).toEqual({ alertname: 'BgpSessionDown', severity: 'critical', node: 'n1' });
    expect(two.commonAnnotations).toEqual({ cause_from: '2026-11-23T09:59:59.000Z', cause_to: '2026-11-23T10:00:00.000Z' });
  });

  it('the receiver name is regexp-quoted, as Alertmanager does', () => {
    const body = alertmanagerBody(testNotice(nodeDownGroup('n', 1)), { name: 'hooks.example.org:8080', maxAlerts: 0 }, EXTERNAL);
    expect(body.receiver).toBe('hooks\\.example\\.org:8080');
    expect(quoteMeta('a+b*(c)|[d]{e}^$?\\')).toBe('a\\+b\\*\\(c\\)\\|\\[d\\]\\{e\\}\\^\\$\\?\\\\');
  });

  it('maxAlerts truncates (the root cause first) and counts the rest in truncatedAlerts', () => {
    const body = alertmanagerBody(testNotice(nodeDownGroup('node2', 5)), { name: 'am', maxAlerts: 2 }, EXTERNAL);
    expect(body.alerts).toHaveLength(2);
    expect(body.alerts[0]!.labels['alertname']).toBe('NodeUnreachable');
    expect(body.truncatedAlerts).toBe(4);
  });
});

describe('netatlas JSON body', () => {
  it('is the notice with version, receiver and link base', () => {
    const notice = testNotice(nodeDownGroup('node3', 2));
    const body = jsonBody(notice, { name: 'hook', maxAlerts: 0 }, EXTERNAL);
    expect(body).toEqual({
      version: 1,
      receiver: 'hook',
      groupKey: 'NodeUnreachable{node=node3}',
      status: 'firing',
      at: notice.at,
      externalURL: EXTERNAL,
      alerts: notice.alerts,
      transitions: notice.transitions,
      truncatedAlerts: 0,
    });
    expect(buildBody(notice, { name: 'hook', maxAlerts: 0, format: 'json' }, EXTERNAL)).toEqual(body);
    expect(buildBody(notice, { name: 'hook', maxAlerts: 0, format: 'alertmanager' }, EXTERNAL)).toMatchObject({ version: '4' });
  });

  it('the notice\'s severity is its most severe alert', () => {
    expect(noticeSeverity(testNotice([testAlert('NodeLeft', { node: 'x' }, { severity: 'info' })]))).toBe('info');
    expect(noticeSeverity(testNotice([testAlert('NodeLeft', { node: 'x' }, { severity: 'info' }), testAlert('IpsetDrift', { node: 'x' }, { severity: 'warning' })]))).toBe(
      'warning',
    );
  });
});
