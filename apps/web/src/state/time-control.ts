// The time control shared by every view: the live network, the network at a chosen moment, or the
// difference between two moments. Kept in the URL hash (`#/topology?at=2026-11-23T14:00:00Z`,
// `#/changes?from=…&to=…`) so any view is linkable. Pure: `now` is always passed in.
import { formatInstant } from '../format/time.js';

export type TimeSelection =
  | { mode: 'live' }
  | { mode: 'at'; at: Date }
  | { mode: 'compare'; from: Date; to: Date };

export const LIVE: TimeSelection = Object.freeze({ mode: 'live' });

/** The steps offered next to the back/forward buttons. */
export const TIME_STEPS: readonly { label: string; ms: number }[] = [
  { label: '10 s', ms: 10_000 },
  { label: '1 min', ms: 60_000 },
  { label: '5 min', ms: 300_000 },
  { label: '15 min', ms: 900_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
];
export const DEFAULT_STEP_MS = 60_000;
/** A new compare range spans this much before the moment it starts from. */
export const DEFAULT_COMPARE_MS = 15 * 60_000;

const ISO_WITH_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A moment typed by a person or found in a link: ISO 8601 with a zone (`2026-11-23T14:00:00Z`,
 * `…+02:00`), the same without a zone or with a space for `T` (taken as UTC, as the UI shows UTC),
 * a date alone (its midnight UTC), or epoch milliseconds. Null when it is none of these.
 */
export function parseInstant(text: string): Date | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^\d{10,}$/.test(t)) {
    const d = new Date(Number(t));
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (DATE_ONLY.test(t)) return valid(new Date(`${t}T00:00:00Z`));
  // a `+` decoded from a query string as a space
  const m = ISO_WITH_ZONE.exec(t.replace(/ (\d{2}:?\d{2})$/, '+$1'));
  if (!m) return null;
  const zone = m[3] ?? 'Z';
  const normalizedZone = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  return valid(new Date(`${m[1]}T${m[2]}${normalizedZone}`));
}

function valid(d: Date): Date | null {
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The time selection a link's query parameters describe (`at`, or `from` and `to`; else live). */
export function timeFromParams(params: ReadonlyMap<string, string>): TimeSelection {
  const from = params.get('from');
  const to = params.get('to');
  if (from !== undefined) {
    const f = parseInstant(from);
    const t = to === undefined ? null : parseInstant(to);
    if (f && t) return f <= t ? { mode: 'compare', from: f, to: t } : { mode: 'compare', from: t, to: f };
  }
  const at = params.get('at');
  if (at !== undefined) {
    const a = parseInstant(at);
    if (a) return { mode: 'at', at: a };
  }
  return LIVE;
}

/** The query parameters of a time selection, in link order (none for live). */
export function timeToParams(sel: TimeSelection): [string, string][] {
  switch (sel.mode) {
    case 'live':
      return [];
    case 'at':
      return [['at', formatInstant(sel.at)]];
    case 'compare':
      return [
        ['from', formatInstant(sel.from)],
        ['to', formatInstant(sel.to)],
      ];
  }
}

/**
 * One step back (-1) or forward (+1). Back from live goes to `now - step`; forward never goes past
 * now: a moment that reaches it becomes live again, a compare range stops with `to` at now.
 */
export function stepTime(sel: TimeSelection, direction: -1 | 1, stepMs: number, now: Date): TimeSelection {
  const d = direction * stepMs;
  switch (sel.mode) {
    case 'live':
      return direction < 0 ? { mode: 'at', at: new Date(now.getTime() - stepMs) } : LIVE;
    case 'at': {
      const at = sel.at.getTime() + d;
      return at >= now.getTime() ? LIVE : { mode: 'at', at: new Date(at) };
    }
    case 'compare': {
      const width = sel.to.getTime() - sel.from.getTime();
      const to = Math.min(sel.to.getTime() + d, now.getTime());
      return { mode: 'compare', from: new Date(to - width), to: new Date(to) };
    }
  }
}

/** Live again. */
export function goLive(): TimeSelection {
  return LIVE;
}

/** The moment whose state a view shows: null for live, `at`, or the end of a compare range. */
export function shownMoment(sel: TimeSelection): Date | null {
  return sel.mode === 'live' ? null : sel.mode === 'at' ? sel.at : sel.to;
}

/** Compare on: the range ending at the moment shown (or now); compare off: the range's end. */
export function toggleCompare(sel: TimeSelection, now: Date, widthMs = DEFAULT_COMPARE_MS): TimeSelection {
  if (sel.mode === 'compare') return sel.to.getTime() >= now.getTime() ? LIVE : { mode: 'at', at: sel.to };
  const to = sel.mode === 'at' ? sel.at : now;
  return { mode: 'compare', from: new Date(to.getTime() - widthMs), to };
}

/** A moment typed into the control: `at` it (live when it is now or later), or, comparing, one end of the range. */
export function setMoment(sel: TimeSelection, moment: Date, now: Date, which: 'from' | 'to' = 'to'): TimeSelection {
  if (sel.mode === 'compare') {
    const from = which === 'from' ? moment : sel.from;
    const to = which === 'to' ? moment : sel.to;
    return from <= to ? { mode: 'compare', from, to } : { mode: 'compare', from: to, to: from };
  }
  return moment.getTime() >= now.getTime() ? LIVE : { mode: 'at', at: moment };
}

export function sameTime(a: TimeSelection, b: TimeSelection): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === 'at' && b.mode === 'at') return a.at.getTime() === b.at.getTime();
  if (a.mode === 'compare' && b.mode === 'compare') return a.from.getTime() === b.from.getTime() && a.to.getTime() === b.to.getTime();
  return true;
}

/** What the control says: `live`, `at 2026-11-23 14:00:00 UTC`, `14:00:00 → 14:15:00 UTC`. */
export function describeTime(sel: TimeSelection): string {
  const fmt = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  switch (sel.mode) {
    case 'live':
      return 'live';
    case 'at':
      return `at ${fmt(sel.at)} UTC`;
    case 'compare':
      return `${fmt(sel.from)} → ${fmt(sel.to)} UTC`;
  }
}
