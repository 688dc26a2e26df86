// Renders a sortable table from columns and rows (the sorting and filtering is table-model.ts).
import { h } from './dom.js';
import { cellText, type Column, type SortState } from './table-model.js';

export interface DataTableOptions<R> {
  columns: readonly Column<R>[];
  rows: readonly R[];
  sort: SortState | null;
  onSort?: (column: string) => void;
  rowAttrs?: (row: R) => Record<string, string | undefined>;
  /** cells may be rendered specially (links, badges); default: the column's text */
  renderCell?: (row: R, column: Column<R>) => Node | string | null;
  /** at most this many rows (a note says how many were left out) */
  limit?: number;
  empty?: string;
  testid?: string;
}

export function dataTable<R>(o: DataTableOptions<R>): HTMLElement {
  const head = h(
    'tr',
    null,
    ...o.columns.map((c) => {
      const sorted = o.sort?.column === c.id ? o.sort.dir : null;
      return h(
        'th',
        {
          class: [c.numeric ? 'num' : '', o.onSort ? 'sortable' : ''].filter(Boolean).join(' ') || null,
          'aria-sort': sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : null,
          'data-column': c.id,
          onclick: o.onSort ? () => o.onSort?.(c.id) : null,
        },
        c.label,
        sorted ? h('span', { class: 'sort-mark' }, sorted === 'asc' ? ' ▲' : ' ▼') : null,
      );
    }),
  );
  const limit = o.limit ?? Infinity;
  const shown = o.rows.length > limit ? o.rows.slice(0, limit) : o.rows;
  const body = h('tbody');
  const frag = document.createDocumentFragment();
  for (const row of shown) {
    const tr = document.createElement('tr');
    const attrs = o.rowAttrs?.(row);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined) tr.setAttribute(k, v);
    for (const c of o.columns) {
      const td = document.createElement('td');
      if (c.numeric) td.className = 'num';
      const special = o.renderCell?.(row, c);
      if (special !== undefined && special !== null) td.append(special);
      else td.textContent = cellText(c.value(row));
      tr.append(td);
    }
    frag.append(tr);
  }
  body.append(frag);
  const table = h('table', { class: 'data', 'data-testid': o.testid ?? null }, h('thead', null, head), body);
  const wrap = h('div', { class: 'table-wrap' }, table);
  if (o.rows.length === 0) wrap.append(h('p', { class: 'muted' }, o.empty ?? 'nothing to show'));
  if (o.rows.length > shown.length) wrap.append(h('p', { class: 'muted' }, `showing ${shown.length} of ${o.rows.length} rows; filter to narrow them down`));
  return wrap;
}
