import type { AuthMe, Viewer } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { RestClient } from '../api/rest-client.js';
import { afterLogout, authScreen, issuerHost, returnHash, viewerText, visibleViews } from './auth-model.js';

const viewer = (role: Viewer['role'], via: Viewer['via'] = 'oidc', name = 'Alice'): Viewer => ({ subject: via === 'anonymous' ? 'anonymous' : 'alice@example.com', name, role, via });
const me = (over: Partial<AuthMe> = {}): AuthMe => ({ viewer: null, methods: { oidc: null, token: false }, canLogout: false, ...over });
const loginUrl = (hash: string) => new RestClient().loginUrl(hash);

describe('the screen from GET /api/auth/me', () => {
  it('signed in: the app, with the viewer and whether the session can be ended', () => {
    expect(authScreen(me({ viewer: viewer('operator'), canLogout: true }), '#/alerts', loginUrl)).toEqual({ kind: 'app', viewer: viewer('operator'), canLogout: true });
    expect(authScreen(me({ viewer: viewer('viewer', 'anonymous', 'anonymous') }), '', loginUrl)).toMatchObject({ kind: 'app', canLogout: false });
    expect(authScreen(me({ viewer: viewer('viewer', 'anonymous', 'anonymous'), canLogout: true }), '', loginUrl)).toMatchObject({ kind: 'app', canLogout: false });
  });

  it('not signed in: the provider by its host, coming back to the view that was open', () => {
    const screen = authScreen(me({ methods: { oidc: { issuer: 'https://login.example.com/realms/netatlas' }, token: true } }), '#/alerts?state=firing', loginUrl);
    expect(screen).toEqual({
      kind: 'sign-in',
      oidc: { label: 'Sign in with login.example.com', href: '/api/auth/login?return=%23%2Falerts%3Fstate%3Dfiring' },
      token: true,
    });
  });

  it('with no hash the provider sends the browser back to the topology', () => {
    expect(returnHash('')).toBe('#/topology');
    expect(returnHash('#')).toBe('#/topology');
    expect(returnHash('#/nodes/node-1')).toBe('#/nodes/node-1');
    const screen = authScreen(me({ methods: { oidc: { issuer: 'https://idp.example.com' }, token: false } }), '', loginUrl);
    expect(screen.kind === 'sign-in' && screen.oidc?.href).toBe('/api/auth/login?return=%23%2Ftopology');
  });

  it('only a token, or no way in at all', () => {
    expect(authScreen(me({ methods: { oidc: null, token: true } }), '#/bgp', loginUrl)).toEqual({ kind: 'sign-in', oidc: null, token: true });
    expect(authScreen(me(), '#/bgp', loginUrl)).toEqual({ kind: 'sign-in', oidc: null, token: false });
  });

  it('an API elsewhere (VITE_NETATLAS_API_URL) is where the sign-in starts', () => {
    expect(new RestClient({ baseUrl: 'https://api.example.com/' }).loginUrl('#/alerts')).toBe('https://api.example.com/api/auth/login?return=%23%2Falerts');
  });

  it('names the issuer by its host, or as it is when it is no URL', () => {
    expect(issuerHost('https://accounts.google.com')).toBe('accounts.google.com');
    expect(issuerHost('http://127.0.0.1:8080/issuer')).toBe('127.0.0.1:8080');
    expect(issuerHost('corp-sso')).toBe('corp-sso');
  });
});

describe('the viewer in the header', () => {
  it('name and role; anonymous as anonymous (role)', () => {
    expect(viewerText(viewer('operator'))).toMatchObject({ name: 'Alice', role: '(operator)' });
    expect(viewerText(viewer('viewer', 'anonymous', 'whatever'))).toMatchObject({ name: 'anonymous', role: '(viewer)' });
    // a token's viewer without a name shows its subject
    expect(viewerText({ subject: 'token:ci', name: '', role: 'viewer', via: 'token' }).name).toBe('token:ci');
    expect(viewerText(viewer('admin', 'proxy')).title).toContain('proxy');
  });

  it('the Admin tab for admins only (its route stays open: the API refuses the others)', () => {
    expect(visibleViews(viewer('admin'))).toContain('admin');
    expect(visibleViews(viewer('operator'))).not.toContain('admin');
    expect(visibleViews(viewer('viewer'))).toEqual(['topology', 'nodes', 'bgp', 'trace', 'changes', 'alerts']);
  });
});

describe('after signing out', () => {
  it("goes to the provider's end-session page when there is one, else to the sign-in screen", () => {
    expect(afterLogout({ redirect: 'https://idp.example.com/logout?post_logout_redirect_uri=x' })).toEqual({ kind: 'redirect', url: 'https://idp.example.com/logout?post_logout_redirect_uri=x' });
    expect(afterLogout({ redirect: null })).toEqual({ kind: 'sign-in' });
  });
});
