// The last word on an HTTP request that failed outside the controllers' own checks: a database that
// is down or restarting is a 503 with Retry-After (the client should try again, nothing is wrong
// with its request); everything else keeps Nest's own handling.
import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isDatabaseUnavailable } from '../db/errors.js';

/** Seconds a client is told to wait before it asks again while the database is unreachable. */
export const DATABASE_RETRY_AFTER_S = 5;

interface HttpResponse {
  headersSent: boolean;
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

@Catch()
export class HttpErrorsFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HTTP');
  private lastLogged = 0;

  override catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && !(error instanceof HttpException) && isDatabaseUnavailable(error)) {
      const response = host.switchToHttp().getResponse<HttpResponse>();
      // one line per 10 s: a dashboard polling a down database must not flood the log
      if (Date.now() - this.lastLogged > 10_000) {
        this.lastLogged = Date.now();
        this.log.warn(`database unavailable, answering 503: ${(error as Error).message.split('\n')[0]}`);
      }
      if (response.headersSent) return super.catch(error, host); // mid-stream: Nest ends the response
      response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      response.status(503).json({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; retry later' });
      return;
    }
    super.catch(error, host);
  }
}
