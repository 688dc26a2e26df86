// Signing in and out (README "Security"): GET /api/auth/me (who this is, how to sign in), the OIDC
// round trip (GET login → provider → GET callback), POST token-login (a session from an API token,
// for browsers of a tokens-only deployment) and POST logout.
import type { LogoutResponse, TokenLoginResponse } from '@netatlas/wire';
import { BadRequestException, Body, Controller, ForbiddenException, Get, HttpCode, Inject, NotFoundException, Post, Query, Req, Res, UnauthorizedException } from '@nestjs/common';
import { TokenLoginSchema, type AuthMe, type Viewer } from '@netatlas/wire';
import { AUTH_CONFIG, type AuthConfig } from './auth-config.js';
import { parseBody } from '../query-params/query.js';
import { AuthService, sameOrigin } from './auth.service.js';
import { OIDC_CLIENT } from './auth.tokens.js';
import type { OidcClient } from './oidc-client.js';
import { Public, type HttpRequest, type HttpResponse } from './roles.js';
import { clearCookie, readCookie, setCookie, sign, SIGN_IN_COOKIE, unsign } from './session-cookie.js';

const SIGN_IN_TTL_S = 600;
/** where the browser goes back to: a hash route of the app, nothing else (no open redirect) */
const RETURN_PATTERN = /^#\/[\w\-./%?=&:,+]{0,500}$/;

interface SignInState {
  state: string;
  nonce: string;
  verifier: string;
  return: string;
  exp: number;
}

@Controller('auth')
@Public()
export class AuthController {
  constructor(
    @Inject(AUTH_CONFIG) private readonly settings: AuthConfig,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(OIDC_CLIENT) private readonly oidc: OidcClient | null,
  ) {}

  @Get('me')
  async me(@Req() req: HttpRequest): Promise<AuthMe> {
    let viewer: Viewer | null;
    try {
      viewer = await this.auth.resolve({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
    } catch (error) {
      if (error instanceof UnauthorizedException || error instanceof ForbiddenException) viewer = null;
      else throw error;
    }
    const session = viewer && (viewer.via === 'oidc' || viewer.via === 'token') ? await this.auth.session(req.headers) : null;
    return {
      viewer,
      methods: { oidc: this.settings.oidc ? { issuer: this.settings.oidc.issuer } : null, token: true },
      canLogout: session !== null,
    };
  }

  @Get('login')
  async login(@Query('return') returnTo: unknown, @Res() res: HttpResponse): Promise<void> {
    if (!this.oidc) throw new NotFoundException('OpenID Connect is not configured (NETATLAS_OIDC_ISSUER)');
    const back = typeof returnTo === 'string' && RETURN_PATTERN.test(returnTo) ? returnTo : '#/topology';
    const start = await this.oidc.start().catch((error: Error) => {
      throw new BadRequestException(error.message);
    });
    const state: SignInState = { state: start.state, nonce: start.nonce, verifier: start.verifier, return: back, exp: Date.now() + SIGN_IN_TTL_S * 1000 };
    const value = sign(Buffer.from(JSON.stringify(state)).toString('base64url'), this.settings.sessionSecret);
    res.setHeader('set-cookie', setCookie(SIGN_IN_COOKIE, value, { maxAgeS: SIGN_IN_TTL_S, path: '/api/auth', secure: this.settings.secureCookies }));
    res.setHeader('cache-control', 'no-store');
    res.redirect(302, start.url);
  }

  @Get('callback')
  async callback(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    if (!this.oidc) throw new NotFoundException('OpenID Connect is not configured (NETATLAS_OIDC_ISSUER)');
    const raw = readCookie(req.headers, SIGN_IN_COOKIE);
    const value = raw === undefined ? null : unsign(raw, this.settings.sessionSecret);
    let state: SignInState | null;
    try {
      state = value ? (JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as SignInState) : null;
    } catch {
      state = null;
    }
    if (!state || typeof state.exp !== 'number' || state.exp < Date.now()) {
      throw new BadRequestException('sign-in: no sign-in in progress in this browser, or it took over 10 minutes; start again at /');
    }
    const error = typeof req.query['error'] === 'string' ? req.query['error'] : null;
    if (error) throw new BadRequestException(`sign-in: the provider said ${error}${typeof req.query['error_description'] === 'string' ? `: ${req.query['error_description']}` : ''}`);
    const callbackUrl = new URL(req.originalUrl, this.settings.oidc!.redirectUri);
    const signedIn = await this.oidc.finish(callbackUrl, state).catch((e: Error) => {
      throw new BadRequestException(`sign-in failed: ${e.message}`);
    });
    if (signedIn.role === null) throw new ForbiddenException(`${signedIn.name} signed in, but is in none of the groups that may see netatlas (NETATLAS_VIEWER_GROUPS)`);
    const cookie = await this.auth.startSession({ subject: signedIn.subject, name: signedIn.name, role: signedIn.role, via: 'oidc' }, signedIn.idToken);
    res.setHeader('set-cookie', [cookie, clearCookie(SIGN_IN_COOKIE, '/api/auth', this.settings.secureCookies)]);
    res.setHeader('cache-control', 'no-store');
    res.redirect(302, `/${state.return}`);
  }

  @Post('token-login')
  @HttpCode(200)
  async tokenLogin(@Body() body: unknown, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TokenLoginResponse> {
    if (!sameOrigin(req.headers)) throw new ForbiddenException('a request from another site is refused (Origin does not match)');
    const { token } = parseBody(TokenLoginSchema, body);
    const found = await this.auth.token(token);
    if (!found) throw new UnauthorizedException('that API token is unknown or revoked');
    const viewer: Viewer = { subject: `token:${found.name}`, name: found.name, role: found.role, via: 'token' };
    res.setHeader('set-cookie', await this.auth.startSession(viewer, null));
    return { viewer };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<LogoutResponse> {
    if (!sameOrigin(req.headers)) throw new ForbiddenException('a request from another site is refused (Origin does not match)');
    const { idToken, cookie } = await this.auth.endSession(req.headers);
    res.setHeader('set-cookie', cookie);
    const home = `${this.settings.externalUrl.replace(/\/+$/, '')}/`;
    return { redirect: idToken && this.oidc ? await this.oidc.endSessionUrl(idToken, home) : null };
  }
}
