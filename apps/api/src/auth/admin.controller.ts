// The admin's endpoints: API tokens (list, create, revoke) and the settings in force, redacted.
import type { AdminSettingsResponse, ApiTokenCreatedResponse, ApiTokenRevokedResponse, ApiTokensResponse } from '@netatlas/wire';
import { Body, Controller, Delete, Get, Inject, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { NewApiTokenSchema } from '@netatlas/wire';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { redactUrl } from '../db/url.js';
import { NOTIFY_CONFIG, type NotifyConfig } from '../notify/notify-config.js';
import { AUTH_CONFIG, type AuthConfig } from './auth-config.js';
import { idParam, parseBody } from '../query-params/query.js';
import { AuthService } from './auth.service.js';
import { Requires, type ViewerRequest } from './roles.js';

@Controller('admin')
@Requires('admin')
export class AdminController {
  constructor(
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(AUTH_CONFIG) private readonly authSettings: AuthConfig,
    // the settings page shows the receivers too
    @Inject(NOTIFY_CONFIG) private readonly notifySettings: NotifyConfig,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  @Get('tokens')
  async tokens(): Promise<ApiTokensResponse> {
    return { tokens: await this.auth.tokens.list() };
  }

  @Post('tokens')
  async createToken(@Body() body: unknown, @Req() req: ViewerRequest): Promise<ApiTokenCreatedResponse> {
    const { name, role } = parseBody(NewApiTokenSchema, body);
    return this.auth.tokens.create(name, role, req.viewer?.name ?? null);
  }

  @Delete('tokens/:id')
  async revoke(@Param('id') id: string): Promise<ApiTokenRevokedResponse> {
    if (!(await this.auth.revokeToken(idParam(id, 'token')))) throw new NotFoundException(`no live token with id ${id}`);
    return { revoked: true };
  }

  /** What is configured, without a secret in it. */
  @Get('settings')
  settings(): AdminSettingsResponse {
    const c = this.config;
    const a = this.authSettings;
    const n = this.notifySettings;
    const set = (v: string | null) => (v === null ? 'not set' : 'set');
    const rows: Array<[string, string]> = [
      ['listening on', `${c.host}:${c.port}`],
      ['external URL', n.externalUrl],
      ['database', c.databaseUrl ? redactUrl(c.databaseUrl) : `embedded, under ${c.dataDir}`],
      ['anonymous viewers', a.anonymous ? `${a.anonymous}${a.anonymousByDefault ? ' (loopback default)' : ''}` : 'off'],
      ['OpenID Connect', a.oidc ? `${a.oidc.issuer} (client ${a.oidc.clientId}, groups claim ${a.oidc.groupsClaim})` : 'off'],
      ['trusted proxies', a.proxy ? `${a.proxy.trusted.length} range(s); user header ${a.proxy.userHeader}, groups header ${a.proxy.groupsHeader}` : 'off'],
      ['admin groups', a.groups.admin.join(', ') || '-'],
      ['operator groups', a.groups.operator.join(', ') || '-'],
      ['viewer groups', a.groups.viewer.join(', ') || 'any signed-in user'],
      ['session secret', a.sessionSecretGenerated ? 'random at start (sessions end with a restart)' : 'set'],
      ['session length', `${a.sessionTtlMs / 3600_000} h`],
      ['shared collector token', set(c.token)],
      ['metrics token', set(c.metricsToken)],
      ['collector service account', `${c.collectorServiceAccount} (audience ${c.collectorAudience})`],
      ['Kubernetes', c.kubernetes],
      ['retention', c.retentionDays === 0 ? 'forever' : `${c.retentionDays} days`],
      ['lost after', `${c.lostAfterMs / 1000} s`],
      ['max message', `${c.maxMessageBytes / 1024 / 1024} MB`],
      ['webhook receivers', n.receivers.map((r) => r.name).join(', ') || 'none'],
    ];
    return { settings: rows.map(([name, value]) => ({ name, value })) };
  }
}
