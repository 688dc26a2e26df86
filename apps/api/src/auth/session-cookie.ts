// Signed cookies: `<value>.<HMAC-SHA256 of value>` (base64url). The session cookie holds a random
// session id (the row is looked up by its hash); the sign-in cookie holds the OIDC state, nonce and
// PKCE verifier for the few minutes between leaving for the provider and coming back.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const SESSION_COOKIE = 'netatlas_session';
export const SIGN_IN_COOKIE = 'netatlas_sign_in';

function mac(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

export function sign(value: string, secret: string): string {
  return `${value}.${mac(value, secret)}`;
}

/** The value, or null when the signature does not match. */
export function unsign(signed: string, secret: string): string | null {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return null;
  const value = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  const expected = Buffer.from(mac(value, secret));
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
}

/** One cookie's value from a request's Cookie header (undefined when absent). */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  maxAgeS: number;
  path: string;
  secure: boolean;
}

/** A Set-Cookie header value: http-only, SameSite=Lax (sent on the provider's redirect back, a top-level GET; never on cross-site POSTs). */
export function setCookie(name: string, value: string, o: CookieOptions): string {
  return `${name}=${encodeURIComponent(value)}; Path=${o.path}; Max-Age=${Math.floor(o.maxAgeS)}; HttpOnly; SameSite=Lax${o.secure ? '; Secure' : ''}`;
}

export function clearCookie(name: string, path: string, secure: boolean): string {
  return setCookie(name, '', { maxAgeS: 0, path, secure });
}
