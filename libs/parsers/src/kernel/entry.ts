// Reading iproute2 JSON (`ip -json …`, `bridge -json …`) strictly: every field a parser relies on
// is checked, and anything that is not what the tool prints becomes a ParseError naming the command,
// the entry and the field. No partial results: a parser either returns every entry or throws.
import { ParseError } from '../errors.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** A JSON object from the tool's output, with typed, checked field access. */
export class Entry {
  constructor(
    readonly source: string,
    /** where the object sits, for messages: `entry 3`, `entry 3 addr_info[1]` */
    readonly where: string,
    readonly obj: Obj,
  ) {}

  has(key: string): boolean {
    return key in this.obj;
  }

  isEmpty(): boolean {
    return Object.keys(this.obj).length === 0;
  }

  fail(message: string): never {
    throw new ParseError(this.source, `${this.where}: ${message} in ${preview(this.obj)}`);
  }

  private wrongType(key: string, expected: string): never {
    this.fail(`field "${key}" should be ${expected} but is ${preview(this.obj[key])}`);
  }

  str(key: string): string {
    if (!(key in this.obj)) this.fail(`missing field "${key}"`);
    const v = this.obj[key];
    if (typeof v !== 'string') this.wrongType(key, 'a string');
    return v;
  }

  /** absent or null → null */
  optStr(key: string): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.wrongType(key, 'a string');
    return v;
  }

  int(key: string): number {
    if (!(key in this.obj)) this.fail(`missing field "${key}"`);
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.wrongType(key, 'an integer');
    return v;
  }

  /** absent or null → null */
  optInt(key: string): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.wrongType(key, 'an integer');
    return v;
  }

  /** absent → null */
  optBool(key: string): boolean | null {
    const v = this.obj[key];
    if (v === undefined) return null;
    if (typeof v !== 'boolean') this.wrongType(key, 'a boolean');
    return v;
  }

  /** A list of strings; absent → `absent` (or a missing-field error when `absent` is undefined). */
  strArray(key: string, absent?: string[]): string[] {
    if (!(key in this.obj)) {
      if (absent !== undefined) return absent;
      this.fail(`missing field "${key}"`);
    }
    const v = this.obj[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.wrongType(key, 'a list of strings');
    return v as string[];
  }

  /** A nested object; absent or null → null. */
  optObj(key: string): Entry | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (!isObject(v)) this.wrongType(key, 'an object');
    return new Entry(this.source, `${this.where} ${key}`, v);
  }

  /** A list of objects; absent → `absent` (or a missing-field error when `absent` is undefined). */
  objArray(key: string, absent?: Entry[]): Entry[] {
    if (!(key in this.obj)) {
      if (absent !== undefined) return absent;
      this.fail(`missing field "${key}"`);
    }
    const v = this.obj[key];
    if (!Array.isArray(v)) this.wrongType(key, 'a list of objects');
    return v.map((x, i) => {
      if (!isObject(x)) this.wrongType(`${key}[${i}]`, 'an object');
      return new Entry(this.source, `${this.where} ${key}[${i}]`, x);
    });
  }
}

/**
 * The tool's output as a list of entries. Throws a ParseError when it is not JSON, not an array, or
 * holds something other than objects. An empty output is not an empty table (iproute2 prints `[]`
 * for that): it is a tool that died or printed nothing, so it is an error too.
 */
export function readEntries(source: string, text: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ParseError(source, `output is not valid JSON (${reason}): ${preview(text.trim())}`, { cause: error });
  }
  if (!Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : typeof parsed;
    throw new ParseError(source, `output is not a JSON array (got ${got}): ${preview(parsed)}`);
  }
  return parsed.map((row: unknown, i) => {
    if (!isObject(row)) throw new ParseError(source, `entry ${i} is not an object: ${preview(row)}`);
    return new Entry(source, `entry ${i}`, row);
  });
}
