/**
 * Parses the output of an `ip -json ...` command (iproute2), which is a JSON array of objects.
 * Throws an Error naming the problem when the text is not JSON or not an array.
 */
export function parseIpJson(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`ip -json output is not valid JSON (${reason}): ${preview(text)}`, { cause: error });
  }
  if (!Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : typeof parsed;
    throw new Error(`ip -json output is not a JSON array (got ${got}): ${preview(text)}`);
  }
  return parsed as unknown[];
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > 80 ? `${oneLine.slice(0, 80)}…` : oneLine);
}
