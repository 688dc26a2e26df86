// Runs the fault matrix (fault-matrix.ts) against a real lab watched by the real API: for each
// shape, a quiet spell on the healthy cluster (any alert or finding is false), then each fault,
// its expected alerts compared with what fired (and under which root), its undo, and the way back
// to a quiet cluster. Shared by `npm run bench:faults` and the CI subset (e2e/fault-matrix.spec.ts).
import type { Alert, AlertRule, ChecksResult } from '@netatlas/wire';
import { lab, sh, type Shape } from '@netatlas/lab-testing';
import { RULES } from '../alerts/rules.js';
import { describeAlerts, startAlertLab, type AlertLab } from './alert-lab.js';
import { cellsFor, type Cell, type ExpectedAlert, type FaultKind, type Step } from './fault-matrix.js';

/** The lab's BGP hold timer (tools/lab plan.ts LAB_TIMERS): faults seen through it may take this much longer. */
export const HOLD_TIMER_MS = 9000;
/** The alert lab's `lostAfterMs`: a collector that went silent is `lost` only after it, and CollectorLost's `for` counts from then. */
export const LOST_AFTER_MS = 4000;
/**
 * How long a session may take to be Established again once its path is back (an uplink up, a
 * cut undone, a daemon started): BIRD waits its connect delay (default 5 s) and, after failures,
 * its error wait (the lab's 1..10 s), then connects within the connect retry (2 s). Measured on
 * calico-rr: 5.0–5.2 s after link-up whether the link was down 5, 15 or 30 s.
 */
export const RECONNECT_MS = 17_000;
/** Alerts on a session that may fire while it reconnects after an undo, where their `for` is shorter than that. */
const RECONNECT_RULES = new Set<AlertRule>(['BgpPeeringDown', 'BgpSessionDown']);

export interface RunOptions {
  /** `for` of the rules the faults fire (RouteLoss, BgpSessionDown, the root causes …); null: each rule's own */
  forMs: number | null;
  /** how long the healthy cluster is watched before the faults (ms) */
  healthyMs: number;
  /** how long to keep watching after the expected alerts fired, for unexpected ones (ms) */
  settleMs: number;
  faults?: readonly FaultKind[];
  log: (line: string) => void;
}

export interface AlertOutcome {
  fingerprint: string;
  rule: AlertRule;
  expectedRoot: string | null;
  /** the root it fired under (fingerprint), null when alone, undefined when it did not fire */
  firedRoot?: string | null;
  /** ms from the fault command's start to firing */
  fireMs?: number;
  /** ms from the undo's start to resolving */
  resolveMs?: number;
  /** the most it may take: the rule's `for` + 5 s (+ the hold timer where the fault acts through it) */
  targetMs: number;
  ok: boolean;
}

export interface CellResult {
  shape: string;
  fault: FaultKind | 'healthy';
  what: string;
  expected: AlertOutcome[];
  /** alerts that fired and were not expected (or not under the expected root) */
  unexpected: Array<{ fingerprint: string; root: string | null; summary: string }>;
  /** unexpected alerts still pending when the cell ended (not counted as false: they never fired) */
  pendingUnexpected: string[];
  /**
   * after the undo: a session alert that fired while the session reconnected and resolved within
   * RECONNECT_MS of the undo (true while it lasted; expected only where the rule's `for` is shorter)
   */
  reconnects?: string[];
  /** a root without its evidence in the summary */
  noEvidence: string[];
  /** healthy cells: findings seen */
  findings?: number;
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT_RULES = new Set<AlertRule>((Object.keys(RULES) as AlertRule[]).filter((r) => RULES[r].root));

/** Faults whose rules are held to the bench's short `for`; the others keep theirs (StaleRoute, IpsetDrift: 30 s). */
const FAULT_RULES: readonly AlertRule[] = ['RouteLoss', 'BgpSessionDown', 'NodeUnreachable', 'BgpDaemonDown', 'UnderlayDown', 'BgpPeeringDown', 'PodRouteMissing'];

export async function startShapeLab(shape: Shape, name: string, forMs: number | null, log: (l: string) => void): Promise<AlertLab> {
  const calico = shape.up.includes('calico');
  return startAlertLab({
    style: calico ? 'calico' : shape.up.includes('flannel') ? 'flannel' : 'kube-router',
    name,
    nodes: shape.nodes,
    shape,
    // Calico with podCIDRs allocated that its IPAM ignores, and its blocks as block affinities
    kubePodCidrs: calico ? 'differ' : 'lab',
    blockAffinities: calico,
    forMs: forOf('RouteLoss', forMs),
    forOverrides: Object.fromEntries(FAULT_RULES.map((r) => [r, forOf(r, forMs)])),
    log,
  });
}

/** `ip`'s family flag for a prefix (it does not infer IPv6 from the prefix in `route show exact`). */
const family = (prefix: string) => (prefix.includes(':') ? '-6' : '-4');

async function runStep(l: AlertLab, step: Step, saved: Map<string, string>): Promise<void> {
  if ('lab' in step) await lab(step.lab);
  else if ('sh' in step) await sh(step.sh[0], step.sh.slice(1));
  else if ('delRoute' in step) {
    const { ns, dst } = step.delRoute;
    const line = (await sh('ip', [family(dst), '-n', ns, 'route', 'show', 'exact', dst])).trim();
    if (!line) throw new Error(`${ns} has no route ${dst} to delete`);
    saved.set(`${ns}|${dst}`, line);
    await sh('ip', [family(dst), '-n', ns, 'route', 'del', ...line.split(/\s+/)]);
  } else if ('restoreRoute' in step) {
    const { ns, dst } = step.restoreRoute;
    const line = saved.get(`${ns}|${dst}`);
    if (line) await sh('ip', [family(dst), '-n', ns, 'route', 'replace', ...line.split(/\s+/)]);
  } else if ('collector' in step) {
    if (step.collector === 'kill') await l.killCollector(step.node);
    else l.startCollector(step.node);
  } else if ('kube' in step) {
    l.kube.delete('nodes', step.node);
    for (const p of l.status.nodes.find((n) => n.namespace === step.node)?.pods ?? []) l.kube.delete('pods', `web-${p.name}`, 'default');
  }
}

async function alertsSince(l: AlertLab, since: string): Promise<Alert[]> {
  return (await l.t.get<{ alerts: Alert[] }>(`/api/alerts?from=${encodeURIComponent(since)}&limit=5000`)).body.alerts;
}

/** A root's summary must say what the evidence is: more than its rule and labels. */
function hasEvidence(a: Alert): boolean {
  return a.summary.length > 40 && /(reader|is (DOWN|LOWERLAYERDOWN|down)|session|collector|left|cannot be synced|interface)/.test(a.summary);
}

/** A rule's `for` in the bench's API: the short one for the rules faults fire, the default for the rest. */
const forOf = (rule: AlertRule, forMs: number | null) => (forMs !== null && FAULT_RULES.includes(rule) ? forMs : RULES[rule].forMs);

function compare(cell: Cell | null, alerts: Alert[], since: string, t0: number, forMs: number | null): Omit<CellResult, 'shape' | 'fault' | 'what' | 'notes'> {
  const fresh = alerts.filter((a) => a.startsAt >= since);
  const byId = new Map(alerts.map((a) => [a.id, a]));
  const rootOf = (a: Alert) => (a.rootId === null ? null : (byId.get(a.rootId)?.fingerprint ?? `#${a.rootId}`));
  const expected = (cell?.expected ?? []).map((e: ExpectedAlert): AlertOutcome => {
    const targetMs = forOf(e.rule, forMs) + 5000 + (e.afterHoldTimer ? HOLD_TIMER_MS : 0) + (e.rule === 'CollectorLost' ? LOST_AFTER_MS : 0);
    const hit = fresh.find((a) => a.fingerprint === e.fingerprint && a.firedAt !== null);
    const out: AlertOutcome = { fingerprint: e.fingerprint, rule: e.rule, expectedRoot: e.root, targetMs, ok: false };
    if (!hit) return out;
    out.firedRoot = rootOf(hit);
    out.fireMs = Date.parse(hit.firedAt as string) - t0;
    out.ok = out.firedRoot === e.root;
    return out;
  });
  const want = new Map((cell?.expected ?? []).map((e) => [e.fingerprint, e.root]));
  const unexpected = fresh
    .filter((a) => a.firedAt !== null && (!want.has(a.fingerprint) || want.get(a.fingerprint) !== rootOf(a)))
    .map((a) => ({ fingerprint: a.fingerprint, root: rootOf(a), summary: a.summary }));
  const pendingUnexpected = fresh.filter((a) => a.state === 'pending' && !want.has(a.fingerprint)).map((a) => a.fingerprint);
  const noEvidence = fresh.filter((a) => a.firedAt !== null && ROOT_RULES.has(a.rule) && a.rule !== 'NodeLeft' && !hasEvidence(a)).map((a) => `${a.fingerprint}: ${a.summary}`);
  return { expected, unexpected, pendingUnexpected, noEvidence };
}

/** A healthy cluster watched for `ms`: every alert that fires and every finding is false. */
async function watchHealthy(l: AlertLab, shape: Shape, ms: number, log: (l: string) => void): Promise<CellResult> {
  const since = new Date().toISOString();
  const t0 = Date.now();
  let findings = 0;
  const seenFindings = new Set<string>();
  while (Date.now() - t0 < ms) {
    const checks = (await l.t.get<ChecksResult>('/api/checks')).body;
    for (const f of checks.findings ?? []) if (!seenFindings.has(f.key)) {
      seenFindings.add(f.key);
      findings++;
      log(`  healthy ${shape.name}: finding ${f.key}: ${f.message}`);
    }
    await sleep(Math.min(5000, Math.max(500, ms - (Date.now() - t0))));
  }
  const alerts = await alertsSince(l, since);
  const r = compare(null, alerts, since, t0, 0);
  // pending alerts on a healthy cluster are false too (a judgment that holds long enough fires)
  return { shape: shape.name, fault: 'healthy', what: `healthy for ${Math.round(ms / 1000)} s`, ...r, findings, notes: [] };
}

/** One shape: a healthy spell, then every fault of the matrix that applies to it. */
export async function runShape(shape: Shape, name: string, o: RunOptions): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const l = await startShapeLab(shape, name, o.forMs, o.log);
  try {
    o.log(`${shape.name}: waiting for a quiet cluster`);
    await l.healthy(120_000);
    results.push(await watchHealthy(l, shape, o.healthyMs, o.log));
    const saved = new Map<string, string>();
    // a transient the fault causes (an ECMP branch dead until BGP notices, within the hold timer)
    // fires only where its rule's `for` is shorter than it lasts: expected there, false elsewhere
    const cells = cellsFor(shape, l.status, o.faults).map((c) => ({ ...c, expected: c.expected.filter((e) => !e.transient || forOf(e.rule, o.forMs) < HOLD_TIMER_MS) }));
    for (const cell of cells) {
      o.log(`${shape.name} × ${cell.fault}: ${cell.what} (expect ${cell.expected.length} alert(s))`);
      const since = new Date(Date.now() - 1).toISOString();
      const t0 = Date.now();
      const notes: string[] = [];
      for (const step of cell.run) await runStep(l, step, saved);
      // wait for every expected alert to fire, for no longer than the slowest may take
      const deadline = t0 + Math.max(0, ...cell.expected.map((e) => forOf(e.rule, o.forMs))) + HOLD_TIMER_MS + 15_000;
      for (;;) {
        const fired = new Set((await alertsSince(l, since)).filter((a) => a.firedAt !== null && a.startsAt >= since).map((a) => a.fingerprint));
        if (cell.expected.every((e) => fired.has(e.fingerprint)) || Date.now() > deadline) break;
        await sleep(500);
      }
      // then watch a while longer for alerts nobody expected (at least `for` + 5 s past the fault)
      await sleep(Math.max(o.settleMs, t0 + forOf('RouteLoss', o.forMs) + 5000 - Date.now()));
      const before = await alertsSince(l, since);
      const r = compare(cell, before, since, t0, o.forMs);
      if (cell.undo.length > 0) {
        const t1 = Date.now();
        for (const step of cell.undo) await runStep(l, step, saved);
        const ids = new Set(before.filter((a) => a.startsAt >= since).map((a) => a.id));
        const undoDeadline = t1 + 60_000;
        let after: Alert[] = [];
        for (;;) {
          after = (await alertsSince(l, since)).filter((a) => ids.has(a.id));
          if (after.every((a) => a.state === 'resolved') || Date.now() > undoDeadline) break;
          await sleep(500);
        }
        for (const e of r.expected) {
          const a = after.find((x) => x.fingerprint === e.fingerprint && x.resolvedAt !== null);
          if (a) e.resolveMs = Math.max(0, Date.parse(a.resolvedAt as string) - t1);
        }
        const stuck = after.filter((a) => a.state !== 'resolved');
        if (stuck.length) notes.push(`still open 60 s after the undo: ${describeAlerts(stuck)}`);
        try {
          await l.healthy(90_000);
        } catch (error) {
          notes.push(`not quiet again after the undo: ${(error as Error).message}`);
        }
        // the way back must be quiet too: an alert that started after the undo and fired is false,
        // save a session that was down while it reconnected, resolved within the daemon's delays
        // (and the routes lost meanwhile, grouped under it and nothing else)
        const undoAt = new Date(t1).toISOString();
        const back = (await alertsSince(l, undoAt)).filter((x) => x.startsAt >= undoAt && x.firedAt !== null && !ids.has(x.id));
        const brief = (a: Alert) => forOf(a.rule, o.forMs) < RECONNECT_MS && a.resolvedAt !== null && Date.parse(a.resolvedAt) - t1 <= RECONNECT_MS;
        const sessions = new Set(back.filter((a) => RECONNECT_RULES.has(a.rule) && brief(a)).map((a) => a.id));
        for (const a of back) {
          // a symptom of the way back: grouped only under reconnecting sessions, or under the fault's
          // own roots while they resolve (a restarted daemon holds no routes until its sessions are up)
          const underSession = a.causes.length > 0 && a.causes.every((c) => sessions.has(c.rootId) || ids.has(c.rootId)) && a.causes.some((c) => sessions.has(c.rootId)) && brief(a);
          if (sessions.has(a.id) || underSession) (r.reconnects ??= []).push(`${a.fingerprint} for ${((Date.parse(a.resolvedAt as string) - Date.parse(a.startsAt)) / 1000).toFixed(1)} s`);
          else r.unexpected.push({ fingerprint: a.fingerprint, root: a.rootId, summary: `after the undo: ${a.summary}` });
        }
      }
      const result: CellResult = { shape: shape.name, fault: cell.fault, what: cell.what, ...r, notes };
      results.push(result);
      const missed = r.expected.filter((e) => !e.ok).length;
      o.log(`  ${cell.fault}: ${r.expected.length - missed}/${r.expected.length} as expected, ${r.unexpected.length} unexpected${r.reconnects?.length ? `, ${r.reconnects.length} reconnecting after the undo (${r.reconnects.join(', ')})` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`);
      for (const e of r.expected.filter((x) => !x.ok)) o.log(`    missed: ${e.fingerprint} under ${e.expectedRoot ?? '(alone)'}${e.firedRoot !== undefined ? `, fired under ${e.firedRoot ?? '(alone)'}` : ', did not fire'}`);
      for (const u of r.unexpected) o.log(`    unexpected: ${u.fingerprint} under ${u.root ?? '(alone)'}: ${u.summary}`);
    }
  } finally {
    await l.close();
  }
  return results;
}

export interface Totals {
  cells: number;
  expected: number;
  matched: number;
  fired: number;
  falseAlerts: number;
  missed: number;
  late: number;
  noEvidence: number;
  /** session alerts that fired while a session reconnected after an undo (not false: see RECONNECT_MS) */
  reconnects: number;
  precision: number;
  recall: number;
}

export function totals(results: readonly CellResult[]): Totals {
  let expected = 0;
  let matched = 0;
  let falseAlerts = 0;
  let late = 0;
  let noEvidence = 0;
  let reconnects = 0;
  for (const r of results) {
    reconnects += r.reconnects?.length ?? 0;
    expected += r.expected.length;
    matched += r.expected.filter((e) => e.ok).length;
    falseAlerts += r.unexpected.length;
    late += r.expected.filter((e) => e.ok && e.fireMs !== undefined && e.fireMs > e.targetMs).length;
    noEvidence += r.noEvidence.length;
  }
  const fired = matched + falseAlerts;
  return {
    cells: results.length,
    expected,
    matched,
    fired,
    falseAlerts,
    missed: expected - matched,
    late,
    noEvidence,
    reconnects,
    precision: fired === 0 ? 1 : matched / fired,
    recall: expected === 0 ? 1 : matched / expected,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** The report: per shape and fault, expected vs fired, delays, then precision and recall. */
export function report(results: readonly CellResult[]): string {
  const lines: string[] = [];
  lines.push(`${'shape'.padEnd(14)} ${'fault'.padEnd(15)} ${'expected'.padStart(8)} ${'fired ok'.padStart(8)} ${'false'.padStart(5)} ${'missed'.padStart(6)} ${'fire max'.padStart(9)} ${'target'.padStart(8)} ${'resolve max'.padStart(11)}`);
  for (const r of results) {
    const ok = r.expected.filter((e) => e.ok);
    const fire = Math.max(...ok.map((e) => e.fireMs ?? 0), 0);
    const target = Math.max(...r.expected.map((e) => e.targetMs), 0);
    const resolve = r.expected.some((e) => e.resolveMs !== undefined) ? Math.max(...r.expected.map((e) => e.resolveMs ?? 0)) : undefined;
    lines.push(
      `${r.shape.padEnd(14)} ${r.fault.padEnd(15)} ${String(r.expected.length).padStart(8)} ${String(ok.length).padStart(8)} ${String(r.unexpected.length).padStart(5)} ${String(r.expected.length - ok.length).padStart(6)} ${secs(ok.length ? fire : undefined).padStart(9)} ${secs(r.expected.length ? target : undefined).padStart(8)} ${secs(resolve).padStart(11)}` +
        (r.fault === 'healthy' ? `  findings ${r.findings ?? 0}` : '') +
        (r.notes.length ? `  (${r.notes.join('; ')})` : ''),
    );
  }
  // name what went wrong, so a failed run (CI keeps only the report) says which alert and why
  for (const r of results) {
    for (const e of r.expected.filter((x) => !x.ok)) lines.push(`missed  ${r.shape} × ${r.fault}: ${e.fingerprint} under ${e.expectedRoot ?? '(alone)'}${e.firedRoot !== undefined ? `, fired under ${e.firedRoot ?? '(alone)'}` : ', did not fire'}`);
    for (const u of r.unexpected) lines.push(`false   ${r.shape} × ${r.fault}: ${u.fingerprint} under ${u.root ?? '(alone)'}: ${u.summary}`);
    for (const c of r.reconnects ?? []) lines.push(`reconn  ${r.shape} × ${r.fault}: ${c} (resolved within ${RECONNECT_MS / 1000} s of the undo)`);
  }
  const t = totals(results);
  lines.push('');
  lines.push(`cells ${t.cells}; expected alerts ${t.expected}, fired as expected ${t.matched}; false alerts ${t.falseAlerts}, missed ${t.missed}; later than target ${t.late}; roots without evidence ${t.noEvidence}; session alerts while reconnecting after an undo ${t.reconnects}`);
  lines.push(`precision ${pct(t.precision)}  recall ${pct(t.recall)}`);
  return lines.join('\n');
}
