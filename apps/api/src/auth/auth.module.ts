// Viewers (README "Security"): who is asking (AuthService), the guard every REST route passes, the
// sign-in endpoints and the admin's. Global: the live namespace and /metrics resolve viewers too.
import { Global, Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DATABASE } from '../app-tokens.js';
import { AUTH_CONFIG, type AuthConfig } from './auth-config.js';
import type { Database } from '../db/database.js';
import { ApiTokensRepository } from '../db/repositories/api-tokens.repository.js';
import { ViewerSessionsRepository } from '../db/repositories/viewer-sessions.repository.js';
import { AdminController } from './admin.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { OIDC_CLIENT } from './auth.tokens.js';
import { OidcClient } from './oidc-client.js';

const PRUNE_MS = 3600_000;

@Injectable()
class SessionPruner implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}
  onModuleInit(): void {
    this.timer = setInterval(() => void this.auth.pruneSessions().catch(() => undefined), PRUNE_MS);
    this.timer.unref();
  }
  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

@Global()
@Module({
  providers: [
    { provide: ApiTokensRepository, useFactory: (db: Database) => new ApiTokensRepository(db.pool), inject: [DATABASE] },
    { provide: ViewerSessionsRepository, useFactory: (db: Database) => new ViewerSessionsRepository(db.pool), inject: [DATABASE] },
    { provide: OIDC_CLIENT, useFactory: (c: AuthConfig) => (c.oidc ? new OidcClient(c.oidc, c.groups) : null), inject: [AUTH_CONFIG] },
    AuthService,
    SessionPruner,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  controllers: [AuthController, AdminController],
  exports: [AuthService],
})
export class AuthModule {}
