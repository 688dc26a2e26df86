import { describe, expect, it } from 'vitest';
import { filterRows, nextSort, sortRows, type Column } from './table-model.js';

interface Row {
  name: string;
  ip: string;
  mtu: number | null;
}
const cols: Column<Row>[] = [
  { id: 'name', label: 'name', value: (r) => r.name },
  { id: 'ip', label: 'address', value: (r) => r.ip, compare: 'address' },
  { id: 'mtu', label: 'mtu', value: (r) => r.mtu, numeric: true },
];
const rows: Row[] = [
  { name: 'veth10', ip: '10.0.0.10', mtu: 1500 },
  { name: 'veth2', ip: '10.0.0.9', mtu: null },
  { name: 'eth0', ip: '172.20.0.11', mtu: 1450 },
];

describe('table model', () => {
  it('sorts naturally, numerically and by address; empty cells last both ways', () => {
    expect(sortRows(rows, cols, { column: 'name', dir: 'asc' }).map((r) => r.name)).toEqual(['eth0', 'veth2', 'veth10']);
    expect(sortRows(rows, cols, { column: 'ip', dir: 'asc' }).map((r) => r.ip)).toEqual(['10.0.0.9', '10.0.0.10', '172.20.0.11']);
    expect(sortRows(rows, cols, { column: 'mtu', dir: 'asc' }).map((r) => r.mtu)).toEqual([1450, 1500, null]);
    expect(sortRows(rows, cols, { column: 'mtu', dir: 'desc' }).map((r) => r.mtu)).toEqual([1500, 1450, null]);
  });

  it('filters with words, column:word and -word', () => {
    expect(filterRows(rows, cols, 'veth').map((r) => r.name)).toEqual(['veth10', 'veth2']);
    expect(filterRows(rows, cols, 'address:10.0.0.1').map((r) => r.name)).toEqual(['veth10']);
    expect(filterRows(rows, cols, 'veth -1500').map((r) => r.name)).toEqual(['veth2']);
    expect(filterRows(rows, cols, '')).toHaveLength(3);
  });

  it('a header click sorts ascending, then descending', () => {
    expect(nextSort(null, 'ip')).toEqual({ column: 'ip', dir: 'asc' });
    expect(nextSort({ column: 'ip', dir: 'asc' }, 'ip')).toEqual({ column: 'ip', dir: 'desc' });
    expect(nextSort({ column: 'ip', dir: 'desc' }, 'name')).toEqual({ column: 'name', dir: 'asc' });
  });
});
