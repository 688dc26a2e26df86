// Who is asking: the one place that turns a request (or a socket's handshake) into a Viewer. In
// order: an API token in `Authorization: Bearer`, the signed session cookie, the trusted proxy's
// user header, else the anonymous role when one is configured. Sessions and tokens are read through
// a short cache (5 s) so that a page of requests costs one lookup; a logout or a revoke on this
// replica ends at once, on another within those 5 s.
import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ApiToken, Viewer } from '@netatlas/wire';
import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ApiTokensRepository } from '../db/repositories/api-tokens.repository.js';
import { ViewerSessionsRepository, type SessionRecord } from '../db/repositories/viewer-sessions.repository.js';
import { AUTH_CONFIG, inCidrs, roleForGroups, type AuthConfig } from './auth-config.js';
import { clearCookie, readCookie, SESSION_COOKIE, setCookie, sign, unsign } from './session-cookie.js';

/** What the resolver needs of a request or a socket.io handshake. */
export interface Credentials {
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  /** a socket.io client's `auth.token` (scripts that cannot set headers on a websocket) */
  token?: string;
}

const SESSION_CACHE_MS = 5000;
const SESSION_CACHE_MAX = 10_000;

@Injectable()
export class AuthService {
  private readonly sessionCache = new Map<string, { record: SessionRecord | null; until: number }>();
  private readonly endedListeners = new Set<(sessionId: string) => void>();
  /** API tokens by secret, for TOKEN_CACHE_MS: a script polling every second costs one lookup in five */
  private readonly tokenCache = new Map<string, { token: ApiToken | null; until: number }>();
  private readonly revokedListeners = new Set<(tokenId: number) => void>();

  constructor(
    @Inject(AUTH_CONFIG) private readonly settings: AuthConfig,
    @Inject(ApiTokensRepository) readonly tokens: ApiTokensRepository,
    @Inject(ViewerSessionsRepository) private readonly sessions: ViewerSessionsRepository,
  ) {}

  /**
   * The viewer behind these credentials, or null when they bring none and anonymous access is off.
   * A credential that is there but wrong (unknown token) is an error, not anonymous: a script with a
   * revoked token should hear so.
   */
  async resolve(c: Credentials): Promise<Viewer | null> {
    const bearer = bearerOf(c);
    if (bearer !== undefined) {
      const token = await this.token(bearer);
      if (!token) throw new UnauthorizedException('the API token is unknown or revoked');
      return { subject: `token:${token.name}`, name: token.name, role: token.role, via: 'token' };
    }
    const session = await this.session(c.headers);
    if (session) return session.viewer;
    const proxy = this.settings.proxy;
    if (proxy && inCidrs(c.remoteAddress, proxy.trusted)) {
      const user = c.headers[proxy.userHeader];
      if (typeof user === 'string' && user.trim() !== '') {
        const rawGroups = c.headers[proxy.groupsHeader];
        const groups = (Array.isArray(rawGroups) ? rawGroups.join(',') : (rawGroups ?? '')).split(',').map((g) => g.trim()).filter(Boolean);
        const role = roleForGroups(groups, this.settings.groups);
        if (role === null) throw new ForbiddenException(`${user.trim()} is in none of the groups that may see netatlas`);
        return { subject: `proxy:${user.trim()}`, name: user.trim(), role, via: 'proxy' };
      }
    }
    const anonymous = this.settings.anonymous;
    return anonymous ? { subject: 'anonymous', name: 'anonymous', role: anonymous, via: 'anonymous' } : null;
  }

  /** The live API token with this secret, or null (through a short cache; a revoke here clears it). */
  async token(secret: string): Promise<ApiToken | null> {
    const now = Date.now();
    const cached = this.tokenCache.get(secret);
    if (cached && cached.until > now) return cached.token;
    const token = await this.tokens.find(secret);
    if (this.tokenCache.size >= SESSION_CACHE_MAX) this.tokenCache.clear();
    this.tokenCache.set(secret, { token, until: now + SESSION_CACHE_MS });
    return token;
  }

  /** The id of the API token these credentials bring, when it is live (after resolve()). */
  tokenIdOf(c: Credentials): number | null {
    const bearer = bearerOf(c);
    return bearer === undefined ? null : (this.tokenCache.get(bearer)?.token?.id ?? null);
  }

  /** Revokes an API token: refused at once here (the cache forgets it), and its live sockets are dropped. */
  async revokeToken(id: number): Promise<boolean> {
    const revoked = await this.tokens.revoke(id);
    for (const [secret, entry] of this.tokenCache) if (entry.token?.id === id) this.tokenCache.delete(secret);
    if (revoked) for (const listener of this.revokedListeners) listener(id);
    return revoked;
  }

  onTokenRevoked(listener: (tokenId: number) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** The session id in the request's cookie when its signature holds (whether or not the session lives). */
  sessionIdOf(headers: IncomingHttpHeaders): string | null {
    const raw = readCookie(headers, SESSION_COOKIE);
    return raw === undefined ? null : unsign(raw, this.settings.sessionSecret);
  }

  /** Calls `listener` with the id of each session this replica ends (the live namespace drops its sockets). */
  onSessionEnded(listener: (sessionId: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** The session behind the request's cookie, or null (none, forged, ended, expired). */
  async session(headers: IncomingHttpHeaders): Promise<(SessionRecord & { id: string }) | null> {
    const id = this.sessionIdOf(headers);
    if (!id) return null;
    const now = Date.now();
    const cached = this.sessionCache.get(id);
    let record: SessionRecord | null;
    if (cached && cached.until > now) {
      record = cached.record;
    } else {
      record = await this.sessions.find(id);
      if (this.sessionCache.size >= SESSION_CACHE_MAX) this.sessionCache.clear();
      this.sessionCache.set(id, { record, until: now + SESSION_CACHE_MS });
    }
    if (!record || record.expiresAt.getTime() <= now) return null;
    return { ...record, id };
  }

  /** Starts a session for `viewer`; the Set-Cookie header that carries it. */
  async startSession(viewer: Viewer, idToken: string | null): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const ttl = this.settings.sessionTtlMs;
    await this.sessions.create(id, viewer, new Date(Date.now() + ttl), idToken);
    return setCookie(SESSION_COOKIE, sign(id, this.settings.sessionSecret), { maxAgeS: ttl / 1000, path: '/', secure: this.settings.secureCookies });
  }

  /** Ends the request's session, if any: the ID token it held (for the provider's logout) and the Set-Cookie that clears it. */
  async endSession(headers: IncomingHttpHeaders): Promise<{ idToken: string | null; cookie: string }> {
    const session = await this.session(headers);
    let idToken: string | null = null;
    if (session) {
      idToken = (await this.sessions.end(session.id))?.idToken ?? null;
      this.sessionCache.delete(session.id);
      for (const listener of this.endedListeners) listener(session.id);
    }
    return { idToken, cookie: clearCookie(SESSION_COOKIE, '/', this.settings.secureCookies) };
  }

  pruneSessions(): Promise<number> {
    return this.sessions.prune();
  }
}

/** The API token a request or handshake brings: socket.io's auth.token, else `Authorization: Bearer`. */
function bearerOf(c: Credentials): string | undefined {
  return c.token ?? /^Bearer\s+(\S+)$/i.exec(c.headers.authorization ?? '')?.[1];
}

/**
 * Whether an unsafe request (POST, DELETE) comes from this site. Browsers send Origin on every
 * cross-site POST; a session cookie must not let another site act for its holder (SameSite=Lax
 * already keeps the cookie off cross-site POSTs in current browsers; this holds for the rest).
 */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  const fetchSite = headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}
