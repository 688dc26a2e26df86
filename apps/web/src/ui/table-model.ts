// Sorting and filtering of table rows, apart from the DOM: columns say how to read a value and
// how to compare it (text naturally, numbers numerically, addresses and prefixes by value).
import { compareAddressText, naturalCompare } from '../addresses/ip.js';

export type CellValue = string | number | boolean | null | undefined;

export interface Column<R> {
  id: string;
  label: string;
  value: (row: R) => CellValue;
  compare?: 'text' | 'number' | 'address';
  /** right-aligned, tabular figures */
  numeric?: boolean;
}

export interface SortState {
  column: string;
  dir: 'asc' | 'desc';
}

export function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

function compareValues(a: CellValue, b: CellValue, how: Column<unknown>['compare']): number {
  const ea = a === null || a === undefined || a === '';
  const eb = b === null || b === undefined || b === '';
  if (ea || eb) return ea && eb ? 0 : ea ? 1 : -1; // empty cells last
  if (how === 'number' || (typeof a === 'number' && typeof b === 'number')) return Number(a) - Number(b);
  if (how === 'address') return compareAddressText(cellText(a), cellText(b));
  return naturalCompare(cellText(a), cellText(b));
}

/** Rows sorted by one column (stable: ties keep their order); empty cells last either way. */
export function sortRows<R>(rows: readonly R[], columns: readonly Column<R>[], sort: SortState | null): R[] {
  const col = sort ? columns.find((c) => c.id === sort.column) : undefined;
  if (!sort || !col) return [...rows];
  const sign = sort.dir === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: col.value(row) }))
    .sort((x, y) => {
      const ex = x.v === null || x.v === undefined || x.v === '';
      const ey = y.v === null || y.v === undefined || y.v === '';
      if (ex !== ey) return ex ? 1 : -1;
      return sign * compareValues(x.v, y.v, col.compare) || x.i - y.i;
    })
    .map((x) => x.row);
}

/**
 * Rows whose cells contain every word of the filter (case-insensitive); `column:word` looks in one
 * column only (by id or label), `-word` excludes.
 */
export function filterRows<R>(rows: readonly R[], columns: readonly Column<R>[], filter: string): R[] {
  const terms = filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...rows];
  const parsed = terms.map((t) => {
    const negate = t.startsWith('-') && t.length > 1;
    const body = negate ? t.slice(1) : t;
    const colon = body.indexOf(':');
    const colName = colon > 0 ? body.slice(0, colon) : null;
    const col = colName === null ? undefined : columns.find((c) => c.id.toLowerCase() === colName || c.label.toLowerCase() === colName);
    return { negate, col, word: col ? body.slice(colon + 1) : body };
  });
  return rows.filter((row) =>
    parsed.every(({ negate, col, word }) => {
      const hit = (col ? [col] : columns).some((c) => cellText(c.value(row)).toLowerCase().includes(word));
      return negate ? !hit : hit;
    }),
  );
}

/** The next sort after a click on a column's header: ascending, descending, then ascending again. */
export function nextSort(current: SortState | null, column: string): SortState {
  return current && current.column === column ? { column, dir: current.dir === 'asc' ? 'desc' : 'asc' } : { column, dir: 'asc' };
}
