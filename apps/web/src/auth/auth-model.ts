// What the app shows for who is looking (README "Security"): from GET /api/auth/me, the sign-in
// screen (with the ways this API offers) or the app (with the viewer in the header and the views
// their role opens); and what a sign-out leads to. The API decides what a role may do: the UI only
// leaves out what would be refused anyway, and a view that is refused says so (a 403 is the truth).
import { roleAtLeast, type AuthMe, type Viewer } from '@netatlas/wire/core';
import { VIEWS, type ViewName } from '../state/route.js';

/** where the OpenID provider sends the browser back to when the page had no hash */
export const DEFAULT_RETURN = '#/topology';

export type AuthScreen =
  | { kind: 'app'; viewer: Viewer; canLogout: boolean }
  | {
      kind: 'sign-in';
      /** the OpenID sign-in: the button's text and where it goes (a full-page navigation) */
      oidc: { label: string; href: string } | null;
      /** an API token can be pasted */
      token: boolean;
    };

/** `https://login.example.com/realms/x` → `login.example.com`; an issuer that is not a URL as it is. */
export function issuerHost(issuer: string): string {
  try {
    return new URL(issuer).host || issuer;
  } catch {
    return issuer;
  }
}

/** The page to come back to after the provider: the view that was open (its hash), or the topology. */
export function returnHash(hash: string): string {
  return hash === '' || hash === '#' ? DEFAULT_RETURN : hash;
}

/** `loginUrl` builds the provider's sign-in address for a return hash (RestClient.loginUrl). */
export function authScreen(me: AuthMe, hash: string, loginUrl: (returnHash: string) => string): AuthScreen {
  // an anonymous viewer has no session to end, whatever the flag says
  if (me.viewer) return { kind: 'app', viewer: me.viewer, canLogout: me.canLogout && me.viewer.via !== 'anonymous' };
  const oidc = me.methods.oidc;
  return {
    kind: 'sign-in',
    oidc: oidc ? { label: `Sign in with ${issuerHost(oidc.issuer)}`, href: loginUrl(returnHash(hash)) } : null,
    token: me.methods.token,
  };
}

/** In the header: `alice (operator)`; an anonymous viewer as `anonymous (viewer)`. */
export function viewerText(v: Viewer): { name: string; role: string; title: string } {
  const name = v.via === 'anonymous' ? 'anonymous' : v.name || v.subject;
  const how: Record<Viewer['via'], string> = {
    oidc: 'signed in with the OpenID provider',
    token: 'signed in with an API token',
    proxy: 'signed in by the proxy in front of the API',
    anonymous: 'not signed in: the API lets everyone in with this role',
  };
  return { name, role: `(${v.role})`, title: `${v.subject}, ${how[v.via]}` };
}

/** The tabs a viewer sees: Admin only for admins (its route stays open to all: the API refuses). */
export function visibleViews(viewer: Viewer): ViewName[] {
  return VIEWS.filter((v) => v !== 'admin' || roleAtLeast(viewer.role, 'admin'));
}

/** After POST /api/auth/logout: the provider's end-session page, or the sign-in screen. */
export function afterLogout(res: { redirect: string | null }): { kind: 'redirect'; url: string } | { kind: 'sign-in' } {
  return res.redirect ? { kind: 'redirect', url: res.redirect } : { kind: 'sign-in' };
}
