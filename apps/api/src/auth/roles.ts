// Route metadata for the auth guard: @Public() routes need no viewer (health, sign-in); every other
// route needs a viewer, and @Requires(role) one of at least that role.
import { SetMetadata } from '@nestjs/common';
import type { Role, Viewer } from '@netatlas/wire';
import type { IncomingHttpHeaders } from 'node:http';

export const PUBLIC_KEY = 'netatlas:public';
export const ROLE_KEY = 'netatlas:role';

export const Public = () => SetMetadata(PUBLIC_KEY, true);
export const Requires = (role: Role) => SetMetadata(ROLE_KEY, role);

/** The request as the guard leaves it: who is asking. */
export interface ViewerRequest {
  viewer?: Viewer;
}

/** What the auth code reads of Express's request (the API does not depend on Express's types). */
export interface HttpRequest extends ViewerRequest {
  method: string;
  originalUrl: string;
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  socket: { remoteAddress?: string };
}

export interface HttpResponse {
  setHeader(name: string, value: string | string[]): unknown;
  redirect(status: number, url: string): void;
}
