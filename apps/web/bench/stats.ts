// Small helpers for the web bench: quantiles, formatting, a text table.

/** The q-quantile (0..1) of `xs` by nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
export const min = (xs: readonly number[]): number => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs: readonly number[]): number => (xs.length ? Math.max(...xs) : NaN);

export const ms = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`) : 'n/a');
export const fps = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} fps` : 'n/a');
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

/** Left-aligned text table. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
