// Every REST route needs a viewer unless it is @Public(); @Requires(role) raises the bar. A 401
// says how to sign in; a 403 names the role needed and the one held. Unsafe methods must come from
// this site when a browser's cookie is what authenticates them.
import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { roleAtLeast, type Role } from '@netatlas/wire';
import { AuthService, sameOrigin } from './auth.service.js';
import { PUBLIC_KEY, ROLE_KEY, type HttpRequest } from './roles.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true; // socket.io namespaces authenticate at their handshake
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const viewer = await this.auth.resolve({ headers: request.headers, remoteAddress: request.socket.remoteAddress });
    if (!viewer) throw new UnauthorizedException('sign in first: GET /api/auth/me says how, or send Authorization: Bearer <API token>');
    const needed = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets) ?? 'viewer';
    if (!roleAtLeast(viewer.role, needed)) {
      // the roles as fields too, for clients (the web app says "this needs the operator role")
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: `needs role ${needed}; you are ${viewer.role}`, needed, role: viewer.role });
    }
    // a bearer token cannot ride along on another site's request (browsers add no Authorization); a cookie can
    if (!SAFE_METHODS.has(request.method) && request.headers.authorization === undefined && !sameOrigin(request.headers)) {
      throw new ForbiddenException('a request from another site is refused (Origin does not match)');
    }
    request.viewer = viewer;
    return true;
  }
}
