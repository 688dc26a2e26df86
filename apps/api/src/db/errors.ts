// Which database errors mean "try again later" rather than "this is wrong".
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * Postgres unreachable, restarting or shutting down, out of connections, or a transaction that lost
 * a serialization race: the same work may succeed later.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error)) return false;
  // Prisma wraps the driver's error (its `cause`, or the adapter's under meta.driverAdapterError)
  const inner = [(error as { cause?: unknown }).cause, (error as { meta?: { driverAdapterError?: unknown } }).meta?.driverAdapterError];
  if (depth < 4 && inner.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  // P1001 cannot reach, P1002 timed out, P1008 operation timed out, P1017 server closed, P2024 pool timeout
  if (['P1001', 'P1002', 'P1008', 'P1017', 'P2024'].includes(String((error as { code?: unknown }).code))) return true;
  const kind = (error as { cause?: { kind?: unknown } }).cause?.kind;
  if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout' || kind === 'TooManyConnections') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (RETRYABLE_NODE_CODES.has(code)) return true;
    // 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now; 53: resources
    if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53')) return true;
    if (code === '40001' || code === '40P01') return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}
