// The Prometheus text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then one
// `name{label="value",…} value` line per sample, label values escaped (\\, \", \n).
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Collects metric families and renders them; every family gets HELP and TYPE, even without samples. */
export class PrometheusText {
  private readonly out: string[] = [];
  private readonly names = new Set<string>();

  add(name: string, type: MetricType, help: string, samples: readonly Sample[]): this {
    if (this.names.has(name)) throw new Error(`metric ${name} added twice`);
    this.names.add(name);
    this.out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const s of samples) this.out.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  toString(): string {
    return this.out.join('\n') + '\n';
  }
}
