import { Controller, Get, Header, Inject } from '@nestjs/common';
import { APP_VERSION } from '../app-version.js';
import { DOCS_HTML, DOCS_INIT_JS, openApiDocument } from './openapi.js';

@Controller('docs')
export class DocsController {
  constructor(@Inject(APP_VERSION) private readonly version: string) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return DOCS_HTML;
  }

  @Get('init.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  init(): string {
    return DOCS_INIT_JS;
  }

  @Get('openapi.json')
  document(): Record<string, unknown> {
    return openApiDocument(this.version);
  }
}
