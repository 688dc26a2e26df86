// What an operator can do about an alert from the Alerts view — acknowledge it, silence it for an
// hour (its rule and labels), end that silence — and what every viewer reads about it: who
// acknowledged it when, and until when it is silenced. The live list learns of acknowledgements and
// silences only with the alert's next transition, so the view also goes by what its own actions
// answered and by the silences in force (GET /api/silences): a silence covers the alerts of its rule
// (any rule when null) whose labels include its labels.
import { roleAtLeast, silenceMatches, type Alert, type AlertAcknowledgement, type Silence, type Viewer } from '@netatlas/wire/core';
import type { SilenceRequest } from '../../api/rest-client.js';
import { formatDateTime } from '../../format/time.js';

export const SILENCE_DURATION_S = 3600;
export const SILENCE_COMMENT = 'from the alerts view';

/** "Silence 1 h": this alert's rule and labels, for an hour. */
export function silenceRequest(a: Pick<Alert, 'rule' | 'labels'>): SilenceRequest {
  return { rule: a.rule, labels: { ...a.labels }, durationS: SILENCE_DURATION_S, comment: SILENCE_COMMENT };
}


export interface AlertMarks {
  acknowledged: AlertAcknowledgement | null;
  /** the silence keeping it from receivers now: `until` null when the silences could not be read */
  silence: { id: number; until: string | null; by: string | null } | null;
}

/**
 * What a row says. `acks`: acknowledgements this view made (the alert's own wins). `silences`: those
 * in force by id, or null when they could not be read — then the alert's `silencedBy` is taken as
 * it is; otherwise a silence that is not in force (ended, expired) no longer counts, and one in force
 * that covers an open alert does, though the alert does not know yet.
 */
export function alertMarks(a: Alert, acks: ReadonlyMap<string, AlertAcknowledgement>, silences: ReadonlyMap<number, Silence> | null, now: Date): AlertMarks {
  const acknowledged = a.acknowledged ?? acks.get(a.id) ?? null;
  if (silences === null) return { acknowledged, silence: a.silencedBy === null ? null : { id: a.silencedBy, until: null, by: null } };
  const inForce = (s: Silence | undefined): s is Silence => s !== undefined && Date.parse(s.until) > now.getTime();
  const own = a.silencedBy === null ? undefined : silences.get(a.silencedBy);
  // the API's word first: the silence it named, while in force
  let silence: Silence | undefined = inForce(own) ? own : undefined;
  if (!silence && a.state !== 'resolved') {
    // the one that lasts longest: it is the one that says until when the alert stays quiet
    for (const s of silences.values()) if (inForce(s) && silenceMatches(s, a) && (!silence || s.until > silence.until)) silence = s;
  }
  return { acknowledged, silence: silence ? { id: silence.id, until: silence.until, by: silence.createdBy } : null };
}

export interface AlertActions {
  acknowledge: boolean;
  silence: boolean;
  /** end the silence that covers it (and whatever else it covers) */
  unsilence: boolean;
}

const NONE: AlertActions = { acknowledge: false, silence: false, unsilence: false };

/** Operators and admins act on open alerts (as the API has them now, whatever moment is shown); viewers read. */
export function alertActions(viewer: Viewer, a: Alert, marks: AlertMarks): AlertActions {
  if (!roleAtLeast(viewer.role, 'operator') || a.state === 'resolved') return NONE;
  return { acknowledge: marks.acknowledged === null, silence: marks.silence === null, unsilence: marks.silence !== null };
}

export function acknowledgedText(ack: AlertAcknowledgement): string {
  return `acknowledged by ${ack.by} at ${formatDateTime(ack.at)} UTC`;
}

export function silencedText(s: NonNullable<AlertMarks['silence']>): string {
  return s.until === null ? `silenced (silence #${s.id})` : `silenced until ${formatDateTime(s.until)} UTC`;
}

/** The silences the alerts name (`silencedBy`) that are not among those read: new since (read them again), or over. */
export function unknownSilences(alerts: Iterable<Alert>, silences: ReadonlyMap<number, Silence>): Set<number> {
  const out = new Set<number>();
  for (const a of alerts) if (a.silencedBy !== null && !silences.has(a.silencedBy)) out.add(a.silencedBy);
  return out;
}
