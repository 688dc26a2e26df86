// The expected-state findings (GET /api/checks) as the node views show them: a node's own findings
// in a stable order, the findings elsewhere that concern it, counts per node for the node list, and
// `expected` / `actual` as one line of text each. Pure.
import type { ChecksResult, Finding, FindingType } from '@netatlas/wire/core';
import { FINDING_TYPES } from '@netatlas/wire/core';
import { compareAddressText, naturalCompare } from '../../addresses/ip.js';

export const FINDING_TITLES: Record<FindingType, string> = {
  'route-missing': 'route missing',
  'route-wrong-nexthop': 'wrong next hop',
  'route-stale': 'stale route',
  'ipset-missing': 'ipset member missing',
  'ipset-extra': 'ipset member extra',
  'mtu-mismatch': 'MTU mismatch',
  'pod-route-missing': 'pod not delivered',
  'pod-address-outside-range': 'pod address outside range',
};

const TYPE_ORDER = new Map<string, number>(FINDING_TYPES.map((t, i) => [t, i]));

/** By type (routes, ipsets, MTU), then subject by address, then peer. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    (TYPE_ORDER.get(a.type) ?? 99) - (TYPE_ORDER.get(b.type) ?? 99) ||
    compareAddressText(a.subject, b.subject) ||
    naturalCompare(a.peer ?? '', b.peer ?? '') ||
    naturalCompare(a.key, b.key)
  );
}

export interface NodeFindings {
  /** findings on this node */
  own: Finding[];
  /** findings on other nodes about this one (as their peer) */
  about: Finding[];
}

export function nodeFindings(result: Pick<ChecksResult, 'findings'> | null, node: string): NodeFindings {
  const own: Finding[] = [];
  const about: Finding[] = [];
  for (const f of result?.findings ?? []) {
    if (f.node === node) own.push(f);
    else if (f.peer === node) about.push(f);
  }
  return { own: own.sort(compareFindings), about: about.sort(compareFindings) };
}

/** node → how many findings are on it (nodes without any are not in the map). */
export function findingCounts(result: Pick<ChecksResult, 'findings'> | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of result?.findings ?? []) out.set(f.node, (out.get(f.node) ?? 0) + 1);
  return out;
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) {
    const items = v.map(formatValue).filter((x) => x !== '');
    return items.join(', ');
  }
  if (typeof v === 'object') {
    const inner = formatDetail(v as Record<string, unknown>);
    return inner === '—' ? '' : `(${inner})`;
  }
  return String(v);
}

/**
 * `expected` or `actual` as one line: `key value` pairs, nested objects inline, lists joined
 * with commas, empty values left out; `—` for nothing.
 */
export function formatDetail(detail: Readonly<Record<string, unknown>> | null): string {
  if (!detail) return '—';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    const text = formatValue(v);
    if (text !== '') parts.push(`${k} ${text}`);
  }
  return parts.length ? parts.join(' ') : '—';
}
