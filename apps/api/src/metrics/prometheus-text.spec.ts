// The text exposition format: HELP and TYPE per family, escaped label values and help text.
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatValue, PrometheusText } from './prometheus-text.js';

describe('Prometheus text format', () => {
  it('renders families with HELP, TYPE and samples; escapes label values and help', () => {
    const text = new PrometheusText()
      .add('a_total', 'counter', 'Things\\done\nso far.', [{ value: 3 }])
      .add('b', 'gauge', 'B.', [
        { labels: { node: 'n"1', path: 'C:\\x', note: 'two\nlines' }, value: 1.5 },
        { labels: { node: 'n2' }, value: NaN },
      ])
      .add('c', 'gauge', 'Nothing yet.', [])
      .toString();
    expect(text).toBe(
      [
        '# HELP a_total Things\\\\done\\nso far.',
        '# TYPE a_total counter',
        'a_total 3',
        '# HELP b B.',
        '# TYPE b gauge',
        'b{node="n\\"1",path="C:\\\\x",note="two\\nlines"} 1.5',
        'b{node="n2"} NaN',
        '# HELP c Nothing yet.',
        '# TYPE c gauge',
        '',
      ].join('\n'),
    );
  });

  it('formats special values and refuses a family twice', () => {
    expect([formatValue(Infinity), formatValue(-Infinity), formatValue(0), formatValue(1e21)]).toEqual(['+Inf', '-Inf', '0', '1e+21']);
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(() => new PrometheusText().add('x', 'gauge', 'x', []).add('x', 'gauge', 'x', [])).toThrow(/twice/);
  });
});
