// How a BGP daemon reader tells "not on this node" (missing) from "gone" (failed): a source that
// was configured, or that answered earlier in this collector's life, and is not there now is a
// failure, loud, with the path or address it looked at.
import { ToolMissingError, type CommandFailedError, type Runner } from '../runner.js';
import { SourceAbsentError, SourceGoneError, type ReaderContext } from './reader.js';

export interface DaemonSource {
  /** the daemon's name for people: BIRD, GoBGP, FRR */
  daemon: string;
  /** what was looked at, e.g. `BIRD control socket /run/bird/bird.ctl` */
  what: string;
  /** given by a flag or its environment variable */
  configured: boolean;
}

/** The daemon is not there (`reason`: what was found instead). Always throws. */
export function daemonAbsent(ctx: ReaderContext, src: DaemonSource, reason: string): never {
  if (src.configured) throw new SourceGoneError(`${src.what}: ${reason} — is ${src.daemon} running?`);
  const last = ctx.memory.answered;
  if (last !== null) {
    throw new SourceGoneError(`${src.daemon} stopped answering at ${last.source} (it answered until ${last.at.toISOString()})`);
  }
  throw new SourceAbsentError(`${src.what}: ${reason}`);
}

/** The daemon answered at `source`: remembered, so that its going away later is a failure. */
export function daemonAnswered(ctx: ReaderContext, source: string): void {
  ctx.memory.answered = { source, at: ctx.now() };
}

/** The client tool: its absence is `missing`, unless the daemon was configured (then the source cannot be used). */
export function requireTool(runner: Runner, tool: string, src: DaemonSource): void {
  if (runner.available(tool)) return;
  if (src.configured) throw new SourceGoneError(`${tool} is not installed (not found on PATH), so the configured ${src.what} cannot be read`);
  throw new ToolMissingError(tool);
}

/** The client's own first line of complaint ("Unable to connect to server control socket (…): Connection refused"). */
export function toolSaid(err: CommandFailedError): string {
  const text = `${err.result.stderr}\n${err.result.stdout}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return text ?? `exit ${err.result.code}`;
}
