// Times as the UI shows them: UTC everywhere (a wall screen is read by people in several zones, and
// the API, the collectors' logs and `ip monitor` timestamps are compared side by side), ISO 8601 in
// links, short clock times and durations on screen.

/** `2026-11-23T14:00:00Z`, or with milliseconds when there are any (`…:00.250Z`). */
export function formatInstant(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** `2026-11-23 14:00:05` (UTC) for tables and labels. */
export function formatDateTime(d: Date | string): string {
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) return String(d);
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** `14:00:05.123` (UTC): for timelines where events are close together. */
export function formatClock(d: Date | string, withMs = false): string {
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) return String(d);
  return date.toISOString().slice(11, withMs ? 23 : 19);
}

/** `850 ms`, `2.3 s`, `4m 05s`, `3h 02m`, `2d 4h`; negative durations get a minus sign. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) return `−${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long ago `then` was, seen from `now`: `4m 05s ago`. */
export function formatAge(then: Date | string, now: Date): string {
  const t = typeof then === 'string' ? new Date(then) : then;
  if (Number.isNaN(t.getTime())) return '—';
  const ms = now.getTime() - t.getTime();
  return ms < 0 ? `in ${formatDuration(-ms)}` : `${formatDuration(ms)} ago`;
}
